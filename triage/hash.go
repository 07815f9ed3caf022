package triage

import (
	"cmp"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"slices"
	"strings"
	"sync"

	md5simd "github.com/minio/md5-simd"
	"lukechampine.com/blake3"

	"github.com/triagekit/triage/internal/mbhash"
	"github.com/triagekit/triage/triage/classify"
	"github.com/triagekit/triage/triage/fuzzy"
)

// Algorithm is a content digest the scanner can compute.
type Algorithm string

// Supported algorithms.
const (
	MD5    Algorithm = "md5"
	SHA1   Algorithm = "sha1"
	SHA256 Algorithm = "sha256"
	BLAKE3 Algorithm = "blake3"
	// Similarity digests (off by default; see package fuzzy). Content
	// too small or too uniform for TLSH gets no TLSH digest.
	SSDEEP Algorithm = "ssdeep"
	TLSH   Algorithm = "tlsh"
)

// FuzzyAlgorithms are the similarity digests --fuzzy turns on.
var FuzzyAlgorithms = []Algorithm{SSDEEP, TLSH}

// DefaultAlgorithms are computed unless the caller chooses others.
var DefaultAlgorithms = []Algorithm{MD5, SHA1, SHA256}

// relative cost of each algorithm per byte, used to spread them over lanes
// (measured: MD5 ~0.8 GB/s, SHA-1 ~1.9 GB/s, SHA-256 ~1.8 GB/s with SHA-NI).
// ssdeep and TLSH measured against MD5 on the same machine with their
// AVX-512 code: about 0.6 and 1.6 times its cost (without it about 3 and
// 6 times).
var algCost = map[Algorithm]float64{MD5: 1.25, SHA1: 0.53, SHA256: 0.56, BLAKE3: 0.4, SSDEEP: 0.75, TLSH: 2}

