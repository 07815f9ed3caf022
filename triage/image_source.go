package triage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
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
	// FS holds the options of the file systems (fs.Format.Options in
	// the table formats.All) by name; those not set have their defaults.
	FS fs.Options
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
		f := formats.DetectAt(sec, 0)
		switch {
		case f == nil:
			s.addVolume(p, t, "")
			if p.NoData() {
				continue // a partition that holds no data by design
			}
			if what, system, ok := p.Member(); ok {
				v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x: %s: not examined (%s is not supported)", p.Index, p.Offset, what, system))
				continue
			}
			v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x (%s, %d bytes): no supported file system found", p.Index, p.Offset, p.Type, p.Length))
		case f.Open == nil:
			s.addVolume(p, t, f.Name)
			v.Problem("", p.Offset, fmt.Errorf("volume %d at byte %#x (%s): file system %s is not supported", p.Index, p.Offset, p.Type, f.Name))
		default:
			s.addVolume(p, t, f.Name)
			if err := s.walkFS(ctx, v, p, f, sec, length); err != nil {
				return err
			}
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

// walkFS walks the file system f of volume p, held in r.
func (s *imageSource) walkFS(ctx context.Context, v Visitor, p volume.Partition, f *fs.Format, r io.ReaderAt, length int64) error {
	fsys, err := f.Open(r, p.Offset, length, s.opts.FS)
	if err != nil {
		v.Problem("", -1, &volumeError{p.Index, p.Offset, err})
		return nil
	}
	if l := fsys.Label(); l != "" && len(s.vols) > 0 {
		s.vols[len(s.vols)-1].Details["fs_label"] = l
	}
	vol := p.Index
	prefix := "v" + strconv.Itoa(vol) + "/"
	problem := func(err error) { v.Problem("", -1, &volumeError{p.Index, p.Offset, err}) }
	return fsys.Walk(ctx, func(fe *fs.Entry) error {
		return v.Entry(fsEntry(fe, &vol, prefix))
	}, problem)
}

// fsEntry converts an entry of volume *vol, whose keys start with prefix.
func fsEntry(fe *fs.Entry, vol *int, prefix string) *Entry {
	e := &Entry{Path: fe.Path, Stream: fe.Stream, Type: fe.Type, Size: fe.Size, Volume: vol, Deleted: fe.Deleted,
		Mtime: fe.Mtime, Atime: fe.Atime, Ctime: fe.Ctime, Btime: fe.Btime, Extra: fe.Extra, Open: fe.Open}
	switch {
	case fe.Key != "":
		e.Key = prefix + fe.Key
	case fe.Stream != "":
		e.Key = prefix + strconv.FormatInt(fe.Addr, 10) + ":" + fe.Stream
	default:
		e.Key = prefix + strconv.FormatInt(fe.Addr, 10)
	}
	if fe.Addr >= 0 {
		ino := uint64(fe.Addr)
		e.Inode = &ino
	}
	return e
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
	f, err := evidence.Open(path)
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
	if err := evidence.CheckMode(path, fi.Mode()); err != nil {
		return nil, err
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
