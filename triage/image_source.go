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
	// Parents are the parents of a differencing virtual disk given by
	// the examiner (image.OpenOptions.Parents).
	Parents []string
}

// imageSource walks the volumes of a disk image.
type imageSource struct {
	path  string
	img   image.Image
	info  image.Info
	opts  ImageOptions
	table *volume.Table
	vols  []casedb.Volume
	// read, when not nil, is what the walk reads the image through (the
	// disk-order pass's mediaTee)
	read io.ReaderAt
}

// reader is what the walk reads the image through.
func (s *imageSource) reader() io.ReaderAt {
	if s.read != nil {
		return s.read
	}
	return s.img
}

// OpenImage opens the disk image at path (raw, split raw, device, or any
// format image.Open knows) as a Source.
func OpenImage(path string, opts ImageOptions) (Source, error) {
	img, err := image.OpenWith(path, image.OpenOptions{Parents: opts.Parents})
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
	t, err := volume.Read(s.reader(), size)
	if err != nil {
		v.Problem("", 0, fmt.Errorf("cannot read the volume system: %w", err))
		return nil
	}
	s.table = t
	if tee, ok := s.read.(*mediaTee); ok {
		tee.free(freeRanges(t, size))
	}
	for _, p := range t.Problems {
		v.Problem("", -1, p)
	}
	s.vols = nil
	// The estimate of the content the walk will find, for the progress:
	// first the length of every volume that may hold a file system, each
	// replaced by what its file system says it uses once opened, then by
	// what its walk found.
	est, _ := v.(estimator)
	bounds := make([]int64, len(t.Partitions))
	for i, p := range t.Partitions {
		if p.Offset < size && p.PV == nil && !p.NoData() {
			bounds[i] = max(min(p.Length, size-p.Offset), 0)
			estimate(est, bounds[i])
		}
	}
	for _, l := range t.Logical {
		if l.NotExamined == "" {
			estimate(est, max(l.Length, 0))
		}
	}
	for i, p := range t.Partitions {
		if err := ctx.Err(); err != nil {
			return err
		}
		length := p.Length
		if p.Offset >= size {
			s.addVolume(p, t, "")
			s.notExamined(v, p.Offset, "starts past the end of the image",
				fmt.Errorf("volume %d at byte %#x starts past the end of the image (%d bytes): not read", p.Index, p.Offset, size))
			continue
		}
		sec := io.NewSectionReader(s.reader(), p.Offset, length)
		f := formats.DetectAt(sec, 0)
		if f == nil || f.Open == nil {
			estimate(est, -bounds[i]) // not walked
		}
		switch {
		case f == nil && p.PV != nil:
			// a physical volume: examined through its logical volumes
			s.addVolume(p, t, "")
		case f == nil:
			s.addVolume(p, t, "")
			if p.NoData() {
				// a partition that holds no data by design: no problem, but
				// the report still says it was not examined
				s.vols[len(s.vols)-1].Details["not_examined"] = "holds no file system by design (" + p.Type + ")"
				continue
			}
			if volume.PhysicalVolume(firstSectors(sec)) {
				// a label that Read could not use: its problem is recorded
				s.notExamined(v, p.Offset, "its LVM label or metadata could not be read",
					fmt.Errorf("volume %d at byte %#x: LVM physical volume: not examined (its label or metadata could not be read)", p.Index, p.Offset))
				continue
			}
			if what, system, ok := p.Member(); ok {
				// LVM is read (Read found no label here); Linux RAID is not.
				reason := system + " is not supported"
				if system == "LVM" {
					reason = "no LVM label was found in it"
				}
				s.notExamined(v, p.Offset, what+": "+reason,
					fmt.Errorf("volume %d at byte %#x: %s: not examined (%s)", p.Index, p.Offset, what, reason))
				continue
			}
			s.notExamined(v, p.Offset, "no supported file system found",
				fmt.Errorf("volume %d at byte %#x (%s, %d bytes): no supported file system found", p.Index, p.Offset, p.Type, p.Length))
		case f.Open == nil:
			s.addVolume(p, t, f.Name)
			s.notExamined(v, p.Offset, "file system "+f.Name+" is not supported",
				fmt.Errorf("volume %d at byte %#x (%s): file system %s is not supported", p.Index, p.Offset, p.Type, f.Name))
		default:
			s.addVolume(p, t, f.Name)
			if err := s.walkFS(ctx, v, vol{index: p.Index, base: p.Offset}, f, sec, length, bounds[i]); err != nil {
				return err
			}
		}
	}
	for i := range t.Logical {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.walkLogical(ctx, v, &t.Logical[i]); err != nil {
			return err
		}
	}
	return nil
}

