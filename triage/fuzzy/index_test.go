package fuzzy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestSSDeepIndexMatchesBruteForce checks that the 7-gram index finds the
// best score every full comparison finds, for queries at equal, half and
// double block sizes.
func TestSSDeepIndexMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	var entries []Entry
	var contents [][]byte
	for i := range 150 {
		n := 2000 + r.IntN(200000)
		b := make([]byte, n)
		for k := range b {
			b[k] = "abcdefghij\n "[r.IntN(12)]
		}
		contents = append(contents, b)
		s := NewSSDeep()
		s.Write(b)
		entries = append(entries, Entry{Digest: s.Sum(), Name: fmt.Sprint(i)})
	}
	x, bad := NewSSDeepIndex(entries)
	if len(bad) > 0 || x.Len() != len(entries) {
		t.Fatalf("%d bad, %d indexed", len(bad), x.Len())
	}
	parsed := make([]SSDeepDigest, len(entries))
	for i, e := range entries {
		parsed[i], _ = ParseSSDeep(e.Digest)
	}
	found := 0
	for i := range 120 {
		// Variants: bytes changed, doubled (block size up), halved.
		c := bytes.Clone(contents[i%len(contents)])
		switch i % 3 {
		case 0:
			for range 5 {
				c[r.IntN(len(c))] = '#'
			}
		case 1:
			c = append(c, c...)
		case 2:
			c = c[:len(c)/2]
		}
		s := NewSSDeep()
		s.Write(c)
		q, _ := ParseSSDeep(s.Sum())
		best := 0
		for k := range parsed {
			best = max(best, CompareSSDeep(&q, &parsed[k]))
		}
		m, ok := x.Best(&q, 1)
		switch {
		case best == 0 && ok:
			t.Errorf("query %d: index found %d, brute force nothing", i, m.Score)
		case best > 0 && (!ok || m.Score != best):
			t.Errorf("query %d: index %v %d, brute force %d", i, ok, m.Score, best)
		case ok:
			found++
		}
	}
	if found < 60 {
		t.Errorf("only %d queries matched", found)
	}
}

// TestSSDeepIndexSpeed reports how a lookup against 20,000 digests
// compares with scoring every one (go test -v shows it).
func TestSSDeepIndexSpeed(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	var entries []Entry
	for range 20000 {
		bs := blockSizeAt(r.IntN(12))
		p := func(n int) []byte {
			b := make([]byte, n)
			for k := range b {
				b[k] = b64[r.IntN(64)]
			}
			return b
		}
		entries = append(entries, Entry{Digest: fmt.Sprintf("%d:%s:%s", bs, p(40+r.IntN(24)), p(20+r.IntN(12)))})
	}
	x, _ := NewSSDeepIndex(entries)
	q, _ := ParseSSDeep(entries[123].Digest)
	start := time.Now()
	const n = 200
	for range n {
		if m, ok := x.Best(&q, 1); !ok || m.Score != 100 {
			t.Fatalf("lookup: %v %+v", ok, m)
		}
	}
	indexed := time.Since(start) / n
	start = time.Now()
	for i := range entries {
		d := x.digests[i]
		CompareSSDeep(&q, &d)
	}
	t.Logf("20,000 ssdeep digests: %v per indexed lookup, %v to score all", indexed, time.Since(start))
}

// TestTLSHIndexSpeed reports the cost of a TLSH lookup, which compares
// every digest (go test -v shows it).
func TestTLSHIndexSpeed(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var entries []Entry
	for range 10000 {
		var d TLSHDigest
		d.Checksum, d.L, d.Q1, d.Q2 = byte(r.Uint32()), byte(r.Uint32()), byte(r.IntN(16)), byte(r.IntN(16))
		for k := range d.Code {
			d.Code[k] = byte(r.Uint32())
		}
		entries = append(entries, Entry{Digest: d.String()})
	}
	x, bad := NewTLSHIndex(entries)
	if len(bad) > 0 {
		t.Fatal(bad)
	}
	q := x.digests[77]
	start := time.Now()
	const n = 50
	for range n {
		if m, ok := x.Best(q, 40); !ok || m.Score != 0 {
			t.Fatalf("lookup: %v %+v", ok, m)
		}
	}
	t.Logf("10,000 TLSH digests: %v per lookup", time.Since(start)/n)
}

// TestNearMatchesBruteForce checks Near of both indexes against comparing
// every digest: the same digests, best first, cut at the limit.
func TestNearMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	base := make([]byte, 60000)
	for k := range base {
		base[k] = "abcdefghij\n "[r.IntN(12)]
	}
	var ss, tl []Entry
	for i := range 60 {
		c := bytes.Clone(base)
		for range i {
			c[r.IntN(len(c))] = '#'
		}
		s, h := NewSSDeep(), NewTLSH()
		s.Write(c)
		h.Write(c)
		ss = append(ss, Entry{Digest: s.Sum(), Name: fmt.Sprint(i)})
		tl = append(tl, Entry{Digest: h.Sum(), Name: fmt.Sprint(i)})
	}
	xs, _ := NewSSDeepIndex(ss)
	xt, _ := NewTLSHIndex(tl)
	qs, _ := ParseSSDeep(ss[0].Digest)
	qt, _ := ParseTLSH(tl[0].Digest)
	for _, th := range []int{1, 50, 90} {
		var want []int
		for _, e := range ss {
			d, _ := ParseSSDeep(e.Digest)
			if s := CompareSSDeep(&qs, &d); s >= th {
				want = append(want, s)
			}
		}
		got := xs.Near(&qs, th, 1000)
		if len(got) != len(want) || len(got) < 2 {
			t.Fatalf("ssdeep threshold %d: %d near, %d by comparing all", th, len(got), len(want))
		}
		for i := 1; i < len(got); i++ {
			if got[i].Score > got[i-1].Score {
				t.Fatalf("ssdeep: not best first: %v", got)
			}
		}
		if got[0].Name != "0" || got[0].Score != 100 {
			t.Fatalf("ssdeep: itself not first: %+v", got[0])
		}
		if l := xs.Near(&qs, th, 1); len(l) != 1 || l[0] != got[0] {
			t.Fatalf("ssdeep: limit 1 gave %v", l)
		}
	}
	for _, th := range []int{0, 40, 300} {
		n := 0
		for _, e := range tl {
			d, _ := ParseTLSH(e.Digest)
			if qt.Distance(d) <= th {
				n++
			}
		}
		got := xt.Near(qt, th, 1000)
		if len(got) != n || n == 0 {
			t.Fatalf("TLSH threshold %d: %d near, %d by comparing all", th, len(got), n)
		}
		for i := 1; i < len(got); i++ {
			if got[i].Score < got[i-1].Score {
				t.Fatalf("TLSH: not closest first: %v", got)
			}
		}
		if got[0].Name != "0" || got[0].Score != 0 {
			t.Fatalf("TLSH: itself not first: %+v", got[0])
		}
	}
	if len(xs.Entries()) != 60 || xs.Entries()[5] != ss[5] || xt.Entries()[7] != tl[7] {
		t.Fatal("Entries not in the order given")
	}
}
