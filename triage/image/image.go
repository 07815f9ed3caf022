// Package image opens disk images: raw images and block devices, split raw
// images (name.001, name.002…; name.000, name.001…; nameaa, nameab…)
// presented as one logical image, and the container formats listed in
// formats.go (E01), each read by its own package.
//
// Every Image is an io.ReaderAt with a Size. ReadAt follows the io.ReaderAt
// contract: a read that reaches the end of the image returns the bytes
// before the end and io.EOF; a read that starts at or past the end returns
// 0, io.EOF. Concurrent ReadAt calls are safe.
//
// What a container knows beyond its media (acquisition metadata, stored
// hashes, damaged regions, its segment files) is reached through the
// optional interfaces of package container, checked with a type assertion
// on the interface; only formats.go names a container format's reader.
package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage/fs"
	fsformats "github.com/triagekit/triage/triage/fs/formats"
	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/volume"
)

// Image is a disk image opened read-only.
type Image interface {
	io.ReaderAt
	// Size is the logical media size in bytes.
	Size() int64
	Close() error
}

// Segment is one file of an image stored in several files.
type Segment = container.Segment

// Info describes an opened image, for the evidence item's metadata.
type Info = container.Info

// Describer is implemented by images that can describe themselves. Every
// image returned by Open implements it.
type Describer = container.Describer

// ErrNotImage is returned when a file is not a recognised disk image.
var ErrNotImage = errors.New("not a recognised disk image")

// Kind is what the first bytes of a file look like.
type Kind string

// Kinds recognised by Detect. A bare volume's kind is the name of its file
// system in the table formats.All ("ntfs", "fat", "ext"...).
const (
	KindNone Kind = ""
	KindEWF  Kind = "ewf"
	KindMBR  Kind = "mbr" // DOS partition table (or a GPT protective MBR)
	// KindPV is a physical volume of a volume manager (an LVM2 label in
	// one of the first four sectors) without a partition table.
	KindPV Kind = "pv"
)

// Detect tells from its content whether r holds a disk image or volume. It
// reads at most the first fs.ProbeSize and the last 4 KiB.
func Detect(r io.ReaderAt, size int64) Kind {
	head, tail := readEnds(r, size)
	if f := matchFormat(head, tail); f != nil {
		return f.kind
	}
	return detectBytes(head)
}

// readEnds returns the first fs.ProbeSize and the last matchSize bytes of
// r (fewer when r is shorter or a read fails): the container table sees
// the first and last matchSize, the file-system table the whole head.
func readEnds(r io.ReaderAt, size int64) (head, tail []byte) {
	head = make([]byte, max(fs.ProbeSize, matchSize))
	n, _ := r.ReadAt(head, 0)
	head = head[:n]
	if size <= matchSize {
		return head, head
	}
	tail = make([]byte, matchSize)
	n, _ = r.ReadAt(tail, size-matchSize)
	return head, tail[:n]
}

// matchFormat returns the first container format matching a file's ends.
func matchFormat(head, tail []byte) *format {
	head = head[:min(len(head), matchSize)]
	for i := range formats {
		if formats[i].match(head, tail) {
			return &formats[i]
		}
	}
	return nil
}

// MetadataLabel names a flattened key of the metadata a container format
// records on the evidence item ("ewf.media.sector_count" -> "E01 media:
// sector count"), for reports; ok is false when no format knows the key.
func MetadataLabel(key string) (label string, ok bool) {
	for _, f := range formats {
		if f.label != nil {
			if l, ok := f.label(key); ok {
				return l, true
			}
		}
	}
	return "", false
}

// detectBytes names the bare volume or partition table that starts b.
func detectBytes(b []byte) Kind {
	if f := fsformats.Detect(b); f != nil {
		return Kind(f.Name)
	}
	if volume.SaneMBR(b) {
		return KindMBR
	}
	if volume.PhysicalVolume(b) {
		return KindPV
	}
	return KindNone
}

// OpenOptions control how an image is opened.
type OpenOptions struct {
	// Parents are files given by the examiner as the parents of a
	// differencing virtual disk (VHD, VHDX, VMDK snapshot, QCOW2 backing
	// file), wherever they are; without them a parent is looked for only
	// next to its child, by the name the child records.
	Parents []string
}

