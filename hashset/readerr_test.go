package hashset

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"sync/atomic"
	"syscall"
	"testing"
)

// failAfter reads from r until fail is set, then fails every read.
type failAfter struct {
	r    *bytes.Reader
	fail atomic.Bool
}

func (f *failAfter) ReadAt(p []byte, off int64) (int, error) {
	if f.fail.Load() {
		return 0, syscall.EIO
	}
	return f.r.ReadAt(p, off)
}

// TestLookupReadError: a set read through ReadAt whose digests cannot be
// read any more gives an error, not "not in the set".
func TestLookupReadError(t *testing.T) {
	b := buildTestIndex(t)
	r := &failAfter{r: bytes.NewReader(b)}
	s, err := NewReader(r, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	s.Name = "t"
	in := md5.Sum([]byte{5, 0})
	if found, err := s.Find(MD5, in[:]); !found || err != nil {
		t.Fatalf("before the failure: Find = %v, %v", found, err)
	}
	m := NewMatcher([]*Set{s})
	r.fail.Store(true)
	found, err := s.Find(MD5, in[:])
	if found || !errors.Is(err, syscall.EIO) {
		t.Errorf("Find = %v, %v; want an I/O error", found, err)
	}
	st, sets, err := m.Find(hex.EncodeToString(in[:]), "", "")
	if !errors.Is(err, syscall.EIO) || st != Unknown || sets != nil {
		t.Errorf("Matcher.Find = %s %v %v; want an I/O error", st, sets, err)
	}
	if _, _, err := m.FindDigest(MD5, in[:]); !errors.Is(err, syscall.EIO) {
		t.Errorf("Matcher.FindDigest error %v", err)
	}
}

// TestLookupTruncated: a reader that ends before the digests (a short
// read with io.EOF) is a read error too.
func TestLookupTruncated(t *testing.T) {
	b := buildTestIndex(t)
	s, err := NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	s.r = bytes.NewReader(b[:s.sec[MD5].data+16])
	if _, err := s.Find(MD5, bytes.Repeat([]byte{0xff}, 16)); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("Find over a truncated reader: %v", err)
	}
}
