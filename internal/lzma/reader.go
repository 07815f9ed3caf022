package lzma

import (
	"errors"
	"fmt"
	"io"
)

// step is the most a Read decodes before handing bytes out, so that a
// caller's limits are checked often.
const step = 1 << 20

// Reader decodes an LZMA stream (the LZMA1 of 7z archives and zip
// members): its content ends after a known size, or at an end marker.
type Reader struct {
	d      *decoder
	r      io.Reader
	size   int64 // the content's size, or -1: an end marker ends it
	n      int64 // bytes decoded
	srcEOF bool
	done   bool
	err    error
}

// NewReader returns a reader of the LZMA stream r with properties p and a
// dictionary of dictSize bytes, whose content is size bytes (-1: unknown,
// an end marker ends it). The dictionary grows with the content, up to
// dictCap bytes: a match farther back is an error.
func NewReader(r io.Reader, p Props, dictSize uint32, size int64, dictCap int) (*Reader, error) {
	if p.LC > 8 || p.LP > 4 || p.PB > 4 || p.LC < 0 || p.LP < 0 || p.PB < 0 {
		return nil, fmt.Errorf("lzma: properties lc=%d lp=%d pb=%d out of range: %w", p.LC, p.LP, p.PB, ErrCorrupt)
	}
	ds := capDict(uint64(dictSize), dictCap)
	initial := min(ds, 64<<10)
	if size >= 0 && size < int64(ds) {
		ds = max(int(size), 1)
		initial = ds
	}
	d := newDecoder(ds, initial)
	d.setProps(p)
	d.resetState()
	d.in = make([]byte, 64<<10+inPad)
	z := &Reader{d: d, r: r, size: size}
	if err := z.fill(); err != nil {
		return nil, err
	}
	if err := d.initRange(); err != nil {
		return nil, err
	}
	return z, nil
}

// NewReaderProps is NewReader with the five property bytes of 7z's and
// the .lzma format's header (properties byte, dictionary size).
func NewReaderProps(r io.Reader, props []byte, size int64, dictCap int) (*Reader, error) {
	if len(props) != 5 {
		return nil, fmt.Errorf("lzma: %d property bytes, want 5: %w", len(props), ErrCorrupt)
	}
	p, err := propsFromByte(props[0])
	if err != nil {
		return nil, err
	}
	ds := uint32(props[1]) | uint32(props[2])<<8 | uint32(props[3])<<16 | uint32(props[4])<<24
	return NewReader(r, p, ds, size, dictCap)
}

func capDict(ds uint64, dictCap int) int {
	if dictCap > 0 && ds > uint64(dictCap) {
		return dictCap
	}
	return int(ds)
}

// fill moves the unread compressed bytes to the buffer's start and reads
// more after them, then pads them with zeros.
func (z *Reader) fill() error {
	d := z.d
	if z.srcEOF {
		return nil
	}
	n := copy(d.in, d.in[d.ip:d.end])
	d.base += int64(d.ip)
	d.ip, d.end = 0, n
	room := len(d.in) - inPad
	for d.end < room {
		k, err := z.r.Read(d.in[d.end:room])
		d.end += k
		if err == io.EOF {
			z.srcEOF = true
			break
		}
		if err != nil {
			return err
		}
		if k == 0 {
			continue
		}
		if d.end-d.ip >= maxSymbolBytes*16 {
			break
		}
	}
	clear(d.in[d.end:])
	return nil
}

// Read reads the decoded content.
func (z *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	d := z.d
	for {
		if n := d.handOut(p); n > 0 {
			return n, nil
		}
		if z.err != nil {
			return 0, z.err
		}
		if z.done || (z.size >= 0 && z.n == z.size) {
			return 0, io.EOF
		}
		d.room()
		limit := min(len(d.buf), d.pos+step)
		if z.size >= 0 {
			limit = min(limit, d.pos+int(min(z.size-z.n, int64(len(d.buf)))))
		}
		safe := d.end - maxSymbolBytes
		if z.srcEOF {
			safe = d.end
		}
		before := d.pos
		st, err := d.decode(limit, safe, true)
		z.n += int64(d.pos - before)
		switch {
		case err != nil:
			z.err = err
		case st == stNeedIn:
			z.err = z.fill()
		case st == stEOS:
			z.done = true
			if z.size >= 0 && z.n != z.size {
				z.err = d.errAt(d.ip, fmt.Sprintf("end marker after %d bytes of %d", z.n, z.size))
			} else if d.code != 0 {
				z.err = d.errAt(d.ip, "range coder not finished at the end marker")
			}
		}
	}
}

// Reader2 decodes an LZMA2 stream: chunks of LZMA data or stored bytes,
// ended by a zero byte. It reads no byte past that end.
type Reader2 struct {
	d    *decoder
	r    io.Reader
	off  int64 // bytes of r read
	base int64 // the stream's offset in its file, for errors

	left          int // content bytes left in the current chunk
	stored        bool
	inChunk       bool
	needDictReset bool
	needProps     bool
	eof           bool
	err           error
	hdr           [5]byte
}

