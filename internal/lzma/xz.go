package lzma

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
)

// The xz container (xz file format 1.2.1): streams of a header, blocks,
// an index and a footer, each block an LZMA2 stream with a check of its
// content.

var (
	xzMagic     = []byte{0xFD, '7', 'z', 'X', 'Z', 0x00}
	xzFootMagic = []byte{'Y', 'Z'}
	crc64Table  = crc64.MakeTable(crc64.ECMA)
)

// Check IDs.
const (
	checkNone   = 0x00
	checkCRC32  = 0x01
	checkCRC64  = 0x04
	checkSHA256 = 0x0A
	filterLZMA2 = 0x21
)

// XZReader decodes the xz streams of a file, one after another, and
// checks each block's content against its check, each stream's index
// against its blocks.
type XZReader struct {
	r       *countReader
	dictCap int
	flags   [2]byte
	check   hash.Hash
	csize   int
	block   *Reader2
	inBlock bool
	hdrSize int64
	hdrComp int64 // the block header's compressed and content sizes, or -1
	hdrUnc  int64
	unc     int64
	records [][2]uint64 // unpadded and content size of each block of the stream
	err     error
	eof     bool
	buf     [1024]byte // a block header (at most 1024 bytes), a footer, a check
}

type countReader struct {
	r   *bufio.Reader
	off int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.off += int64(n)
	return n, err
}

func (c *countReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.off++
	}
	return b, err
}

// NewXZReader returns a reader of the xz file r. Its LZMA2 dictionaries
// are capped at dictCap bytes (a match farther back is an error).
func NewXZReader(r io.Reader, dictCap int) (*XZReader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	z := &XZReader{r: &countReader{r: br}, dictCap: dictCap}
	if err := z.streamHeader(nil); err != nil {
		return nil, err
	}
	return z, nil
}

func (z *XZReader) errf(off int64, format string, a ...any) error {
	return fmt.Errorf("xz: %s at offset %d: %w", fmt.Sprintf(format, a...), off, ErrCorrupt)
}

func (z *XZReader) readFull(p []byte) error {
	_, err := io.ReadFull(z.r, p)
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("xz: file ends at offset %d: %w", z.r.off, io.ErrUnexpectedEOF)
	}
	return err
}

// streamHeader reads a stream's header; got holds its first bytes when
// the caller read them already.
func (z *XZReader) streamHeader(got []byte) error {
	at := z.r.off - int64(len(got))
	h := z.buf[:12]
	copy(h, got)
	if err := z.readFull(h[len(got):]); err != nil {
		return err
	}
	if !bytes.Equal(h[:6], xzMagic) {
		return z.errf(at, "no xz stream header")
	}
	if crc32.ChecksumIEEE(h[6:8]) != binary.LittleEndian.Uint32(h[8:12]) {
		return z.errf(at+8, "stream header's CRC32 does not match")
	}
	if h[6] != 0 || h[7]&0xF0 != 0 {
		return z.errf(at+6, "stream flags %#x %#x not supported", h[6], h[7])
	}
	z.flags = [2]byte{h[6], h[7]}
	id := h[7] & 0x0F
	switch id {
	case checkNone:
		z.check = nil
	case checkCRC32:
		z.check = crc32.NewIEEE()
	case checkCRC64:
		z.check = crc64.New(crc64Table)
	case checkSHA256:
		z.check = sha256.New()
	default:
		z.check = nil // decoded, not checked: a check this reader does not know
	}
	z.csize = 0
	if id > 0 {
		z.csize = 4 << ((id - 1) / 3)
	}
	z.records = z.records[:0]
	return nil
}

// Read reads the decoded content of every stream.
func (z *XZReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if z.err != nil {
			return 0, z.err
		}
		if z.eof {
			return 0, io.EOF
		}
		if z.inBlock {
			n, err := z.block.Read(p)
			if n > 0 {
				if z.check != nil {
					z.check.Write(p[:n])
				}
				z.unc += int64(n)
				return n, nil
			}
			if err == io.EOF {
				z.err = z.endBlock()
				continue
			}
			z.err = err
			continue
		}
		z.err = z.next()
	}
}

