// Package mediahash hashes the whole media of a disk image (MD5, SHA-1 and
// SHA-256 in one pass, each digest on its own goroutine) and compares the
// digests with the hashes stored at acquisition or given by the examiner.
// It knows images only through the optional interfaces of package
// container (container.Streamer, container.HashStorer,
// container.RegionError), never a format.
//
// A verification is "verified" only when every stored or expected digest
// matches and every byte of the media was read; it is "MISMATCH" when a
// digest differs, "FAILED" when part of the media could not be read (an
// E01 chunk that does not decompress or fails its checksum, a read error)
// and nothing differs, and "no stored hash" when there was nothing to
// compare with.
package mediahash

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/triagekit/triage/triage/image/container"
)

// Verdicts of a verification.
const (
	Verified     = "verified"
	Mismatch     = "MISMATCH"
	Failed       = "FAILED"
	NoStoredHash = "no stored hash"
)

// BadRange is a part of the media that could not be read; it was hashed
// as zeros.
type BadRange struct {
	Offset int64  `json:"offset"`
	Length int64  `json:"length"`
	Error  string `json:"error"`
}

// Result is the outcome of hashing a whole medium.
type Result struct {
	Size    int64         `json:"size"`
	MD5     string        `json:"md5"`
	SHA1    string        `json:"sha1"`
	SHA256  string        `json:"sha256"`
	Bad     []BadRange    `json:"unreadable,omitempty"`
	Elapsed time.Duration `json:"-"`
	// Segments are the SHA-256 of each file of a split raw image, made
	// from the media's blocks (segments.go); nil for other images, and
	// when a range could not be read or the hashing did not start at
	// offset 0.
	Segments [][sha256.Size]byte `json:"-"`
}

// blockSize is the unit handed to the hashing goroutines.
const blockSize = 1 << 20

type block struct {
	b  []byte
	wg sync.WaitGroup
}

// hasher feeds blocks to one goroutine per digest.
type hasher struct {
	seg  *segmentHash // the files of a split raw image, or nil
	hs   []hash.Hash
	in   []chan *block
	done sync.WaitGroup
	ring []*block
	next int
	cur  *block
}

// newHasher returns a hasher of the media digests and, when sizes is not
// nil, of the pieces of those sizes (the files of a split raw image).
func newHasher(sizes []int64) *hasher {
	h := &hasher{hs: []hash.Hash{md5.New(), sha1.New(), sha256.New()}}
	if sizes != nil {
		h.seg = newSegmentHash(sizes)
		h.hs = append(h.hs, h.seg)
	}
	for _, hh := range h.hs {
		c := make(chan *block, 4)
		h.in = append(h.in, c)
		h.done.Add(1)
		go func() {
			defer h.done.Done()
			for b := range c {
				hh.Write(b.b)
				b.wg.Done()
			}
		}()
	}
	for range 4 {
		h.ring = append(h.ring, &block{b: make([]byte, 0, blockSize)})
	}
	return h
}

// buf returns an empty block to fill, waiting until the hashers are done
// with it.
func (h *hasher) buf() *block {
	b := h.ring[h.next]
	h.next = (h.next + 1) % len(h.ring)
	b.wg.Wait()
	b.b = b.b[:0]
	return b
}

func (h *hasher) send(b *block) {
	if len(b.b) == 0 {
		return
	}
	b.wg.Add(len(h.in))
	for _, c := range h.in {
		c <- b
	}
}

// write copies p into the current block, sending full blocks.
func (h *hasher) write(p []byte) {
	for len(p) > 0 {
		if h.cur == nil {
			h.cur = h.buf()
		}
		n := copy(h.cur.b[len(h.cur.b):cap(h.cur.b)], p)
		h.cur.b = h.cur.b[:len(h.cur.b)+n]
		p = p[n:]
		if len(h.cur.b) == cap(h.cur.b) {
			h.send(h.cur)
			h.cur = nil
		}
	}
}

// sync sends the current block and waits until every block sent is
// hashed.
func (h *hasher) sync() {
	if h.cur != nil {
		h.send(h.cur)
		h.cur = nil
	}
	for _, b := range h.ring {
		b.wg.Wait()
	}
}

func (h *hasher) finish(r *Result) {
	if h.cur != nil {
		h.send(h.cur)
		h.cur = nil
	}
	for _, c := range h.in {
		close(c)
	}
	h.done.Wait()
	r.MD5 = hex.EncodeToString(h.hs[0].Sum(nil))
	r.SHA1 = hex.EncodeToString(h.hs[1].Sum(nil))
	r.SHA256 = hex.EncodeToString(h.hs[2].Sum(nil))
	r.Segments = h.segmentSums(r)
}

