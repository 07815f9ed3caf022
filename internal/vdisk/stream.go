package vdisk

import (
	"context"
	"errors"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"

	"github.com/triagekit/triage/triage/image/container"
)

// StreamChunk is how many media bytes one worker of Stream reads at once.
const StreamChunk = 4 << 20

// maxStreamWorkers bounds the pieces in memory (about three per worker).
const maxStreamWorkers = 16

// streamWorkers is the number of workers a stream runs for workers asked:
// one per CPU for 0, at most maxStreamWorkers.
func streamWorkers(workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return min(workers, maxStreamWorkers)
}

// StreamDisk is Stream over the media of d that also hashes the files of
// d from the stream's reads (see File), into sums when the stream goes to
// its end.
func StreamDisk(ctx context.Context, d Disk, workers int, sums *FileDigests, fn func(data []byte, bad *container.RegionError) error) error {
	workers = streamWorkers(workers)
	// The reads of the workers come at most about one piece each out of
	// order; two pieces more leave room for the metadata between them.
	end := hashFiles(d.OpenFiles(), int64(workers+2)*StreamChunk, sums)
	err := Stream(ctx, d, d.Size(), workers, fn)
	end(err == nil)
	return err
}

// Stream delivers the media of r (size bytes) to fn in order, in pieces of
// StreamChunk, read by workers goroutines at once (0: one per CPU), so
// that compressed grains and clusters are decoded in parallel: the body of
// a container.Streamer over a concurrent-safe ReadAt. A piece whose read
// returns a *container.RegionError is passed zero-filled where unreadable,
// with that error; any other read error stops the stream.
func Stream(ctx context.Context, r io.ReaderAt, size int64, workers int, fn func(data []byte, bad *container.RegionError) error) error {
	workers = streamWorkers(workers)
	type piece struct {
		data []byte
		bad  *container.RegionError
		err  error
		done chan struct{}
	}
	free := make(chan []byte, 3*workers) // buffers fn is done with
	g, ctx := errgroup.WithContext(ctx)
	order := make(chan *piece, workers)
	jobs := make(chan struct {
		off int64
		p   *piece
	}, workers)
	g.Go(func() error {
		defer close(order)
		defer close(jobs)
		for off := int64(0); off < size; off += StreamChunk {
			n := min(StreamChunk, size-off)
			var buf []byte
			select {
			case buf = <-free:
			default:
				buf = make([]byte, StreamChunk)
			}
			p := &piece{data: buf[:n], done: make(chan struct{})}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case jobs <- struct {
				off int64
				p   *piece
			}{off, p}:
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case order <- p:
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			for j := range jobs {
				n, err := r.ReadAt(j.p.data, j.off)
				if err != nil && !(errors.Is(err, io.EOF) && n == len(j.p.data)) {
					var re *container.RegionError
					if errors.As(err, &re) {
						j.p.bad = re
					} else {
						j.p.err = err
					}
				}
				close(j.p.done)
			}
			return nil
		})
	}
	g.Go(func() error {
		for p := range order {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-p.done:
			}
			if p.err != nil {
				return p.err
			}
			if err := fn(p.data, p.bad); err != nil {
				return err
			}
			select {
			case free <- p.data[:cap(p.data)]:
			default:
			}
		}
		return nil
	})
	return g.Wait()
}
