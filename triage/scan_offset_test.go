package triage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// offsetError is a read error that knows where in the evidence it happened.
type offsetError struct{ off int64 }

func (e offsetError) Error() string { return "unreadable region" }
func (e offsetError) Offset() int64 { return e.off }

// failingReader yields no bytes and the error err.
type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }
func (r failingReader) Close() error             { return nil }

// entriesSource yields fixed entries.
type entriesSource struct{ entries []*Entry }

func (s entriesSource) Info() SourceInfo { return SourceInfo{Path: "/test", Type: "test", Size: -1} }
func (s entriesSource) Close() error     { return nil }
func (s entriesSource) Walk(ctx context.Context, v Visitor) error {
	for _, e := range s.entries {
		if err := v.Entry(e); err != nil {
			return err
		}
	}
	return nil
}

// TestErrorOffsetZeroIsKept: a read error at evidence offset 0 is recorded
// with offset 0 (not as "no offset"); one that carries no offset is
// recorded without one.
func TestErrorOffsetZeroIsKept(t *testing.T) {
	file := func(path string, err error) *Entry {
		return &Entry{Key: path, Path: path, Type: "file", Size: 10,
			Open: func() (io.ReadCloser, error) { return failingReader{err}, nil }}
	}
	src := entriesSource{[]*Entry{
		file("/at-zero", offsetError{0}),
		file("/at-512", offsetError{512}),
		file("/no-offset", errors.New("plain i/o error")),
	}}
	c := newCase(t)
	res, err := Scan(context.Background(), c, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs, err := c.Errors(context.Background(), res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"/at-zero": 0, "/at-512": 512, "/no-offset": -1}
	if len(errs) != len(want) {
		t.Fatalf("errors table: %+v", errs)
	}
	for _, e := range errs {
		got := int64(-1)
		if e.Offset != nil {
			got = *e.Offset
		}
		if w := want[e.Path]; got != w || !strings.Contains(e.Message, "read error") {
			t.Errorf("%s: offset %d, want %d (%s)", e.Path, got, w, e.Message)
		}
	}
}
