package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/hashset"
)

// TestLookupStreamBatches: digests answered in warmed batches come out in
// input order, each answered as a lookup of its own would be, across batch
// boundaries and with lines that are not bare digests among them.
func TestLookupStreamBatches(t *testing.T) {
	dir := t.TempDir()
	var set bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&set, "%x\n", md5.Sum([]byte(fmt.Sprint(i))))
	}
	src := filepath.Join(dir, "set.txt")
	if err := os.WriteFile(src, set.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := &hashset.Library{Dir: filepath.Join(dir, "lib")}
	if _, err := lib.Import(context.Background(), []string{src}, hashset.ImportOptions{Name: "small", Category: hashset.KnownBad, Format: "plain"}); err != nil {
		t.Fatal(err)
	}
	s, err := lib.Open("small")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m := hashset.NewMatcher([]*hashset.Set{s})
	var in, want strings.Builder
	for i := range 200 {
		var q string
		switch {
		case i%7 == 3:
			q = "not-a-digest"
		case i%11 == 5:
			q = fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprint(i))))
		case i%13 == 0:
			q = "  " + strings.ToUpper(fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprint(i*2))))) + " "
		default:
			q = fmt.Sprintf("%x", md5.Sum([]byte(fmt.Sprint(i*3))))
		}
		fmt.Fprintln(&in, q)
		if i%17 == 0 {
			fmt.Fprintln(&in) // empty lines are skipped
		}
		q = strings.TrimSpace(q)
		a, d, err := hashset.ParseDigest(q)
		if err != nil {
			fmt.Fprintf(&want, "answer %s\n", q)
			continue
		}
		st, hits, err := m.FindDigest(a, d)
		if err != nil {
			t.Fatal(err)
		}
		list := "-"
		if len(hits) > 0 {
			list = strings.Join(hits, ",")
		}
		fmt.Fprintf(&want, "%x  %s  %s\n", d, st, list)
	}
	var got bytes.Buffer
	out := bufio.NewWriter(&got)
	err = lookupStream(strings.NewReader(in.String()), out, m, func(q string) error {
		fmt.Fprintf(out, "answer %s\n", q)
		return nil
	})
	out.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("lookup stream:\n%s\nwant:\n%s", got.String(), want.String())
	}
	if !strings.Contains(want.String(), "known-bad  small") {
		t.Error("no digest of the set among the queries")
	}
}
