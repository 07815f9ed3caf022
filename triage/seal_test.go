package triage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// TestScanRecordsSeal: the records' seal the scan makes as it writes is
// the seal read back from the case, on images of every file system (NTFS
// with ADS and hard links, ext2, ext4, exFAT, FAT split in parts, ISO 9660,
// MBR and GPT disks) and on a folder, with and without the media hash.
func TestScanRecordsSeal(t *testing.T) {
	for _, name := range []string{"ntfs-basic.raw", "gpt-ntfs.raw", "mbr-ntfs-ext4.raw", "exfat-basic.raw", "ext2-small.raw",
		"ext4-small.raw", "fat-small.raw.001", "iso-rr-joliet.iso"} {
		for _, media := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/media=%v", name, media), func(t *testing.T) {
				path := imageFile(t, name)
				res, recs, c := scanImageWith(t, path, SourceOptions{}, Options{MediaHash: media})
				checkRecordsSeal(t, c, res, int64(len(recs)))
			})
		}
	}
	t.Run("folder", func(t *testing.T) {
		dir := t.TempDir()
		for i, name := range []string{"a.txt", "b\xffc.bin", "sub/é.pdf", "sub/empty"} {
			p := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(name[:i]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		c := newCase(t)
		src, err := OpenSource(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		res, err := Scan(context.Background(), c, src, Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		checkRecordsSeal(t, c, res, res.Files)
	})
}

func checkRecordsSeal(t *testing.T, c *casedb.Case, res *Result, n int64) {
	t.Helper()
	if res.RecordsSeal == nil {
		t.Fatal("no records' seal from the scan")
	}
	ctx := context.Background()
	got, err := c.SealEvidenceWith(ctx, res.EvidenceID, res.RecordsSeal)
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.SealEvidence(ctx, res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	if d := want.Compare(got); d != "" || got.RecordsSHA256 != want.RecordsSHA256 || got.Records != n {
		t.Errorf("seal made while writing %+v, read back %+v (%s); %d records", got, want, d, n)
	}
	// The item's totals, recorded from the writer's count, are the
	// records' count and the sizes of the files among them.
	var files, bytes int64
	if err := c.Files(ctx, casedb.FileFilter{EvidenceID: res.EvidenceID}, func(r *casedb.FileRecord) error {
		files++
		if r.Type == casedb.TypeFile {
			bytes += r.Size
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range items {
		if ev.ID == res.EvidenceID && (ev.Files != files || ev.Bytes != bytes) {
			t.Errorf("evidence item totals %d records, %d bytes; the case holds %d, %d", ev.Files, ev.Bytes, files, bytes)
		}
	}
}