// next reads a block's header, or the index, footer and what follows.
func (z *XZReader) next() error {
	at := z.r.off
	b, err := z.r.ReadByte()
	if err != nil {
		return fmt.Errorf("xz: file ends at offset %d before the index: %w", at, io.ErrUnexpectedEOF)
	}
	if b == 0 {
		return z.index(at)
	}
	size := (int(b) + 1) * 4
	h := z.buf[:size]
	h[0] = b
	if err := z.readFull(h[1:]); err != nil {
		return err
	}
	if crc32.ChecksumIEEE(h[:size-4]) != binary.LittleEndian.Uint32(h[size-4:]) {
		return z.errf(at, "block header's CRC32 does not match")
	}
	flags := h[1]
	if flags&0x3C != 0 {
		return z.errf(at+1, "block flags %#x not supported", flags)
	}
	f := h[2 : size-4]
	z.hdrComp, z.hdrUnc = -1, -1
	var v uint64
	if flags&0x40 != 0 {
		if v, f, err = varint(f); err != nil || v == 0 {
			return z.errf(at, "bad compressed size in the block header")
		}
		z.hdrComp = int64(v)
	}
	if flags&0x80 != 0 {
		if v, f, err = varint(f); err != nil {
			return z.errf(at, "bad content size in the block header")
		}
		z.hdrUnc = int64(v)
	}
	nf := int(flags&3) + 1
	var dict uint32
	for i := range nf {
		id, rest, err := varint(f)
		if err != nil {
			return z.errf(at, "bad filter in the block header")
		}
		ps, rest, err := varint(rest)
		if err != nil || ps > uint64(len(rest)) {
			return z.errf(at, "bad filter properties in the block header")
		}
		props := rest[:ps]
		f = rest[ps:]
		if id != filterLZMA2 {
			return fmt.Errorf("xz: filter %#x at offset %d not supported (only LZMA2 is)", id, at)
		}
		if i != nf-1 || len(props) != 1 {
			return z.errf(at, "LZMA2 filter with %d property bytes, or not last", len(props))
		}
		if dict, err = DictSize2(props[0]); err != nil {
			return z.errf(at, "LZMA2 dictionary size byte %d out of range", props[0])
		}
	}
	for _, c := range f {
		if c != 0 {
			return z.errf(at, "block header padding is not zero")
		}
	}
	z.hdrSize = int64(size)
	if z.block == nil {
		z.block = NewReader2(z.r, dict, z.r.off, z.dictCap)
	} else {
		z.block.reset(z.r, dict, z.r.off, z.dictCap)
	}
	if z.check != nil {
		z.check.Reset()
	}
	z.unc = 0
	z.inBlock = true
	return nil
}

// endBlock checks a block's sizes, padding and check.
func (z *XZReader) endBlock() error {
	z.inBlock = false
	comp := z.block.Offset()
	at := z.r.off
	if z.hdrComp >= 0 && comp != z.hdrComp {
		return z.errf(at, "block's compressed size %d, its header says %d", comp, z.hdrComp)
	}
	if z.hdrUnc >= 0 && z.unc != z.hdrUnc {
		return z.errf(at, "block's content size %d, its header says %d", z.unc, z.hdrUnc)
	}
	pad := int((4 - (z.hdrSize+comp)%4) % 4)
	tail := z.buf[:pad+z.csize]
	if err := z.readFull(tail); err != nil {
		return err
	}
	for _, c := range tail[:pad] {
		if c != 0 {
			return z.errf(at, "block padding is not zero")
		}
	}
	if z.check != nil {
		var sum [32]byte
		if !bytes.Equal(z.check.Sum(sum[:0]), reverseIf(z.check, tail[pad:])) {
			return z.errf(at+int64(pad), "the block's check does not match its content")
		}
	}
	z.records = append(z.records, [2]uint64{uint64(z.hdrSize + comp + int64(z.csize)), uint64(z.unc)})
	return nil
}

