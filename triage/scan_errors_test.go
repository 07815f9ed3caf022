package triage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
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

// failingMatcher cannot read its hash set.
type failingMatcher struct{}

func (failingMatcher) Match(Digests) (string, []string, error) {
	return casedb.StatusKnownGood, []string{"set"}, errors.New("hashset: set: cannot read the md5 digests at byte 0x40: input/output error")
}

// TestMatchErrorIsRecorded: a hash-set lookup that fails is an error on
// the file's record and in the errors table, and the file stays unknown.
func TestMatchErrorIsRecorded(t *testing.T) {
	src := entriesSource{[]*Entry{{Key: "/a", Path: "/a", Type: casedb.TypeFile, Size: 3,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("abc")), nil }}}}
	c := newCase(t)
	res, err := Scan(context.Background(), c, src, Options{Matcher: failingMatcher{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 1 || res.State != casedb.StatePartial {
		t.Errorf("errors %d, state %s", res.Errors, res.State)
	}
	r := records(t, c, res.EvidenceID)["/a"]
	if r == nil || r.Status != casedb.StatusUnknown || len(r.Hashsets) != 0 || !strings.Contains(r.Error, "hash-set lookup failed") || r.MD5 == "" {
		t.Errorf("record %+v", r)
	}
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "input/output error") {
		t.Errorf("errors table: %+v", errs)
	}
}
