package iso9660

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// FuzzWalk opens hostile discs (the volume descriptors), walks them (the
// directory records, Rock Ridge and Joliet names, continuation areas) and
// reads every file. Seeded from iso-rr-joliet.iso: its descriptors and
// folders (the first 40 blocks), and a plain ISO 9660 variant without
// Rock Ridge.
func FuzzWalk(f *testing.F) {
	b := testfixture.Image(f, "iso-rr-joliet.iso")
	f.Add(b[:40*sector])
	plain := append([]byte(nil), b[:40*sector]...)
	plain[recordOfF(plain, 19)+34] = 'X' // the root's SUSP "SP" entry gone: Joliet names
	f.Add(plain)
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
		if err != nil {
			return
		}
		fsys.Label()
		n := 0
		fsys.Walk(context.Background(), func(e *fs.Entry) error {
			if n++; n > MaxEntries {
				t.Fatal("more entries than MaxEntries")
			}
			if e.Open != nil {
				rc, err := e.Open()
				if err != nil {
					return nil
				}
				m, _ := io.Copy(io.Discard, rc)
				if m > e.Size {
					t.Fatalf("%s: %d bytes read, size %d", e.Path, m, e.Size)
				}
				rc.Close()
			}
			return nil
		}, func(error) {})
	})
}

// recordOfF returns the offset of the first record (".") of the folder at
// block blk.
func recordOfF(b []byte, blk int) int { return blk * sector }