// ParseAlgorithms parses a comma-separated list such as "md5,sha256".
func ParseAlgorithms(s string) ([]Algorithm, error) {
	var out []Algorithm
	seen := map[Algorithm]bool{}
	for _, f := range strings.Split(s, ",") {
		a := Algorithm(strings.ToLower(strings.TrimSpace(f)))
		switch a {
		case "sha-1":
			a = SHA1
		case "sha-256":
			a = SHA256
		}
		switch a {
		case MD5, SHA1, SHA256, BLAKE3, SSDEEP, TLSH:
		case "":
			continue
		default:
			return nil, fmt.Errorf("unknown hash algorithm %q (choose from md5, sha1, sha256, blake3, ssdeep, tlsh)", f)
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no hash algorithm chosen")
	}
	return out, nil
}

func newHash(a Algorithm) hash.Hash {
	switch a {
	case MD5:
		return md5.New()
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case BLAKE3:
		return blake3.New(32, nil)
	case SSDEEP:
		return &fuzzyHash{d: fuzzy.NewSSDeep()}
	case TLSH:
		return &fuzzyHash{d: fuzzy.NewTLSH()}
	}
	panic("unknown algorithm " + string(a))
}

// Digests holds the hex digests computed for one content stream, and the
// similarity digests in their own text forms ("" when not computed or when
// the content gets none).
type Digests struct {
	MD5, SHA1, SHA256, BLAKE3 string
	SSDeep, TLSH              string
}

// fuzzyDigest is a streaming similarity digest of package fuzzy.
type fuzzyDigest interface {
	Write(p []byte) (int, error)
	Reset()
	AppendSum(b []byte) []byte
}

// fuzzyHash adapts a similarity digest to hash.Hash: Sum appends the
// digest's text, not bytes to be hex-encoded (see Digests.set).
type fuzzyHash struct{ d fuzzyDigest }

func (f *fuzzyHash) Write(p []byte) (int, error) { return f.d.Write(p) }
func (f *fuzzyHash) Sum(b []byte) []byte         { return f.d.AppendSum(b) }
func (f *fuzzyHash) Reset()                      { f.d.Reset() }
func (f *fuzzyHash) Size() int                   { return fuzzy.MaxSSDeepLen }
func (f *fuzzyHash) BlockSize() int              { return 64 }

// blockSize is the read size of the hashing pipeline.
const blockSize = 1 << 20

// readGrow is the step in which a hasher's first read buffer grows to the
// contents it reads inline.
const readGrow = 64 << 10

// parallelThreshold: content at least this large is hashed with the
// algorithms spread over two goroutines, so a single large file uses both
// cores; smaller content is hashed inline.
const parallelThreshold = 2 * blockSize

// lane computes a subset of the digests (and maybe the entropy histogram)
// of each block handed to it.
type lane struct {
	hs    []hash.Hash
	hist  *classify.Histogram
	in    chan []byte
	done  chan struct{}
	start sync.Once
}

func (l *lane) write(b []byte) {
	for _, h := range l.hs {
		h.Write(b)
	}
	if l.hist != nil {
		l.hist.Write(b)
	}
}

func (l *lane) run() {
	for b := range l.in {
		l.write(b)
		l.done <- struct{}{}
	}
}

// hasher reads content once and computes every chosen digest, the entropy
// histogram and the head used for type detection. One hasher belongs to one
// worker; it is not safe for concurrent use.
type hasher struct {
	algs  []Algorithm
	hs    map[Algorithm]hash.Hash
	hist  classify.Histogram
	lanes [2]*lane
	bufs  [2][]byte
	head  []byte
	// closers release the multi-buffer hashers.
	closers []func()
	// MD5 has a scalar and, when a multi-buffer server is given, a SIMD
	// implementation; sum picks one per stream.
	md5Scalar, md5SIMD hash.Hash
	md5Lane, md5Slot   int

	// For batches of small contents (sumBatch): the contents read into one
	// buffer, each followed by mbhash.Pad bytes of room; which digests are
	// computed in lanes, and the others, computed in turn.
	batchMD5 bool
	batchSHA bool // SHA-1
	batch256 bool // SHA-256
	others   []algHash
	batchBuf []byte
	items    []batchItem
	results  []hashResult
	spans    []mbhash.Span
	md5s     [][md5.Size]byte
	sha1s    [][sha1.Size]byte
	sha256s  [][sha256.Size]byte
	digest   []byte
}

type algHash struct {
	alg Algorithm
	h   hash.Hash
}

// useMD5 selects the MD5 implementation for the next stream.
func (h *hasher) useMD5(simd bool) {
	if h.md5Scalar == nil {
		return
	}
	hh := h.md5Scalar
	if simd && h.md5SIMD != nil {
		hh = h.md5SIMD
	}
	h.hs[MD5] = hh
	h.lanes[h.md5Lane].hs[h.md5Slot] = hh
}

// newHasher returns a hasher for algs. When simd is not nil, MD5 is
// computed by that multi-buffer server, which hashes the MD5 of many files
// at once in vector lanes.
func newHasher(algs []Algorithm, simd md5simd.Server) *hasher {
	h := &hasher{algs: algs, hs: map[Algorithm]hash.Hash{}}
	h.lanes[0] = &lane{in: make(chan []byte), done: make(chan struct{})}
	h.lanes[1] = &lane{in: make(chan []byte), done: make(chan struct{})}
	// Greedy split by cost, the costliest first; the histogram costs
	// about as much as SHA-1.
	var load [2]float64
	byCost := slices.Clone(algs)
	slices.SortStableFunc(byCost, func(a, b Algorithm) int { return cmp.Compare(algCost[b], algCost[a]) })
	for _, a := range byCost {
		hh := newHash(a)
		h.hs[a] = hh
		i := 0
		if load[1] < load[0] {
			i = 1
		}
		if a == MD5 {
			h.md5Lane, h.md5Slot, h.md5Scalar = i, len(h.lanes[i].hs), hh
			if simd != nil {
				sh := simd.NewHash()
				h.closers = append(h.closers, sh.Close)
				h.md5SIMD = sh
			}
		}
		h.lanes[i].hs = append(h.lanes[i].hs, hh)
		load[i] += algCost[a]
	}
	i := 0
	if load[1] < load[0] {
		i = 1
	}
	h.lanes[i].hist = &h.hist
	for _, a := range algs {
		switch a {
		case MD5:
			h.batchMD5 = true
		case SHA1:
			h.batchSHA = true
		case SHA256:
			h.batch256 = true
		default:
			h.others = append(h.others, algHash{a, h.hs[a]})
		}
	}
	h.md5s = make([][md5.Size]byte, batchMax)
	h.sha1s = make([][sha1.Size]byte, batchMax)
	h.sha256s = make([][sha256.Size]byte, batchMax)
	h.digest = make([]byte, 0, fuzzy.MaxSSDeepLen)
	h.head = make([]byte, 0, classify.HeadSize)
	return h
}

// close stops the lane goroutines.
func (h *hasher) close() {
	for _, l := range h.lanes {
		close(l.in)
	}
	for _, c := range h.closers {
		c()
	}
}

func (h *hasher) reset() {
	for _, hh := range h.hs {
		hh.Reset()
	}
	h.hist.Reset()
	h.head = h.head[:0]
}

// hashResult is what reading one content stream gave.
type hashResult struct {
	Digests
	n       int64
	head    []byte // leading bytes, valid until the next call
	entropy float64
	err     error // read error; the digests cover the n bytes read before it
}

// sum reads r to EOF (or to its first error) and returns the digests of
// what was read. size is the declared size, used to choose the strategy.
// onRead is called with the byte count of each block read.
//
// simd selects the multi-buffer MD5, which pays off only while many streams
// are hashed at once (8 or more lanes busy); alone it is slower than the
// scalar code.
func (h *hasher) sum(r io.Reader, size int64, simd bool, onRead func(int)) hashResult {
	parallel := size >= parallelThreshold
	// The read buffers are allocated on first use (a scan of small files
	// never needs them): the first as large as the contents read inline
	// have needed (up to blockSize, a content larger than declared is
	// read in several), the second only for the double-buffered read of a
	// large content.
	want := blockSize
	if !parallel {
		want = int(min(blockSize, (max(size, 0)+readGrow)/readGrow*readGrow))
	}
	if len(h.bufs[0]) < want {
		h.bufs[0] = make([]byte, want)
	}
	if parallel && h.bufs[1] == nil {
		h.bufs[1] = make([]byte, blockSize)
	}
	h.useMD5(simd)
	h.reset()
	if parallel {
		for _, l := range h.lanes {
			l.start.Do(func() { go l.run() })
		}
	}
	var res hashResult
	cur := 0
	n, err := io.ReadFull(r, h.bufs[cur])
	for {
		if n > 0 {
			res.n += int64(n)
			if onRead != nil {
				onRead(n)
			}
			if len(h.head) < cap(h.head) {
				h.head = append(h.head, h.bufs[cur][:min(n, cap(h.head)-len(h.head))]...)
			}
		}
		done := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !done {
			res.err = err
		}
		if n == 0 {
			break
		}
		block := h.bufs[cur][:n]
		if !parallel {
			h.lanes[0].write(block)
			h.lanes[1].write(block)
			if done || res.err != nil {
				break
			}
			n, err = io.ReadFull(r, h.bufs[cur])
			continue
		}
		h.lanes[0].in <- block
		h.lanes[1].in <- block
		// Read the next block while the lanes hash this one.
		var nn int
		var nerr error
		if !done && res.err == nil {
			nn, nerr = io.ReadFull(r, h.bufs[1-cur])
		}
		<-h.lanes[0].done
		<-h.lanes[1].done
		if done || res.err != nil {
			break
		}
		cur, n, err = 1-cur, nn, nerr
	}
	for a, hh := range h.hs {
		res.set(a, hh.Sum(h.digest[:0]))
	}
	res.head = h.head
	res.entropy = h.hist.Entropy()
	return res
}

// set stores sum, the digest of algorithm a, in hex (the similarity
// digests as the text they are).
func (d *Digests) set(a Algorithm, sum []byte) {
	switch a {
	case SSDEEP:
		d.SSDeep = string(sum)
		return
	case TLSH:
		d.TLSH = string(sum)
		return
	}
	x := hex.EncodeToString(sum)
	switch a {
	case MD5:
		d.MD5 = x
	case SHA1:
		d.SHA1 = x
	case SHA256:
		d.SHA256 = x
	case BLAKE3:
		d.BLAKE3 = x
	}
}

// batchBuffer returns the batch buffer, grown to at least n bytes. It is
// allocated when a batch needs it and as large as the batches have needed
// (in steps of batchGrow), not at its largest for every hasher: most
// batches of small contents hold far less than batchBytes (100,000 files
// of 100 B to 20 KB: about 700 KB), and hashers that only stream large
// contents never need one.
func (h *hasher) batchBuffer(n int) []byte {
	if len(h.batchBuf) < n {
		h.batchBuf = make([]byte, (n+batchGrow-1)/batchGrow*batchGrow)
	}
	return h.batchBuf
}

// batchGrow is the step in which a batch buffer grows.
const batchGrow = 128 << 10

// sumBatch hashes the contents held in h.batchBuf at spans (at most
// batchMax of them, each followed by mbhash.Pad bytes of room). MD5, SHA-1
// and SHA-256 are computed for all of them at once in vector lanes; the other
// digests and the entropy one content after the other. The results are valid
// until the next call.
func (h *hasher) sumBatch(spans []mbhash.Span) []hashResult {
	if h.batchMD5 {
		mbhash.MD5Spans(h.batchBuf, spans, h.md5s[:len(spans)])
	}
	if h.batchSHA {
		mbhash.SHA1Spans(h.batchBuf, spans, h.sha1s[:len(spans)])
	}
	if h.batch256 {
		mbhash.SHA256Spans(h.batchBuf, spans, h.sha256s[:len(spans)])
	}
	res := h.results[:0]
	for i, sp := range spans {
		d := h.batchBuf[sp.Off : sp.Off+sp.Len]
		var r hashResult
		if h.batchMD5 {
			r.set(MD5, h.md5s[i][:])
		}
		if h.batchSHA {
			r.set(SHA1, h.sha1s[i][:])
		}
		if h.batch256 {
			r.set(SHA256, h.sha256s[i][:])
		}
		for _, o := range h.others {
			o.h.Reset()
			o.h.Write(d)
			r.set(o.alg, o.h.Sum(h.digest[:0]))
		}
		h.hist.Reset()
		h.hist.Write(d)
		r.entropy = h.hist.Entropy()
		r.head = d[:min(len(d), classify.HeadSize)]
		r.n = int64(len(d))
		res = append(res, r)
	}
	h.results = res
	return res
}