// NewReader2 returns a reader of the LZMA2 stream r, which starts at
// offset base of its file, with a dictionary of dictSize bytes at most
// (grown with the content, capped at dictCap).
func NewReader2(r io.Reader, dictSize uint32, base int64, dictCap int) *Reader2 {
	ds := capDict(uint64(dictSize), dictCap)
	d := newDecoder(ds, min(ds, 64<<10))
	d.in = make([]byte, 64<<10+inPad)
	return &Reader2{d: d, r: r, base: base, needDictReset: true, needProps: true}
}

// reset starts a new LZMA2 stream on r, keeping the buffers.
func (z *Reader2) reset(r io.Reader, dictSize uint32, base int64, dictCap int) {
	ds := capDict(uint64(dictSize), dictCap)
	d := z.d
	d.dictSize = ds
	if len(d.buf) > ds {
		d.buf = d.buf[:ds]
	}
	d.resetDict()
	*z = Reader2{d: d, r: r, base: base, needDictReset: true, needProps: true}
}

// DictSize2 decodes LZMA2's dictionary size byte.
func DictSize2(b byte) (uint32, error) {
	if b > 40 {
		return 0, fmt.Errorf("lzma2: dictionary size byte %d out of range: %w", b, ErrCorrupt)
	}
	if b == 40 {
		return 0xFFFFFFFF, nil
	}
	return (2 | uint32(b)&1) << (b/2 + 11), nil
}

// Offset returns the bytes read from the stream so far.
func (z *Reader2) Offset() int64 { return z.off }

func (z *Reader2) errf(off int64, format string, a ...any) error {
	return fmt.Errorf("lzma2: %s at offset %d: %w", fmt.Sprintf(format, a...), z.base+off, ErrCorrupt)
}

func (z *Reader2) readFull(p []byte) error {
	n, err := io.ReadFull(z.r, p)
	z.off += int64(n)
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("lzma2: stream ends at offset %d within a chunk: %w", z.base+z.off, io.ErrUnexpectedEOF)
	}
	return err
}

// chunk reads the next chunk's header (and an LZMA chunk's data).
func (z *Reader2) chunk() error {
	d := z.d
	at := z.off
	if err := z.readFull(z.hdr[:1]); err != nil {
		return err
	}
	c := z.hdr[0]
	if c == 0 {
		z.eof = true
		return nil
	}
	if c >= 0xE0 || c == 1 {
		z.needProps = true
		z.needDictReset = false
		d.resetDict()
	} else if z.needDictReset {
		return z.errf(at, "chunk %#x does not reset the dictionary first", c)
	}
	if c < 0x80 {
		if c > 2 {
			return z.errf(at, "invalid chunk control byte %#x", c)
		}
		if err := z.readFull(z.hdr[:2]); err != nil {
			return err
		}
		z.left = int(z.hdr[0])<<8 | int(z.hdr[1]) + 1
		z.stored = true
		return nil
	}
	if err := z.readFull(z.hdr[:4]); err != nil {
		return err
	}
	z.left = int(c&0x1f)<<16 | int(z.hdr[0])<<8 | int(z.hdr[1]) + 1
	packed := int(z.hdr[2])<<8 | int(z.hdr[3]) + 1
	if c >= 0xC0 {
		if err := z.readFull(z.hdr[:1]); err != nil {
			return err
		}
		p, err := propsFromByte(z.hdr[0])
		if err != nil {
			return z.errf(z.off-1, "properties byte %#x out of range", z.hdr[0])
		}
		if p.LC+p.LP > 4 {
			return z.errf(z.off-1, "lc+lp = %d over 4", p.LC+p.LP)
		}
		d.setProps(p)
		z.needProps = false
	} else if z.needProps {
		return z.errf(at, "LZMA chunk without properties after a dictionary reset")
	}
	if c >= 0xA0 {
		d.resetState()
	}
	if cap(d.in) < packed+inPad {
		d.in = make([]byte, packed+inPad)
	}
	d.in = d.in[:packed+inPad]
	d.base = z.base + z.off
	if err := z.readFull(d.in[:packed]); err != nil {
		return err
	}
	clear(d.in[packed:])
	d.ip, d.end = 0, packed
	z.stored = false
	return d.initRange()
}

// Read reads the decoded content.
func (z *Reader2) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	d := z.d
	for {
		if n := d.handOut(p); n > 0 {
			return n, nil
		}
		if z.err != nil {
			return 0, z.err
		}
		if z.left == 0 {
			if z.inChunk && !z.stored {
				if d.pend > 0 {
					z.err = z.errf(d.base-z.base+int64(d.ip), "match continues past the chunk's end")
					continue
				}
				if d.ip != d.end || d.code != 0 {
					z.err = z.errf(d.base-z.base+int64(d.ip), "LZMA chunk of %d bytes not decoded to its end", d.end)
					continue
				}
			}
			z.inChunk = false
			if z.eof {
				return 0, io.EOF
			}
			if z.err = z.chunk(); z.err != nil {
				continue
			}
			z.inChunk = !z.eof
			continue
		}
		d.room()
		limit := min(len(d.buf), d.pos+z.left, d.pos+step)
		before := d.pos
		if z.stored {
			z.err = z.readFull(d.buf[d.pos:limit])
			d.pos = limit
			d.total += uint64(limit - before)
		} else {
			_, z.err = d.decode(limit, d.end, false)
		}
		z.left -= d.pos - before
	}
}
