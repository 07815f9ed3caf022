package iso9660

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// walkBytes is walkISO on an image in memory, without failing on
// incomplete content: it returns what was read, the problems and the
// reasons of incomplete contents.
func walkBytes(t *testing.T, b []byte) (*walked, map[string]string, error) {
	t.Helper()
	fsys, err := Open(bytes.NewReader(b), 0x8000, int64(len(b)), nil)
	if err != nil {
		return nil, nil, err
	}
	w := &walked{entries: map[string]*fs.Entry{}, content: map[string]string{}, label: fsys.Label()}
	partial := map[string]string{}
	err = fsys.Walk(context.Background(), func(e *fs.Entry) error {
		c := *e
		w.entries[e.Path] = &c
		switch {
		case e.Type == fs.TypeDir:
			w.content[e.Path] = "/"
		case e.Type == fs.TypeSymlink:
			w.content[e.Path] = "-> " + e.Extra["symlink_target"].(string)
		case e.Open != nil:
			rc, _ := e.Open()
			h := md5.New()
			io.Copy(h, rc)
			if why, ok := rc.(interface{ Incomplete() (string, bool) }).Incomplete(); ok {
				partial[e.Path] = why
			}
			w.content[e.Path] = hex.EncodeToString(h.Sum(nil))
		}
		return nil
	}, func(err error) { w.problems = append(w.problems, err.Error()) })
	return w, partial, err
}

// TestFixture reads iso-rr-joliet.iso (make.sh) against the isoinfo -R -l
// listing and the md5sum of its source files that make.sh recorded.
func TestFixture(t *testing.T) {
	b := testfixture.Image(t, "iso-rr-joliet.iso")
	w, partial, err := walkBytes(t, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.problems) > 0 || len(partial) > 0 {
		t.Errorf("problems %q, incomplete %v", w.problems, partial)
	}
	dir := filepath.Join(testfixture.Root(t), "testdata", "images")
	listing, err := os.ReadFile(filepath.Join(dir, "iso-rr-joliet.iso.isoinfo.txt"))
	if err != nil {
		t.Fatal(err)
	}
	compareIsoinfo(t, listing, w, "-R")
	sums, err := os.ReadFile(filepath.Join(dir, "iso-rr-joliet.iso.md5"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(sums)), "\n") {
		sum, p, _ := strings.Cut(line, "  ")
		p = strings.TrimPrefix(p, ".")
		if w.content[p] != sum {
			t.Errorf("%s: md5 %q, md5sum %s", p, w.content[p], sum)
		}
	}
	if w.label != "SEED" || w.entries["/dir/link"].Extra["symlink_target"] != "../hello.txt" {
		t.Errorf("label %q, link %v", w.label, w.entries["/dir/link"].Extra)
	}
}

// record returns the offset of the directory record named name (its ISO
// 9660 identifier) in the folder at block blk of the fixture.
func recordOf(t *testing.T, b []byte, blk int, name string) int {
	t.Helper()
	s := b[blk*sector : (blk+1)*sector]
	for q := 0; q < len(s) && s[q] != 0; q += int(s[q]) {
		if n := int(s[q+32]); string(s[q+33:q+33+n]) == name {
			return blk*sector + q
		}
	}
	t.Fatalf("no record %q at block %d", name, blk)
	return 0
}

func putBoth32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}

