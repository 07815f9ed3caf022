package vdisk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// TestReadBlocks: reads split at block boundaries, stop at the size with
// io.EOF, and unreadable blocks are zeros with one RegionError spanning
// them.
func TestReadBlocks(t *testing.T) {
	read := func(p []byte, b, within int64) error {
		if b == 1 || b == 3 {
			return &container.RegionError{Off: b*512 + within, Length: int64(len(p)), Err: fmt.Errorf("block %d bad", b)}
		}
		for i := range p {
			p[i] = byte(b + 1)
		}
		return nil
	}
	p := bytes.Repeat([]byte{0xff}, 2048)
	n, err := ReadBlocks(p, 256, 10*512, 512, read)
	var re *container.RegionError
	if n != 2048 || !errors.As(err, &re) || re.Off != 512 || re.Length != 4*512-512 || !strings.Contains(err.Error(), "block 1 bad (and 1 more") {
		t.Fatalf("%d %v %+v", n, err, re)
	}
	if p[0] != 1 || p[255] != 1 || p[256] != 0 || p[768] != 3 || p[1280] != 0 || p[1792] != 5 {
		t.Errorf("content %v", p[:1])
	}
	if n, err := ReadBlocks(make([]byte, 100), 5*512-50, 5*512, 512, read); n != 50 || err != io.EOF {
		t.Errorf("across the end: %d %v", n, err)
	}
	if n, err := ReadBlocks(make([]byte, 100), 5*512, 5*512, 512, read); n != 0 || err != io.EOF {
		t.Errorf("at the end: %d %v", n, err)
	}
}

// TestStream: the media arrives in order, whole, whatever the workers.
func TestStream(t *testing.T) {
	b := make([]byte, 3*StreamChunk+12345)
	for i := range b {
		b[i] = byte(i / 4096)
	}
	for _, w := range []int{1, 2, 7} {
		var got []byte
		err := Stream(context.Background(), bytes.NewReader(b), int64(len(b)), w, func(d []byte, bad *container.RegionError) error {
			got = append(got, d...)
			return nil
		})
		if err != nil || !bytes.Equal(got, b) {
			t.Errorf("%d workers: %v, %d bytes", w, err, len(got))
		}
	}
	stop := errors.New("stop")
	if err := Stream(context.Background(), bytes.NewReader(b), int64(len(b)), 2, func([]byte, *container.RegionError) error { return stop }); err != stop {
		t.Errorf("fn's error: %v", err)
	}
}

// TestFindParent: by name among the given files, next to the child, by
// identifier among the others; never outside the child's folder unless
// given.
func TestFindParent(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "case")
	os.Mkdir(sub, 0o755)
	child := filepath.Join(sub, "child.vhd")
	for _, p := range []string{filepath.Join(sub, "base.vhd"), filepath.Join(dir, "base.vhd"), filepath.Join(dir, "renamed.vhd")} {
		os.WriteFile(p, []byte(p), 0o644)
	}
	open := func(want string) func(string) (Disk, error) {
		return func(p string) (Disk, error) {
			if !strings.HasSuffix(p, want) {
				return nil, fmt.Errorf("%s is not the parent", p)
			}
			return OpenRaw(p)
		}
	}
	cases := []struct {
		recorded, want string
		given          []string
		identify       bool
		ok             bool
	}{
		{`C:\vms\base.vhd`, "case/base.vhd", nil, true, true},
		{`/elsewhere/base.vhd`, dir + "/base.vhd", []string{filepath.Join(dir, "base.vhd")}, true, true},
		{`../renamed.vhd`, "renamed.vhd", nil, true, false},
		{`base2.vhd`, "renamed.vhd", []string{filepath.Join(dir, "renamed.vhd")}, true, true},
		{`base2.vhd`, "renamed.vhd", []string{filepath.Join(dir, "renamed.vhd")}, false, false},
		{`base.vhd`, "renamed.vhd", nil, true, false}, // the file of that name is checked and refused
	}
	for i, c := range cases {
		d, err := FindParent(&Chain{Given: c.given}, child, c.recorded, "unique ID x", c.identify, open(c.want))
		if (err == nil) != c.ok {
			t.Errorf("case %d: %v", i, err)
		}
		if err == nil {
			d.Close()
		} else if !c.ok && !strings.Contains(err.Error(), "is not the parent") && !errors.Is(err, ErrNoParent) {
			t.Errorf("case %d: %v", i, err)
		}
	}
	var c Chain
	if c.Enter(child) != nil || c.Enter(child) == nil {
		t.Error("a loop is not refused")
	}
}
