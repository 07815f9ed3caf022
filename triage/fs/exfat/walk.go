package exfat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"
)

// Attr holds a File entry's attributes.
type Attr uint16

// Attribute bits.
const (
	AttrReadOnly Attr = 0x01
	AttrHidden   Attr = 0x02
	AttrSystem   Attr = 0x04
	AttrDir      Attr = 0x10
	AttrArchive  Attr = 0x20
)

// Names returns the set attributes by name ("read-only", "hidden",
// "system", "archive"), in that order.
func (a Attr) Names() []string {
	var n []string
	for _, x := range [...]struct {
		bit  Attr
		name string
	}{{AttrReadOnly, "read-only"}, {AttrHidden, "hidden"}, {AttrSystem, "system"}, {AttrArchive, "archive"}} {
		if a&x.bit != 0 {
			n = append(n, x.name)
		}
	}
	return n
}

// Item is one file or folder found by Walk.
type Item struct {
	Path    string
	Name    string
	RawName []byte // the name's UTF-16LE code units as stored
	// Entry is the volume offset of the File entry that opens the
	// entry set: the entry's address.
	Entry        int64
	IsDir        bool
	Deleted      bool // the entry set is not in use, or lies in a deleted folder
	Attr         Attr
	Size         int64 // DataLength
	ValidSize    int64 // ValidDataLength: bytes past it read as zeros
	FirstCluster uint32
	NoFatChain   bool // the clusters are contiguous, the FAT is not used
	// Times as recorded: in their UTC offset when it is valid, else in
	// FS.Zone(), and then ZoneAssumed is set.
	Created, Modified, Accessed time.Time
	ZoneAssumed                 bool
	Complete                    bool
	Incomplete                  string
	// Recovered marks a deleted file's content: "contiguous" (read from
	// its first cluster on, as its stream extension says) or "fat-chain"
	// (the chain the FAT still holds).
	Recovered string
	Readable  int64 // how many bytes Open yields

	runs []run
}

type run struct{ first, n uint32 }

func (fs *FS) clustersOf(runs []run) int64 {
	var n int64
	for _, r := range runs {
		n += int64(r.n)
	}
	return n
}

// Open returns a reader of the item's content: Readable bytes, those past
// ValidSize as zeros. Items may be read concurrently.
func (fs *FS) Open(it *Item) *io.SectionReader {
	return io.NewSectionReader(&runReader{fs: fs, runs: it.runs, valid: it.ValidSize, path: it.Path}, 0, it.Readable)
}

type runReader struct {
	fs    *FS
	runs  []run
	valid int64
	path  string
}

func (r *runReader) ReadAt(p []byte, off int64) (int, error) {
	cs := r.fs.ClusterSize
	n := 0
	pos := int64(0)
	for _, ru := range r.runs {
		l := int64(ru.n) * cs
		for n < len(p) && off+int64(n) < pos+l {
			at := off + int64(n) - pos
			want := min(int64(len(p)-n), l-at)
			if fo := off + int64(n); fo >= r.valid {
				clear(p[n : n+int(want)])
				n += int(want)
				continue
			} else {
				want = min(want, r.valid-fo)
			}
			vol := r.fs.clusterOff(ru.first) + at
			m, err := r.fs.r.ReadAt(p[n:n+int(want)], vol)
			n += m
			if m < int(want) {
				if err == nil || errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return n, &FormatError{Off: r.fs.base + vol + int64(m), Path: r.path, Msg: fmt.Sprintf("content ends early at offset %d (truncated image?)", off+int64(n)), Err: err}
			}
		}
		pos += l
		if n == len(p) {
			return n, nil
		}
	}
	return n, io.EOF
}

// bitmap is one bit per cluster in the image.
type bitmap []uint64

func (fs *FS) newBitmap() bitmap { return make(bitmap, (fs.imageClusters()+2+63)/64) }

func (fs *FS) imageClusters() int64 {
	if fs.size <= fs.heapOff {
		return 0
	}
	return min(fs.Clusters, (fs.size-fs.heapOff+fs.ClusterSize-1)/fs.ClusterSize)
}

