package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

// Address selects one file or stream of a disk image: by the Sleuth Kit's
// metadata address (INODE, INODE-TYPE or INODE-TYPE-ID, as icat takes it)
// or by its path inside the image.
type Address struct {
	Inode    uint64
	AttrType int // -1: not given; NTFS $DATA is 128
	AttrID   int // -1: not given
	// Path is set when the address is a path ("/docs/a.txt", a stream
	// after a colon: "/docs/a.txt:secret").
	Path string
}

// maxAddressLen bounds an address given on the command line.
const maxAddressLen = 64 << 10

// ParseAddress parses an address: "36", "36-128", "36-128-4", or a path.
// Any argument that is not all digits and dashes is a path; a path
// without a leading "/" gets one.
func ParseAddress(s string) (Address, error) {
	a := Address{AttrType: -1, AttrID: -1}
	if s == "" {
		return a, errors.New("empty address")
	}
	if len(s) > maxAddressLen {
		return a, fmt.Errorf("address of %d bytes is longer than %d", len(s), maxAddressLen)
	}
	if strings.Trim(s, "0123456789-") != "" {
		a.Path = s
		if !strings.HasPrefix(a.Path, "/") {
			a.Path = "/" + a.Path
		}
		return a, nil
	}
	parts := strings.Split(s, "-")
	if len(parts) > 3 {
		return a, fmt.Errorf("address %q: use INODE, INODE-TYPE or INODE-TYPE-ID", s)
	}
	n, err := strconv.ParseUint(parts[0], 10, 64)
	if err != nil {
		return a, fmt.Errorf("address %q: %q is not an inode number", s, parts[0])
	}
	a.Inode = n
	for i, p := range parts[1:] {
		v, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return a, fmt.Errorf("address %q: %q is not an attribute type or id", s, p)
		}
		if i == 0 {
			a.AttrType = int(v)
		} else {
			a.AttrID = int(v)
		}
	}
	if a.AttrType >= 0 && a.AttrType != 128 {
		return a, fmt.Errorf("address %q: only the $DATA attribute (type 128) holds content triage reads", s)
	}
	return a, nil
}

func (a Address) String() string {
	if a.Path != "" {
		return a.Path
	}
	s := strconv.FormatUint(a.Inode, 10)
	if a.AttrType >= 0 {
		s += "-" + strconv.Itoa(a.AttrType)
	}
	if a.AttrID >= 0 {
		s += "-" + strconv.Itoa(a.AttrID)
	}
	return s
}

// CatOptions control Cat.
type CatOptions struct {
	Image triage.ImageOptions
	// Volume selects the volume by its index (as `triage ls` numbers
	// them); -1: any.
	Volume int
	// Sector selects the volume that starts at this sector (icat's -o);
	// -1: any.
	Sector int64
	// Address, when set, gives the metadata address an entry of img goes
	// by (the Sleuth Kit's, as `triage ls --files` prints it) where it
	// differs from the recorded inode (FAT and exFAT); ok false: the
	// recorded inode.
	Address func(img image.Image, e *triage.Entry) (inode uint64, ok bool)
}

// CatResult says what Cat wrote.
type CatResult struct {
	Path    string
	Stream  string
	Volume  int // -1: none
	Deleted bool
	Size    int64 // declared size
	Written int64
	// Incomplete says why the bytes written do not cover the whole
	// content ("" when they do): a deleted file's clusters reused, a
	// run outside the volume, an unsupported compression.
	Incomplete string
}

// ErrNotFound is returned by Cat when no entry has the address.
var ErrNotFound = errors.New("no such file or stream")

// errFound stops a walk once the entry is handled.
var errFound = errors.New("found")

// match reports whether e is the entry a selects (its path already
// compared when a is a path).
func (a Address) matchInode(e *triage.Entry) bool {
	if e.Inode == nil || *e.Inode != a.Inode || e.Open == nil {
		return false
	}
	if a.AttrID >= 0 {
		id, ok := dataAttrID(e.Extra["ntfs_attr"])
		return ok && id == a.AttrID
	}
	// INODE alone (or INODE-128) is the main content, as icat reads it
	return e.Stream == ""
}

// dataAttrID returns the id of a $DATA attribute from a record's
// extra.ntfs_attr ("128-ID").
func dataAttrID(v any) (int, bool) {
	s, _ := v.(string)
	rest, ok := strings.CutPrefix(s, "128-")
	if !ok {
		return 0, false
	}
	id, err := strconv.Atoi(rest)
	return id, err == nil
}

// ResolveVolume returns the index of the volume of img that starts at
// sector (in 512-byte units or the table's sector size), as icat's -o
// selects a file system.
func ResolveVolume(img image.Image, sector int64) (int, error) {
	t, err := volume.Read(img, img.Size())
	if err != nil {
		return -1, err
	}
	for _, p := range t.Partitions {
		if p.Offset == sector*512 || p.Offset == sector*int64(t.SectorSize) {
			return p.Index, nil
		}
	}
	return -1, fmt.Errorf("no volume starts at sector %d (see 'triage ls')", sector)
}

