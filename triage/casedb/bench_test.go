package casedb

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkWriterAddFile measures the cost of recording one NTFS-like file
// record (three digests, four times, $FILE_NAME times in Extra), the writer's
// share of an image scan.
func BenchmarkWriterAddFile(b *testing.B) {
	c, _, err := OpenOrCreate(filepath.Join(b.TempDir(), "case"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ev := &Evidence{Source: "/bench.raw", Type: "image", State: StateRunning, StartedAt: time.Now()}
	if _, err := c.AddEvidence(context.Background(), ev); err != nil {
		b.Fatal(err)
	}
	run := &Run{EvidenceID: ev.ID, StartedAt: time.Now()}
	if _, err := c.StartRun(context.Background(), run); err != nil {
		b.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	t0 := time.Date(2024, 3, 1, 12, 30, 45, 123456700, time.UTC)
	ent := 7.93
	vol := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		ino := uint64(i + 64)
		r := &FileRecord{
			Evidence: ev.ID, Key: fmt.Sprintf("v0/%d", i), Path: fmt.Sprintf("/d%03d/f%06d.bin", i%100, i), Type: TypeFile,
			Size: 12345, MD5: "0123456789abcdef0123456789abcdef", SHA1: "0123456789abcdef0123456789abcdef01234567",
			SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", MIME: "application/octet-stream",
			Extension: "bin", Entropy: &ent, Inode: &ino, Volume: &vol, Mtime: t0, Atime: t0, Ctime: t0, Btime: t0,
			Status: StatusUnknown, Complete: true,
			Extra: map[string]any{"fn_mtime": FormatTime(t0), "fn_atime": FormatTime(t0), "fn_ctime": FormatTime(t0),
				"fn_btime": FormatTime(t0), "ntfs_seq": uint16(1)},
		}
		if err := w.AddFile(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSeal measures the seal of an item of 20,000 records at the end
// of a scan: read back from the case (SealEvidence), and from the records'
// seal the writer made (SealEvidenceWith; the writer's share of it is in
// BenchmarkWriterAddFile).
func BenchmarkSeal(b *testing.B) {
	c, _, err := OpenOrCreate(filepath.Join(b.TempDir(), "case"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ev := &Evidence{Source: "/bench.raw", Type: "image", State: StateRunning, StartedAt: time.Now()}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		b.Fatal(err)
	}
	run := &Run{EvidenceID: ev.ID, StartedAt: time.Now()}
	if _, err := c.StartRun(ctx, run); err != nil {
		b.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	w.SealRecords()
	for i := range 20000 {
		r := &FileRecord{Key: fmt.Sprintf("v0/%d", i), Path: fmt.Sprintf("/d%03d/f%06d.bin", i%100, i), Type: TypeFile,
			Size: 12345, MD5: "0123456789abcdef0123456789abcdef", SHA1: "0123456789abcdef0123456789abcdef01234567",
			SHA256: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Status: StatusUnknown, Complete: true}
		if err := w.AddFile(r); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		b.Fatal(err)
	}
	rs := w.RecordsSeal()
	b.Run("read", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.SealEvidence(ctx, ev.ID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("writer", func(b *testing.B) {
		for b.Loop() {
			if _, err := c.SealEvidenceWith(ctx, ev.ID, rs); err != nil {
				b.Fatal(err)
			}
		}
	})
}