func (b bitmap) get(c uint32) bool {
	i := c / 64
	return int(i) < len(b) && b[i]&(1<<(c%64)) != 0
}

func (b bitmap) set(c uint32) {
	if i := c / 64; int(i) < len(b) {
		b[i] |= 1 << (c % 64)
	}
}

type chainError struct {
	off int64
	msg string
}

// chain returns the runs of n clusters from first: contiguous, or
// following the FAT. A folder of unknown length (the root) passes n < 0
// and ends at the end-of-chain mark (at most max clusters).
func (fs *FS) chain(first uint32, n int64, contiguous bool, used bitmap, entry int64) ([]run, *chainError) {
	if !fs.valid(first) {
		return nil, &chainError{off: entry, msg: fmt.Sprintf("first cluster %d lies outside the volume (clusters 2 to %d)", first, fs.Clusters+1)}
	}
	if contiguous {
		if int64(first)+n > fs.Clusters+2 {
			return nil, &chainError{off: entry, msg: fmt.Sprintf("contiguous clusters %d to %d run past the volume", first, int64(first)+n-1)}
		}
		for k := uint32(0); int64(k) < n; k++ {
			if used != nil {
				if used.get(first + k) {
					return nil, &chainError{off: fs.clusterOff(first + k), msg: fmt.Sprintf("cluster %d is cross-linked (already part of another file or folder)", first+k)}
				}
				used.set(first + k)
			}
		}
		if n == 0 {
			return nil, nil
		}
		return []run{{first, uint32(n)}}, nil
	}
	limit := n
	if n < 0 {
		limit = MaxDirBytes / fs.ClusterSize
	}
	var runs []run
	c := first
	for count := int64(0); count < limit; count++ {
		if used != nil {
			if used.get(c) {
				for _, r := range runs {
					if c >= r.first && c < r.first+r.n {
						return runs, &chainError{off: fs.entryOff(last(runs)), msg: fmt.Sprintf("cluster chain loops back to cluster %d", c)}
					}
				}
				return runs, &chainError{off: fs.clusterOff(c), msg: fmt.Sprintf("cluster %d is cross-linked (already part of another file or folder)", c)}
			}
			used.set(c)
		}
		if k := len(runs) - 1; k >= 0 && runs[k].first+runs[k].n == c {
			runs[k].n++
		} else {
			runs = append(runs, run{c, 1})
		}
		if count+1 == limit && n >= 0 {
			break
		}
		nx := fs.next(c)
		switch {
		case nx >= entryEOC:
			if n >= 0 {
				return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain ends after %d clusters, before the file's end", count+1)}
			}
			return runs, nil
		case nx == entryUnread:
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("entry of cluster %d lies past the readable FAT", c)}
		case nx == entryBad:
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain reaches a cluster marked bad after cluster %d", c)}
		case !fs.valid(nx):
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain points to cluster %d, outside the volume (clusters 2 to %d)", nx, fs.Clusters+1)}
		}
		c = nx
	}
	if n < 0 {
		return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("folder chain longer than %d clusters; the rest is not read", limit)}
	}
	return runs, nil
}

func last(runs []run) uint32 { r := runs[len(runs)-1]; return r.first + r.n - 1 }

// read reads the first size bytes of runs.
func (fs *FS) read(runs []run, size int64, what string) ([]byte, error) {
	size = max(0, min(size, fs.clustersOf(runs)*fs.ClusterSize))
	buf := make([]byte, 0, min(size, 1<<20))
	for _, r := range runs {
		l := min(int64(r.n)*fs.ClusterSize, size-int64(len(buf)))
		if l <= 0 {
			break
		}
		start := len(buf)
		buf = append(buf, make([]byte, l)...)
		n, err := fs.readFull(buf[start:], fs.clusterOff(r.first), what)
		if err != nil {
			return buf[:start+n], err
		}
	}
	return buf, nil
}

