package classify

import "math"

// Histogram counts byte values of a stream to measure its Shannon entropy.
// The zero value is ready to use. It is not safe for concurrent use.
type Histogram struct {
	// Four interleaved tables avoid the store-to-load stalls of counting
	// runs of equal bytes into a single table.
	c [4][256]uint64
	n uint64
}

// Write adds p to the histogram. It never fails.
func (h *Histogram) Write(p []byte) (int, error) {
	n := len(p)
	i := 0
	for ; i+4 <= n; i += 4 {
		h.c[0][p[i]]++
		h.c[1][p[i+1]]++
		h.c[2][p[i+2]]++
		h.c[3][p[i+3]]++
	}
	for ; i < n; i++ {
		h.c[0][p[i]]++
	}
	h.n += uint64(n)
	return n, nil
}

// Reset clears the histogram.
func (h *Histogram) Reset() { *h = Histogram{} }

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
		c := h.c[0][v] + h.c[1][v] + h.c[2][v] + h.c[3][v]
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
