package archive

import (
	"errors"
	"io"
	"strconv"

	"github.com/bodgit/sevenzip"
)

func walk7z(w *walker, src *archiveSource) error {
	z, err := sevenzip.NewReader(src.ra, src.size)
	if err != nil {
		return &FormatError{Format: "7z", Off: -1, Msg: err.Error()}
	}
	for i, f := range z.File {
		m := &Member{Path: cleanName(f.Name, i), Key: strconv.Itoa(i), Format: "7z", Type: TypeFile,
			Size: declared(f.UncompressedSize), Mtime: f.Modified, Atime: f.Accessed, Btime: f.Created}
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