// readRoot finds the allocation bitmap, the up-case table, the label and
// the GUID in the root folder.
func (fs *FS) readRoot() error {
	runs, cerr := fs.chain(fs.root, -1, false, nil, 0)
	if cerr != nil && len(runs) == 0 {
		return &FormatError{Off: fs.base + cerr.off, Path: "/", Msg: "root folder: " + cerr.msg}
	}
	buf, err := fs.read(runs, MaxDirBytes, "root folder")
	if err != nil {
		fs.problems = append(fs.problems, err)
	}
	found := false
	for pos := 0; pos+32 <= len(buf); pos += 32 {
		e := buf[pos : pos+32]
		switch e[0] {
		case 0:
			pos = len(buf)
		case 0x81:
			if found {
				continue // TexFAT's second bitmap
			}
			found = true
			first := binary.LittleEndian.Uint32(e[20:])
			length := int64(binary.LittleEndian.Uint64(e[24:]))
			need := (fs.Clusters + 7) / 8
			if length < need {
				return &FormatError{Off: fs.base + fs.clusterOff(fs.root) + int64(pos), Msg: fmt.Sprintf("allocation bitmap of %d bytes cannot map %d clusters", length, fs.Clusters)}
			}
			bruns, cerr := fs.chain(first, (need+fs.ClusterSize-1)/fs.ClusterSize, false, nil, int64(pos))
			if cerr != nil {
				fs.problems = append(fs.problems, &FormatError{Off: fs.base + cerr.off, Path: "$ALLOC_BITMAP", Msg: cerr.msg})
			}
			fs.meta = append(fs.meta, bruns...)
			fs.bitmap, err = fs.read(bruns, need, "allocation bitmap")
			if err != nil {
				fs.problems = append(fs.problems, err)
			}
		case 0x82:
			first := binary.LittleEndian.Uint32(e[20:])
			length := int64(binary.LittleEndian.Uint64(e[24:]))
			want := binary.LittleEndian.Uint32(e[4:])
			if length < 0 || length > 1<<20 {
				fs.problems = append(fs.problems, &FormatError{Off: fs.base + fs.clusterOff(fs.root) + int64(pos), Msg: fmt.Sprintf("up-case table of %d bytes", length)})
				continue
			}
			uruns, _ := fs.chain(first, (length+fs.ClusterSize-1)/fs.ClusterSize, false, nil, int64(pos))
			fs.meta = append(fs.meta, uruns...)
			table, err := fs.read(uruns, length, "up-case table")
			if err != nil {
				fs.problems = append(fs.problems, err)
				continue
			}
			var sum uint32
			for _, c := range table {
				sum = (sum>>1 | sum<<31) + uint32(c)
			}
			if sum != want || int64(len(table)) != length {
				fs.problems = append(fs.problems, &FormatError{Off: fs.base + fs.clusterOff(first), Msg: fmt.Sprintf("up-case table checksum %#x does not match %#x", sum, want)})
			}
		case 0x83:
			n := min(int(e[1]), 11)
			fs.Label = decodeUTF16(e[2 : 2+2*n])
		case 0xa0:
			fs.HasGUID = true
			copy(fs.GUID[:], e[6:22])
		}
	}
	if !found {
		return &FormatError{Off: fs.base + fs.clusterOff(fs.root), Path: "/", Msg: "no allocation bitmap entry in the root folder"}
	}
	return nil
}

