// Package vdisk holds what the virtual-disk readers (triage/vhd,
// triage/vhdx, triage/vmdk, triage/qcow2) share: the search for the parent
// of a differencing disk, the bounds of a chain, and the block walk of
// ReadAt.
package vdisk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage/image/container"
)

// MaxChain is the most files a chain of differencing disks may hold.
const MaxChain = 64

// Disk is an opened virtual disk, or a raw file serving as a base image.
type Disk interface {
	io.ReaderAt
	Size() int64
	Close() error
	// Files lists the files of the disk and of its parents, the disk's
	// own first.
	Files() []container.Segment
	// OpenFiles lists the same files as opened, nil for one not held
	// open (a disk read from memory).
	OpenFiles() []*File
}

// Chain is what a chain being opened shares: the parents given by the
// examiner and the files already opened, against loops.
type Chain struct {
	Given []string
	seen  map[string]bool
}

// Enter records that path is opened as a member of the chain; it fails on
// a loop or a chain longer than MaxChain.
func (c *Chain) Enter(path string) error {
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	if c.seen[abs] {
		return fmt.Errorf("chain loop: %s is its own ancestor", path)
	}
	if len(c.seen) >= MaxChain {
		return fmt.Errorf("chain of more than %d files at %s", MaxChain, path)
	}
	c.seen[abs] = true
	return nil
}

// ChainOpenFiles is the OpenFiles of a disk held in one file, opened as
// own (nil or another closer for a disk read from memory), with parent.
func ChainOpenFiles(own io.Closer, parent Disk) []*File {
	f, _ := own.(*File)
	out := []*File{f}
	if parent != nil {
		out = append(out, parent.OpenFiles()...)
	}
	return out
}

