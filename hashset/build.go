package hashset

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"math/bits"
	"os"
	"path/filepath"
)

// defaultRunBytes is the in-memory run size per algorithm: digests beyond
// it are sorted and spilled to a temporary file.
const defaultRunBytes = 32 << 20

// builder collects digests, sorts them in bounded runs and writes an index.
type builder struct {
	tmpDir   string
	runBytes int
	buf      [numAlgorithms][]byte
	runs     [numAlgorithms][]run
	scratch  []byte
	frees    []func()
}

// alloc returns a run-sized buffer released by cleanup.
func (b *builder) alloc(n int) []byte {
	m, free := allocRun(n)
	b.frees = append(b.frees, free)
	return m
}

type run struct {
	path string
	n    int64
}

func newBuilder(tmpDir string, runBytes int) *builder {
	if runBytes <= 0 {
		runBytes = defaultRunBytes
	}
	return &builder{tmpDir: tmpDir, runBytes: runBytes}
}

// add appends concatenated digests of algorithm a.
func (b *builder) add(a Algorithm, ds []byte) error {
	size := a.Size()
	for len(ds) > 0 {
		if b.buf[a] == nil {
			b.buf[a] = b.alloc(b.runBytes / size * size)[:0]
		}
		room := cap(b.buf[a]) - len(b.buf[a])
		n := min(room, len(ds))
		b.buf[a] = append(b.buf[a], ds[:n]...)
		ds = ds[n:]
		if len(b.buf[a]) == cap(b.buf[a]) {
			if err := b.spill(a); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *builder) sortBuf(a Algorithm) []byte {
	size := a.Size()
	if len(b.scratch) < len(b.buf[a]) {
		b.scratch = b.alloc(max(b.runBytes, len(b.buf[a])))
	}
	sortRecords(b.buf[a], b.scratch, size)
	return dedupe(b.buf[a], size)
}

// spill sorts the run of a and writes it to a temporary file.
func (b *builder) spill(a Algorithm) error {
	d := b.sortBuf(a)
	f, err := os.CreateTemp(b.tmpDir, "run-"+a.String()+"-*")
	if err != nil {
		return fmt.Errorf("cannot create a temporary sort file: %w", err)
	}
	if _, err := f.Write(d); err != nil {
		f.Close()
		return fmt.Errorf("cannot write a temporary sort file: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	b.runs[a] = append(b.runs[a], run{f.Name(), int64(len(d) / a.Size())})
	b.buf[a] = b.buf[a][:0]
	return nil
}

// cleanup removes the run files and releases the run buffers.
func (b *builder) cleanup() {
	for a := range b.buf {
		b.buf[a] = nil
	}
	b.scratch = nil
	for _, f := range b.frees {
		f()
	}
	b.frees = nil
	for a := range b.runs {
		for _, r := range b.runs[a] {
			os.Remove(r.path)
		}
		b.runs[a] = nil
	}
}

// prefixBitsFor chooses a prefix table of about one bucket per 8 digests.
func prefixBitsFor(n int64) int {
	if n < 16 {
		return 0
	}
	b := bits.Len64(uint64(n)) - 1 - 3
	return min(max(b, 0), maxPrefixBits)
}

// countingWriter tracks the offset of a sequential write and hashes it.
type countingWriter struct {
	w   *bufio.Writer
	off int64
	h   hash.Hash
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.off += int64(n)
	if c.h != nil {
		c.h.Write(p[:n])
	}
	return n, err
}

// write writes the index to w, which starts empty: a zero preamble, the
// sections, the header. It returns the preamble to store at offset 0.
func (b *builder) write(ctx context.Context, w io.Writer, h *Header) ([]byte, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	if _, err := cw.Write(make([]byte, preambleSize)); err != nil {
		return nil, err
	}
	h.FormatVersion = formatVersion
	h.Counts = map[string]int64{}
	h.Sections = nil
	for _, a := range Algorithms {
		h.Counts[a.String()] = 0
		var upper int64
		for _, r := range b.runs[a] {
			upper += r.n
		}
		mem := b.sortBuf(a)
		upper += int64(len(mem) / a.Size())
		if upper == 0 {
			continue
		}
		sc := Section{Algorithm: a.String(), DigestSize: a.Size(), DataOffset: cw.off, PrefixBits: prefixBitsFor(upper)}
		cw.h = sha256.New()
		table := make([]uint32, 1<<sc.PrefixBits+1)
		var n int64
		shift := 32 - uint(sc.PrefixBits)
		emit := func(d []byte) error {
			if sc.PrefixBits > 0 {
				table[binary.BigEndian.Uint32(d)>>shift+1]++
			} else {
				table[1]++
			}
			n++
			_, err := cw.Write(d)
			return err
		}
		if err := b.merge(ctx, a, mem, emit); err != nil {
			return nil, err
		}
		if n > 1<<32-1 {
			return nil, fmt.Errorf("%d %s digests exceed the index limit of 2^32-1", n, a)
		}
		for i := 1; i < len(table); i++ {
			table[i] += table[i-1]
		}
		sc.Count = n
		sc.PrefixOffset = cw.off
		tb := make([]byte, 4*len(table))
		for i, v := range table {
			binary.LittleEndian.PutUint32(tb[4*i:], v)
		}
		if _, err := cw.Write(tb); err != nil {
			return nil, err
		}
		sc.SHA256 = hex.EncodeToString(cw.h.Sum(nil))
		cw.h = nil
		h.Counts[a.String()] = n
		h.Sections = append(h.Sections, sc)
	}
	js, err := json.Marshal(h)
	if err != nil {
		return nil, err
	}
	hoff := cw.off
	pre := make([]byte, preambleSize)
	copy(pre, magic)
	binary.LittleEndian.PutUint32(pre[8:], formatVersion)
	binary.LittleEndian.PutUint64(pre[16:], uint64(hoff+int64(len(js))+sha256.Size))
	binary.LittleEndian.PutUint64(pre[24:], uint64(hoff))
	binary.LittleEndian.PutUint64(pre[32:], uint64(len(js)+sha256.Size))
	sum := sha256.New()
	sum.Write(pre[:40])
	sum.Write(js)
	if _, err := cw.Write(js); err != nil {
		return nil, err
	}
	if _, err := cw.Write(sum.Sum(nil)); err != nil {
		return nil, err
	}
	if err := cw.w.Flush(); err != nil {
		return nil, err
	}
	return pre, nil
}

// merge calls emit with every unique digest of a in order: a k-way merge of
// the spilled runs and the in-memory sorted run mem.
func (b *builder) merge(ctx context.Context, a Algorithm, mem []byte, emit func([]byte) error) error {
	size := a.Size()
	if len(b.runs[a]) == 0 {
		for i := 0; i < len(mem); i += size {
			if i&0xfffff == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			if err := emit(mem[i : i+size]); err != nil {
				return err
			}
		}
		return nil
	}
	mh := &mergeHeap{size: size}
	for _, r := range b.runs[a] {
		f, err := os.Open(r.path)
		if err != nil {
			return err
		}
		defer f.Close()
		c := &cursor{r: bufio.NewReaderSize(f, 256<<10), cur: make([]byte, size)}
		if ok, err := c.next(); err != nil {
			return err
		} else if ok {
			mh.items = append(mh.items, c)
		}
	}
	if len(mem) > 0 {
		c := &cursor{r: bytes.NewReader(mem), cur: make([]byte, size)}
		if ok, _ := c.next(); ok {
			mh.items = append(mh.items, c)
		}
	}
	heap.Init(mh)
	last := make([]byte, size)
	have := false
	var i int
	for mh.Len() > 0 {
		if i++; i&0xfffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		c := mh.items[0]
		if !have || !bytes.Equal(c.cur, last) {
			if err := emit(c.cur); err != nil {
				return err
			}
			copy(last, c.cur)
			have = true
		}
		ok, err := c.next()
		if err != nil {
			return err
		}
		if ok {
			heap.Fix(mh, 0)
		} else {
			heap.Pop(mh)
		}
	}
	return nil
}

type cursor struct {
	r   io.Reader
	cur []byte
}

func (c *cursor) next() (bool, error) {
	_, err := io.ReadFull(c.r, c.cur)
	if err == io.EOF {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("cannot read a temporary sort file: %w", err)
	}
	return true, nil
}

type mergeHeap struct {
	items []*cursor
	size  int
}

func (h *mergeHeap) Len() int           { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool { return bytes.Compare(h.items[i].cur, h.items[j].cur) < 0 }
func (h *mergeHeap) Swap(i, j int)      { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)         { h.items = append(h.items, x.(*cursor)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// writeFile writes the index atomically to path: into a temporary file in
// the same directory, synced, then renamed.
func (b *builder) writeFile(ctx context.Context, path string, h *Header) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot create index: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	pre, err := b.write(ctx, f, h)
	if err != nil {
		return fmt.Errorf("cannot write index: %w", err)
	}
	if _, err := f.WriteAt(pre, 0); err != nil {
		return fmt.Errorf("cannot write index: %w", err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("cannot write index: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot write index: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write index: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("cannot install index: %w", err)
	}
	ok = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// buildBytes builds an index in memory (small sets only).
func buildBytes(h *Header, digests map[Algorithm][][]byte) ([]byte, error) {
	b := newBuilder("", 1<<20)
	defer b.cleanup()
	for a, ds := range digests {
		for _, d := range ds {
			if err := b.add(a, d); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	pre, err := b.write(context.Background(), &buf, h)
	if err != nil {
		return nil, err
	}
	out := buf.Bytes()
	copy(out, pre)
	return out, nil
}
