package archive

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/nwaples/rardecode/v2"
)

// rarDictCap bounds the dictionary (the LZ window) a RAR member may ask
// for: rardecode allocates it whole, and allows 4 GiB by default. RAR's own
// default is 32 MiB (4 MiB before RAR 5); a member that declares more is
// recorded with rardecode's "decode dictionary too large" and not read.
const rarDictCap = 64 << 20

// ErrRARNextVolume is the error of the members of a multi-volume RAR
// archive that continue in the next volume: volumes are not joined.
var ErrRARNextVolume = errors.New("archive: multi-volume rar: continues in the next volume, which is not read (volumes are not joined)")

// walkRAR walks a RAR 4 (1.5 to 4.x) or RAR 5 archive as a stream
// (rardecode reads solid archives in order). Members whose content is
// encrypted are recorded as such; an archive whose headers are encrypted
// is not opened. Of a multi-volume archive, the members this volume holds
// whole are read; the one that continues in the next volume is recorded
// with ErrRARNextVolume and the walk ends there.
func walkRAR(w *walker, src *archiveSource) error {
	cr := &countReader{r: ctxReader{w, section(src)}}
	rr, err := rardecode.NewReader(cr, rardecode.MaxDictionarySize(rarDictCap), rardecode.BufferSize(64<<10))
	if err != nil {
		return rarError(w, err, -1, cr.n)
	}
	rd := &rarReader{r: rr}
	for i := 0; ; i++ {
		h, err := rr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if rd.split {
				// The member before continues in the next volume.
				return ErrRARNextVolume
			}
			// rardecode's reader cannot go on after an error of Next.
			return rarError(w, err, i, cr.n)
		}
		m := &Member{Path: cleanName(h.Name, i), Key: strconv.Itoa(i), Format: "rar", Type: TypeFile,
			Size: h.UnPackedSize, Mtime: h.ModificationTime, Atime: h.AccessTime, Btime: h.CreationTime,
			packed: max(h.PackedSize, 0)}
		if h.UnKnownSize || h.UnPackedSize < 0 {
			m.Size = -1
		}
		switch {
		case h.IsDir:
			m.Type, m.Size = TypeDir, 0
		case h.LinkType == rardecode.LinkTypeUnixSymlink || h.LinkType == rardecode.LinkTypeWindowsSymlink ||
			h.LinkType == rardecode.LinkTypeWindowsJunction:
			m.Type, m.Size, m.LinkTarget = TypeSymlink, 0, h.LinkTarget
		case h.LinkType == rardecode.LinkTypeHardLink || h.LinkType == rardecode.LinkTypeFileCopy:
			m.Type, m.Size, m.LinkTarget = TypeOther, 0, h.LinkTarget
		case h.Encrypted:
			m.Encrypted = true
		default:
			m.open = func() (io.Reader, error) { return rd, nil }
		}
		if err := w.visit(src, m); err != nil {
			return err
		}
	}
}

// rarError turns an error of rardecode that ends the walk into the
// archive's problem; member is the index of the member whose header was
// being read, -1 for the archive's own header, and read how many bytes of
// the archive had been read then (the error is before it).
func rarError(w *walker, err error, member int, read int64) error {
	var le *LimitError
	if errors.As(err, &le) || (w.ctx.Err() != nil && errors.Is(err, w.ctx.Err())) {
		return err
	}
	where := "archive header"
	if member >= 0 {
		where = "header of member " + strconv.Itoa(member)
	}
	switch {
	case errors.Is(err, rardecode.ErrArchiveEncrypted):
		return fmt.Errorf("archive: rar not opened: its headers are encrypted (names included): %w", ErrEncrypted)
	case errors.Is(err, rardecode.ErrMultiVolume):
		return ErrRARNextVolume
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = errors.New("the archive ends inside a header")
	}
	return &FormatError{Format: "rar", Off: -1, Msg: fmt.Sprintf("%s: %v (%d bytes of the archive read)", where, err, read)}
}

// rarReader maps rardecode's errors of a member's content.
type rarReader struct {
	r     *rardecode.Reader
	split bool // a member continued in the next volume
}

func (r *rarReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	switch {
	case err == nil || err == io.EOF:
	case errors.Is(err, rardecode.ErrMultiVolume):
		err, r.split = ErrRARNextVolume, true
	case errors.Is(err, rardecode.ErrArchivedFileEncrypted):
		err = ErrEncrypted
	}
	return n, err
}