// BaseName returns the last element of a recorded parent name, which may
// be a Windows path ("C:\vm\base.vhd"), a Unix path or a bare name.
func BaseName(recorded string) string {
	if i := strings.LastIndexAny(recorded, `/\`); i >= 0 {
		recorded = recorded[i+1:]
	}
	return recorded
}

// ErrNoParent is wrapped by the error returned when the parent of a
// differencing disk cannot be found.
var ErrNoParent = errors.New("missing parent")

// FindParent opens the parent of child, which records its parent's name
// as recorded and expects of it what want says ("UUID 1234...", for the
// errors). It tries, in order: the given parents whose name is the
// recorded name's last element; the file of that name next to the child;
// then, when identify is set (the parent carries an identifier), every
// other given parent. open opens and checks a candidate: a candidate with
// the recorded name that fails its check is an error; any other that fails
// is skipped. A path outside the child's folder is never followed unless
// it is given; a child read from memory (child "") has no folder.
func FindParent(c *Chain, child, recorded, want string, identify bool, open func(path string) (Disk, error)) (Disk, error) {
	base := BaseName(recorded)
	var tried []string
	used := map[string]bool{}
	try := func(p string) (Disk, error) {
		used[p] = true
		tried = append(tried, p)
		return open(p)
	}
	if base != "" && base != "." && base != ".." {
		for _, g := range c.Given {
			if strings.EqualFold(filepath.Base(g), base) {
				return try(g)
			}
		}
		if child != "" {
			p := filepath.Join(filepath.Dir(child), base)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				return try(p)
			}
		}
	}
	var errs []string
	if identify {
		for _, g := range c.Given {
			if used[g] {
				continue
			}
			d, err := try(g)
			if err == nil {
				return d, nil
			}
			errs = append(errs, err.Error())
		}
	}
	name := "the image"
	if child != "" {
		name = filepath.Base(child)
	}
	msg := fmt.Sprintf("parent %q (%s) of %s not found next to it", recorded, want, name)
	if len(tried) > 0 {
		msg += fmt.Sprintf(" nor among --parent %s", strings.Join(tried, ", "))
		if len(errs) > 0 {
			msg += " (" + strings.Join(errs, "; ") + ")"
		}
	}
	return nil, fmt.Errorf("%s; give it with --parent FILE: %w", msg, ErrNoParent)
}

// RawDisk is a raw file read as the base of a chain (a QCOW2 backing file
// in raw format).
type RawDisk struct {
	f    *File
	path string
	size int64
}

// OpenRaw opens path read-only as a raw disk.
func OpenRaw(path string) (*RawDisk, error) {
	f, size, err := OpenFile(path)
	if err != nil {
		return nil, err
	}
	return &RawDisk{f: f, path: path, size: size}, nil
}

// OpenFile opens a file of a virtual disk (the disk, an extent, a parent)
// as evidence is opened (internal/evidence: read-only, O_NOATIME, never a
// FIFO or a character device) and returns it with its size.
func OpenFile(path string) (*File, int64, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return &File{f: f, path: path, size: fi.Size()}, fi.Size(), nil
}

// OpenMember enters path into the chain c and opens it (OpenFile); mk
// builds the format's reader over the file, which is closed when mk fails.
// format prefixes a chain error ("vhd: ...").
func OpenMember[R any](format, path string, c *Chain, mk func(f *File, size int64) (R, error)) (R, error) {
	var zero R
	if err := c.Enter(path); err != nil {
		return zero, fmt.Errorf("%s: %w", format, err)
	}
	f, size, err := OpenFile(path)
	if err != nil {
		return zero, err
	}
	r, err := mk(f, size)
	if err != nil {
		f.Close()
		return zero, err
	}
	return r, nil
}

func (r *RawDisk) ReadAt(p []byte, off int64) (int, error) {
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

func (r *RawDisk) Size() int64  { return r.size }
func (r *RawDisk) Close() error { return r.f.Close() }
func (r *RawDisk) Files() []container.Segment {
	return []container.Segment{{Path: r.path, Size: r.size}}
}
func (r *RawDisk) OpenFiles() []*File { return []*File{r.f} }

// ReadParent reads p from the parent at off, as zeros where the parent is
// shorter than the child (a child may be larger than its parent). A nil
// parent reads as zeros.
func ReadParent(parent Disk, p []byte, off int64) error {
	if parent == nil {
		clear(p)
		return nil
	}
	psize := parent.Size()
	if off >= psize {
		clear(p)
		return nil
	}
	n := int(min(int64(len(p)), psize-off))
	m, err := parent.ReadAt(p[:n], off)
	clear(p[n:])
	if err != nil && !(errors.Is(err, io.EOF) && m == n) {
		var re *container.RegionError
		if errors.As(err, &re) {
			return err
		}
		clear(p[m:n])
		return &container.RegionError{Off: off + int64(m), Length: int64(n - m), Err: fmt.Errorf("parent: %w", err)}
	}
	return nil
}

// ReadBlocks is the body of a block-mapped ReadAt: it checks off against
// size, splits p at multiples of blockSize and calls read for each piece
// with the block number and the offset within it. A piece whose read
// fails is zero-filled and the walk goes on; the first error is returned
// with the full length read. Past size the result is io.EOF, as
// io.ReaderAt asks.
func ReadBlocks(p []byte, off, size, blockSize int64, read func(p []byte, block, within int64) error) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	want := len(p)
	if rem := size - off; int64(want) > rem {
		p = p[:rem]
	}
	var first error
	var firstRE *container.RegionError
	var lastEnd int64
	more := 0
	n := 0
	for n < len(p) {
		b := (off + int64(n)) / blockSize
		within := (off + int64(n)) % blockSize
		m := int(min(int64(len(p)-n), blockSize-within))
		if err := read(p[n:n+m], b, within); err != nil {
			clear(p[n : n+m])
			var re *container.RegionError
			switch {
			case first == nil:
				first = err
				if errors.As(err, &re) {
					firstRE, lastEnd = re, re.Off+re.Length
				}
			case firstRE != nil && errors.As(err, &re):
				more++
				lastEnd = re.Off + re.Length
			}
		}
		n += m
	}
	if more > 0 {
		// One error for the read: from the first unreadable byte to the
		// last, saying how many more ranges it covers.
		return n, &container.RegionError{Off: firstRE.Off, Length: lastEnd - firstRE.Off,
			Err: fmt.Errorf("%w (and %d more unreadable range(s) up to media byte %#x)", firstRE.Err, more, lastEnd-1)}
	}
	if first != nil {
		return n, first
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// ReadFull reads len(p) bytes of f at off; a short read is an error naming
// the offset (io.ErrUnexpectedEOF).
func ReadFull(f io.ReaderAt, p []byte, off int64) error {
	n, err := f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Row returns a labelled row.
func Row(label, value string) container.Row { return container.Row{Label: label, Value: value} }

// ChainRows lists the files of a chain as rows ("File", "Parent", ...).
func ChainRows(files []container.Segment) []container.Row {
	var rows []container.Row
	for i, f := range files {
		label := "File"
		if i > 0 {
			label = fmt.Sprintf("Parent %d", i)
			if i == 1 {
				label = "Parent"
			}
		}
		rows = append(rows, Row(label, fmt.Sprintf("%s (%d bytes)", f.Path, f.Size)))
	}
	return rows
}

// Label names a flattened metadata key prefix+"."+name as title+": "+the
// label of name, for the container table's label functions.
func Label(title, prefix string, labels map[string]string, key string) (string, bool) {
	name, ok := strings.CutPrefix(key, prefix+".")
	if !ok {
		return "", false
	}
	l, ok := labels[name]
	if !ok {
		return "", false
	}
	return title + ": " + l, true
}