// NameVisitor is implemented by a Visitor that lists names, as triage ls
// --files does: a file system that can list its names itself (fs.Lister)
// gives them to the function Names returns for its volume instead of
// having its entries walked; Names returns nil to take the entries.
type NameVisitor interface {
	Names(vol int) func(*fs.Name) error
}

// estimator is implemented by a Visitor that takes an estimate of the
// content bytes the walk will find before it has found them (the scan's,
// for its progress): estimate adds delta to it.
type estimator interface {
	estimate(delta int64)
}

// estimate adds delta to the estimate of e, when there is one.
func estimate(e estimator, delta int64) {
	if e != nil && delta != 0 {
		e.estimate(delta)
	}
}

// walkLogical records the logical volume l (a volume a volume manager
// assembles) and walks its file system through its extent map.
func (s *imageSource) walkLogical(ctx context.Context, v Visitor, l *volume.Logical) error {
	d := map[string]any{}
	for k, x := range l.Details {
		d[k] = x
	}
	d["members"] = l.Members
	s.vols = append(s.vols, casedb.Volume{Index: l.Index, Offset: l.Offset, Length: l.Length, Type: l.Type, Label: l.Name, Details: d})
	where := fmt.Sprintf("volume %d (%s)", l.Index, l.Name)
	if l.Offset >= 0 {
		where += fmt.Sprintf(" at byte %#x", l.Offset)
	}
	if l.NotExamined != "" {
		s.notExamined(v, l.Offset, l.NotExamined, fmt.Errorf("%s: not examined: %s", where, l.NotExamined))
		return nil
	}
	r := l.Reader(s.reader())
	f := formats.DetectAt(r, 0)
	est, _ := v.(estimator)
	if f == nil || f.Open == nil {
		estimate(est, -max(l.Length, 0)) // not walked
	}
	switch {
	case f == nil:
		s.notExamined(v, l.Offset, "no supported file system found",
			fmt.Errorf("%s (%s, %d bytes): no supported file system found", where, l.Type, l.Length))
	case f.Open == nil:
		s.vols[len(s.vols)-1].FS = f.Name
		s.notExamined(v, l.Offset, "file system "+f.Name+" is not supported",
			fmt.Errorf("%s (%s): file system %s is not supported", where, l.Type, f.Name))
	default:
		s.vols[len(s.vols)-1].FS = f.Name
		return s.walkFS(ctx, v, vol{index: l.Index, base: l.Offset, logical: l}, f, r, l.Length, max(l.Length, 0))
	}
	return nil
}

// firstSectors returns the first four sectors of r (fewer when it is shorter).
func firstSectors(r io.ReaderAt) []byte {
	b := make([]byte, 2048)
	n, _ := r.ReadAt(b, 0)
	return b[:n]
}

// notExamined records why the volume added last is not examined, for the
// report's limitations, and reports err as a problem.
func (s *imageSource) notExamined(v Visitor, off int64, reason string, err error) {
	s.vols[len(s.vols)-1].Details["not_examined"] = reason
	v.Problem("", off, err)
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
	if p.PV != nil {
		d["pv_system"], d["vg"], d["vg_uuid"], d["pv_uuid"] = p.PV.System, p.PV.Group, p.PV.GroupUUID, p.PV.UUID
	}
	if h := t.MetadataHistory[p.Index]; len(h) > 0 {
		d["lvm_history"] = lvmHistory(h)
	}
	s.vols = append(s.vols, casedb.Volume{Index: p.Index, Offset: p.Offset, Length: p.Length, Type: p.Type, Label: p.Label, FS: fs, Details: d})
}

// lvmHistory is how the case records the copies of LVM metadata a
// physical volume holds.
func lvmHistory(h []volume.MetadataVersion) []map[string]any {
	out := make([]map[string]any, 0, len(h))
	for _, v := range h {
		m := map[string]any{"seqno": v.Seqno, "offset": v.Offset, "length": v.Length, "current": v.Current}
		if v.Group != "" {
			m["vg"] = v.Group
		}
		if v.Error != "" {
			m["error"] = v.Error
		} else {
			lvs := make([]map[string]any, 0, len(v.LVs))
			for _, lv := range v.LVs {
				lvs = append(lvs, map[string]any{"name": lv.Name, "uuid": lv.UUID, "length": lv.Length, "type": lv.Type})
			}
			m["lvs"] = lvs
		}
		out = append(out, m)
	}
	return out
}

