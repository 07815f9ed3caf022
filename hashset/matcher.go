package hashset

import (
	"sort"
	"strings"
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
// set, sorted. When a set cannot be read Match returns Unknown and no
// set: use Find where a read failure must not pass for a miss.
func (m *Matcher) Match(md5, sha1, sha256 string) (status string, sets []string) {
	status, sets, err := m.Find(md5, sha1, sha256)
	if err != nil {
		return Unknown, nil
	}
	return status, sets
}

// Find is Match that stops at a set it cannot read (one opened through
// NewReader whose reads fail) and returns that error with status Unknown.
func (m *Matcher) Find(md5, sha1, sha256 string) (status string, sets []string, err error) {
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
			if !ok[i] {
				continue
			}
			found, err := s.Find(a, d[i][:a.Size()])
			if err != nil {
				return Unknown, nil, err
			}
			if found {
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
	return status, sets, nil
}

// Lookup finds which sets hold digest d of algorithm a; the status follows
// the same precedence as Match. When a set cannot be read Lookup returns
// Unknown and no set: FindDigest returns that error.
func (m *Matcher) Lookup(a Algorithm, d []byte) (status string, sets []string) {
	status, sets, err := m.FindDigest(a, d)
	if err != nil {
		return Unknown, nil
	}
	return status, sets
}

// FindDigest is Lookup that stops at a set it cannot read and returns that
// error with status Unknown.
func (m *Matcher) FindDigest(a Algorithm, d []byte) (status string, sets []string, err error) {
	status = Unknown
	rank := 0
	for _, s := range m.sets {
		found, err := s.Find(a, d)
		if err != nil {
			return Unknown, nil, err
		}
		if found {
			sets = append(sets, s.Name)
			if r := statusRank[s.Category]; r > rank {
				rank, status = r, s.Category
			}
		}
	}
	return status, sets, nil
}

// Hit is one set a file's digests matched, with the digest that matched.
type Hit struct {
	Set       string
	Category  string
	Algorithm Algorithm // the first of MD5, SHA-1, SHA-256 the set holds
	Digest    string    // lowercase hex
}

// Explain is Find that also says, for each matching set, which digest
// matched it (the first of MD5, SHA-1 and SHA-256 the set holds). The
// hits are in set-name order.
func (m *Matcher) Explain(md5, sha1, sha256 string) (status string, hits []Hit, err error) {
	var d [3][32]byte
	var ok [3]bool
	hexs := [3]string{md5, sha1, sha256}
	for i, h := range hexs {
		a := Algorithm(i)
		if len(h) == 2*a.Size() {
			ok[i] = decodeHex(d[i][:a.Size()], h)
		}
	}
	status = Unknown
	rank := 0
	for _, s := range m.sets {
		for i := range ok {
			a := Algorithm(i)
			if !ok[i] {
				continue
			}
			found, err := s.Find(a, d[i][:a.Size()])
			if err != nil {
				return Unknown, nil, err
			}
			if found {
				hits = append(hits, Hit{Set: s.Name, Category: s.Category, Algorithm: a, Digest: strings.ToLower(hexs[i])})
				if r := statusRank[s.Category]; r > rank {
					rank, status = r, s.Category
				}
				break
			}
		}
	}
	return status, hits, nil
}

// StatusOf returns the status a group of hits gives: known-bad if any
// known-bad set matched, else notable, else known-good, else unknown.
func StatusOf(categories ...string) string {
	status, rank := Unknown, 0
	for _, c := range categories {
		if r := statusRank[c]; r > rank {
			rank, status = r, c
		}
	}
	return status
}
