package ewf

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"sync"
)

// The segment files are hashed from the stream's own reads. A scan or a
// verification records the SHA-256 of every segment file beside the media
// digests, so that the files can be checked later; reading them again for
// that would read the evidence twice. The stream reads each segment file
// from start to end in windows (chunkAhead): a segHasher takes the
// windows as they are read, hashes what of each continues its segment,
// and reads itself only what the windows leave out (the section headers
// and tables between runs of chunks, a chunk read on its own, what
// follows the last chunk). When the stream reaches the end, the digests
// cover every byte of every segment file (SegmentSHA256); when it stops
// before, or a read fails, there are none and the files are read again.

// segHasher hashes the segment files from the windows the stream reads.
type segHasher struct {
	r    *Reader
	in   chan *window
	done chan struct{}
	h    []hash.Hash
	pos  []int64 // bytes of each segment hashed so far
	err  error
	buf  []byte // for the bytes the windows leave out
}

// segHashQueue is how many windows (of readAheadSize) wait for the hasher
// at most: the stream's reads wait beyond it.
const segHashQueue = 4

func newSegHasher(r *Reader) *segHasher {
	s := &segHasher{r: r, in: make(chan *window, segHashQueue), done: make(chan struct{}),
		h: make([]hash.Hash, len(r.segs)), pos: make([]int64, len(r.segs))}
	for i := range s.h {
		s.h[i] = sha256.New()
	}
	go s.run()
	return s
}

func (s *segHasher) run() {
	defer close(s.done)
	for w := range s.in {
		if s.err == nil {
			s.err = s.add(w.seg, w.off, w.b)
		}
		w.release()
	}
}

// add hashes the bytes b at off of segment seg: first those between what
// is hashed and off, read from the file, then what of b is past them.
func (s *segHasher) add(seg int, off int64, b []byte) error {
	if err := s.fill(seg, off); err != nil {
		return err
	}
	if end := off + int64(len(b)); end > s.pos[seg] {
		s.h[seg].Write(b[s.pos[seg]-off:])
		s.pos[seg] = end
	}
	return nil
}

// fill hashes segment seg up to to (at most its size), reading the bytes
// from the file.
func (s *segHasher) fill(seg int, to int64) error {
	sf := s.r.segs[seg]
	to = min(to, sf.Size)
	for s.pos[seg] < to {
		if s.buf == nil {
			s.buf = make([]byte, 1<<20)
		}
		b := s.buf[:min(int64(len(s.buf)), to-s.pos[seg])]
		n, err := sf.R.ReadAt(b, s.pos[seg])
		if n < len(b) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("ewf: %s: hashing the segment file at offset %#x: %w", sf.Name, s.pos[seg]+int64(n), err)
		}
		s.h[seg].Write(b)
		s.pos[seg] += int64(n)
	}
	return nil
}

// finish waits for the windows sent, and when the stream went to its end
// (complete), hashes the rest of every segment and keeps the digests on
// the reader.
func (s *segHasher) finish(complete bool) {
	close(s.in)
	<-s.done
	if !complete || s.err != nil {
		return
	}
	sums := make([][sha256.Size]byte, len(s.h))
	for i, h := range s.h {
		if err := s.fill(i, s.r.segs[i].Size); err != nil {
			return
		}
		h.Sum(sums[i][:0])
	}
	s.r.segSums.Lock()
	s.r.segSums.v = sums
	s.r.segSums.Unlock()
}

// segSums holds the digests of the segment files of the last stream that
// went to its end.
type segSums struct {
	sync.Mutex
	v [][sha256.Size]byte
}

// SegmentSHA256 returns the SHA-256 of each segment file (in the order of
// SegmentFiles), computed from the reads of the last Stream that went to
// the end of the media, or nil when none did.
func (r *Reader) SegmentSHA256() [][sha256.Size]byte {
	r.segSums.Lock()
	defer r.segSums.Unlock()
	return r.segSums.v
}
