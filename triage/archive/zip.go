package archive

import (
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
	"github.com/triagekit/triage/internal/lzma"
)

// Zip compression methods read besides store and deflate.
const (
	zipBzip2 = 12
	zipLZMA  = 14
	zipZstd  = 93
	zipXz    = 95
)

func walkZip(w *walker, src *archiveSource) error {
	z, err := zip.NewReader(src.ra, src.size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return &FormatError{Format: "zip", Off: -1, Msg: err.Error()}
	}
	z.RegisterDecompressor(zip.Deflate, newZipFlate)
	z.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	z.RegisterDecompressor(zipZstd, func(r io.Reader) io.ReadCloser {
		d, err := newZstd(r)
		if err != nil {
			return io.NopCloser(errReader{err})
		}
		return d.IOReadCloser()
	})
	z.RegisterDecompressor(zipXz, func(r io.Reader) io.ReadCloser {
		d, err := lzma.NewXZReader(r, xzDictCap)
		if err != nil {
			return io.NopCloser(errReader{err})
		}
		return io.NopCloser(d)
	})
	z.RegisterDecompressor(zipLZMA, newZipLZMA)
	for i, f := range z.File {
		m := &Member{Path: cleanName(f.Name, i), Key: strconv.Itoa(i), Format: "zip", Type: TypeFile,
			Size: declared(f.UncompressedSize64), Mtime: f.Modified, packed: declared(f.CompressedSize64)}
		switch {
		case f.Mode().IsDir() || strings.HasSuffix(f.Name, "/"):
			m.Type, m.Size = TypeDir, 0
		case f.Flags&1 != 0:
			// Traditional PKWARE or strong encryption: the content is
			// recorded as such and not opened.
			m.Encrypted = true
		default:
			if f.Mode()&fs.ModeSymlink != 0 {
				m.Type = TypeSymlink
			}
			m.open = func() (io.Reader, error) { return f.Open() }
		}
		if m.Type == TypeSymlink {
			// The content of a link is its target: read it as content, as
			// it is what the archive holds.
			m.Type = TypeFile
		}
		if err := w.visit(src, m); err != nil {
			return err
		}
	}
	return nil
}

// declared turns a declared 64-bit size into an int64, -1 when it does not fit.
func declared(n uint64) int64 {
	if n > math.MaxInt64 {
		return -1
	}
	return int64(n)
}

// cleanName makes a member name a relative "/"-separated path: no leading
// "/" or "./"; an empty name becomes "#INDEX".
func cleanName(name string, i int) string {
	name = strings.TrimRight(name, "/")
	for {
		switch {
		case strings.HasPrefix(name, "/"):
			name = name[1:]
		case strings.HasPrefix(name, "./"):
			name = name[2:]
		default:
			if name == "" || name == "." {
				return "#" + strconv.Itoa(i)
			}
			return name
		}
	}
}

// newZipLZMA decodes a zip member compressed with LZMA (method 14): a
// 4-byte header (the LZMA SDK's version, the properties' size: 5), the
// properties, then the stream, ended by an end marker (7-Zip writes one
// and sets flag bit 1); archive/zip checks the content's size and CRC-32.
func newZipLZMA(r io.Reader) io.ReadCloser {
	br := bufio.NewReaderSize(r, readAhead)
	var h [9]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		return io.NopCloser(errReader{fmt.Errorf("zip: LZMA header: %w", err)})
	}
	if n := int(h[2]) | int(h[3])<<8; n != 5 {
		return io.NopCloser(errReader{fmt.Errorf("zip: LZMA properties of %d bytes, want 5: %w", n, lzma.ErrCorrupt)})
	}
	d, err := lzma.NewReaderProps(br, h[4:9], -1, xzDictCap)
	if err != nil {
		return io.NopCloser(errReader{err})
	}
	return io.NopCloser(d)
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// zipFlate inflates a deflated zip member, reading its compressed bytes
// readAhead at a time (archive/zip's own reader reads 4 KiB at a time from
// the archive). Readers are reused.
type zipFlate struct {
	br     *bufio.Reader
	fr     io.ReadCloser
	closed bool
}

var zipFlates sync.Pool

func newZipFlate(r io.Reader) io.ReadCloser {
	z, _ := zipFlates.Get().(*zipFlate)
	if z == nil {
		z = &zipFlate{br: bufio.NewReaderSize(r, readAhead)}
		z.fr = flate.NewReader(z.br)
		return z
	}
	z.br.Reset(r)
	if err := z.fr.(flate.Resetter).Reset(z.br, nil); err != nil {
		return io.NopCloser(errReader{err})
	}
	z.closed = false
	return z
}

func (z *zipFlate) Read(p []byte) (int, error) {
	if z.closed {
		return 0, errors.New("archive: read of a closed member")
	}
	return z.fr.Read(p)
}

func (z *zipFlate) Close() error {
	if z.closed {
		return nil
	}
	z.closed = true
	err := z.fr.Close()
	z.br.Reset(nil)
	zipFlates.Put(z)
	return err
}
