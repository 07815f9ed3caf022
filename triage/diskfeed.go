package triage

import (
	"errors"
	"io"
	"slices"
	"sync"

	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/volume"
)

// The walk feeds the disk-order pass. The walk of a file system reads its
// metadata, and on NTFS the $MFT lies near the start of the volume and is
// read from start to end: the pass would read those bytes again. So the
// image's reads during the walk go through a mediaTee, which keeps a copy of
// the bytes read at the pass's offset, one pass block (diskBlock) at a time.
// When a block is whole, the walk hands it to the pass (drain, at its next
// entry) as if the pass had read it: the media hash, and the contents
// collected so far that it holds. A content the walk collects after the
// pass went past its first bytes is read on its own, as in a resumed pass.
//
// What the pass sends to the writer from those blocks (records,
// checkpoints) waits until the walk is over (walkFeed.later): the records
// are written in the same order, and the seal is the same, as when the
// pass reads every block itself after the walk.
//
// An image with an ordered stream (container.Streamer: E01, virtual disks)
// is not fed so: its stream starts at offset 0, decoding in parallel.

// walkFeed is the part of the disk-order pass fed by the walk.
type walkFeed struct {
	tee *mediaTee // nil: the walk does not feed the pass
	// walking is set until the walk is over: the pieces are a heap
	// (ordered by cmpPiece) the blocks the walk reads take from, and
	// what the pass sends to the writer waits in later.
	walking bool
	later   []func() error
}

// walkFeeds can turn the feeding off (for tests that compare both ways).
var walkFeeds = true

// feedFrom makes the walk of src feed the pass, when src is an image
// without an ordered stream.
func (p *diskPass) feedFrom(src Source) {
	is, ok := src.(*imageSource)
	if !walkFeeds || !ok || p.off >= p.size {
		return
	}
	if _, ok := p.img.(container.Streamer); ok {
		return
	}
	p.tee = &mediaTee{r: is.img, size: p.size, buf: make([]byte, 0, diskBlock)}
	p.tee.restart(p.off)
	p.walking = true
	is.read = p.tee
}

// drain hands the pass the block the walk has read whole, if any (p may
// be nil: no pass).
func (p *diskPass) drain(v *visitor) error {
	if p == nil || !p.walking {
		return nil
	}
	b := p.tee.whole(p.off)
	if b == nil {
		return nil
	}
	p.stat.fromWalk += int64(len(b))
	err := p.block(v.ctx, v, b, nil, nil)
	p.tee.restart(p.off)
	return err
}

