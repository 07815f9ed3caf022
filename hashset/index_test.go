package hashset

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// genMD5sum writes n md5sum lines of distinct pseudo-random content digests
// (the digests are crypto/md5 of "file-i") and returns the digests.
func genMD5sum(t testing.TB, path string, n int, dupEvery int) [][]byte {
	var buf bytes.Buffer
	var ds [][]byte
	for i := 0; i < n; i++ {
		s := md5.Sum(fmt.Appendf(nil, "file-%d", i))
		ds = append(ds, s[:])
		h := hex.EncodeToString(s[:])
		if i%3 == 0 {
			h = strings.ToUpper(h)
		}
		fmt.Fprintf(&buf, "%s  dir/file-%d\n", h, i)
		if dupEvery > 0 && i%dupEvery == 0 {
			fmt.Fprintf(&buf, "%s *dup/file-%d\n", h, i)
		}
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestImportProperty: every imported digest is found, random ones are not,
// with runs small enough to force the external merge.
func TestImportProperty(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "in.md5")
	n := 50000
	ds := genMD5sum(t, src, n, 7)
	for _, runBytes := range []int{0, 16 * 1000} {
		t.Run(fmt.Sprint(runBytes), func(t *testing.T) {
			lib := &Library{Dir: filepath.Join(dir, fmt.Sprint("lib", runBytes))}
			res, err := lib.Import(context.Background(), []string{src}, ImportOptions{Name: "p", Category: KnownBad, RunBytes: runBytes, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Header.Counts["md5"]; got != int64(n) {
				t.Errorf("unique md5 count %d, want %d (duplicates merged)", got, n)
			}
			if got := res.Sources[0].Records; got != int64(n+n/7+1) {
				t.Errorf("records %d, want %d", got, n+n/7+1)
			}
			want := sha256.Sum256(mustRead(t, src))
			if res.Sources[0].SHA256 != hex.EncodeToString(want[:]) {
				t.Errorf("source sha256 %s, want %x", res.Sources[0].SHA256, want)
			}
			s, err := lib.Open("p")
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Verify(); err != nil {
				t.Fatal(err)
			}
			for i, d := range ds {
				if !s.Contains(MD5, d) {
					t.Fatalf("digest %d %x not found", i, d)
				}
			}
			r := rand.New(rand.NewPCG(1, 2))
			for i := 0; i < 100000; i++ {
				var d [16]byte
				for j := range d {
					d[j] = byte(r.Uint32())
				}
				if s.Contains(MD5, d[:]) {
					t.Fatalf("random digest %x found", d)
				}
			}
			if s.Contains(SHA1, make([]byte, 20)) || s.Contains(MD5, make([]byte, 3)) {
				t.Error("found a digest of another algorithm")
			}
			// the order of Digests is strictly ascending and complete
			var prev []byte
			cnt := 0
			s.Digests(MD5, func(d []byte) bool {
				if prev != nil && bytes.Compare(prev, d) >= 0 {
					t.Fatalf("digests out of order at %d", cnt)
				}
				prev = append(prev[:0], d...)
				cnt++
				return true
			})
			if cnt != n {
				t.Errorf("iterated %d digests, want %d", cnt, n)
			}
			// 16 bytes per entry plus the prefix table and header
			if per := float64(s.Size) / float64(n); per > 17.5 {
				t.Errorf("%.2f bytes per entry", per)
			}
		})
	}
}

func mustRead(t testing.TB, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSortRecords(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 31, 33, 1000, 70000} {
		for _, size := range []int{16, 20, 32} {
			a := make([]byte, n*size)
			for i := range a {
				a[i] = byte(r.Uint32())
			}
			// skewed: many share a prefix, some equal
			for i := 0; i < n/2; i++ {
				copy(a[i*size:i*size+3], "abc")
				if i%5 == 0 && i > 0 {
					copy(a[i*size:(i+1)*size], a[(i-1)*size:i*size])
				}
			}
			recs := make([]string, n)
			for i := range recs {
				recs[i] = string(a[i*size : (i+1)*size])
			}
			sortRecords(a, make([]byte, len(a)), size)
			slicesSort(recs)
			for i := range recs {
				if string(a[i*size:(i+1)*size]) != recs[i] {
					t.Fatalf("n=%d size=%d: record %d differs", n, size, i)
				}
			}
		}
	}
}

func TestEICARBuiltin(t *testing.T) {
	// The digests come from crypto/* over the EICAR string, and the MD5 of
	// the canonical 68-byte file is the one published by eicar.org.
	e := eicarContent()
	if len(e) != 68 || !bytes.HasPrefix(e, []byte("X5O!P%@AP")) {
		t.Fatalf("EICAR content %q", e)
	}
	lib := &Library{Dir: t.TempDir()}
	names, err := lib.Names()
	if err != nil || len(names) != 1 || names[0] != EICARName {
		t.Fatalf("names %v %v", names, err)
	}
	s, err := lib.Open(EICARName)
	if err != nil {
		t.Fatal(err)
	}
	if !s.BuiltIn || s.Category != KnownBad {
		t.Errorf("header %+v", s.Header)
	}
	m := NewMatcher([]*Set{s})
	md, s1, s2 := md5.Sum(e), sha1.Sum(e), sha256.Sum256(e)
	if hex.EncodeToString(md[:]) != "44d88612fea8a8f36de82e1278abb02f" {
		t.Errorf("md5 of the EICAR string %x", md)
	}
	for _, c := range []struct{ md5, sha1, sha256 string }{
		{hex.EncodeToString(md[:]), "", ""},
		{"", strings.ToUpper(hex.EncodeToString(s1[:])), ""},
		{"", "", hex.EncodeToString(s2[:])},
	} {
		if st, sets := m.Match(c.md5, c.sha1, c.sha256); st != KnownBad || len(sets) != 1 || sets[0] != EICARName {
			t.Errorf("Match(%+v) = %s %v", c, st, sets)
		}
	}
	if st, sets := m.Match("d41d8cd98f00b204e9800998ecf8427e", "", ""); st != Unknown || sets != nil {
		t.Errorf("empty file matched: %s %v", st, sets)
	}
	if err := lib.Remove(EICARName); err == nil {
		t.Error("removed the built-in set")
	}
	if _, err := lib.Import(context.Background(), []string{"x"}, ImportOptions{Name: EICARName, Category: KnownBad}); err == nil {
		t.Error("imported under the built-in name")
	}
}

func buildTestIndex(t testing.TB) []byte {
	ds := map[Algorithm][][]byte{}
	for i := 0; i < 300; i++ {
		m, s := md5.Sum([]byte{byte(i), byte(i >> 8)}), sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		ds[MD5] = append(ds[MD5], m[:])
		ds[SHA256] = append(ds[SHA256], s[:])
	}
	b, err := buildBytes(&Header{Name: "t", Category: Notable}, ds)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenCorrupt: truncations and flipped bytes are refused with
// ErrCorrupt (or ErrNotIndex), never a panic or a silently wrong set.
func TestOpenCorrupt(t *testing.T) {
	good := buildTestIndex(t)
	if _, err := openBytes(good); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "t.tset")
	for _, n := range []int{0, 7, 8, 63, 64, 100, len(good) / 2, len(good) - 1} {
		os.WriteFile(p, good[:n], 0o644)
		_, err := Open(p)
		if err == nil || !(errors.Is(err, ErrCorrupt) || errors.Is(err, ErrNotIndex)) {
			t.Errorf("truncated to %d: %v", n, err)
		}
	}
	os.WriteFile(p, append(append([]byte{}, good...), 0), 0o644)
	if _, err := Open(p); !errors.Is(err, ErrCorrupt) {
		t.Errorf("appended byte: %v", err)
	}
	// a flipped byte in the header is caught on open; in the digests, by Verify
	for _, off := range []int{9, 17, 25, len(good) - 40, len(good) - 1} {
		b := append([]byte{}, good...)
		b[off] ^= 0x40
		if _, err := openBytes(b); err == nil {
			t.Errorf("flipped byte %#x accepted", off)
		}
	}
	b := append([]byte{}, good...)
	b[preambleSize+5] ^= 1
	s, err := openBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped digest byte: Verify = %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(buildTestIndex(f))
	f.Add([]byte("TRIAGEHS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := openBytes(b)
		if err != nil {
			return
		}
		s.Verify()
		for _, a := range Algorithms {
			s.Contains(a, make([]byte, a.Size()))
			s.Contains(a, bytes.Repeat([]byte{0xff}, a.Size()))
			s.Digests(a, func([]byte) bool { return true })
		}
		// also through ReadAt
		s2, err := NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("mapped open succeeded, ReadAt open failed: %v", err)
		}
		for _, a := range Algorithms {
			s2.Contains(a, bytes.Repeat([]byte{0x80}, a.Size()))
		}
	})
}