// TestBadDisc: damaged discs give problems naming the image offset, the
// rest is still read; never a hang or a panic.
func TestBadDisc(t *testing.T) {
	good := testfixture.Image(t, "iso-rr-joliet.iso")
	// Blocks from isoinfo -R -l of the fixture: / at 19, /dir at 21.
	for _, tt := range []struct {
		name     string
		mess     func(b []byte) []byte
		problem  string            // in a problem
		partial  map[string]string // path: in the reason of an incomplete content
		openErr  string
		stillHas string // a path still read
	}{
		{name: "loop", mess: func(b []byte) []byte {
			putBoth32(b[recordOf(t, b, 21, "SUB")+2:], 19) // /dir/sub is the root
			return b
		}, problem: `folder "/dir/sub/" points to the folder at block 19 walked before (a loop): not walked again at byte 0x`, stillHas: "/hello.txt"},
		{name: "extent-past-end", mess: func(b []byte) []byte {
			putBoth32(b[recordOf(t, b, 19, "HELLO.TXT;1")+2:], 1<<20)
			return b
		}, partial: map[string]string{"/hello.txt": "runs past the end of the volume"}, stillHas: "/dir/sub/big.txt"},
		{name: "record-overrun", mess: func(b []byte) []byte {
			b[recordOf(t, b, 21, "SUB")+32] = 200
			return b
		}, problem: "name of 200 bytes overruns its", stillHas: "/hello.txt"},
		{name: "bad-record-length", mess: func(b []byte) []byte {
			b[recordOf(t, b, 21, "SUB")] = 3
			return b
		}, problem: `directory record of 3 bytes in folder "/dir/"`, stillHas: "/hello.txt"},
		{name: "folder-outside", mess: func(b []byte) []byte {
			putBoth32(b[recordOf(t, b, 19, "DIR")+2:], 1<<30)
			return b
		}, problem: `folder "/dir/" at block 1073741824 lies outside the volume`, stillHas: "/hello.txt"},
		{name: "truncated", mess: func(b []byte) []byte { return b[:34*sector] },
			partial: map[string]string{"/dir/sub/big.txt": "runs past the end", "/hello.txt": "runs past the end"}, stillHas: "/dir/ünïcödé.txt"},
		{name: "no-descriptor", mess: func(b []byte) []byte { clear(b[16*sector : 17*sector]); return b }, openErr: "no volume descriptor signature at byte 0x10001"},
		{name: "block-size", mess: func(b []byte) []byte { b[16*sector+128] = 7; return b }, openErr: "logical block size"},
		{name: "short", mess: func(b []byte) []byte { return b[:17*sector-5] }, openErr: "run past the end of the volume"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.mess(append([]byte(nil), good...))
			w, partial, err := walkBytes(t, b)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Errorf("open error %v, want %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.problem != "" && !strings.Contains(strings.Join(w.problems, "\n"), tt.problem) {
				t.Errorf("problems %q, want %q", w.problems, tt.problem)
			}
			for p, why := range tt.partial {
				if !strings.Contains(partial[p], why) {
					t.Errorf("%s: incomplete %q, want %q", p, partial[p], why)
				}
			}
			if _, ok := w.content[tt.stillHas]; !ok {
				t.Errorf("%s not read: %v", tt.stillHas, sortedKeys(w.content))
			}
		})
	}
}

// TestMultiExtent: a file stored in two extents (two directory records of
// one name, the first flagged multi-extent, as mkisofs writes files of 4
// GiB and more) is one entry whose content is the extents in order. The
// records are added by hand to the root folder of the fixture.
func TestMultiExtent(t *testing.T) {
	b := testfixture.Image(t, "iso-rr-joliet.iso")
	hello := recordOf(t, b, 19, "HELLO.TXT;1")
	ext := int(b[hello+2]) | int(b[hello+3])<<8 // "hello\n"
	copy(b[100*sector:], "lo\n")
	rec := func(extent, size uint32, flags byte) []byte {
		r := make([]byte, 34+10)
		r[0] = byte(len(r))
		putBoth32(r[2:], extent)
		putBoth32(r[10:], size)
		r[25] = flags
		r[32] = 11
		copy(r[33:], "MULTI.TXT;1")
		return r
	}
	// the end of the root folder's records
	q := 19 * sector
	for b[q] != 0 {
		q += int(b[q])
	}
	q += copy(b[q:], rec(uint32(ext), 3, flagMultiExt))
	copy(b[q:], rec(100, 3, 0))
	w, partial, err := walkBytes(t, b)
	if err != nil {
		t.Fatal(err)
	}
	e := w.entries["/MULTI.TXT"]
	if e == nil || e.Size != 6 || w.content["/MULTI.TXT"] != "b1946ac92492d2347c6235b4d2611184" || len(partial) > 0 || len(w.problems) > 0 {
		t.Errorf("multi-extent file: %+v %s, problems %q, incomplete %v", e, w.content["/MULTI.TXT"], w.problems, partial)
	}
}
