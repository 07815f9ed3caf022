package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/hashset"
)

// BenchmarkLookupStream answers digests read from a stream against a set
// of 1,000,000 MD5s, one in three present (b.N lookups).
func BenchmarkLookupStream(b *testing.B) {
	dir := b.TempDir()
	var set bytes.Buffer
	for i := range 1000000 {
		fmt.Fprintf(&set, "%x\n", md5.Sum([]byte(fmt.Sprint(i))))
	}
	src := filepath.Join(dir, "set.txt")
	if err := os.WriteFile(src, set.Bytes(), 0o644); err != nil {
		b.Fatal(err)
	}
	lib := &hashset.Library{Dir: filepath.Join(dir, "lib")}
	if _, err := lib.Import(context.Background(), []string{src}, hashset.ImportOptions{Name: "big", Category: hashset.KnownGood, Format: "plain"}); err != nil {
		b.Fatal(err)
	}
	s, err := lib.Open("big")
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m := hashset.NewMatcher([]*hashset.Set{s})
	var in bytes.Buffer
	for i := range b.N {
		fmt.Fprintf(&in, "%x\n", md5.Sum([]byte(fmt.Sprint(i*3))))
	}
	out := bufio.NewWriterSize(io.Discard, 64<<10)
	b.ResetTimer()
	if err := lookupStream(&in, out, m, func(string) error { return nil }); err != nil {
		b.Fatal(err)
	}
}
