package triage

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/internal/vdisk/vdisktest"
	"github.com/triagekit/triage/triage/casedb"
)

// recordSet renders the records of a scan for comparison: everything a
// record says about a file, one line each, sorted.
func recordSet(recs []jsonRec) []string {
	var out []string
	for _, r := range recs {
		md5 := "-"
		if r.MD5 != nil {
			md5 = *r.MD5
		}
		var ino uint64
		if r.Inode != nil {
			ino = *r.Inode
		}
		vol := -1
		if r.Volume != nil {
			vol = *r.Volume
		}
		e := ""
		if r.Error != nil {
			e = *r.Error
		}
		out = append(out, fmt.Sprintf("%d %s:%s %s %d %s del=%v complete=%v ino=%d err=%q", vol, r.Path, r.Stream, r.Type, r.Size, md5, r.Deleted, r.Complete, ino, e))
	}
	sort.Strings(out)
	return out
}

func compareRecords(t *testing.T, got, want []jsonRec) {
	t.Helper()
	g, w := recordSet(got), recordSet(want)
	if len(w) < 20 {
		t.Fatalf("only %d records from the raw disk", len(w))
	}
	if strings.Join(g, "\n") == strings.Join(w, "\n") {
		return
	}
	wm := map[string]bool{}
	for _, s := range w {
		wm[s] = true
	}
	gm := map[string]bool{}
	for _, s := range g {
		gm[s] = true
		if !wm[s] {
			t.Errorf("recorded from the container only: %s", s)
		}
	}
	for _, s := range w {
		if !gm[s] {
			t.Errorf("recorded from the raw disk only: %s", s)
		}
	}
}

// TestScanVirtualDisks: every container qemu-img makes of the partitioned
// test disk gives exactly the records of the raw disk; an overlay changed
// with qemu-io gives those of its raw conversion by qemu-img.
func TestScanVirtualDisks(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	_, want, _ := scanImage(t, raw, SourceOptions{})
	for _, c := range vdisktest.Containers {
		t.Run(c.Name, func(t *testing.T) {
			p := c.Convert(t, raw, dir)
			res, got, _ := scanImage(t, p, SourceOptions{})
			if res.EvidenceID == 0 {
				t.Fatal("no evidence item")
			}
			compareRecords(t, got, want)
		})
	}
	t.Run("qcow2-overlay", func(t *testing.T) {
		sd := filepath.Join(dir, "overlay")
		os.Mkdir(sd, 0o755)
		base := vdisktest.Convert(t, raw, filepath.Join(sd, "base.qcow2"), "qcow2")
		over := filepath.Join(sd, "over.qcow2")
		vdisktest.Run(t, "qemu-img", "create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", over)
		// Overwrite the first 64 KiB of the NTFS volume's data area.
		vdisktest.Run(t, "qemu-io", "-f", "qcow2", "-c", "write -P 0x41 4M 64k", over)
		flat := vdisktest.Convert(t, over, filepath.Join(sd, "flat.raw"), "raw")
		_, wantOver, _ := scanImage(t, flat, SourceOptions{})
		_, got, _ := scanImage(t, over, SourceOptions{})
		compareRecords(t, got, wantOver)
		// Given with --parent from elsewhere.
		other := filepath.Join(dir, "elsewhere")
		os.Mkdir(other, 0o755)
		b, _ := os.ReadFile(over)
		os.WriteFile(filepath.Join(other, "over.qcow2"), b, 0o644)
		if _, err := OpenSourceWith(filepath.Join(other, "over.qcow2"), SourceOptions{}); err == nil || !strings.Contains(err.Error(), "base.qcow2") {
			t.Errorf("without its parent: %v", err)
		}
		_, got, _ = scanImage(t, filepath.Join(other, "over.qcow2"), SourceOptions{Image: ImageOptions{Parents: []string{base}}})
		compareRecords(t, got, wantOver)
	})
}