// reverseIf gives a check's stored bytes in the order hash.Hash prints
// them: CRC32 and CRC64 are stored little-endian, Sum is big-endian.
func reverseIf(h hash.Hash, b []byte) []byte {
	if h.Size() > 8 {
		return b
	}
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

// index reads a stream's index (its indicator at offset at, read), its
// footer, the stream padding after it and the next stream's header.
func (z *XZReader) index(at int64) error {
	crc := crc32.NewIEEE()
	crc.Write([]byte{0})
	rb := func() (uint64, error) {
		var v uint64
		for i := range 9 {
			b, err := z.r.ReadByte()
			if err != nil {
				return 0, fmt.Errorf("xz: file ends at offset %d in the index: %w", z.r.off, io.ErrUnexpectedEOF)
			}
			crc.Write([]byte{b})
			v |= uint64(b&0x7F) << (7 * i)
			if b&0x80 == 0 {
				if b == 0 && i > 0 {
					break
				}
				return v, nil
			}
		}
		return 0, z.errf(z.r.off, "bad number in the index")
	}
	n, err := rb()
	if err != nil {
		return err
	}
	if n != uint64(len(z.records)) {
		return z.errf(at, "index lists %d blocks, the stream has %d", n, len(z.records))
	}
	for _, r := range z.records {
		u, err := rb()
		if err != nil {
			return err
		}
		c, err := rb()
		if err != nil {
			return err
		}
		if u != r[0] || c != r[1] {
			return z.errf(at, "index record (%d, %d) does not match its block (%d, %d)", u, c, r[0], r[1])
		}
	}
	size := z.r.off - at
	pad := int((4 - size%4) % 4)
	t := z.buf[:pad+4]
	if err := z.readFull(t); err != nil {
		return err
	}
	for _, c := range t[:pad] {
		if c != 0 {
			return z.errf(z.r.off, "index padding is not zero")
		}
	}
	crc.Write(t[:pad])
	if crc.Sum32() != binary.LittleEndian.Uint32(t[pad:]) {
		return z.errf(at, "index CRC32 does not match")
	}
	size += int64(pad) + 4
	foot := z.buf[:12]
	fat := z.r.off
	if err := z.readFull(foot); err != nil {
		return err
	}
	if !bytes.Equal(foot[10:], xzFootMagic) {
		return z.errf(fat, "no xz stream footer")
	}
	if crc32.ChecksumIEEE(foot[4:10]) != binary.LittleEndian.Uint32(foot[:4]) {
		return z.errf(fat, "stream footer's CRC32 does not match")
	}
	if (int64(binary.LittleEndian.Uint32(foot[4:8]))+1)*4 != size {
		return z.errf(fat, "footer's index size does not match the index")
	}
	if foot[8] != z.flags[0] || foot[9] != z.flags[1] {
		return z.errf(fat, "footer's flags differ from the header's")
	}
	// Stream padding (zeros in fours), then the end or another stream.
	for {
		w := z.buf[:4]
		pat := z.r.off
		n, err := io.ReadFull(z.r, w)
		if n == 0 && err == io.EOF {
			z.eof = true
			return nil
		}
		if err != nil {
			return z.errf(pat, "stream padding not a multiple of four bytes")
		}
		if bytes.Equal(w, []byte{0, 0, 0, 0}) {
			continue
		}
		var first [4]byte
		copy(first[:], w)
		return z.streamHeader(first[:])
	}
}

// varint decodes an xz multibyte integer from b.
func varint(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < 9 && i < len(b); i++ {
		v |= uint64(b[i]&0x7F) << (7 * i)
		if b[i]&0x80 == 0 {
			if b[i] == 0 && i > 0 {
				return 0, nil, ErrCorrupt
			}
			return v, b[i+1:], nil
		}
	}
	return 0, nil, ErrCorrupt
}
