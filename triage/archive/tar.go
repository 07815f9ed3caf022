package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"strconv"
)

func walkTar(w *walker, src *archiveSource) error {
	return tarMembers(w, src, section(src), "tar")
}

// tarMembers walks the tar stream r, which may come out of a decompressor.
func tarMembers(w *walker, src *archiveSource, r io.Reader, format string) error {
	cr := &countReader{r: r}
	tr := tar.NewReader(cr)
	for i := 0; ; i++ {
		at := cr.n
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var le *LimitError
			if errors.As(err, &le) || errors.Is(err, w.ctx.Err()) && w.ctx.Err() != nil {
				return err
			}
			return &FormatError{Format: format, Off: at, Msg: fmt.Sprintf("bad header of member %d: %v", i, err)}
		}
		m := &Member{Path: cleanName(h.Name, i), Key: strconv.Itoa(i), Format: format, Type: TypeFile, Size: h.Size,
			Mtime: h.ModTime, Atime: h.AccessTime, Ctime: h.ChangeTime}
		switch h.Typeflag {
		case tar.TypeReg, tar.TypeGNUSparse, '\x00', tar.TypeCont:
			m.open = func() (io.Reader, error) { return tr, nil }
		case tar.TypeDir:
			m.Type, m.Size = TypeDir, 0
		case tar.TypeSymlink:
			m.Type, m.Size, m.LinkTarget = TypeSymlink, 0, h.Linkname
		case tar.TypeLink:
			m.Type, m.Size, m.LinkTarget = TypeOther, 0, h.Linkname
		case tar.TypeChar, tar.TypeBlock:
			m.Type, m.Size = TypeDevice, 0
		case tar.TypeFifo:
			m.Type, m.Size = TypeFIFO, 0
		default:
			m.Type, m.Size = TypeOther, 0
		}
		if err := w.visit(src, m); err != nil {
			return err
		}
	}
}

// countReader counts the bytes read, for the offsets of errors.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(max(n, 0))
	return n, err
}
