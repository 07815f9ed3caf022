package vdisk

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"
)

// The files of a virtual disk are hashed from the reads of its stream. A
// scan or a verification records the SHA-256 of every file of the disk
// beside the media digests; reading the files again for that would read
// the evidence twice. While a Stream runs, every read of a file (File)
// is shown to the file's hasher, which hashes what continues the file
// from the last byte it hashed, and keeps a copy of the reads ahead of it
// (the stream's workers read in parallel, so their reads come slightly
// out of order) up to a bound. It reads itself only what the reads leave
// out: the small gaps between data blocks (a block's bitmap, a grain's
// marker) at once, a larger gap (the metadata before the first block)
// when the reads kept past it pass the bound. A read kept far ahead that
// begins no run of reads (another reader's, blocks stored out of the
// media's order) is dropped when the bound is passed. The hashers of a
// disk's files keep at most twice the bound together: past it, the files
// the stream is not reading have their kept reads hashed, gaps read. When
// the stream went to its end, the hasher reads what is left of the file and the
// digests cover every byte (FileDigests); when it stopped before, or a
// read of the hasher failed, there are none and the files are read again
// by whoever needs them. Every byte is hashed once, in order, from a read
// of the file; in the worst case (blocks in no order) the files are read
// twice, as they were before.

// File is an opened file of a virtual disk (the disk, an extent, a
// parent): an io.ReaderAt whose reads a stream's hasher sees.
type File struct {
	f    *os.File
	path string
	size int64
	tap  atomic.Pointer[fileHasher]
}

// ReadAt reads the file, and shows the bytes read to the hasher of the
// stream running, if any.
func (f *File) ReadAt(p []byte, off int64) (int, error) {
	n, err := f.f.ReadAt(p, off)
	if n > 0 {
		if h := f.tap.Load(); h != nil {
			h.observe(off, p[:n])
		}
	}
	return n, err
}

// Close closes the file.
func (f *File) Close() error { return f.f.Close() }

// FileDigests holds the SHA-256 of a disk's files computed from the reads
// of its last Stream that went to the end of the media. The readers embed
// it: its SegmentSHA256 is what a scan records for the files.
type FileDigests struct {
	mu     sync.Mutex
	sums   [][sha256.Size]byte
	filled int64
}

// SegmentSHA256 returns the SHA-256 of each file of the disk (in the
// order of Files), or nil when no stream went to the end.
func (d *FileDigests) SegmentSHA256() [][sha256.Size]byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.sums
}

// SelfRead returns how many bytes the hashers of the last stream that
// went to the end read themselves, beyond the stream's reads.
func (d *FileDigests) SelfRead() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.filled
}

// fileHasher hashes one file from the reads shown to it.
type fileHasher struct {
	mu      sync.Mutex
	f       *File
	h       hash.Hash
	pos     int64      // bytes hashed
	ahead   []piece    // reads past pos kept, by offset
	kept    int64      // bytes in ahead
	bound   int64      // the most bytes kept ahead
	all     *keptBytes // the bytes kept by all the stream's hashers
	filled  int64      // bytes read by the hasher itself
	err     error
	buf     []byte
	stopped bool
}

// keptBytes counts the bytes kept by all the hashers of a stream, so that
// a disk of many files (a VMDK split in extent files, each with a little
// data after its grain tables) does not keep up to the bound in each.
type keptBytes struct {
	n  atomic.Int64
	hs []*fileHasher
}

// piece is a copy of a read kept ahead of the hashed bytes.
type piece struct {
	off int64
	b   []byte
}

// smallGap is the largest run of bytes between what is hashed and the
// next read that the hasher reads at once itself (a block's bitmap, a
// grain's marker), without waiting for a stream read to cover it.
const smallGap = 64 << 10

func newFileHasher(f *File, bound int64, all *keptBytes) *fileHasher {
	return &fileHasher{f: f, h: sha256.New(), bound: bound, all: all}
}

// observe takes the bytes b read at off. When the hashers of the stream
// keep more than twice the bound together, the other files' hashers take
// what they keep, reading the gaps before it: a file whose reads stopped
// (the stream went on to the next extent) holds its copies no longer.
func (h *fileHasher) observe(off int64, b []byte) {
	h.take(off, b)
	if h.all.n.Load() <= 2*h.bound {
		return
	}
	for _, o := range h.all.hs {
		if o != h {
			o.mu.Lock()
			if !o.stopped {
				o.drain(true)
			}
			o.mu.Unlock()
		}
	}
}

