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
