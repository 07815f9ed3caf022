package fat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/fs"
)

// walkFormat opens b through the engine's interface at image offset base
// and collects its entries (with their content) and problems.
func walkFormat(t *testing.T, b []byte, base int64, opts fs.Options) (fs.FS, map[string]fs.Entry, map[string]string, []error) {
	t.Helper()
	if !Format.Probe(b) {
		t.Fatal("Probe: not FAT")
	}
	v, err := Format.Open(bytes.NewReader(b), base, int64(len(b)), opts)
	if err != nil {
		t.Fatal(err)
	}
	ents, content := map[string]fs.Entry{}, map[string]string{}
	var problems []error
	err = v.Walk(context.Background(), func(e *fs.Entry) error {
		ents[e.Path] = *e
		if e.Open != nil {
			rc, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			content[e.Path] = string(data)
			if pr, ok := rc.(interface{ Incomplete() (string, bool) }); ok {
				if reason, inc := pr.Incomplete(); inc {
					content[e.Path] = "incomplete: " + reason
				}
			}
			rc.Close()
		}
		return nil
	}, func(err error) { problems = append(problems, err) })
	if err != nil {
		t.Fatal(err)
	}
	return v, ents, content, problems
}

// TestFormat: the entries of the basic volume as the engine gets them.
func TestFormat(t *testing.T) {
	const base = 0x100000
	v, ents, content, problems := walkFormat(t, basic().b, base, fs.Options{fs.SourceTimezone.Name: "+01:00"})
	if len(problems) != 0 {
		t.Errorf("problems %v", problems)
	}
	if v.Label() != "TESTVOL" {
		t.Errorf("label %q", v.Label())
	}
	d := v.(fs.Detailer).Details()
	if d["fs_type"] != "FAT12" || d["fs_serial"] != "CAFE-0001" || d["fs_time_zone"] != "UTC+01:00" || d["fs_code_page"] != "437" {
		t.Errorf("details %v", d)
	}
	hello := ents["/HELLO.TXT"]
	// 2024-02-14 11:00:00 local in UTC+01:00 (newVol's entry times).
	if hello.Type != fs.TypeFile || hello.Addr != vRoot || hello.Extra["entry_offset"] != int64(base+vRoot) ||
		!hello.Mtime.Equal(time.Date(2024, 2, 14, 10, 0, 0, 0, time.UTC)) || hello.Extra["time_zone"] != "UTC+01:00" ||
		content["/HELLO.TXT"] != strings.Repeat("h", 700) {
		t.Errorf("HELLO.TXT: %+v", hello)
	}
	if sub := ents["/SUB"]; sub.Type != fs.TypeDir || sub.Open != nil || sub.Size != 0 {
		t.Errorf("SUB: %+v", sub)
	}
	long := ents["/Long name.txt"]
	if long.Extra["fat_short_name"] != "LONGNA~1.TXT" || long.Extra["long_entry_offset"] != int64(base+vRoot+96) || long.Extra["fat_name_raw"] != nil {
		t.Errorf("long name: %v", long.Extra)
	}
	del := ents["/_ONE.DAT"]
	if !del.Deleted || del.Extra["recovered"] != "contiguous" || del.Extra["fat_name_raw"] != "e54f4e4520202020444154" ||
		content["/_ONE.DAT"] != strings.Repeat("g", 1000) {
		t.Errorf("deleted: %+v %q", del, content["/_ONE.DAT"])
	}
}

// TestFormatIncomplete: an overwritten deleted file's reader says why it
// yields nothing; a corrupt boot sector named FAT is an error at its offset.
func TestFormatIncomplete(t *testing.T) {
	v := basic()
	v.entry(vRoot+64, "\xe5ONE    DAT", 0x20, 5, 1000) // SUB/INNER.BIN's cluster
	_, _, content, _ := walkFormat(t, v.b, 0, nil)
	if content["/_ONE.DAT"] != "incomplete: overwritten" {
		t.Errorf("overwritten file: %q", content["/_ONE.DAT"])
	}

	bad := basic()
	bad.b[0] = 0 // no jump instruction: still named FAT12 at 54
	if !Format.Probe(bad.b) {
		t.Fatal("a FAT12 boot sector without a jump is not recognised")
	}
	_, err := Format.Open(bytes.NewReader(bad.b), 0x7e00, int64(len(bad.b)), nil)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Offset() != 0x7e00 {
		t.Errorf("error %v", err)
	}
	if _, err := Format.Open(bytes.NewReader(basic().b), 0, int64(len(basic().b)), fs.Options{CodePageOption.Name: "999"}); err == nil {
		t.Error("unknown code page accepted")
	}
}

// TestCodePageOption: the flag's check accepts what LookupCodePage knows.
func TestCodePageOption(t *testing.T) {
	for s, ok := range map[string]bool{"437": true, "cp850": true, "1252": true, "999": false, "": false} {
		if err := CodePageOption.Check(s); (err == nil) != ok {
			t.Errorf("%q: %v", s, err)
		}
	}
}
