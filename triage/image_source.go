package triage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/triagekit/triage/internal/ntfsfs"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

// VolumeLister is implemented by sources that hold volumes (disk images).
// Scan stores the volumes in the case after the walk; they are known once
// the volume system has been read.
type VolumeLister interface {
	Volumes() []casedb.Volume
}

// ImageOptions control how a disk image is walked.
type ImageOptions struct {
	// SkipMetafiles leaves out NTFS system files ($MFT, $LogFile,
	// $Extend/...), which are otherwise recorded with the extra field
	// "ntfs_metafile": true.
	SkipMetafiles bool
	// IndexSlack also records the file names carved from the slack of
	// NTFS folder indexes that no MFT entry holds any more.
	IndexSlack bool
}

// imageSource walks the volumes of a disk image.
type imageSource struct {
	path  string
	img   image.Image
	info  image.Info
	opts  ImageOptions
	table *volume.Table
	vols  []casedb.Volume
}

// OpenImage opens the disk image at path (raw, split raw, device, or any
// format image.Open knows) as a Source.
func OpenImage(path string, opts ImageOptions) (Source, error) {
	img, err := image.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot open image: %w", err)
	}
	return NewImageSource(path, img, opts), nil
}

// NewImageSource returns a Source over an opened image; closing the source
// closes the image. path names the evidence item.
func NewImageSource(path string, img image.Image, opts ImageOptions) Source {
	s := &imageSource{path: path, img: img, opts: opts}
	if d, ok := img.(image.Describer); ok {
		s.info = d.Describe()
	}
	if s.info.Format == "" {
		s.info.Format = "image"
	}
	return s
}

func (s *imageSource) Info() SourceInfo {
	md := map[string]any{}
	for k, v := range s.info.Metadata {
		md[k] = v
	}
	md["image_format"] = s.info.Format
	if len(s.info.Segments) > 0 {
		segs := make([]map[string]any, len(s.info.Segments))
		for i, g := range s.info.Segments {
			segs[i] = map[string]any{"path": g.Path, "offset": g.Offset, "size": g.Size}
		}
		md["segments"] = segs
	}
	return SourceInfo{Path: s.path, Type: s.info.Format, Size: s.img.Size(), Metadata: md}
}

func (s *imageSource) Close() error { return s.img.Close() }

// Volumes returns the volumes found by the walk.
func (s *imageSource) Volumes() []casedb.Volume { return s.vols }

func (s *imageSource) Walk(ctx context.Context, v Visitor) error {
	s.reportImageProblems(v)
	size := s.img.Size()
	t, err := volume.Read(s.img, size)
	if err != nil {
		v.Problem("", 0, fmt.Errorf("cannot read the volume system: %w", err))
		return nil
	}
	s.table = t
	for _, p := range t.Problems {
		v.Problem("", -1, p)
	}
	s.vols = nil
	for _, p := range t.Partitions {
		if err := ctx.Err(); err != nil {
			return err
		}
		length := p.Length
		if p.Offset >= size {
			v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x starts past the end of the image (%d bytes): not read", p.Index, p.Offset, size))
			s.addVolume(p, t, "")
			continue
		}
		sec := io.NewSectionReader(s.img, p.Offset, length)
		fs := volume.DetectFS(sec, 0)
		s.addVolume(p, t, fs)
		switch fs {
		case "ntfs":
			if err := s.walkNTFS(ctx, v, p, sec, length); err != nil {
				return err
			}
		case "":
			if noFSExpected(p) {
				continue // a partition that holds no file system by design
			}
			v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x (%s, %d bytes): no supported file system found", p.Index, p.Offset, p.Type, p.Length))
		default:
			v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x (%s): file system %s is not supported", p.Index, p.Offset, p.Type, fs))
		}
	}
	return nil
}

func (s *imageSource) addVolume(p volume.Partition, t *volume.Table, fs string) {
	d := map[string]any{"scheme": t.Scheme, "slot": p.Slot, "start_sector": p.Start, "end_sector": p.End, "sector_size": t.SectorSize}
	if p.TypeID != "" {
		d["type_id"] = p.TypeID
	}
	if p.GUID != "" {
		d["guid"] = p.GUID
	}
	if t.DiskGUID != "" {
		d["disk_guid"] = t.DiskGUID
	}
	s.vols = append(s.vols, casedb.Volume{Index: p.Index, Offset: p.Offset, Length: p.Length, Type: p.Type, Label: p.Label, FS: fs, Details: d})
}

// volumeError places a file-system error at its image offset.
type volumeError struct {
	vol  int
	base int64
	err  error
}

func (e *volumeError) Error() string {
	return fmt.Sprintf("volume %d at byte %#x: %v", e.vol, e.base, e.err)
}
func (e *volumeError) Unwrap() error { return e.err }
func (e *volumeError) Offset() int64 {
	if o := ErrorOffset(e.err); o >= 0 {
		return o
	}
	return e.base
}

func (s *imageSource) walkNTFS(ctx context.Context, v Visitor, p volume.Partition, r io.ReaderAt, length int64) error {
	fs, err := ntfsfs.Open(r, p.Offset, length)
	if err != nil {
		v.Problem("", -1, &volumeError{p.Index, p.Offset, err})
		return nil
	}
	fs.IndexSlack = s.opts.IndexSlack
	if fs.Label != "" && len(s.vols) > 0 {
		s.vols[len(s.vols)-1].Details["fs_label"] = fs.Label
	}
	vol := p.Index
	prefix := "v" + strconv.Itoa(vol) + "/"
	problem := func(err error) { v.Problem("", -1, &volumeError{p.Index, p.Offset, err}) }
	err = fs.Walk(ctx, func(it *ntfsfs.Item) error {
		if s.opts.SkipMetafiles && it.Metafile {
			return nil
		}
		e := ntfsEntry(fs, it, vol, prefix)
		return v.Entry(e)
	}, problem)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		// A Visitor error: stop the walk.
		return err
	}
	return err
}

