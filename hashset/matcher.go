package hashset

import (
	"sort"
)

// Matcher looks digests up in a group of sets. It is safe for concurrent
// use once built.
type Matcher struct {
	sets []*Set // sorted by name
}

// NewMatcher matches against sets (sorted here by name).
func NewMatcher(sets []*Set) *Matcher {
	s := append([]*Set(nil), sets...)
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return &Matcher{sets: s}
}

// Sets returns the sets matched against, sorted by name.
func (m *Matcher) Sets() []*Set { return m.sets }

var statusRank = map[string]int{KnownBad: 3, Notable: 2, KnownGood: 1}

// Match looks up the hex digests of one file (empty strings are skipped)
// and returns its status — known-bad if any known-bad set matches, else
// notable, else known-good, else unknown — and the names of every matching
// set, sorted.
func (m *Matcher) Match(md5, sha1, sha256 string) (status string, sets []string) {
	var d [3][32]byte
	var ok [3]bool
	for i, h := range [3]string{md5, sha1, sha256} {
		a := Algorithm(i)
		if len(h) == 2*a.Size() {
			ok[i] = decodeHex(d[i][:a.Size()], h)
		}
	}
	status = Unknown
	rank := 0
	for _, s := range m.sets {
		hit := false
		for i := range ok {
			a := Algorithm(i)
			if ok[i] && s.Contains(a, d[i][:a.Size()]) {
				hit = true
				break
			}
		}
		if hit {
			sets = append(sets, s.Name)
			if r := statusRank[s.Category]; r > rank {
				rank, status = r, s.Category
			}
		}
	}
	return status, sets
}

// Lookup finds which sets hold digest d of algorithm a; the status follows
// the same precedence as Match.
func (m *Matcher) Lookup(a Algorithm, d []byte) (status string, sets []string) {
	status = Unknown
	rank := 0
	for _, s := range m.sets {
		if s.Contains(a, d) {
			sets = append(sets, s.Name)
			if r := statusRank[s.Category]; r > rank {
				rank, status = r, s.Category
			}
		}
	}
	return status, sets
}