// vol is the volume a file system is read from: its index, its offset in
// the image and, for a logical volume, its extent map.
type vol struct {
	index   int
	base    int64
	logical *volume.Logical
}

// volumeError places a file-system error at its image offset.
type volumeError struct {
	vol vol
	err error
}

func (e *volumeError) Error() string {
	if o := e.mapped(); o >= 0 {
		return fmt.Sprintf("volume %d at byte %#x: %v (image byte %#x)", e.vol.index, e.vol.base, e.err, o)
	}
	return fmt.Sprintf("volume %d at byte %#x: %v", e.vol.index, e.vol.base, e.err)
}
func (e *volumeError) Unwrap() error { return e.err }
func (e *volumeError) Offset() int64 {
	if o := e.mapped(); o >= 0 {
		return o
	}
	if o := ErrorOffset(e.err); o >= 0 {
		return o
	}
	return e.vol.base
}

// mapped returns the image offset of the error in a logical volume whose
// extents are not contiguous in the image, where the file system's offset
// (base + offset in the volume) is not the image offset; -1 otherwise.
func (e *volumeError) mapped() int64 {
	l := e.vol.logical
	o := ErrorOffset(e.err)
	if l == nil || o < 0 || o < e.vol.base {
		return -1
	}
	m := l.ImageOffset(o - e.vol.base)
	if m == o {
		return -1
	}
	return m
}

// walkFS walks the file system f of volume vl, held in r. bound is what
// the estimate of the content holds for the volume so far (its length).
func (s *imageSource) walkFS(ctx context.Context, v Visitor, vl vol, f *fs.Format, r io.ReaderAt, length, bound int64) error {
	est, _ := v.(estimator)
	fsys, err := f.Open(r, vl.base, length, s.opts.FS)
	if err != nil {
		estimate(est, -bound)
		s.notExamined(v, -1, "the file system could not be opened: "+Message(err), &volumeError{vl, err})
		return nil
	}
	if u, ok := fsys.(fs.Usage); ok && est != nil {
		if used := u.UsedBytes(); used >= 0 {
			estimate(est, used-bound)
			bound = used
		}
	}
	var found int64
	defer func() { estimate(est, found-bound) }()
	if l := fsys.Label(); l != "" && len(s.vols) > 0 {
		s.vols[len(s.vols)-1].Details["fs_label"] = l
	}
	index := vl.index
	prefix := "v" + strconv.Itoa(index) + "/"
	problem := func(err error) { v.Problem("", -1, &volumeError{vl, err}) }
	walk := fsys.Walk
	if nv, ok := v.(NameVisitor); ok {
		if l, ok := fsys.(fs.Lister); ok {
			if names := nv.Names(index); names != nil {
				walk = func(ctx context.Context, _ func(*fs.Entry) error, problem func(error)) error {
					return l.List(ctx, names, problem)
				}
			}
		}
	}
	err = walk(ctx, func(fe *fs.Entry) error {
		e := fsEntry(fe, &index, prefix)
		if fe.Open != nil {
			found += max(fe.Size, 0)
		}
		if fe.Extents != nil && vl.logical == nil {
			// image offsets of the content, for the disk-order pass (a
			// logical volume's extents are not contiguous in the image:
			// its files are read one by one)
			x, base := fe.Extents, vl.base
			e.Extents = func() []fs.Extent {
				out := x()
				for i := range out {
					if out[i].VolOff >= 0 {
						out[i].VolOff += base
					}
				}
				return out
			}
		}
		return v.Entry(e)
	}, problem)
	// After the walk: a file system may only know then (the zone its
	// times were read in, when some had none).
	if d, ok := fsys.(fs.Detailer); ok && len(s.vols) > 0 {
		for k, x := range d.Details() {
			s.vols[len(s.vols)-1].Details[k] = x
		}
	}
	return err
}

// fsEntry converts an entry of volume *vol, whose keys start with prefix.
func fsEntry(fe *fs.Entry, vol *int, prefix string) *Entry {
	e := &Entry{Path: fe.Path, Stream: fe.Stream, Type: fe.Type, Size: fe.Size, LinkTarget: fe.LinkTarget, Volume: vol, Deleted: fe.Deleted,
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
