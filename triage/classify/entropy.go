package classify

import (
	"encoding/binary"
	"math"
)

// Histogram counts byte values of a stream to measure its Shannon entropy.
// The zero value is ready to use. It is not safe for concurrent use.
type Histogram struct {
	// Four interleaved tables avoid the store-to-load stalls of counting
	// runs of equal bytes into a single table. Their 32-bit counters are
	// added to wide before they can overflow (see histFold).
	c    [4][256]uint32
	wide *[256]uint64 // nil until the first fold
	pend uint64       // bytes counted in c since the last fold
	n    uint64
}

// histFold bounds the bytes counted in the 32-bit tables between folds:
// no counter can pass 2^32-1 (one call adds at most histChunk more).
const (
	histFold  = 1 << 31
	histChunk = 1 << 30
)

// Write adds p to the histogram. It never fails.
func (h *Histogram) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), histChunk)
		h.count(p[:k])
		p = p[k:]
		h.pend += uint64(k)
		if h.pend >= histFold {
			h.fold()
		}
	}
	h.n += uint64(n)
	return n, nil
}

// count adds p to the 32-bit tables, eight bytes a load.
func (h *Histogram) count(p []byte) {
	c0, c1, c2, c3 := &h.c[0], &h.c[1], &h.c[2], &h.c[3]
	for len(p) >= 8 {
		v := binary.LittleEndian.Uint64(p)
		c0[byte(v)]++
		c1[byte(v>>8)]++
		c2[byte(v>>16)]++
		c3[byte(v>>24)]++
		c0[byte(v>>32)]++
		c1[byte(v>>40)]++
		c2[byte(v>>48)]++
		c3[byte(v>>56)]++
		p = p[8:]
	}
	for _, b := range p {
		c0[b]++
	}
}

// fold moves the 32-bit counts to the wide table.
func (h *Histogram) fold() {
	if h.wide == nil {
		h.wide = new([256]uint64)
	}
	for v := range 256 {
		h.wide[v] += uint64(h.c[0][v]) + uint64(h.c[1][v]) + uint64(h.c[2][v]) + uint64(h.c[3][v])
	}
	h.c = [4][256]uint32{}
	h.pend = 0
}

// Reset clears the histogram.
func (h *Histogram) Reset() {
	h.c = [4][256]uint32{}
	if h.wide != nil {
		*h.wide = [256]uint64{}
	}
	h.pend, h.n = 0, 0
}

// Count returns the number of bytes written.
func (h *Histogram) Count() uint64 { return h.n }

// Entropy returns the Shannon entropy of the bytes written, in bits per byte
// (0 for no bytes or a single repeated value, 8 for uniformly random bytes).
func (h *Histogram) Entropy() float64 {
	if h.n == 0 {
		return 0
	}
	// H = log2(N) - (1/N) * sum(c * log2(c)); c*log2(c) comes from a table
	// for the counts of small files, which are most files.
	sum := 0.0
	for v := 0; v < 256; v++ {
		c := uint64(h.c[0][v]) + uint64(h.c[1][v]) + uint64(h.c[2][v]) + uint64(h.c[3][v])
		if h.wide != nil {
			c += h.wide[v]
		}
		if c < clog2Size {
			sum += clog2[c]
		} else {
			f := float64(c)
			sum += f * math.Log2(f)
		}
	}
	total := float64(h.n)
	e := math.Log2(total) - sum/total
	if e < 1e-12 {
		e = 0 // a single repeated value, up to rounding
	}
	return min(e, 8)
}

// clog2[c] = c * log2(c), with clog2[0] = 0.
const clog2Size = 4096

var clog2 = func() *[clog2Size]float64 {
	var t [clog2Size]float64
	for c := 1; c < clog2Size; c++ {
		f := float64(c)
		t[c] = f * math.Log2(f)
	}
	return &t
}()

// Entropy returns the Shannon entropy of b in bits per byte.
func Entropy(b []byte) float64 {
	var h Histogram
	h.Write(b)
	return h.Entropy()
}