// endWalk ends the feeding by the walk: the last whole block goes to the
// pass, then what the pass sent meanwhile goes to the writer, in order.
func (p *diskPass) endWalk(v *visitor) error {
	if !p.walking {
		return nil
	}
	err := p.drain(v)
	p.walking = false
	p.tee.stop()
	if err != nil {
		return err
	}
	later := p.later
	p.later = nil
	for _, f := range later {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// emit runs f, which sends what the pass made to the writer, or keeps it
// for the end of the walk.
func (p *diskPass) emit(f func() error) error {
	if p.walking {
		p.later = append(p.later, f)
		return nil
	}
	return f()
}

// cmpPiece orders the pieces by media offset, then content and extent.
func cmpPiece(a, b dpiece) int {
	switch {
	case a.off != b.off:
		return cmpInt64(a.off, b.off)
	case a.file != b.file:
		return int(a.file - b.file)
	}
	return int(a.ext - b.ext)
}

// addPiece collects a piece: pushed on the heap during the walk, appended
// (to be sorted) otherwise.
func (p *diskPass) addPiece(d dpiece) {
	p.pieces = append(p.pieces, d)
	if !p.walking {
		return
	}
	h := p.pieces
	for i := len(h) - 1; i > 0; {
		up := (i - 1) / 2
		if cmpPiece(h[i], h[up]) >= 0 {
			break
		}
		h[i], h[up] = h[up], h[i]
		i = up
	}
}

// nextPiece returns the next piece (in cmpPiece order) that starts before
// end, and removes it.
func (p *diskPass) nextPiece(end int64) (dpiece, bool) {
	if !p.walking {
		if p.next < len(p.pieces) && p.pieces[p.next].off < end {
			p.next++
			return p.pieces[p.next-1], true
		}
		return dpiece{}, false
	}
	h := p.pieces
	if len(h) == 0 || h[0].off >= end {
		return dpiece{}, false
	}
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	for i := 0; ; {
		c := 2*i + 1
		if c >= len(h) {
			break
		}
		if c+1 < len(h) && cmpPiece(h[c+1], h[c]) < 0 {
			c++
		}
		if cmpPiece(h[c], h[i]) >= 0 {
			break
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
	p.pieces = h
	return top, true
}

// mediaTee is an io.ReaderAt over the image that keeps a copy of what is
// read at the pass's offset, up to a whole pass block: the bytes of the
// block from its start that reads have given so far. A read that starts
// past those bytes is joined to them when the bytes between are known not
// to hold a content the walk has yet to collect (see join): read before
// (a reader with a cache does not read them again: the pages of the $MFT
// go-ntfs read early, to place the first entries), or outside every
// volume (the gap before the first partition). It is safe for concurrent
// use, as the image is.
type mediaTee struct {
	r    io.ReaderAt
	size int64
	mu   sync.Mutex
	at   int64  // the media offset of the block
	want int    // its length (0: nothing more to keep)
	buf  []byte // its bytes read so far
	busy bool   // handed to the pass: nothing is kept meanwhile
	// known are the ranges read before or outside every volume, from
	// the block's bytes on: sorted, apart, at most teeKnownMax.
	known []teeRange
}

type teeRange struct{ lo, hi int64 }

// Bounds of the tee: teeGapMax is the most bytes it reads itself to join
// a read to the block's bytes (the pass would read them anyway), teeKnownMax
// the most ranges it remembers.
const (
	teeGapMax   = 1 << 20
	teeKnownMax = 4096
)

// ReadAt reads from the image and keeps what continues the block.
func (t *mediaTee) ReadAt(b []byte, off int64) (int, error) {
	n, err := t.r.ReadAt(b, off)
	if n > 0 && (err == nil || errors.Is(err, io.EOF)) && !isRegionError(err) {
		t.keep(b[:n], off)
	}
	return n, err
}

func isRegionError(err error) bool {
	var re *container.RegionError
	return errors.As(err, &re)
}

// keep copies what of b (the bytes at off) continues the block, joining
// it to the block's bytes first when it can.
func (t *mediaTee) keep(b []byte, off int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	end := off + int64(len(b))
	t.add(off, end)
	if t.busy || len(t.buf) >= t.want {
		return
	}
	if cur := t.at + int64(len(t.buf)); off > cur && !t.join(off) {
		return
	}
	cur := t.at + int64(len(t.buf))
	if off > cur || end <= cur {
		return
	}
	k := min(int64(t.want-len(t.buf)), end-cur)
	t.buf = append(t.buf, b[cur-off:cur-off+k]...)
}

// join reads the bytes from the block's bytes up to off (or the block's
// end) when they are at most teeGapMax and all known; false when it does
// not.
func (t *mediaTee) join(off int64) bool {
	cur := t.at + int64(len(t.buf))
	hi := min(off, t.at+int64(t.want))
	if off-cur > teeGapMax || !t.covered(cur, hi) {
		return false
	}
	n := int(hi - cur)
	gap := t.buf[len(t.buf) : len(t.buf)+n]
	if m, err := t.r.ReadAt(gap, cur); m < n || (err != nil && !errors.Is(err, io.EOF)) || isRegionError(err) {
		return false
	}
	t.buf = t.buf[:len(t.buf)+n]
	return true
}

// add records [lo, hi) as known.
func (t *mediaTee) add(lo, hi int64) {
	lo = max(lo, t.at+int64(len(t.buf)))
	if lo >= hi {
		return
	}
	// the first range that ends at or after lo, and the first that
	// starts after hi: those between merge with [lo, hi)
	i, _ := slices.BinarySearchFunc(t.known, lo, func(r teeRange, v int64) int { return cmpInt64(r.hi, v) })
	j, _ := slices.BinarySearchFunc(t.known, hi+1, func(r teeRange, v int64) int { return cmpInt64(r.lo, v) })
	if i < j {
		lo, hi = min(lo, t.known[i].lo), max(hi, t.known[j-1].hi)
		t.known[i] = teeRange{lo, hi}
		t.known = slices.Delete(t.known, i+1, j)
		return
	}
	if len(t.known) >= teeKnownMax {
		return
	}
	t.known = slices.Insert(t.known, i, teeRange{lo, hi})
}

// covered tells whether [lo, hi) is known.
func (t *mediaTee) covered(lo, hi int64) bool {
	if lo >= hi {
		return true
	}
	i, _ := slices.BinarySearchFunc(t.known, lo+1, func(r teeRange, v int64) int { return cmpInt64(r.hi, v) })
	return i < len(t.known) && t.known[i].lo <= lo && t.known[i].hi >= hi
}

// free records ranges that no volume holds (outside every partition).
func (t *mediaTee) free(r []teeRange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, x := range r {
		t.add(x.lo, x.hi)
	}
}

// whole returns the block at off when reads have given all of it, and
// keeps nothing more until restart.
func (t *mediaTee) whole(off int64) []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.busy || t.at != off || t.want == 0 || len(t.buf) < t.want {
		return nil
	}
	t.busy = true
	return t.buf
}

// restart begins a new block at off; what is known before it is let go.
func (t *mediaTee) restart(off int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.at, t.buf, t.busy = off, t.buf[:0], false
	t.want = int(min(int64(diskBlock), max(t.size-off, 0)))
	i := 0
	for i < len(t.known) && t.known[i].hi <= off {
		i++
	}
	t.known = slices.Delete(t.known, 0, i)
}

// stop keeps nothing more and lets the block's memory go.
func (t *mediaTee) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf, t.want, t.busy, t.known = nil, 0, true, nil
}

// freeRanges returns the ranges of a media of size bytes that no partition
// of t holds.
func freeRanges(t *volume.Table, size int64) []teeRange {
	used := make([]teeRange, 0, len(t.Partitions))
	for _, p := range t.Partitions {
		lo, hi := max(p.Offset, 0), min(p.Offset+max(p.Length, 0), size)
		if lo < hi {
			used = append(used, teeRange{lo, hi})
		}
	}
	slices.SortFunc(used, func(a, b teeRange) int { return cmpInt64(a.lo, b.lo) })
	var out []teeRange
	at := int64(0)
	for _, u := range used {
		if u.lo > at {
			out = append(out, teeRange{at, u.lo})
		}
		at = max(at, u.hi)
	}
	if at < size {
		out = append(out, teeRange{at, size})
	}
	return out
}
