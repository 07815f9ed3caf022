package triage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/volume"
)

// lvmImage writes an image holding the NTFS volume of ntfs-basic.raw in
// the logical volume vg0/data of lvmtest.Fixture: in a 0x8e partition of
// a DOS table (mbr), or as a bare physical volume.
func lvmImage(t *testing.T, mbr bool) string {
	t.Helper()
	pv := lvmtest.Fixture(testfixture.Image(t, "ntfs-basic.raw"))
	img := pv
	if mbr {
		img = lvmtest.MBR(pv, 0x8e)
	}
	p := filepath.Join(t.TempDir(), "lvm.raw")
	if err := os.WriteFile(p, img, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestScanLVM: the files of an NTFS volume in an LVM logical volume whose
// two segments are out of order on the disk are those the Sleuth Kit
// found in the same volume as a bare image (ntfs-basic.raw.expected.tsv);
// the striped, thin-pool and thin volumes are recorded as not examined,
// with a problem each.
func TestScanLVM(t *testing.T) {
	for _, tt := range []struct {
		name string
		mbr  bool
		base int64 // image offset of the physical volume
		vol  int   // index of vg0/data
	}{
		{"mbr", true, 1 << 20, 1},
		{"bare", false, 0, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, recs, c := scanImage(t, lvmImage(t, tt.mbr), SourceOptions{})
			compareTSK(t, recs, tt.vol, expectedTSV(t, "ntfs-basic.raw"))
			errs, err := c.Errors(context.Background(), res.EvidenceID)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range errs {
				if strings.HasPrefix(e.Message, "volume ") { // not the WOF file of the NTFS volume
					got = append(got, e.Message)
				}
			}
			first := tt.base + 1<<20 // pe_start
			want := []string{
				"volume 2 (vg0/fast) at byte " + hexOff(first) + ": not examined: LVM striped",
				"volume 3 (vg0/pool): not examined: LVM thin-pool",
				"volume 4 (vg0/thin1): not examined: LVM thin",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			vols, err := c.Volumes(context.Background(), res.EvidenceID)
			if err != nil {
				t.Fatal(err)
			}
			if len(vols) != 5 {
				t.Fatalf("volumes %+v", vols)
			}
			if d := vols[0].Details; d["vg"] != "vg0" || d["pv_uuid"] != "aB3dEf-GhIj-KlMn-OpQr-StUv-WxYz-012345" || d["not_examined"] != nil {
				t.Errorf("physical volume: %+v", vols[0])
			}
			data := vols[1]
			if data.Label != "vg0/data" || data.FS != "ntfs" || data.Type != "LVM linear" || data.Length != 8<<20 ||
				data.Offset != first+6<<20 || data.Details["lv_uuid"] != "dAtA00-1111-2222-3333-4444-5555-666666" || data.Details["not_examined"] != nil {
				t.Errorf("vg0/data: %+v", data)
			}
			if segs, _ := data.Details["segments"].([]any); len(segs) != 2 {
				t.Errorf("segments of vg0/data: %v", data.Details["segments"])
			}
			for i, want := range []string{"", "", "LVM striped", "LVM thin-pool", "LVM thin"} {
				if got, _ := vols[i].Details["not_examined"].(string); got != want {
					t.Errorf("volume %d not examined %q, want %q", i, got, want)
				}
			}
			if res.Errors != 4 {
				t.Errorf("%d errors recorded, want 4 (3 volumes and wof.txt)", res.Errors)
			}
		})
	}
}

func hexOff(n int64) string { return fmt.Sprintf("%#x", n) }

// TestLogicalErrorOffset: a file-system error past the first extent of a
// logical volume is placed at its image offset through the extent map.
func TestLogicalErrorOffset(t *testing.T) {
	l := &volume.Logical{Index: 1, Length: 8 << 20, Offset: 7 << 20,
		Extents: []volume.Extent{{Offset: 0, Image: 7 << 20, Length: 4 << 20}, {Offset: 4 << 20, Image: 2 << 20, Length: 4 << 20}}}
	vl := vol{index: 1, base: l.Offset, logical: l}
	for _, tt := range []struct {
		off, want int64
		suffix    bool
	}{
		{7<<20 + 0x10, 7<<20 + 0x10, false}, // in the first extent: already the image offset
		{11<<20 + 0x10, 2<<20 + 0x10, true}, // in the second
	} {
		e := &volumeError{vl, &volume.FormatError{Off: tt.off, Msg: "bad"}}
		if got := e.Offset(); got != tt.want {
			t.Errorf("offset %#x: mapped to %#x, want %#x", tt.off, got, tt.want)
		}
		if has := strings.Contains(e.Error(), fmt.Sprintf("(image byte %#x)", tt.want)); has != tt.suffix {
			t.Errorf("offset %#x: %q", tt.off, e.Error())
		}
	}
}

// TestScanLVMBadMetadata: a physical volume whose metadata text fails its
// checksum is a problem naming the volume and the offset of the text, and
// the partition is recorded as not examined; the scan goes on.
func TestScanLVMBadMetadata(t *testing.T) {
	pv := lvmtest.Fixture(nil)
	pv[lvmtest.MetadataOffset+512+100] ^= 1
	p := filepath.Join(t.TempDir(), "bad.raw")
	if err := os.WriteFile(p, lvmtest.MBR(pv, 0x8e), 0o644); err != nil {
		t.Fatal(err)
	}
	res, _, c := scanImage(t, p, SourceOptions{})
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	var got []string
	for _, e := range errs {
		got = append(got, e.Message)
		if e.Offset == nil || *e.Offset < 1<<20 {
			t.Errorf("%q at offset %v", e.Message, e.Offset)
		}
	}
	want := []string{
		"volume 0 at byte 0x100000: LVM physical volume not read: LVM: metadata text checksum",
		"volume 0 at byte 0x100000: LVM physical volume: not examined (its label or metadata could not be read)",
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], want[0]) || !strings.HasSuffix(got[0], "at byte 0x101200") || got[1] != want[1] {
		t.Errorf("problems:\n%s", strings.Join(got, "\n"))
	}
	vols, _ := c.Volumes(context.Background(), res.EvidenceID)
	if len(vols) != 1 || vols[0].Details["not_examined"] != "its LVM label or metadata could not be read" {
		t.Errorf("volumes %+v", vols)
	}
}

// TestScanLVMHistory: a logical volume that only an older copy of the
// metadata lists reaches the problems (and so the report's limitations)
// as not examined, and the physical volume's row records every copy.
func TestScanLVMHistory(t *testing.T) {
	pv := lvmtest.Fixture(testfixture.Image(t, "ntfs-basic.raw"))
	clear(pv[lvmtest.MetadataOffset : lvmtest.MetadataOffset+lvmtest.MetadataSize])
	lvmtest.WriteHistory(pv, lvmtest.HistoryTexts, 0)
	p := filepath.Join(t.TempDir(), "history.raw")
	if err := os.WriteFile(p, lvmtest.MBR(pv, 0x8e), 0o644); err != nil {
		t.Fatal(err)
	}
	res, recs, c := scanImage(t, p, SourceOptions{})
	compareTSK(t, recs, 1, expectedTSV(t, "ntfs-basic.raw"))
	errs, err := c.Errors(context.Background(), res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	want := "volume 5 (vg0/old) at byte 0xc00000: not examined: only in older LVM metadata (seqno 5)" // 1 MiB + pe_start + extent 10
	found := false
	for _, e := range errs {
		found = found || e.Message == want
	}
	if !found {
		t.Errorf("no problem %q", want)
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vols) != 6 || vols[5].Label != "vg0/old" || vols[5].Details["not_examined"] != "only in older LVM metadata (seqno 5)" {
		t.Fatalf("volumes %+v", vols)
	}
	h, _ := vols[0].Details["lvm_history"].([]any)
	var seqnos []string
	for _, v := range h {
		m, _ := v.(map[string]any)
		seqnos = append(seqnos, fmt.Sprint(m["seqno"], m["current"]))
	}
	if strings.Join(seqnos, " ") != "5 false 6 false 7 true" {
		t.Errorf("lvm_history %v", vols[0].Details["lvm_history"])
	}
}
