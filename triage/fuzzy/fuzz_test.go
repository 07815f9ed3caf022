package fuzzy

import (
	"testing"
)

// FuzzCompare parses two hostile ssdeep digests and two TLSH digests and
// compares them: no panic, scores in range, symmetric, 100 or 0 against
// itself.
func FuzzCompare(f *testing.F) {
	f.Add("96:Bi2bIjzp7upNVZDrLpXmHJfJvX7dTaQkrkmZ4c3y5XtrQslUqlvP17/SVtJAm1ko:RI/p+XZDrsFJvX78Qkrj4c3O6sl331bU",
		"192:RI/p+XZDrsFJvX78Qkrj4c3O6sl331bU:xx",
		"T1EAA19F34FC1639862BB4338BE173F7FBAF25889E4D3470B399055092CA7185D1A41DD6",
		"8A52324BB4A925D29B06F47BF007903F422A6A26F7D73021772D72458B3B52F5EE8913")
	f.Add("3::", "3:aaaaaaaaaaa:bbbbbbb", "", "")
	f.Fuzz(func(t *testing.T, a, b, ta, tb string) {
		da, errA := ParseSSDeep(a)
		db, errB := ParseSSDeep(b)
		if errA == nil && errB == nil {
			s := CompareSSDeep(&da, &db)
			if s < 0 || s > 100 || s != CompareSSDeep(&db, &da) {
				t.Fatalf("score %d (%d reversed)", s, CompareSSDeep(&db, &da))
			}
			if self := CompareSSDeep(&da, &da); self != 100 {
				t.Fatalf("%q against itself: %d", a, self)
			}
			x, _ := NewSSDeepIndex([]Entry{{Digest: b}})
			m, ok := x.Best(&da, 1)
			if ok && m.Score != s {
				t.Fatalf("index scored %d, compare %d", m.Score, s)
			} else if !ok && s > 0 && len(da.Part1()) >= rollingWindow {
				t.Fatalf("index missed a score of %d", s)
			}
			if near := x.Near(&da, 1, 5); ok != (len(near) == 1) || ok && near[0] != m {
				t.Fatalf("Near %v, Best %v", near, m)
			}
		}
		xa, errA := ParseTLSH(ta)
		xb, errB := ParseTLSH(tb)
		if errA == nil && errB == nil {
			d := xa.Distance(xb)
			if d < 0 || d != xb.Distance(xa) || xa.Distance(xa) != 0 {
				t.Fatalf("distance %d", d)
			}
			x, _ := NewTLSHIndex([]Entry{{Digest: tb}})
			if near := x.Near(xa, d, 5); len(near) != 1 || near[0].Score != d || len(x.Near(xa, d-1, 5)) != 0 {
				t.Fatalf("Near at distance %d: %v", d, near)
			}
			if y, err := ParseTLSH(xa.String()); err != nil || y != xa {
				t.Fatalf("round trip of %q: %v", ta, err)
			}
		}
	})
}

// FuzzDigest feeds hostile content in two writes: the digests never panic,
// do not depend on where the content is split, and ssdeep's is the
// byte-at-a-time reference's.
func FuzzDigest(f *testing.F) {
	f.Add([]byte("hello, world: some content of a file that is long enough for TLSH to digest it"), 7)
	f.Fuzz(func(t *testing.T, b []byte, cut int) {
		if cut < 0 || cut > len(b) {
			cut = len(b) / 2
		}
		s1, s2 := NewSSDeep(), NewSSDeep()
		t1, t2 := NewTLSH(), NewTLSH()
		s1.Write(b)
		t1.Write(b)
		s2.Write(b[:cut])
		s2.Write(b[cut:])
		t2.Write(b[:cut])
		t2.Write(b[cut:])
		if s1.Sum() != s2.Sum() || t1.Sum() != t2.Sum() {
			t.Fatalf("split at %d: %s %s, %s %s", cut, s1.Sum(), s2.Sum(), t1.Sum(), t2.Sum())
		}
		r := newRefSSDeep()
		r.Write(b)
		if r.Sum() != s1.Sum() {
			t.Fatalf("ssdeep %s, the byte-at-a-time reference %s", s1.Sum(), r.Sum())
		}
		if _, err := ParseSSDeep(s1.Sum()); err != nil {
			t.Fatalf("own digest does not parse: %v", err)
		}
		if d := t1.Sum(); d != "" {
			if _, err := ParseTLSH(d); err != nil {
				t.Fatalf("own digest does not parse: %v", err)
			}
		}
	})
}