// take hashes or keeps the bytes b read at off.
func (h *fileHasher) take(off int64, b []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.err != nil || h.stopped {
		return
	}
	end := off + int64(len(b))
	switch {
	case end <= h.pos:
		return // hashed already
	case off <= h.pos:
		h.h.Write(b[h.pos-off:])
		h.pos = end
	case off-h.pos <= smallGap:
		// The stream going on after a small gap.
		if h.fill(off) != nil {
			return
		}
		h.h.Write(b)
		h.pos = end
	default:
		i, _ := slices.BinarySearchFunc(h.ahead, off, func(p piece, off int64) int {
			switch {
			case p.off < off:
				return -1
			case p.off > off:
				return 1
			}
			return 0
		})
		h.ahead = slices.Insert(h.ahead, i, piece{off: off, b: slices.Clone(b)})
		h.kept += int64(len(b))
		h.all.n.Add(int64(len(b)))
	}
	h.drain(false)
}

// drain hashes the kept reads that continue the hashed bytes, reading the
// small gaps before a run of them. While more than the bound is kept, it
// also reads the gap before the first kept read when the kept reads begin
// a run of the stream there (a metadata region larger than the bound lies
// before the data), and drops a first read far ahead that begins none
// (another reader's: it is read again at the end). With force, it reads
// every gap.
func (h *fileHasher) drain(force bool) {
	for len(h.ahead) > 0 && h.err == nil {
		p := h.ahead[0]
		if gap := p.off - h.pos; gap > 0 && !force {
			switch {
			case gap <= smallGap && h.run(smallGap) >= smallGap:
				// A run of the stream's reads after a small gap.
			case h.kept <= h.bound:
				return
			case gap > h.bound && h.run(h.bound/2) < h.bound/2:
				h.drop()
				continue
			}
		}
		if h.fill(p.off) != nil {
			return
		}
		if end := p.off + int64(len(p.b)); end > h.pos {
			h.h.Write(p.b[h.pos-p.off:])
			h.pos = end
		}
		h.drop()
	}
}

// drop lets the first kept read go.
func (h *fileHasher) drop() {
	h.kept -= int64(len(h.ahead[0].b))
	h.all.n.Add(-int64(len(h.ahead[0].b)))
	h.ahead[0] = piece{}
	h.ahead = h.ahead[1:]
}

// run returns the bytes of the kept reads from the first on that follow
// each other with no gap larger than smallGap, counted up to limit.
func (h *fileHasher) run(limit int64) int64 {
	var n int64
	end := h.ahead[0].off
	for _, p := range h.ahead {
		if p.off-end > smallGap || n >= limit {
			break
		}
		n += int64(len(p.b))
		end = max(end, p.off+int64(len(p.b)))
	}
	return n
}

// fill hashes the file up to to (at most its size), reading the bytes
// itself.
func (h *fileHasher) fill(to int64) error {
	to = min(to, h.f.size)
	for h.pos < to {
		if h.buf == nil {
			h.buf = make([]byte, 1<<20)
		}
		b := h.buf[:min(int64(len(h.buf)), to-h.pos)]
		n, err := h.f.f.ReadAt(b, h.pos)
		h.h.Write(b[:n])
		h.pos += int64(n)
		h.filled += int64(n)
		if n < len(b) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			h.err = fmt.Errorf("%s: hashing the file at offset %#x: %w", h.f.path, h.pos, err)
			return h.err
		}
	}
	return nil
}

// finish hashes the rest of the file and returns its digest; ok false
// when a read failed.
func (h *fileHasher) finish() (sum [sha256.Size]byte, filled int64, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	h.drain(true)
	if h.err != nil || h.fill(h.f.size) != nil {
		return sum, 0, false
	}
	h.h.Sum(sum[:0])
	return sum, h.filled, true
}

// hashFiles shows the reads of files to hashers while a stream runs: it
// returns a function to call when the stream ends, which stores the
// digests in d when the stream went to its end (complete). It hashes
// nothing when a file of the list is not held open (nil) or is already
// seen by another stream.
func hashFiles(files []*File, bound int64, d *FileDigests) (end func(complete bool)) {
	hs := make([]*fileHasher, len(files))
	all := &keptBytes{}
	for i, f := range files {
		if f == nil {
			hs = nil
			break
		}
		hs[i] = newFileHasher(f, bound, all)
	}
	all.hs = hs
	var taken []*fileHasher
	for i, h := range hs {
		if !files[i].tap.CompareAndSwap(nil, h) {
			hs = nil
			break
		}
		taken = append(taken, h)
	}
	return func(complete bool) {
		for _, h := range taken {
			h.f.tap.CompareAndSwap(h, nil)
		}
		if !complete || hs == nil || d == nil {
			return
		}
		sums := make([][sha256.Size]byte, len(hs))
		var filled int64
		for i, h := range hs {
			s, n, ok := h.finish()
			if !ok {
				return
			}
			sums[i], filled = s, filled+n
		}
		d.mu.Lock()
		d.sums, d.filled = sums, filled
		d.mu.Unlock()
	}
}