// TestScanCorpusVHDX: Velociraptor's test.vhdx (Windows, GPT, NTFS) gives
// the data streams fls lists (test.vhdx.fls.txt) with the sizes INDEX.md
// documents.
func TestScanCorpusVHDX(t *testing.T) {
	z, err := zip.OpenReader(testfixture.Corpus(t, "velociraptor/test.vhdx.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	rc, err := z.Open("test.vhdx")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "test.vhdx")
	os.WriteFile(p, b, 0o644)
	_, recs, _ := scanImage(t, p, SourceOptions{})
	fls, err := os.ReadFile(testfixture.Corpus(t, "velociraptor/test.vhdx.fls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, line := range strings.Split(string(fls), "\n") {
		typ, name, ok := strings.Cut(line, ":\t")
		if !ok || !strings.HasPrefix(typ, "r/r ") || !strings.Contains(typ, "-128-") || strings.Contains(typ, "*") {
			continue
		}
		want["/"+name] = true
	}
	got := map[string]jsonRec{}
	for _, r := range recs {
		if r.MD5 == nil || r.Deleted || r.Volume == nil || *r.Volume != 0 {
			continue
		}
		k := r.Path
		if r.Stream != "" {
			k += ":" + r.Stream
		}
		got[k] = r
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s listed by fls, not recorded", k)
		}
	}
	for k := range got {
		if !want[k] {
			t.Errorf("%s recorded, not listed by fls", k)
		}
	}
	for path, size := range map[string]int64{"/Hello.txt.txt": 11, "/Users/Administrator/Secret.txt.txt": 9, "/$LogFile": 2097152, "/$MFT": 262144, "/$Secure:$SDS": 263836, "/$UpCase": 131072} {
		if got[path].Size != size {
			t.Errorf("%s: %d bytes, INDEX.md %d", path, got[path].Size, size)
		}
	}
	if r := got["/Hello.txt.txt"]; r.MD5 == nil || *r.MD5 != "3e25960a79dbc69b674cd4ec67a72c62" { // md5("Hello world")
		t.Errorf("Hello.txt.txt: %+v", r)
	}
}

// TestScanTruncatedVHD: a dynamic VHD cut inside a block of the NTFS
// volume is read with its footer copy; the files in the lost range are
// recorded incomplete with the container's error and its offset, the
// others as in the raw disk.
func TestScanTruncatedVHD(t *testing.T) {
	vdisktest.QemuImg(t)
	dir := t.TempDir()
	raw := vdisktest.RawDisk(t, dir)
	_, want, _ := scanImage(t, raw, SourceOptions{})
	p := vdisktest.Convert(t, raw, filepath.Join(dir, "cut.vhd"), "vpc")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	// Block 2 (media bytes 4-6 MiB) is cut after its first 512 KiB.
	hdr := int64(binary.BigEndian.Uint64(b[16:]))
	bat := int64(binary.BigEndian.Uint64(b[hdr+16:]))
	blk := int64(binary.BigEndian.Uint32(b[bat+8:])) * 512
	if err := os.Truncate(p, blk+512+512<<10); err != nil {
		t.Fatal(err)
	}
	res, got, c := scanImage(t, p, SourceOptions{})
	if res.State != casedb.StatePartial {
		t.Errorf("state %s", res.State)
	}
	ok := map[string]bool{}
	for _, s := range recordSet(want) {
		ok[s] = true
	}
	var same, cut int
	for i, r := range got {
		switch {
		case ok[recordSet(got[i : i+1])[0]]:
			same++
		case !r.Complete && r.Error != nil && strings.Contains(*r.Error, "VHD: media bytes") && strings.Contains(*r.Error, "past the end of the file"):
			cut++
		}
	}
	if same == 0 || cut == 0 || same+cut != len(got) {
		t.Errorf("%d records as in the raw disk, %d cut, of %d", same, cut, len(got))
	}
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	var footer bool
	for _, e := range errs {
		footer = footer || strings.Contains(e.Message, "using its copy at byte 0")
	}
	if !footer {
		t.Errorf("no problem for the lost footer: %+v", errs)
	}
}