// Sum hashes size bytes of r from offset 0. Unreadable parts are hashed
// as zeros and listed in Result.Bad; only cancellation (or an image
// shorter than size) returns an error. progress, when not nil, is called
// with the bytes done so far. An r that implements container.Streamer is
// read through Stream, whose workers it is given.
func Sum(ctx context.Context, r io.ReaderAt, size int64, workers int, progress func(done int64)) (*Result, error) {
	start := time.Now()
	res := &Result{Size: size}
	h := newHasher(splitSizes(r, size))
	var done int64
	var err error
	if s, ok := r.(container.Streamer); ok {
		err = s.Stream(ctx, workers, func(b []byte, bad *container.RegionError) error {
			if bad != nil {
				res.Bad = append(res.Bad, BadRange{Offset: bad.Off, Length: bad.Length, Error: bad.Error()})
			}
			h.write(b)
			done += int64(len(b))
			if progress != nil {
				progress(done)
			}
			return nil
		})
		if err == nil && done != size {
			err = fmt.Errorf("media stream gave %d bytes, want %d", done, size)
		}
	} else {
		for off := int64(0); off < size; {
			if err = ctx.Err(); err != nil {
				break
			}
			b := h.buf()
			n := int(min(int64(cap(b.b)), size-off))
			b.b = b.b[:n]
			m, rerr := r.ReadAt(b.b, off)
			if rerr != nil && !(errors.Is(rerr, io.EOF) && m == n) {
				var ce *container.RegionError
				if m < n && errors.Is(rerr, io.EOF) {
					h.send(b)
					err = fmt.Errorf("image ends at byte %#x, before its size %d: %w", off+int64(m), size, rerr)
					break
				}
				if !errors.As(rerr, &ce) {
					clear(b.b[max(m, 0):])
				}
				res.Bad = append(res.Bad, BadRange{Offset: off, Length: int64(n), Error: rerr.Error()})
			}
			h.send(b)
			off += int64(n)
			if progress != nil {
				progress(off)
			}
		}
	}
	h.finish(res)
	res.Elapsed = time.Since(start)
	return res, err
}

// Reference is a digest to compare with: stored in the image or given by
// the examiner.
type Reference struct {
	Algorithm string `json:"algorithm"` // "md5", "sha1", "sha256"
	Value     string `json:"value"`
	Source    string `json:"source"` // "digest section", "--expect-md5", ...
}

// Comparison is one Reference checked against the computed digest.
type Comparison struct {
	Reference
	Computed string `json:"computed"`
	Match    bool   `json:"match"`
}

// Check is the verdict of a verification.
type Check struct {
	Verdict     string       `json:"verdict"`
	Comparisons []Comparison `json:"comparisons,omitempty"`
	Reason      string       `json:"reason,omitempty"`
}

// Verify compares res with the references (empty values are skipped).
func Verify(res *Result, refs []Reference) Check {
	var c Check
	mismatch := 0
	for _, ref := range refs {
		if ref.Value == "" {
			continue
		}
		var got string
		switch ref.Algorithm {
		case "md5":
			got = res.MD5
		case "sha1":
			got = res.SHA1
		case "sha256":
			got = res.SHA256
		default:
			continue
		}
		cmp := Comparison{Reference: ref, Computed: got, Match: strings.EqualFold(ref.Value, got)}
		if !cmp.Match {
			mismatch++
		}
		c.Comparisons = append(c.Comparisons, cmp)
	}
	var reasons []string
	if mismatch > 0 {
		reasons = append(reasons, fmt.Sprintf("%d of %d digests differ", mismatch, len(c.Comparisons)))
	}
	if len(res.Bad) > 0 {
		var n int64
		for _, b := range res.Bad {
			n += b.Length
		}
		reasons = append(reasons, fmt.Sprintf("%d unreadable range(s), %d bytes hashed as zeros", len(res.Bad), n))
	}
	switch {
	case mismatch > 0:
		c.Verdict = Mismatch
	case len(res.Bad) > 0:
		c.Verdict = Failed
	case len(c.Comparisons) == 0:
		c.Verdict = NoStoredHash
	default:
		c.Verdict = Verified
	}
	c.Reason = strings.Join(reasons, "; ")
	return c
}

// StoredReferences returns the hashes an image stores (see
// container.HashStorer), nil when it stores none.
func StoredReferences(img io.ReaderAt) []Reference {
	h, ok := img.(container.HashStorer)
	if !ok {
		return nil
	}
	var refs []Reference
	for _, s := range h.StoredHashes() {
		refs = append(refs, Reference{Algorithm: s.Algorithm, Value: s.Value, Source: s.Source})
	}
	return refs
}