func decodeUTF16(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

// exTime decodes a timestamp, its 10 ms increment and its UTC offset.
func exTime(ts uint32, ms10, off uint8, loc *time.Location) (time.Time, bool) {
	if ts == 0 {
		return time.Time{}, false
	}
	date, tm := ts>>16, ts&0xffff
	y, mo, d := int(date>>9)+1980, int(date>>5&0x0f), int(date&0x1f)
	h, mi, s := int(tm>>11), int(tm>>5&0x3f), int(tm&0x1f)*2
	if mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || ms10 > 199 {
		return time.Time{}, false
	}
	assumed := true
	if off&0x80 != 0 {
		mins := int(int8(off<<1)>>1) * 15
		loc = time.FixedZone(fmt.Sprintf("UTC%+03d:%02d", mins/60, abs(mins%60)), mins*60)
		assumed = false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, int(ms10)*10*int(time.Millisecond), loc), assumed
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// setChecksum computes an entry set's checksum with every entry marked in
// use (a deleted set was summed before its in-use bits were cleared).
func setChecksum(set []byte) uint16 {
	var sum uint16
	for i, c := range set {
		if i == 2 || i == 3 {
			continue
		}
		if i%32 == 0 {
			c |= 0x80
		}
		sum = (sum>>1 | sum<<15) + uint16(c)
	}
	return sum
}

type walker struct {
	fs      *FS
	ctx     context.Context
	visit   func(*Item) error
	problem func(error)
	used    bitmap
	delDirs bitmap
	n       int
}

// Walk visits every file and folder, live and deleted, depth first in
// directory order. Problems go to problem and the walk goes on.
func (fs *FS) Walk(ctx context.Context, visit func(*Item) error, problem func(error)) error {
	for _, p := range fs.problems {
		problem(p)
	}
	w := &walker{fs: fs, ctx: ctx, visit: visit, problem: problem, used: fs.newBitmap(), delDirs: fs.newBitmap()}
	// The allocation bitmap and up-case table belong to no item: a file
	// claiming their clusters is cross-linked.
	for _, r := range fs.meta {
		for k := uint32(0); k < r.n; k++ {
			w.used.set(r.first + k)
		}
	}
	runs, cerr := fs.chain(fs.root, -1, false, w.used, 0)
	if cerr != nil {
		problem(&FormatError{Off: fs.base + cerr.off, Path: "/", Msg: "root folder: " + cerr.msg})
	}
	return w.dir("", runs, MaxDirBytes, false, 0)
}

func (w *walker) dir(path string, runs []run, size int64, deleted bool, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	fs := w.fs
	shown := path
	if shown == "" {
		shown = "/"
	}
	buf, err := fs.read(runs, size, "folder")
	if err != nil {
		var fe *FormatError
		if errors.As(err, &fe) {
			fe.Path = shown
		}
		w.problem(err)
	}
	// locate maps a folder position to its volume offset.
	locate := func(pos int) int64 {
		p := int64(pos)
		for _, r := range runs {
			l := int64(r.n) * fs.ClusterSize
			if p < l {
				return fs.clusterOff(r.first) + p
			}
			p -= l
		}
		return -1
	}
	var items []*Item
	for pos := 0; pos+32 <= len(buf); pos += 32 {
		e := buf[pos : pos+32]
		t := e[0]
		if t == 0 {
			break
		}
		if t&0x7f != 0x05 {
			continue
		}
		live := t&0x80 != 0
		sc := int(e[1])
		end := pos + (sc+1)*32
		if sc < 2 || sc > 18 || end > len(buf) {
			continue
		}
		set := buf[pos:end]
		okTypes := true
		for k := 1; k <= sc; k++ {
			want := byte(0x41)
			if k == 1 {
				want = 0x40
			}
			if set[k*32]&0x7f != want || (set[k*32]&0x80 != 0) != live {
				okTypes = false
			}
		}
		if !okTypes {
			continue
		}
		if setChecksum(set) != binary.LittleEndian.Uint16(e[2:]) {
			if live && !deleted {
				w.problem(&FormatError{Off: fs.base + locate(pos), Path: shown, Msg: "directory entry set checksum does not match; the set is skipped"})
			}
			continue
		}
		it := fs.item(set, path, locate(pos), !live || deleted)
		if it == nil {
			continue
		}
		items = append(items, it)
		pos = end - 32
	}
	for _, it := range items {
		if it.IsDir {
			if err := w.folder(it, depth); err != nil {
				return err
			}
			continue
		}
		w.content(it)
		if err := w.emit(it); err != nil {
			return err
		}
	}
	return nil
}

// item parses an entry set.
func (fs *FS) item(set []byte, dir string, off int64, deleted bool) *Item {
	f, s := set[:32], set[32:64]
	nameLen := int(s[3])
	if nameLen == 0 {
		return nil
	}
	var units []uint16
	for k := 64; k+32 <= len(set) && len(units) < nameLen; k += 32 {
		for i := 2; i < 32 && len(units) < nameLen; i += 2 {
			units = append(units, binary.LittleEndian.Uint16(set[k+i:]))
		}
	}
	if len(units) < nameLen {
		return nil
	}
	raw := make([]byte, 2*len(units))
	for i, u := range units {
		binary.LittleEndian.PutUint16(raw[2*i:], u)
	}
	var name strings.Builder
	for _, r := range utf16.Decode(units) {
		name.WriteRune(r)
	}
	it := &Item{Name: name.String(), RawName: raw, Entry: off, Deleted: deleted, Complete: true}
	it.Path = dir + "/" + it.Name
	attr := Attr(binary.LittleEndian.Uint16(f[4:]))
	it.IsDir = attr&AttrDir != 0
	it.Attr = attr &^ AttrDir
	var a1, a2, a3 bool
	it.Created, a1 = exTime(binary.LittleEndian.Uint32(f[8:]), f[20], f[22], fs.loc)
	it.Modified, a2 = exTime(binary.LittleEndian.Uint32(f[12:]), f[21], f[23], fs.loc)
	it.Accessed, a3 = exTime(binary.LittleEndian.Uint32(f[16:]), 0, f[24], fs.loc)
	it.ZoneAssumed = a1 || a2 || a3
	it.NoFatChain = s[1]&0x02 != 0
	it.ValidSize = int64(binary.LittleEndian.Uint64(s[8:]))
	it.FirstCluster = binary.LittleEndian.Uint32(s[20:])
	it.Size = int64(binary.LittleEndian.Uint64(s[24:]))
	if it.Size < 0 || it.ValidSize < 0 {
		it.Size, it.ValidSize = 0, 0
		it.Complete, it.Incomplete = false, "impossible data length"
	}
	it.ValidSize = min(it.ValidSize, it.Size)
	return it
}

func (w *walker) emit(it *Item) error {
	w.n++
	if w.n%1024 == 0 {
		if err := w.ctx.Err(); err != nil {
			return err
		}
	}
	return w.visit(it)
}

func (w *walker) incomplete(it *Item, off int64, format string, a ...any) {
	it.Complete, it.Incomplete = false, fmt.Sprintf(format, a...)
	w.problem(&FormatError{Off: w.fs.base + off, Path: it.Path, Msg: it.Incomplete})
}

// clusters returns how many clusters the item's data length needs.
func (fs *FS) clusters(it *Item) int64 {
	return (it.Size + fs.ClusterSize - 1) / fs.ClusterSize
}

// content finds a file's clusters (or a folder's).
func (w *walker) content(it *Item) {
	fs := w.fs
	if it.Size == 0 || !it.Complete {
		return
	}
	if it.FirstCluster == 0 {
		if !it.Deleted {
			w.incomplete(it, it.Entry, "no first cluster for %d bytes", it.Size)
		} else {
			it.Complete, it.Incomplete = false, "no first cluster recorded"
		}
		return
	}
	n := fs.clusters(it)
	if n > fs.Clusters {
		w.incomplete(it, it.Entry, "data length %d exceeds the volume", it.Size)
		return
	}
	if !it.Deleted {
		runs, cerr := fs.chain(it.FirstCluster, n, it.NoFatChain, w.used, it.Entry)
		it.runs = runs
		if cerr != nil {
			w.incomplete(it, cerr.off, "%s", cerr.msg)
		}
	} else {
		w.deleted(it, n)
	}
	it.Readable = min(it.Size, fs.clustersOf(it.runs)*fs.ClusterSize)
	var pos int64
	for _, r := range it.runs {
		off, l := fs.clusterOff(r.first), int64(r.n)*fs.ClusterSize
		if off+l > fs.size && pos+max(0, fs.size-off) < min(it.Readable, it.ValidSize) {
			it.Readable = pos + max(0, fs.size-off)
			w.incomplete(it, max(off, fs.size), "content lies past the end of the image at file offset %d (truncated image?)", it.Readable)
			break
		}
		pos += l
	}
}

// deleted finds a deleted entry's clusters: those its stream extension
// gives (contiguous, or the chain the FAT still holds), when all are free.
func (w *walker) deleted(it *Item, n int64) {
	fs := w.fs
	free := func(runs []run) bool {
		for _, r := range runs {
			for k := uint32(0); k < r.n; k++ {
				if fs.allocated(r.first+k) || w.used.get(r.first+k) {
					return false
				}
			}
		}
		return true
	}
	if !it.NoFatChain {
		if runs, cerr := fs.chain(it.FirstCluster, n, false, nil, it.Entry); cerr == nil && free(runs) {
			it.runs, it.Recovered = runs, "fat-chain"
			return
		}
	}
	runs, cerr := fs.chain(it.FirstCluster, n, true, nil, it.Entry)
	if cerr != nil {
		it.Complete, it.Incomplete = false, cerr.msg
		return
	}
	if !free(runs) {
		it.Complete, it.Incomplete = false, "overwritten"
		return
	}
	it.runs, it.Recovered = runs, "contiguous"
}

func (w *walker) folder(it *Item, depth int) error {
	fs := w.fs
	it.ValidSize = min(it.ValidSize, it.Size)
	size := it.Size
	if depth >= MaxPathDepth {
		w.incomplete(it, it.Entry, "folder nesting deeper than %d; its content is not read", MaxPathDepth)
	} else if size > MaxDirBytes {
		w.incomplete(it, it.Entry, "folder of %d bytes exceeds %d", size, MaxDirBytes)
	} else if it.Complete {
		if it.Deleted && fs.valid(it.FirstCluster) && w.delDirs.get(it.FirstCluster) {
			it.Complete, it.Incomplete = false, "folder content already listed under another deleted folder"
		} else {
			if it.Deleted && fs.valid(it.FirstCluster) {
				w.delDirs.set(it.FirstCluster)
			}
			w.content(it)
		}
	}
	runs := it.runs
	it.runs, it.Readable = nil, 0 // a folder has no content to hash
	if err := w.emit(it); err != nil {
		return err
	}
	if len(runs) == 0 {
		return nil
	}
	return w.dir(it.Path, runs, size, it.Deleted, depth+1)
}

// Extents returns where the content of it lies in the volume, for the
// engine's disk-order read: its runs cut to its size, the bytes past its
// valid size as zeros (VolOff -1). It returns nil for an item whose runs do
// not give its whole size within the volume (an incomplete item is read
// through Open).
func (fs *FS) Extents(it *Item) []Extent {
	if !it.Complete || it.Readable != it.Size || it.Size <= 0 || it.ValidSize < 0 {
		return nil
	}
	valid := min(it.ValidSize, it.Size)
	out := make([]Extent, 0, len(it.runs)+1)
	var pos int64
	for _, ru := range it.runs {
		if pos >= valid {
			break
		}
		if ru.n == 0 {
			return nil
		}
		vol := fs.clusterOff(ru.first)
		l := min(int64(ru.n)*fs.ClusterSize, valid-pos)
		if vol < 0 || vol > fs.size-l {
			return nil
		}
		out = append(out, Extent{Off: pos, VolOff: vol, Len: l})
		pos += l
	}
	if pos != valid {
		return nil
	}
	if pos < it.Size {
		out = append(out, Extent{Off: pos, VolOff: -1, Len: it.Size - pos})
	}
	return out
}

// Extent is a piece of an item's content: Len bytes at offset Off of the
// content are at offset VolOff of the volume, or zeros when VolOff is -1.
type Extent struct{ Off, VolOff, Len int64 }
