package archive

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/bodgit/sevenzip"
	"github.com/triagekit/triage/internal/lzma"
)

// 7z's LZMA and LZMA2 coders are decoded by internal/lzma (at about
// liblzma's speed, with a dictionary that grows with the content) in place
// of the library's own.
func init() {
	sevenzip.RegisterDecompressor([]byte{0x03, 0x01, 0x01}, sevenzip.Decompressor(newLZMA7z))
	sevenzip.RegisterDecompressor([]byte{0x21}, sevenzip.Decompressor(newLZMA27z))
}

func newLZMA7z(props []byte, size uint64, readers []io.ReadCloser) (io.ReadCloser, error) {
	if len(readers) != 1 {
		return nil, errors.New("lzma: need exactly one input stream")
	}
	n := int64(size)
	if size > 1<<62 {
		n = -1
	}
	z, err := lzma.NewReaderProps(readers[0], props, n, sevenZipDictCap)
	if err != nil {
		return nil, err
	}
	return readCloser{r: z, c: readers[0]}, nil
}

func newLZMA27z(props []byte, size uint64, readers []io.ReadCloser) (io.ReadCloser, error) {
	if len(readers) != 1 {
		return nil, errors.New("lzma2: need exactly one input stream")
	}
	if len(props) != 1 {
		return nil, fmt.Errorf("lzma2: %d property bytes, want 1: %w", len(props), lzma.ErrCorrupt)
	}
	ds, err := lzma.DictSize2(props[0])
	if err != nil {
		return nil, err
	}
	dictCap := sevenZipDictCap
	if size < uint64(dictCap) {
		dictCap = max(int(size), 1)
	}
	z := lzma.NewReader2(bufio.NewReaderSize(readers[0], 64<<10), ds, 0, dictCap)
	return readCloser{r: z, c: readers[0]}, nil
}

func walk7z(w *walker, src *archiveSource) error {
	z, err := sevenzip.NewReader(src.ra, src.size)
	if err != nil {
		return &FormatError{Format: "7z", Off: -1, Msg: err.Error()}
	}
	for i, f := range z.File {
		// A 7z member has no compressed size of its own (a solid block
		// holds many): the ratio limit takes the whole archive's size, so
		// that no member expands past that many times the archive.
		m := &Member{Path: cleanName(f.Name, i), Key: strconv.Itoa(i), Format: "7z", Type: TypeFile,
			Size: declared(f.UncompressedSize), Mtime: f.Modified, Atime: f.Accessed, Btime: f.Created,
			packed: max(src.size, 1)}
		if f.FileInfo().IsDir() {
			m.Type, m.Size = TypeDir, 0
		} else {
			m.open = func() (io.Reader, error) {
				rc, err := f.Open()
				if err != nil {
					return nil, err7z(err)
				}
				return readCloser{r: errMap{rc}, c: rc}, nil
			}
		}
		if err := w.visit(src, m); err != nil {
			return err
		}
	}
	return nil
}

// err7z says "encrypted" for content the library could not read for want
// of a password.
func err7z(err error) error {
	var re *sevenzip.ReadError
	if errors.As(err, &re) && re.Encrypted {
		return ErrEncrypted
	}
	return err
}

type errMap struct{ r io.Reader }

func (e errMap) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		err = err7z(err)
	}
	return n, err
}

type readCloser struct {
	r io.Reader
	c io.Closer
}

func (r readCloser) Read(p []byte) (int, error) { return r.r.Read(p) }
func (r readCloser) Close() error               { return r.c.Close() }
