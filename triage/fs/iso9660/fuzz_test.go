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

// twoSessions returns a disc of two sessions made from the first 40
// blocks of iso-rr-joliet.iso: the first session ends at block 40 (its
// volume space size), and the second starts there, its descriptors at
// block 56 and its root folder, a copy of the first's, at block 60 (the
// files it lists stay in the first session, as a later session's tree
// does).
func twoSessions(b []byte) []byte {
	d := append([]byte(nil), b[:40*sector]...)
	putBoth32(d[vdStart+80:], 40)
	d = append(d, make([]byte, 21*sector)...)
	root := int(le32(d[vdStart+156+2:]))
	copy(d[56*sector:57*sector], d[vdStart:vdStart+sector])
	copy(d[57*sector:58*sector], []byte("\xffCD001\x01"))
	putBoth32(d[56*sector+80:], 61)
	putBoth32(d[56*sector+156+2:], 60)
	copy(d[60*sector:61*sector], d[root*sector:(root+1)*sector])
	putBoth32(d[60*sector+2:], 60) // "."
	return d
}

// FuzzSessions opens and walks hostile discs of two sessions: the search
// for later sessions, their descriptors and the older session's tree.
func FuzzSessions(f *testing.F) {
	two := twoSessions(testfixture.Image(f, "iso-rr-joliet.iso"))
	f.Add(two)
	f.Fuzz(func(t *testing.T, b []byte) {
		fsys, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
		if err != nil {
			return
		}
		v := fsys.(*volume)
		if len(v.sessions) > MaxSessions {
			t.Fatalf("%d sessions", len(v.sessions))
		}
		n := 0
		fsys.Walk(context.Background(), func(e *fs.Entry) error {
			if n++; n > MaxEntries*(MaxSessions+1) {
				t.Fatal("too many entries")
			}
			if s, ok := e.Extra["iso_session"].(int); ok && e.Path != "/" && (s < 1 || s >= len(v.sessions)) {
				t.Fatalf("%s: session %d of %d", e.Path, s, len(v.sessions))
			}
			return nil
		}, func(error) {})
	})
}