func ntfsEntry(fs *ntfsfs.FS, it *ntfsfs.Item, vol int, prefix string) *Entry {
	f := it.File
	e := &Entry{Path: it.Path, Deleted: it.Deleted, Volume: &vol, Extra: map[string]any{}}
	if sl := it.Slack; sl != nil {
		// A name carved from a folder index: no MFT entry, no content.
		e.Key = prefix + "slack/" + strconv.FormatInt(f.Entry, 10) + "/" + sl.Name
		e.Type = casedb.TypeFile
		e.Extra["ntfs_index_slack"] = true
		e.Extra["ntfs_slack_mft_ref"] = sl.Ref
		e.Extra["ntfs_fn_size"] = sl.Size
		putTime(e.Extra, "fn_mtime", sl.Times.Mtime)
		putTime(e.Extra, "fn_atime", sl.Times.Atime)
		putTime(e.Extra, "fn_ctime", sl.Times.Ctime)
		putTime(e.Extra, "fn_btime", sl.Times.Btime)
		return e
	}
	if f.Entry < 0 { // the virtual $OrphanFiles folder
		e.Key = prefix + "orphans"
		e.Type = casedb.TypeDir
		e.Extra["virtual"] = true
		return e
	}
	ino := uint64(f.Entry)
	e.Inode = &ino
	e.Key = prefix + strconv.FormatInt(f.Entry, 10)
	e.Mtime, e.Atime, e.Ctime, e.Btime = f.SI.Mtime, f.SI.Atime, f.SI.Ctime, f.SI.Btime
	if n := f.PrimaryName(); n != nil {
		putTime(e.Extra, "fn_mtime", n.Times.Mtime)
		putTime(e.Extra, "fn_atime", n.Times.Atime)
		putTime(e.Extra, "fn_ctime", n.Times.Ctime)
		putTime(e.Extra, "fn_btime", n.Times.Btime)
	}
	e.Extra["ntfs_seq"] = f.Seq
	if it.Metafile {
		e.Extra["ntfs_metafile"] = true
	}
	if it.Orphan {
		e.Extra["orphan"] = true
	}
	if f.Reparse != 0 {
		e.Extra["ntfs_reparse_tag"] = fmt.Sprintf("%#08x", f.Reparse)
	}
	if len(it.Links) > 0 {
		e.Extra["ntfs_hard_links"] = it.Links
	}
	s := it.Stream
	if s == nil {
		if f.IsDir {
			e.Type = casedb.TypeDir
		} else {
			e.Type = casedb.TypeFile // a file with no $DATA: empty
		}
		return e
	}
	e.Type = casedb.TypeFile
	e.Stream = s.Name
	if s.Name != "" {
		e.Key += ":" + s.Name
	}
	e.Size = s.Size
	if s.Resident {
		e.Extra["ntfs_resident"] = true
	}
	if s.Compressed {
		e.Extra["ntfs_compressed"] = true
	}
	if s.Sparse {
		e.Extra["ntfs_sparse"] = true
	}
	if s.DeclaredSize != 0 {
		e.Extra["ntfs_declared_size"] = s.DeclaredSize
	}
	e.Open = func() (io.ReadCloser, error) { return fs.OpenStream(f, s) }
	return e
}

func putTime(m map[string]any, k string, t time.Time) {
	if !t.IsZero() {
		m[k] = casedb.FormatTime(t)
	}
}

// isImagePath tells whether path (followed if a link) is a block device or
// a regular file whose content is a disk image or a volume.
func isImagePath(path string) bool {
	fi, err := os.Stat(path)
	if err != nil {
		return false
	}
	if fi.Mode()&os.ModeDevice != 0 && fi.Mode()&os.ModeCharDevice == 0 {
		return true
	}
	if !fi.Mode().IsRegular() {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return image.Detect(f, fi.Size()) != image.KindNone
}

// openSourceAs opens path as the examiner forced it, or as an image when
// its content says so.
func openSourceAs(path string, o SourceOptions) (Source, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot open source: %w", err)
	}
	switch o.As {
	case AsFile:
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("cannot open source %q as a file: not a regular file (%s)", path, fi.Mode().Type())
		}
		return &folderSource{root: abs, single: true, size: fi.Size()}, nil
	case AsImage, AsAuto:
		if fi.IsDir() {
			return nil, fmt.Errorf("cannot open source %q as an image: it is a folder", path)
		}
		return OpenImage(abs, o.Image)
	}
	return nil, fmt.Errorf("unknown source kind %q (choose file or image)", o.As)
}

// noFSExpected tells whether a partition type never holds a file system
// (reserved, boot-loader and swap partitions): finding none is not a problem.
func noFSExpected(p volume.Partition) bool {
	switch p.Type {
	case "Microsoft reserved", "BIOS boot partition", "Linux swap", "Linux Swap / Solaris x86 (0x82)",
		"Windows LDM metadata", "Linux RAID", "Linux LVM":
		return true
	}
	return false
}
