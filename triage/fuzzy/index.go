package fuzzy

import "sort"

// Entry is one digest of a set, with the name its source gave.
type Entry struct {
	Digest string
	Name   string
}

// Match is the closest digest of an index to a queried one.
type Match struct {
	Algorithm string // "ssdeep" or "tlsh"
	Digest    string // the set's digest
	Name      string // its name in the set ("" when none)
	// Score is ssdeep's match score (higher is closer, 100 identical) or
	// TLSH's distance (lower is closer, 0 identical).
	Score int
}

// SSDeepIndex finds the ssdeep digests that may score above zero against
// a query without comparing every one: as ssdeep's own matching does, each
// part is indexed under its block size and every 7-character substring,
// since two parts without a common 7-character substring score 0. It is
// safe for concurrent lookups once built.
type SSDeepIndex struct {
	digests []SSDeepDigest
	entries []Entry
	grams   map[gramKey][]int32
}

type gramKey struct {
	bs   uint64
	gram uint64 // 7 base-64 characters, 6 bits each
}

// b64Value maps a base-64 character to its value.
var b64Value = func() (t [256]byte) {
	for i := range len(b64) {
		t[b64[i]] = byte(i)
	}
	return
}()

// forGrams calls fn with every 7-character substring of p, packed.
func forGrams(p []byte, fn func(g uint64)) {
	if len(p) < rollingWindow {
		return
	}
	var g uint64
	for i, c := range p {
		g = (g<<6 | uint64(b64Value[c])) & (1<<(6*rollingWindow) - 1)
		if i >= rollingWindow-1 {
			fn(g)
		}
	}
}

// NewSSDeepIndex indexes digests; entries whose digest does not parse are
// left out and their positions returned.
func NewSSDeepIndex(entries []Entry) (*SSDeepIndex, []int) {
	x := &SSDeepIndex{grams: map[gramKey][]int32{}}
	var bad []int
	for i, e := range entries {
		d, err := ParseSSDeep(e.Digest)
		if err != nil {
			bad = append(bad, i)
			continue
		}
		id := int32(len(x.digests))
		x.digests = append(x.digests, d)
		x.entries = append(x.entries, e)
		add := func(bs uint64, p []byte) {
			forGrams(p, func(g uint64) {
				k := gramKey{bs, g}
				l := x.grams[k]
				if len(l) == 0 || l[len(l)-1] != id {
					x.grams[k] = append(l, id)
				}
			})
		}
		add(d.BlockSize, d.Part1())
		add(d.BlockSize*2, d.Part2())
	}
	return x, bad
}

// Len returns the number of digests indexed.
func (x *SSDeepIndex) Len() int { return len(x.digests) }

// Best returns the indexed digest scoring highest against q, if any
// scores at least threshold (ties: the first indexed). Only digests
// sharing a 7-character substring of a comparable part are scored.
func (x *SSDeepIndex) Best(q *SSDeepDigest, threshold int) (Match, bool) {
	if x == nil || len(x.digests) == 0 {
		return Match{}, false
	}
	var cand []int32
	look := func(bs uint64, p []byte) {
		forGrams(p, func(g uint64) {
			cand = append(cand, x.grams[gramKey{bs, g}]...)
		})
	}
	look(q.BlockSize, q.Part1())
	look(q.BlockSize*2, q.Part2())
	if len(cand) == 0 {
		return Match{}, false
	}
	sort.Slice(cand, func(i, j int) bool { return cand[i] < cand[j] })
	best, bestScore := int32(-1), -1
	for i, id := range cand {
		if i > 0 && cand[i-1] == id {
			continue
		}
		if s := CompareSSDeep(q, &x.digests[id]); s > bestScore {
			best, bestScore = id, s
		}
	}
	if best < 0 || bestScore < threshold || bestScore == 0 {
		return Match{}, false
	}
	e := x.entries[best]
	return Match{Algorithm: "ssdeep", Digest: e.Digest, Name: e.Name, Score: bestScore}, true
}

// TLSHIndex holds TLSH digests. A lookup compares the query with every
// digest, each comparison stopping once the distance exceeds the best so
// far or the threshold (most stop at the length and quartile bytes).
type TLSHIndex struct {
	digests []TLSHDigest
	entries []Entry
}

