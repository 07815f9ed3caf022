package ewf

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/triagekit/triage/triage/image/container"
)

// Stream passes the whole media to fn in order, one chunk at a time,
// decoding up to workers chunks in parallel (workers <= 0: one per CPU).
// A bad chunk is passed zero-filled with its error (a
// *container.RegionError wrapping the *ChunkError); the stream goes on.
// fn must not keep data after it returns. Stream bypasses the chunk cache
// and returns fn's first error or ctx.Err().
func (r *Reader) Stream(ctx context.Context, workers int, fn func(data []byte, bad *container.RegionError) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The stream decodes every chunk once, into buffers of its own: the
	// chunks cached for random reads (those of a file system's walk
	// before a scan's disk-order pass, up to cacheBytes) are let go. Later
	// random reads fill the cache again.
	r.cache.purge()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		ci   int64
		buf  []byte
		raw  []byte  // the chunk's bytes in its segment file, read ahead
		win  *window // holding raw
		err  *container.RegionError
		done chan struct{}
	}
	pool := sync.Pool{New: func() any { b := make([]byte, r.chunkSize+4); return &b }}
	// Bound the chunks in flight (each holds a buffer) to about 64 MiB.
	depth := int(max(int64(workers)*2, min(int64(workers)*8, (64<<20)/r.chunkSize)))
	work := make(chan *job, workers)
	order := make(chan *job, depth)
	var wg sync.WaitGroup
	wg.Add(1)
	// The segment files are hashed from the windows read (seghash.go).
	sh := newSegHasher(r)
	ahead := chunkAhead{tee: sh.in}
	produced := false
	go func() { // producer
		defer wg.Done()
		defer close(work)
		defer close(order)
		defer ahead.release()
		for ci := int64(0); ci < r.nchunks; ci++ {
			bp := pool.Get().(*[]byte)
			j := &job{ci: ci, buf: (*bp)[:r.chunkLen(ci)], done: make(chan struct{})}
			j.raw, j.win = ahead.span(r, ci)
			select {
			case order <- j:
			case <-ctx.Done():
				return
			}
			select {
			case work <- j:
			case <-ctx.Done():
				return
			}
		}
		produced = true
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() == nil {
					j.err = r.decode(j.ci, j.buf, j.raw)
				}
				j.raw = nil
				j.win.release()
				close(j.done)
			}
		}()
	}
	var err error
	for j := range order {
		select {
		case <-j.done:
		case <-ctx.Done():
		}
		if err == nil {
			if err = ctx.Err(); err == nil {
				err = fn(j.buf, j.err)
			}
			if err != nil {
				cancel()
			}
		}
		if err == nil { // after a cancel a worker may still hold the buffer
			b := j.buf[:cap(j.buf)]
			pool.Put(&b)
		}
	}
	wg.Wait()
	if err == nil {
		// The producer may have stopped on cancellation before the end.
		err = ctx.Err()
	}
	sh.finish(err == nil && produced)
	return err
}

// The chunks of a segment file follow each other: Stream reads them
// ahead, readAheadSize bytes at a time, instead of one read call each (a
// 32 KiB chunk a call: 16,000 calls for 500 MB).
// (A variable for the tests, which make windows small.)
var readAheadSize int64 = 4 << 20

// window is bytes of a segment file read ahead, shared by the chunks it
// holds; its buffer is reused once they are all decoded.
type window struct {
	seg  int
	off  int64
	b    []byte
	refs atomic.Int32
}

var windowPool sync.Pool

func (w *window) release() {
	if w != nil && w.refs.Add(-1) == 0 {
		b := w.b[:cap(w.b)]
		windowPool.Put(&b)
	}
}

// chunkAhead is the producer's current window. Each window read is also
// sent to tee, when not nil, holding a reference the receiver releases.
type chunkAhead struct {
	w   *window
	tee chan<- *window
}

// span returns the bytes chunk ci is decoded from, read ahead, and the
// window holding them (a reference the caller releases); nil when the
// chunk is read on its own (it is not where a chunk can be, a read
// failed: decode reads it again and reports it).
func (a *chunkAhead) span(r *Reader, ci int64) ([]byte, *window) {
	seg, off, n, ok := r.rawSpan(ci)
	if !ok || n > readAheadSize {
		return nil, nil
	}
	w := a.w
	if w == nil || w.seg != seg || off < w.off || off+n > w.off+int64(len(w.b)) {
		a.release()
		sf := r.segs[seg]
		size := min(readAheadSize, sf.Size-off)
		bp, _ := windowPool.Get().(*[]byte)
		if bp == nil || int64(cap(*bp)) < size {
			b := make([]byte, readAheadSize)
			bp = &b
		}
		b := (*bp)[:size]
		m, _ := sf.R.ReadAt(b, off)
		w = &window{seg: seg, off: off, b: b[:m]}
		w.refs.Store(1) // the producer's
		a.w = w
		if a.tee != nil && m > 0 {
			w.refs.Add(1)
			a.tee <- w
		}
		if int64(m) < n {
			return nil, nil
		}
	}
	w.refs.Add(1)
	return w.b[off-w.off : off-w.off+n], w
}

// release lets go of the producer's reference to its window.
func (a *chunkAhead) release() {
	if a.w != nil {
		a.w.release()
		a.w = nil
	}
}
