//go:build linux

package triage

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A tree 2,000 folders deep (paths of 14,000 bytes, past PATH_MAX) is
// walked and read to the bottom.
func TestDeepTreePastPathMax(t *testing.T) {
	const depth = 2000
	root := t.TempDir()
	fd, err := unix.Open(root, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for range depth {
		if err := unix.Mkdirat(fd, "level", 0o755); err != nil {
			t.Fatal(err)
		}
		nfd, err := unix.Openat(fd, "level", unix.O_RDONLY|unix.O_DIRECTORY, 0)
		unix.Close(fd)
		if err != nil {
			t.Fatal(err)
		}
		fd = nfd
	}
	content := "at the bottom\n"
	ffd, err := unix.Openat(fd, "bottom.txt", unix.O_WRONLY|unix.O_CREAT, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	unix.Write(ffd, []byte(content))
	unix.Close(ffd)
	unix.Close(fd)

	c := newCase(t)
	src, err := OpenSource(root)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Scan(context.Background(), c, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	recs := records(t, c, res.EvidenceID)
	dirs := 0
	var bottom string
	for p, r := range recs {
		if r.Type == "dir" {
			dirs++
		}
		if strings.HasSuffix(p, "/bottom.txt") {
			bottom = p
		}
	}
	if dirs != depth || res.Errors != 0 {
		t.Errorf("%d folders recorded, want %d; %d errors", dirs, depth, res.Errors)
	}
	sum := md5.Sum([]byte(content))
	want := strings.Repeat("/level", depth) + "/bottom.txt"
	if r := recs[want]; r == nil || r.MD5 != hex.EncodeToString(sum[:]) || !r.Complete {
		t.Errorf("bottom file %q: %+v", bottom, r)
	}
}