// NewTLSHIndex indexes digests; entries whose digest does not parse are
// left out and their positions returned.
func NewTLSHIndex(entries []Entry) (*TLSHIndex, []int) {
	x := &TLSHIndex{}
	var bad []int
	for i, e := range entries {
		d, err := ParseTLSH(e.Digest)
		if err != nil {
			bad = append(bad, i)
			continue
		}
		x.digests = append(x.digests, d)
		x.entries = append(x.entries, e)
	}
	return x, bad
}

// Len returns the number of digests indexed.
func (x *TLSHIndex) Len() int { return len(x.digests) }

// Best returns the indexed digest closest to q, if its distance is at most
// threshold (ties: the first indexed).
func (x *TLSHIndex) Best(q TLSHDigest, threshold int) (Match, bool) {
	if x == nil {
		return Match{}, false
	}
	best, bestD := -1, threshold+1
	for i := range x.digests {
		// Stops comparing a digest once it is farther than the best so
		// far (most digests: at the length and quartile bytes).
		if d := q.distance(&x.digests[i], bestD-1); d < bestD {
			best, bestD = i, d
		}
	}
	if best < 0 {
		return Match{}, false
	}
	e := x.entries[best]
	return Match{Algorithm: "tlsh", Digest: normTLSH(e.Digest), Name: e.Name, Score: bestD}, true
}

// normTLSH returns a parsed digest's canonical text.
func normTLSH(s string) string {
	d, err := ParseTLSH(s)
	if err != nil {
		return s
	}
	return d.String()
}

// Entries returns the indexed entries, in the order given to
// NewSSDeepIndex (those that parsed).
func (x *SSDeepIndex) Entries() []Entry {
	if x == nil {
		return nil
	}
	return x.entries
}

// Near returns the indexed digests scoring at least threshold (1 or more)
// against q, highest score first (ties: in index order), at most limit of
// them.
func (x *SSDeepIndex) Near(q *SSDeepDigest, threshold, limit int) []Match {
	if x == nil || len(x.digests) == 0 || limit <= 0 {
		return nil
	}
	threshold = max(threshold, 1)
	seen := map[int32]bool{}
	type hit struct {
		id    int32
		score int
	}
	var hits []hit
	look := func(bs uint64, p []byte) {
		forGrams(p, func(g uint64) {
			for _, id := range x.grams[gramKey{bs, g}] {
				if seen[id] {
					continue
				}
				seen[id] = true
				if s := CompareSSDeep(q, &x.digests[id]); s >= threshold {
					hits = append(hits, hit{id, s})
				}
			}
		})
	}
	look(q.BlockSize, q.Part1())
	look(q.BlockSize*2, q.Part2())
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].score != hits[j].score {
			return hits[i].score > hits[j].score
		}
		return hits[i].id < hits[j].id
	})
	out := make([]Match, 0, min(len(hits), limit))
	for _, h := range hits[:min(len(hits), limit)] {
		e := x.entries[h.id]
		out = append(out, Match{Algorithm: "ssdeep", Digest: e.Digest, Name: e.Name, Score: h.score})
	}
	return out
}

// Entries returns the indexed entries, in the order given to
// NewTLSHIndex (those that parsed).
func (x *TLSHIndex) Entries() []Entry {
	if x == nil {
		return nil
	}
	return x.entries
}

// Near returns the indexed digests at most threshold from q, closest
// first (ties: in index order), at most limit of them.
func (x *TLSHIndex) Near(q TLSHDigest, threshold, limit int) []Match {
	if x == nil || limit <= 0 || threshold < 0 {
		return nil
	}
	type hit struct{ id, d int }
	var hits []hit
	for i := range x.digests {
		if d := q.distance(&x.digests[i], threshold); d <= threshold {
			hits = append(hits, hit{i, d})
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].d != hits[j].d {
			return hits[i].d < hits[j].d
		}
		return hits[i].id < hits[j].id
	})
	out := make([]Match, 0, min(len(hits), limit))
	for _, h := range hits[:min(len(hits), limit)] {
		e := x.entries[h.id]
		out = append(out, Match{Algorithm: "tlsh", Digest: normTLSH(e.Digest), Name: e.Name, Score: h.d})
	}
	return out
}
