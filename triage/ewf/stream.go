package ewf

import (
	"context"
	"runtime"
	"sync"

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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		ci   int64
		buf  []byte
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
	go func() { // producer
		defer wg.Done()
		defer close(work)
		defer close(order)
		for ci := int64(0); ci < r.nchunks; ci++ {
			bp := pool.Get().(*[]byte)
			j := &job{ci: ci, buf: (*bp)[:r.chunkLen(ci)], done: make(chan struct{})}
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
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				if ctx.Err() == nil {
					j.err = r.decode(j.ci, j.buf)
				}
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
	return err
}
