package hashset

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// TestMatchPrecedence: known-bad > notable > known-good > unknown, and every
// matching set is listed in name order whatever the order given.
func TestMatchPrecedence(t *testing.T) {
	digest := func(s string) []byte { d := md5.Sum([]byte(s)); return d[:] }
	mk := func(name, cat string, contents ...string) *Set {
		ds := map[Algorithm][][]byte{}
		for _, c := range contents {
			ds[MD5] = append(ds[MD5], digest(c))
		}
		b, err := buildBytes(&Header{Name: name, Category: cat}, ds)
		if err != nil {
			t.Fatal(err)
		}
		s, err := openBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	m := NewMatcher([]*Set{
		mk("z-good", KnownGood, "a", "b", "c"),
		mk("m-notable", Notable, "b", "c"),
		mk("a-bad", KnownBad, "c"),
		mk("k-good2", KnownGood, "a"),
	})
	for _, tt := range []struct{ content, status, sets string }{
		{"a", KnownGood, "k-good2,z-good"},
		{"b", Notable, "m-notable,z-good"},
		{"c", KnownBad, "a-bad,m-notable,z-good"},
		{"d", Unknown, ""},
	} {
		h := hex.EncodeToString(digest(tt.content))
		st, sets := m.Match(strings.ToUpper(h), "", "")
		if st != tt.status || strings.Join(sets, ",") != tt.sets {
			t.Errorf("%s: %s %v, want %s %s", tt.content, st, sets, tt.status, tt.sets)
		}
		// a malformed digest of another algorithm does not disturb the match
		st2, _ := m.Match(h, "zz", "not-hex")
		if st2 != st {
			t.Errorf("%s with junk SHA digests: %s", tt.content, st2)
		}
	}
}

// TestExplain: each matching set is named with the digest that matched it
// (the first of MD5, SHA-1, SHA-256 the set holds), lowercase, and the
// status is the one Match gives.
func TestExplain(t *testing.T) {
	// md5sum and sha256sum of "hello\n"
	const md5Hello = "b1946ac92492d2347c6235b4d2611184"
	const sha256Hello = "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"
	mk := func(name, cat string, a Algorithm, hexd string) *Set {
		d, _ := hex.DecodeString(hexd)
		b, err := buildBytes(&Header{Name: name, Category: cat}, map[Algorithm][][]byte{a: {d}})
		if err != nil {
			t.Fatal(err)
		}
		s, err := openBytes(b)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	m := NewMatcher([]*Set{mk("vic", KnownBad, SHA256, sha256Hello), mk("nsrl", KnownGood, MD5, md5Hello)})
	st, hits, err := m.Explain(strings.ToUpper(md5Hello), "", sha256Hello)
	if err != nil || st != KnownBad || len(hits) != 2 {
		t.Fatalf("%s %+v %v", st, hits, err)
	}
	want := []Hit{{Set: "nsrl", Category: KnownGood, Algorithm: MD5, Digest: md5Hello}, {Set: "vic", Category: KnownBad, Algorithm: SHA256, Digest: sha256Hello}}
	for i := range want {
		if hits[i] != want[i] {
			t.Errorf("hit %d: %+v, want %+v", i, hits[i], want[i])
		}
	}
	if st, hits, _ := m.Explain("", "", ""); st != Unknown || hits != nil {
		t.Errorf("no digest: %s %+v", st, hits)
	}
	if StatusOf(KnownGood, Notable) != Notable || StatusOf() != Unknown {
		t.Error("StatusOf precedence")
	}
}
