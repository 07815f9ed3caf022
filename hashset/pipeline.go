package hashset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// blockSize is the unit of parallel parsing of text sources.
const blockSize = 4 << 20

// maxLine bounds one line of a text source.
const maxLine = 1 << 20

// sourceStats accumulates what one source gave.
type sourceStats struct {
	records, malformed int64
	problems           []Problem
}

func (s *sourceStats) merge(b *batch) {
	s.records += b.records
	s.malformed += b.malformed
	if len(b.problems) > 0 {
		s.problems = sortProblems(append(s.problems, b.problems...), maxProblems)
	}
}

// consumer receives parsed batches; it is called from one goroutine.
type consumer func(b *batch) error

// parseText parses a line-oriented source in parallel: one reader splits r
// into blocks at line boundaries and hashes them; workers parse blocks;
// results go to emit in no particular order. head is the start of the file
// (already read from r is nothing: r starts at offset 0).
func parseText(ctx context.Context, r io.Reader, name string, f *textFormat, workers int, sum hash.Hash, emit consumer) (*sourceStats, error) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	type block struct {
		data  []byte
		line0 int64 // number of the first line
		buf   *[]byte
	}
	bufPool := sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
	batchPool := sync.Pool{New: func() any { return &batch{} }}

	// the head: set up the format from its first lines
	headBuf := make([]byte, 64<<10)
	n, err := io.ReadFull(r, headBuf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, fmt.Errorf("cannot read %s: %w", name, err)
	}
	headBuf = headBuf[:n]
	sum.Write(headBuf)
	lines := splitLines(headBuf, 256)
	if n == len(headBuf) && len(lines) > 1 {
		lines = lines[:len(lines)-1]
	}
	parseLine, skip, err := f.setup(lines)
	if err != nil {
		return nil, err
	}
	// drop the header lines
	rest := headBuf
	for i := 0; i < skip; i++ {
		j := bytes.IndexByte(rest, '\n')
		if j < 0 {
			rest = nil
			break
		}
		rest = rest[j+1:]
	}

	g, ctx := errgroup.WithContext(ctx)
	blocks := make(chan block, workers)
	results := make(chan *batch, workers)
	g.Go(func() error {
		defer close(blocks)
		line := int64(skip + 1)
		carry := append([]byte(nil), rest...)
		eof := false
		for !eof {
			bp := bufPool.Get().(*[]byte)
			buf := append((*bp)[:0], carry...)
			for len(buf) < blockSize && !eof {
				if len(buf) == cap(buf) {
					buf = slices.Grow(buf, min(cap(buf), blockSize))
				}
				m, err := r.Read(buf[len(buf):min(cap(buf), blockSize)])
				sum.Write(buf[len(buf) : len(buf)+m])
				buf = buf[:len(buf)+m]
				if err == io.EOF {
					eof = true
				} else if err != nil {
					return fmt.Errorf("cannot read %s: %w", name, err)
				}
			}
			cut := len(buf)
			if !eof {
				i := bytes.LastIndexByte(buf, '\n')
				if i < 0 {
					// a line longer than a block: read on up to maxLine
					for i < 0 && len(buf) < blockSize+maxLine && !eof {
						if len(buf) == cap(buf) {
							buf = slices.Grow(buf, len(buf))
						}
						m, err := r.Read(buf[len(buf):min(cap(buf), blockSize+maxLine)])
						sum.Write(buf[len(buf) : len(buf)+m])
						old := len(buf)
						buf = buf[:len(buf)+m]
						if err == io.EOF {
							eof = true
						} else if err != nil {
							return fmt.Errorf("cannot read %s: %w", name, err)
						}
						if j := bytes.IndexByte(buf[old:], '\n'); j >= 0 {
							i = old + j
						}
					}
					if i < 0 && !eof {
						return fmt.Errorf("%s: line %d is longer than %d bytes", name, line, maxLine)
					}
				}
				if i >= 0 {
					cut = i + 1
				}
			}
			carry = append(carry[:0], buf[cut:]...)
			data := buf[:cut]
			select {
			case blocks <- block{data: data, line0: line, buf: bp}:
			case <-ctx.Done():
				return ctx.Err()
			}
			line += int64(bytes.Count(data, []byte{'\n'}))
		}
		return nil
	})
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		g.Go(func() error {
			defer wg.Done()
			for bl := range blocks {
				b := batchPool.Get().(*batch)
				b.reset()
				parseBlock(bl.data, bl.line0, name, parseLine, b)
				*bl.buf = bl.data[:0]
				bufPool.Put(bl.buf)
				select {
				case results <- b:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}
	go func() { wg.Wait(); close(results) }()
	st := &sourceStats{}
	var emitErr error
	for b := range results {
		if emitErr == nil {
			st.merge(b)
			emitErr = emit(b)
		}
		batchPool.Put(b)
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if emitErr != nil {
		return nil, emitErr
	}
	return st, nil
}

// parseBlock parses the lines of data; line0 is the number of its first.
func parseBlock(data []byte, line0 int64, name string, parseLine lineParser, b *batch) {
	var saved [numAlgorithms]int
	line := line0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if len(l) > 0 && l[len(l)-1] == '\r' {
			l = l[:len(l)-1]
		}
		for a := range saved {
			saved[a] = len(b.d[a])
		}
		err := parseLine(l, b)
		switch {
		case err == nil:
			b.records++
		case errors.Is(err, errSkip):
		default:
			for a := range saved {
				b.d[a] = b.d[a][:saved[a]]
			}
			b.problem(name, "line", line, err)
		}
		line++
	}
}

// newSum returns the hash of a source file.
func newSum() hash.Hash { return sha256.New() }
