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