// Cat writes the content of the file or stream at address a of the disk
// image at path to w (deleted files too, where their content can be
// rebuilt). Problems met on the way that do not stop it go to problem.
func Cat(ctx context.Context, path string, a Address, o *CatOptions, w io.Writer, problem func(error)) (*CatResult, error) {
	img, err := image.OpenWith(path, image.OpenOptions{Parents: o.Image.Parents})
	if err != nil {
		return nil, err
	}
	vol := o.Volume
	if o.Sector >= 0 {
		if vol, err = ResolveVolume(img, o.Sector); err != nil {
			img.Close()
			return nil, err
		}
	}
	src := triage.NewImageSource(path, img, o.Image)
	defer src.Close()
	v := &catVisitor{a: a, vol: vol, w: w, problem: problem}
	if o.Address != nil {
		v.address = func(e *triage.Entry) (uint64, bool) { return o.Address(img, e) }
	}
	if a.Path != "" {
		v.path, v.stream = a.Path, ""
		if i := strings.LastIndexByte(a.Path, ':'); i > 0 {
			v.altPath, v.altStream = a.Path[:i], a.Path[i+1:]
		}
	}
	err = guardedWalk(ctx, src, v)
	switch {
	case errors.Is(err, errFound):
		return v.res, v.err
	case err != nil:
		return nil, err
	case v.alt != nil:
		// "/dir/name:stream" named no file of that exact name: the stream
		if err := v.write(v.alt); err != nil && !errors.Is(err, errFound) {
			return nil, err
		}
		return v.res, v.err
	}
	return nil, fmt.Errorf("%w at address %s in %s", ErrNotFound, a, path)
}

type catVisitor struct {
	a                  Address
	vol                int
	w                  io.Writer
	problem            func(error)
	path, stream       string
	altPath, altStream string
	alt                *triage.Entry
	res                *CatResult
	err                error
	address            func(e *triage.Entry) (uint64, bool)
}

func (v *catVisitor) Entry(e *triage.Entry) error {
	if v.vol >= 0 && (e.Volume == nil || *e.Volume != v.vol) {
		return nil
	}
	if v.a.Path == "" {
		if v.address != nil && e.Inode != nil {
			if n, ok := v.address(e); ok {
				c := *e
				c.Inode = &n
				e = &c
			}
		}
		if !v.a.matchInode(e) {
			return nil
		}
		return v.write(e)
	}
	if e.Path == v.path && e.Stream == v.stream {
		if e.Open == nil {
			v.err = fmt.Errorf("%s is a %s: it has no content to show", v.path, e.Type)
			return errFound
		}
		return v.write(e)
	}
	if v.alt == nil && v.altPath != "" && e.Path == v.altPath && e.Stream == v.altStream && e.Open != nil {
		c := *e
		v.alt = &c
	}
	return nil
}

func (v *catVisitor) write(e *triage.Entry) error {
	v.res = &CatResult{Path: e.Path, Stream: e.Stream, Volume: -1, Deleted: e.Deleted, Size: e.Size}
	if e.Volume != nil {
		v.res.Volume = *e.Volume
	}
	if e.Err != nil {
		v.err = fmt.Errorf("%s: %w", e.Path, e.Err)
		return errFound
	}
	rc, err := e.Open()
	if err != nil {
		v.err = fmt.Errorf("cannot open %s: %w", e.Path, err)
		return errFound
	}
	defer rc.Close()
	// never more than the declared size: a stream that yields more is cut
	n, err := io.Copy(v.w, io.LimitReader(rc, max(e.Size, 0)))
	v.res.Written = n
	if err != nil {
		v.err = fmt.Errorf("read error in %s after %d of %d bytes: %w", e.Path, n, e.Size, err)
		return errFound
	}
	if pr, ok := rc.(triage.PartialReader); ok {
		if reason, inc := pr.Incomplete(); inc {
			v.res.Incomplete = reason
		}
	}
	if n != e.Size && v.res.Incomplete == "" {
		v.res.Incomplete = fmt.Sprintf("read %d bytes, expected %d", n, e.Size)
	}
	return errFound
}

func (v *catVisitor) Problem(path string, offset int64, err error) {
	if v.problem != nil {
		v.problem(err)
	}
}

// guardedWalk runs the walk of src behind a panic boundary, as the scan
// does: a panic in a parser becomes an error naming the source.
func guardedWalk(ctx context.Context, src triage.Source, v triage.Visitor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("walk of %q stopped by an internal error: %v", src.Info().Path, r)
		}
	}()
	return src.Walk(ctx, v)
}
