package lvm

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
)

// TestRead reads the physical volume of lvmtest.Fixture and compares what
// it holds with the metadata text the fixture wrote.
func TestRead(t *testing.T) {
	b := lvmtest.Fixture(nil)
	pv, err := Read(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	l := pv.Label
	if l.Sector != 1 || l.UUID != "aB3dEf-GhIj-KlMn-OpQr-StUv-WxYz-012345" || l.Size != lvmtest.FixtureSize {
		t.Errorf("label: %+v", l)
	}
	if !reflect.DeepEqual(l.Data, []Area{{lvmtest.DataOffset, 0}}) || !reflect.DeepEqual(l.Metadata, []Area{{lvmtest.MetadataOffset, lvmtest.MetadataSize}}) {
		t.Errorf("areas: data %v metadata %v", l.Data, l.Metadata)
	}
	g := pv.Group
	if g.Name != "vg0" || g.UUID != "Xc9aWq-1bxP-rZ8T-kD2Q-uHEl-pV3n-9MhXtA" || g.Seqno != 7 || g.ExtentSize != 1<<20 {
		t.Errorf("group: %+v", g)
	}
	if want := []PVInfo{{Name: "pv0", UUID: l.UUID, Device: "/dev/sdb1", PEStart: 1 << 20, PECount: 12}}; !reflect.DeepEqual(g.PVs, want) {
		t.Errorf("physical volumes %+v, want %+v", g.PVs, want)
	}
	var names []string
	for _, lv := range g.LVs {
		names = append(names, lv.Name+":"+lv.Unsupported())
	}
	if got := strings.Join(names, " "); got != "data: fast:striped pool:thin-pool thin1:thin pool_tdata: pool_tmeta:" {
		t.Errorf("volumes and their unsupported types: %s", got)
	}
	data := &g.LVs[0]
	if !data.Visible || g.LVs[4].Visible || g.Size(data) != 8<<20 || data.UUID != "dAtA00-1111-2222-3333-4444-5555-666666" {
		t.Errorf("lv data: %+v", data)
	}
	ext, err := g.Map(data)
	if err != nil {
		t.Fatal(err)
	}
	want := []Extent{{0, l.UUID, 1<<20 + 6<<20, 4 << 20}, {4 << 20, l.UUID, 1<<20 + 1<<20, 4 << 20}}
	if !reflect.DeepEqual(ext, want) {
		t.Errorf("extents of data: %+v, want %+v", ext, want)
	}
	if fast := g.LVs[1]; len(fast.Segments) != 1 || fast.Segments[0].StripeSize != 64<<10 ||
		!reflect.DeepEqual(fast.Segments[0].Stripes, []Stripe{{"pv0", 0}, {"pv0", 5}}) {
		t.Errorf("lv fast: %+v", fast)
	}
	if _, err := g.Map(&g.LVs[1]); err == nil {
		t.Error("a striped volume was mapped")
	}
}

// TestReadWrapped: metadata text that wraps past the end of the metadata
// area continues right after its header (the area is a circular buffer).
func TestReadWrapped(t *testing.T) {
	b := lvmtest.PV(lvmtest.FixtureSize, lvmtest.FixtureUUID, "")
	at := int64(lvmtest.MetadataSize - 512 - 100)
	lvmtest.WriteMetadata(b, lvmtest.FixtureText, at)
	pv, err := Read(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if string(pv.Text) != lvmtest.FixtureText {
		t.Errorf("wrapped text differs")
	}
	pvck(t, b, "vg0", 7)
}

// pvck runs lvm2's pvck on the physical volume b: its checks of the
// label, header and metadata checksums must all pass, and it must find
// the same label, areas and group as Read.
func pvck(t *testing.T, b []byte, vg string, seqno int) {
	t.Helper()
	if _, err := exec.LookPath("pvck"); err != nil {
		t.Skip("pvck (lvm2) not installed")
	}
	p := filepath.Join(t.TempDir(), "pv.img")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pvck", "--dump", "headers", p).CombinedOutput()
	if err != nil {
		t.Fatalf("pvck: %v\n%s", err, out)
	}
	pv, err := Read(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "CHECK") {
			t.Errorf("pvck: %s", line)
		}
		if k, v, ok := strings.Cut(line, " "); ok {
			got[k] = v
		}
		if strings.HasPrefix(line, "metadata text at") {
			got["text"] = line
		}
	}
	l := pv.Label
	for k, want := range map[string]string{
		"label_header.sector":           "1",
		"pv_header.pv_uuid":             strings.ReplaceAll(l.UUID, "-", ""),
		"pv_header.disk_locn[0].offset": itoa(l.Data[0].Offset),
		"pv_header.disk_locn[2].offset": itoa(l.Metadata[0].Offset),
		"pv_header.disk_locn[2].size":   itoa(l.Metadata[0].Size),
		"mda_header_1.raw_locn[0].size": itoa(uint64(len(pv.Text) + 1)),
		"pv_header.device_size":         itoa(l.Size),
	} {
		if got[k] != want {
			t.Errorf("pvck %s = %q, triage %q", k, got[k], want)
		}
	}
	if !strings.HasSuffix(got["text"], "# vgname "+vg+" seqno "+itoa(uint64(seqno))) {
		t.Errorf("pvck: %q, want group %s seqno %d", got["text"], vg, seqno)
	}
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// TestPvck cross-checks the fixture with lvm2's pvck.
func TestPvck(t *testing.T) { pvck(t, lvmtest.Fixture(nil), "vg0", 7) }

// messWith returns a copy of the fixture changed by f.
func messWith(f func(b []byte)) []byte {
	b := lvmtest.Fixture(nil)
	f(b)
	return b
}

// TestBadPV: every corruption gives an error naming its offset, never a
// wrong volume group.
func TestBadPV(t *testing.T) {
	text := func(old, new string) []byte {
		b := lvmtest.PV(lvmtest.FixtureSize, lvmtest.FixtureUUID, strings.Replace(lvmtest.FixtureText, old, new, 1))
		return b
	}
	for _, tt := range []struct {
		name string
		b    []byte
		want string
	}{
		{"no-label", make([]byte, 8192), "no physical volume label"},
		{"label-crc", messWith(func(b []byte) { b[600]++ }), "label checksum 0x"},
		{"label-sector", messWith(func(b []byte) { b[520] = 3 }), "label says it is in sector 3, found in sector 1 at byte 0x100208"},
		{"mda-magic", messWith(func(b []byte) { b[4096+5] = 'X' }), "no metadata area header signature at byte 0x101004"},
		{"mda-crc", messWith(func(b []byte) { b[4096+200] = 1 }), "metadata area header checksum"},
		{"mda-outside", messWith(func(b []byte) { b[544+80+7] = 1; lvmtest.WriteLabelCRC(b) }), "lies outside the volume"},
		{"text-crc", messWith(func(b []byte) { b[4096+512+10]++ }), "metadata text checksum"},
		{"text-unclosed", text("pv0 {", "pv0 {{"), `unexpected character '{'`},
		{"text-string", lvmtest.PV(1<<21, lvmtest.FixtureUUID, `vg0 { id = "abc`), "string not closed"},
		{"extent-size", text("extent_size = 2048", "extent_size = 0"), `bad extent_size 0`},
		{"segment-past-pv", text(`"pv0", 6`, `"pv0", 11`), `extents 11+4 run past the 12 extents of pv0`},
		{"segment-gap", text("start_extent = 4", "start_extent = 5"), `extents 5+4 do not follow the 4 before`},
		{"unknown-pv", text(`"pv0", 6`, `"pv9", 6`), `unknown physical volume "pv9"`},
		{"stripe-count", text("stripe_count = 1	# linear", "stripe_count = 3"), "stripe_count 3, 1 stripes listed"},
		{"deep", lvmtest.PV(1<<21, lvmtest.FixtureUUID, strings.Repeat("a {", 100)), "nested deeper than 16"},
		{"no-group", lvmtest.PV(1<<21, lvmtest.FixtureUUID, `contents = "Text Format Volume Group"`), "no volume group section"},
	} {
		_, err := Read(bytes.NewReader(tt.b), 0x100000, int64(len(tt.b)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
			continue
		}
		var fe *FormatError
		if tt.name != "no-label" && (!errors.As(err, &fe) || fe.Off < 0x100000) {
			t.Errorf("%s: %v is not a FormatError with an image offset", tt.name, err)
		}
	}
}
