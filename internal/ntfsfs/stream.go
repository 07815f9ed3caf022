package ntfsfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"

	"www.velocidex.com/golang/go-ntfs/parser"
)

// extentReader reads a plain non-resident stream from its volume extents:
// bytes past the initialized size read as zeros, as NTFS defines them.
type extentReader struct {
	r       io.ReaderAt
	extents []extent // in stream order, contiguous from 0
	init    int64
}

func (x *extentReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= x.init {
			clear(p[n:])
			return len(p), nil
		}
		i := sort.Search(len(x.extents), func(i int) bool { return pos < x.extents[i].vcnOff+x.extents[i].length })
		if i == len(x.extents) {
			return n, io.EOF
		}
		e := x.extents[i]
		want := min(int64(len(p)-n), e.vcnOff+e.length-pos, x.init-pos)
		m, err := x.r.ReadAt(p[n:n+int(want)], e.lcnOff+pos-e.vcnOff)
		n += m
		if m < int(want) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			// A read error with the buffer filled anyway (an E01 bad
			// chunk reads as zeros): those bytes were not read, and
			// the digests cover only what came before this read.
			return n - m, err
		}
	}
	return n, nil
}

// OpenStream returns a reader of the content of stream s of f. The reader
// reads the image directly and may be used concurrently with other streams.
func (fs *FS) OpenStream(f *File, s *Stream) (*StreamReader, error) {
	c := fs.content(f, s)
	return c.open()
}

// Content is what reading the content of one stream needs: the bytes of a
// resident stream or the volume extents of a plain non-resident one, the
// number and offset of its MFT entry, its name and size; not the entry's
// names, times and other streams. The scan holds one per file until the
// file's content is read (in disk order, after the walk), so it is small:
// about 130 bytes where the entry and its stream take about 400.
type Content struct {
	fs          *FS
	entry, eoff int64 // MFT entry number and image offset
	size, init  int64
	name        string
	reason      string   // Stream.Unreadable
	resident    []byte   // the bytes of a resident stream (kind contentResident)
	extents     []extent // the volume extents of a plain stream (kind contentDirect)
	kind        uint8
}

// Kinds of Content: how it is read.
const (
	contentParsed   = iota // through go-ntfs, from the MFT entry parsed again
	contentResident        // from the resident bytes
	contentDirect          // from the volume extents
)

// Content returns what reading the content of stream s of f needs.
func (fs *FS) Content(f *File, s *Stream) *Content {
	c := fs.content(f, s)
	return &c
}

func (fs *FS) content(f *File, s *Stream) Content {
	c := Content{fs: fs, entry: f.Entry, eoff: f.Offset, size: s.Size, init: s.init, name: s.Name, reason: s.Unreadable}
	switch {
	case s.Resident && s.resident != nil:
		c.kind, c.resident = contentResident, s.resident
	case s.direct:
		c.kind, c.extents = contentDirect, s.extents
	}
	return c
}