// Open opens the image at path read-only, choosing the reader from the
// first and last bytes of the file: a container format of the table in
// formats.go (E01, VHD, VHDX, VMDK, QCOW2) opens with its own reader;
// anything else is read as raw. A first segment of a split raw image
// (name.000, name.001, nameaa) whose next segment exists opens every
// segment as one image. Block devices are read as raw.
func Open(path string) (Image, error) {
	return OpenWith(path, OpenOptions{})
}

// OpenWith is Open with options.
func OpenWith(path string, o OpenOptions) (Image, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	size := fi.Size()
	device := fi.Mode()&os.ModeDevice != 0
	if device {
		if size, err = f.Seek(0, io.SeekEnd); err != nil {
			f.Close()
			return nil, fmt.Errorf("cannot find the size of device %q: %w", path, err)
		}
	}
	if ft := matchFormat(readEnds(f, size)); ft != nil {
		f.Close()
		return ft.open(path, o)
	}
	if device {
		return &rawImage{f: f, path: path, size: size, format: "device"}, nil
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("cannot open image %q: not a regular file or device", path)
	}
	if segs := SplitSegments(path); len(segs) > 1 {
		f.Close()
		return OpenSplit(segs)
	}
	return &rawImage{f: f, path: path, size: size, format: "raw"}, nil
}

// rawImage is a single file or device.
type rawImage struct {
	f      *os.File
	path   string
	size   int64
	format string
}

func (r *rawImage) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.size {
		return 0, io.EOF
	}
	if rem := r.size - off; int64(len(p)) > rem {
		n, err := r.f.ReadAt(p[:rem], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return r.f.ReadAt(p, off)
}

func (r *rawImage) Size() int64  { return r.size }
func (r *rawImage) Close() error { return r.f.Close() }
func (r *rawImage) Describe() Info {
	return Info{Format: r.format, Segments: []Segment{{Path: r.path, Size: r.size}}}
}

// SplitSegments returns the segment files of the split raw image whose
// first segment is path, in order, or nil when path is not the first
// segment of a split image (no next segment exists). Recognised names:
// name.000 or name.001 followed by name.001/name.002… (any width of
// digits, at least 3), and nameaa followed by nameab… (two or more letters,
// as split(1) makes them).
func SplitSegments(path string) []string {
	dir, base := filepath.Split(path)
	next := splitNamer(base)
	if next == nil {
		return nil
	}
	segs := []string{path}
	for i := 1; i < maxSegments; i++ {
		name, ok := next(i)
		if !ok {
			break
		}
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil || !fi.Mode().IsRegular() {
			break
		}
		segs = append(segs, p)
	}
	if len(segs) < 2 {
		return nil
	}
	return segs
}

const maxSegments = 100000

// splitNamer returns a function giving the name of the i-th segment after
// base, or nil when base is not a first segment.
func splitNamer(base string) func(i int) (string, bool) {
	if dot := strings.LastIndexByte(base, '.'); dot >= 0 {
		ext := base[dot+1:]
		if len(ext) >= 3 && allDigits(ext) {
			first, _ := strconv.Atoi(ext)
			if first > 1 {
				return nil
			}
			width := len(ext)
			return func(i int) (string, bool) {
				s := fmt.Sprintf("%0*d", width, first+i)
				if len(s) > width {
					return "", false
				}
				return base[:dot+1] + s, true
			}
		}
	}
	// nameaa, nameab, ... (split's default suffixes)
	k := 0
	for k < len(base) && k < 8 && base[len(base)-1-k] == 'a' {
		k++
	}
	if k < 2 || k == len(base) {
		return nil
	}
	stem := base[:len(base)-k]
	return func(i int) (string, bool) {
		suf := make([]byte, k)
		for j := k - 1; j >= 0; j-- {
			suf[j] = byte('a' + i%26)
			i /= 26
		}
		if i > 0 {
			return "", false
		}
		return stem + string(suf), true
	}
}

func allDigits(s string) bool {
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
