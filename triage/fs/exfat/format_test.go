package exfat

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/fs"
)

// TestFormat: a volume made by mkfs.exfat, with a file whose times carry a
// UTC offset and one whose times do not, through the engine's interface.
func TestFormat(t *testing.T) {
	x := mkfsExFAT(t)
	pos := x.rootPos
	x.file(&pos, "with-offset.txt", []byte("offset\n"), true, 7)
	c := x.alloc(1)
	copy(x.b[x.off(c):], "local\n")
	ts := uint32(44<<25 | 5<<21 | 6<<16 | 7<<11 | 8<<5 | 5) // 2024-05-06 07:08:10
	local := pos
	x.entrySet(pos, "local.txt", 0x21, c, 6, 6, false, ts, 0)
	x.setFAT(c, 0xffffffff)

	if !Format.Probe(x.b) {
		t.Fatal("Probe: not exFAT")
	}
	const base = 0x200000
	v, err := Format.Open(bytes.NewReader(x.b), base, int64(len(x.b)), fs.Options{fs.SourceTimezone.Name: "America/New_York"})
	if err != nil {
		t.Fatal(err)
	}
	ents := map[string]fs.Entry{}
	content := map[string]string{}
	err = v.Walk(context.Background(), func(e *fs.Entry) error {
		ents[e.Path] = *e
		if e.Open != nil {
			rc, _ := e.Open()
			b, _ := io.ReadAll(rc)
			content[e.Path] = string(b)
			if _, inc := rc.(interface{ Incomplete() (string, bool) }).Incomplete(); inc {
				t.Errorf("%s incomplete", e.Path)
			}
			rc.Close()
		}
		return nil
	}, func(err error) { t.Error(err) })
	if err != nil {
		t.Fatal(err)
	}
	if v.Label() != "EXVOL" {
		t.Errorf("label %q", v.Label())
	}
	d := v.(fs.Detailer).Details()
	if d["fs_serial"] != "1234-ABCD" || d["fs_time_zone"] != "America/New_York" {
		t.Errorf("details %v", d)
	}
	off := ents["/with-offset.txt"]
	if off.Extra["time_zone"] != nil || off.Extra["exfat_no_fat_chain"] != true || content["/with-offset.txt"] != "offset\n" ||
		!off.Mtime.Equal(time.Date(2024, 5, 6, 5, 8, 10, 450e6, time.UTC)) {
		t.Errorf("with-offset.txt: %+v", off)
	}
	// 07:08:10 in New York (EDT, UTC-4 in May).
	loc := ents["/local.txt"]
	if loc.Extra["time_zone"] != "America/New_York" || loc.Addr != int64(local) || loc.Extra["entry_offset"] != int64(base+local) ||
		!loc.Mtime.Equal(time.Date(2024, 5, 6, 11, 8, 10, 450e6, time.UTC)) || content["/local.txt"] != "local\n" {
		t.Errorf("local.txt: %+v", loc)
	}
	if a, _ := loc.Extra["attributes"].([]string); len(a) != 2 || a[0] != "read-only" || a[1] != "archive" {
		t.Errorf("attributes %v", loc.Extra["attributes"])
	}
}

// TestBackupBootRegion: a main boot sector whose jump instruction is gone
// is still recognised by its name, and the backup boot region is used,
// with a problem naming the main one's offset.
func TestBackupBootRegion(t *testing.T) {
	x := mkfsExFAT(t)
	x.b[0] = 0
	if !Format.Probe(x.b) {
		t.Fatal("not recognised")
	}
	v, err := Format.Open(bytes.NewReader(x.b), 0x1000, int64(len(x.b)), nil)
	if err != nil {
		t.Fatal(err)
	}
	var problems []error
	if err := v.Walk(context.Background(), func(*fs.Entry) error { return nil }, func(err error) { problems = append(problems, err) }); err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || problems[0].(*FormatError).Offset() != 0x1000 || !strings.Contains(problems[0].Error(), "jump instruction 0x0") {
		t.Errorf("problems %v", problems)
	}
	if v.Label() != "EXVOL" {
		t.Errorf("label %q", v.Label())
	}
}