// Open returns a reader of the content, as OpenStream does.
func (c *Content) Open() (io.ReadCloser, error) {
	r, err := c.open()
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (c *Content) open() (*StreamReader, error) {
	switch c.kind {
	case contentResident:
		return &StreamReader{rr: bytes.NewReader(c.resident), direct: true, size: c.size, reason: c.reason, entry: c.entry, eoff: c.eoff, name: c.name}, nil
	case contentDirect:
		return &StreamReader{rr: &extentReader{r: c.fs.raw, extents: c.extents, init: c.init}, direct: true, size: c.size,
			reason: c.reason, entry: c.entry, eoff: c.eoff, name: c.name}, nil
	}
	fs := c.fs
	var rr parser.RangeReaderAt
	err := fs.locked(fmt.Sprintf("opening stream %q of MFT entry %d", c.name, c.entry), func() error {
		e, err := fs.data.GetMFT(c.entry)
		if err != nil {
			return err
		}
		rr, err = parser.OpenStream(fs.data, e, parser.ATTR_TYPE_DATA, parser.WILDCARD_STREAM_ID, c.name)
		return err
	})
	if err != nil {
		return nil, &Error{Off: c.eoff, Entry: c.entry, Msg: fmt.Sprintf("failed to open stream %q", c.name), Err: err}
	}
	return &StreamReader{rr: rr, size: c.size, reason: c.reason, entry: c.entry, eoff: c.eoff, name: c.name}, nil
}

// StreamReader reads a stream sequentially. Reads end at the stream's
// declared size; a stream that yields fewer bytes fails with an error naming
// the offset.
type StreamReader struct {
	rr     io.ReaderAt
	direct bool // rr is our own reader, not go-ntfs: no panic guard needed
	size   int64
	off    int64
	entry  int64
	eoff   int64 // image offset of the MFT entry
	name   string
	reason string
}

// Read implements io.Reader.
func (r *StreamReader) Read(p []byte) (n int, err error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), r.size-r.off))
	read := func() error {
		var rerr error
		n, rerr = r.rr.ReadAt(p[:want], r.off)
		if n > want || n < 0 {
			got := n
			n = 0
			return fmt.Errorf("reader returned %d bytes for %d", got, want)
		}
		if n < want && (rerr == nil || errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)) {
			what := "data"
			if r.name != "" {
				what = fmt.Sprintf("stream %q", r.name)
			}
			rerr = fmt.Errorf("MFT entry %d at byte %#x: %s ends early at offset %d of %d (truncated image or bad run list): %w", r.entry, r.eoff, what, r.off+int64(n), r.size, io.ErrUnexpectedEOF)
		}
		return rerr
	}
	if r.direct {
		err = read()
	} else {
		err = guardEntry("reading", r.entry, read)
	}
	r.off += int64(n)
	return n, err
}

// ReadAt implements io.ReaderAt over the declared size.
func (r *StreamReader) ReadAt(p []byte, off int64) (n int, err error) {
	if off >= r.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), r.size-off))
	read := func() error {
		var rerr error
		n, rerr = r.rr.ReadAt(p[:want], off)
		if n > want || n < 0 {
			n = 0
		}
		return rerr
	}
	if r.direct {
		err = read()
	} else {
		err = guardEntry("reading", r.entry, read)
	}
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// Incomplete reports why the content read does not cover the stream.
func (r *StreamReader) Incomplete() (string, bool) { return r.reason, r.reason != "" }

// Close releases nothing; it exists for io.ReadCloser.
func (r *StreamReader) Close() error { return nil }

// Extent is a piece of a stream's content: Len bytes at offset Off of the
// content are at offset VolOff of the volume, or are zeros when VolOff is
// -1 (past the initialized size).
type Extent struct{ Off, VolOff, Len int64 }

// Extents returns where the content of s lies on the volume, in content
// order and covering exactly s.Size bytes, for a plain non-resident stream
// (one attribute, neither compressed nor sparse) that reads in full; nil
// for any other stream, which is read through OpenStream. Reading the
// extents gives the bytes OpenStream's reader gives.
func (fs *FS) Extents(s *Stream) []Extent {
	c := fs.content(&File{}, s)
	return c.Extents()
}

// Extents returns where the content lies on the volume, as FS.Extents
// does for its stream.
func (c *Content) Extents() []Extent {
	if c.kind != contentDirect || c.reason != "" || c.size <= 0 {
		return nil
	}
	init := min(c.init, c.size)
	out := make([]Extent, 0, len(c.extents)+1)
	var pos int64
	for _, e := range c.extents {
		if pos >= init {
			break
		}
		if e.vcnOff != pos || e.length <= 0 || e.lcnOff < 0 {
			return nil
		}
		l := min(e.length, init-pos)
		out = append(out, Extent{Off: pos, VolOff: e.lcnOff, Len: l})
		pos += l
	}
	if pos < init {
		return nil
	}
	if pos < c.size {
		out = append(out, Extent{Off: pos, VolOff: -1, Len: c.size - pos})
	}
	return out
}
