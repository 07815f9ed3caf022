package fat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Item is one file or folder found by Walk.
type Item struct {
	Path      string // full path from the volume root, "/"-separated
	Name      string // the long name, else the 8.3 name
	ShortName string // the 8.3 name as shown ("NAME.EXT", NT case flags applied; "_" for a deleted first character)
	// RawName holds the bytes Name was decoded from: the long name's
	// UTF-16LE code units, or the 8.3 entry's 11 bytes (as on disk: a
	// deleted entry's first byte is 0xe5).
	RawName []byte
	// Entry is the volume offset of the 8.3 directory entry: the entry's
	// address (its "inode"). LongEntry is that of its first long-name
	// entry, -1 when it has none.
	Entry     int64
	LongEntry int64
	IsDir     bool
	Deleted   bool // the entry is deleted, or lies in a deleted folder
	Attr      Attr
	Size      int64 // the size the entry declares (0 for a folder)
	// FirstCluster is the entry's start cluster (0 for an empty file).
	FirstCluster uint32
	// Times as read, in the zone of the FS (Zone). Accessed is a date.
	// A field not set (0) gives the zero time.
	Created, Modified, Accessed time.Time
	// Complete is false when the content read is not the whole file (a
	// broken chain, a truncated image, a deleted file's clusters taken),
	// or a deleted folder could not be read; Incomplete says why.
	Complete   bool
	Incomplete string
	// Recovered is set for a deleted file whose content was rebuilt from
	// free clusters: "contiguous" when its clusters follow the start
	// cluster, "skip-claimed" when clusters of other files were skipped.
	// Such content is a reconstruction, not what the FAT records.
	Recovered string
	// Readable is how many bytes Open yields (Size when Complete).
	Readable int64

	runs []run
}

// Open returns a reader of the item's content: Readable bytes. Reads go
// straight to the volume; items may be read concurrently. A read that the
// image cannot satisfy (a truncated image) fails with an error wrapping
// io.ErrUnexpectedEOF.
func (fs *FS) Open(it *Item) *io.SectionReader {
	return io.NewSectionReader(&runReader{fs: fs, runs: it.runs, path: it.Path}, 0, it.Readable)
}

type runReader struct {
	fs   *FS
	runs []run
	path string
}

func (r *runReader) ReadAt(p []byte, off int64) (int, error) {
	cs := r.fs.ClusterSize
	n := 0
	pos := int64(0) // file offset of the run
	for _, ru := range r.runs {
		l := int64(ru.n) * cs
		if n < len(p) && off+int64(n) < pos+l {
			at := off + int64(n) - pos
			want := min(int64(len(p)-n), l-at)
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

// walker holds the state of one Walk.
type walker struct {
	fs      *FS
	ctx     context.Context
	visit   func(*Item) error
	problem func(error)
	used    bitmap  // clusters of live chains
	delDirs bitmap  // start clusters of deleted folders walked
	pending []*Item // deleted files, emitted once their content is rebuilt
	claims  []claim // deleted folders' clusters, for the rebuilding
	n       int
}

type claim struct {
	it    *Item
	start uint32
	need  int64 // clusters
	dir   bool
}

// Walk visits every file and folder of the volume, live and deleted: a
// folder's entries follow it (depth first, in directory order), except
// deleted files, which come last, once the content of all of them has been
// rebuilt. Problems (damaged boot sector fields, broken chains, folders that
// cannot be read) go to problem, and the walk goes on. The volume label
// entry and the "." and ".." entries are not items. Walk returns the error
// visit returns, or ctx's.
func (fs *FS) Walk(ctx context.Context, visit func(*Item) error, problem func(error)) error {
	for _, p := range fs.problems {
		problem(p)
	}
	w := &walker{fs: fs, ctx: ctx, visit: visit, problem: problem, used: fs.newBitmap(), delDirs: fs.newBitmap()}
	var locs []extent
	if fs.Type == FAT32 {
		runs, cerr := fs.chain(fs.p.rootCluster, fs.maxDirClusters(), false, w.used, 0x2c)
		if cerr != nil {
			problem(&FormatError{Off: fs.base + cerr.off, Path: "/", Msg: "root folder: " + cerr.msg})
		}
		locs = fs.locs(runs)
	} else {
		locs = []extent{{off: fs.rootOff, n: fs.p.rootEntries * entrySize}}
	}
	if err := w.dir("", locs, false, 0); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	w.recover()
	for _, it := range w.pending {
		if err := visit(it); err != nil {
			return err
		}
	}
	return nil
}

func (fs *FS) maxDirClusters() int64 {
	return max(1, MaxDirEntries*entrySize/fs.ClusterSize)
}

func (fs *FS) locs(runs []run) []extent {
	locs := make([]extent, 0, len(runs))
	for _, r := range runs {
		locs = append(locs, extent{off: fs.clusterOff(r.first), n: int64(r.n) * fs.ClusterSize})
	}
	return locs
}

// read reads a folder's bytes; what could not be read is a problem.
func (w *walker) read(locs []extent, path string) []byte {
	var total int64
	for _, l := range locs {
		total += l.n
	}
	buf := make([]byte, total)
	var pos int64
	for _, l := range locs {
		got, err := w.fs.readFull(buf[pos:pos+l.n], l.off, "folder")
		if err != nil {
			var fe *FormatError
			if errors.As(err, &fe) {
				fe.Path = path
			}
			w.problem(err)
			return buf[:pos+int64(got)]
		}
		pos += l.n
	}
	return buf
}

// dir walks the folder at path held in locs.
func (w *walker) dir(path string, locs []extent, deleted bool, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	fs := w.fs
	shown := path
	if shown == "" {
		shown = "/"
	}
	buf := w.read(locs, shown)
	var ents []*Item
	fs.parseDir(buf, locs, deleted, func(d *dirent) {
		it := &Item{
			ShortName: d.shortStr, RawName: d.rawShort, // the folder's buffer is not reused
			Entry: d.off, LongEntry: d.lfnOff, IsDir: d.attr&AttrDir != 0, Deleted: d.deleted,
			Attr: d.attr &^ AttrDir, Size: int64(d.size), FirstCluster: d.first,
			Created: d.ctime, Modified: d.mtime, Accessed: d.atime, Complete: true,
		}
		// Name is the tail of Path: one string for both.
		var p strings.Builder
		if d.units != nil {
			p.Grow(len(path) + 1 + 2*len(d.units))
			p.WriteString(path)
			p.WriteByte('/')
			writeUTF16(&p, d.units)
			it.RawName = utf16Raw(d.units)
		} else {
			p.Grow(len(path) + 1 + len(d.shortStr))
			p.WriteString(path)
			p.WriteByte('/')
			p.WriteString(d.shortStr)
		}
		it.Path = p.String()
		it.Name = it.Path[len(path)+1:]
		ents = append(ents, it)
	})
	for _, it := range ents {
		if it.IsDir {
			it.Size = 0
			if err := w.folder(it, deleted, depth); err != nil {
				return err
			}
			continue
		}
		if it.Deleted {
			w.pending = append(w.pending, it)
			continue
		}
		w.file(it)
		if err := w.emit(it); err != nil {
			return err
		}
	}
	return nil
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

// file follows a live file's chain.
func (w *walker) file(it *Item) {
	fs := w.fs
	if it.Size == 0 {
		return
	}
	if it.FirstCluster == 0 {
		w.incomplete(it, it.Entry, "no first cluster for a file of %d bytes", it.Size)
		return
	}
	need := (it.Size + fs.ClusterSize - 1) / fs.ClusterSize
	runs, cerr := fs.chain(it.FirstCluster, need, true, w.used, it.Entry)
	it.runs = runs
	it.Readable = min(it.Size, clusters(runs)*fs.ClusterSize)
	if cerr != nil {
		w.incomplete(it, cerr.off, "%s", cerr.msg)
	}
	w.clip(it)
}

// clip limits an item's readable bytes to the clusters that lie within
// the image (a truncated image).
func (w *walker) clip(it *Item) {
	fs := w.fs
	var pos int64
	for _, r := range it.runs {
		off := fs.clusterOff(r.first)
		l := int64(r.n) * fs.ClusterSize
		if off+l > fs.size && pos+max(0, fs.size-off) < it.Readable {
			it.Readable = pos + max(0, fs.size-off)
			w.incomplete(it, max(off, fs.size), "content lies past the end of the image at file offset %d (truncated image?)", it.Readable)
			return
		}
		pos += l
	}
}

func (w *walker) incomplete(it *Item, off int64, format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	it.Complete, it.Incomplete = false, msg
	w.problem(&FormatError{Off: w.fs.base + off, Path: it.Path, Msg: msg})
}

func clusters(runs []run) int64 {
	var n int64
	for _, r := range runs {
		n += int64(r.n)
	}
	return n
}

// folder emits a folder and walks it.
func (w *walker) folder(it *Item, inDeleted bool, depth int) error {
	fs := w.fs
	var locs []extent
	switch {
	case depth >= MaxPathDepth:
		w.incomplete(it, it.Entry, "folder nesting deeper than %d; its content is not read", MaxPathDepth)
	case !it.Deleted:
		runs, cerr := fs.chain(it.FirstCluster, fs.maxDirClusters(), false, w.used, it.Entry)
		if cerr != nil {
			// A first cluster already walked (a folder that contains
			// itself, a cross-link) gives no runs: nothing is walked twice.
			w.incomplete(it, cerr.off, "folder: %s", cerr.msg)
		}
		locs = fs.locs(runs)
	default:
		locs = w.deletedFolder(it)
	}
	if err := w.emit(it); err != nil {
		return err
	}
	if len(locs) == 0 {
		return nil
	}
	return w.dir(it.Path, locs, it.Deleted, depth+1)
}

// deletedFolder finds the clusters of a deleted folder: from its start
// cluster, free clusters that follow while the folder has no end marker.
// It returns nil when the start cluster is taken or holds no folder.
func (w *walker) deletedFolder(it *Item) []extent {
	fs := w.fs
	c := it.FirstCluster
	switch {
	case !fs.validCluster(c):
		it.Complete, it.Incomplete = false, fmt.Sprintf("first cluster %d lies outside the volume", c)
		return nil
	case fs.fat.get(c) != entryFree || w.used.get(c):
		it.Complete, it.Incomplete = false, "overwritten"
		return nil
	case w.delDirs.get(c):
		// Another deleted folder entry names the same cluster (a copy of
		// this entry, or a loop): it has been walked already.
		it.Complete, it.Incomplete = false, "folder content already listed under another deleted folder"
		return nil
	}
	buf := make([]byte, fs.ClusterSize)
	var n uint32
	for int64(n) < fs.maxDirClusters() {
		cc := c + n
		if n > 0 && (!fs.validCluster(cc) || fs.fat.get(cc) != entryFree || w.used.get(cc) || w.delDirs.get(cc)) {
			break
		}
		if _, err := fs.readFull(buf, fs.clusterOff(cc), "deleted folder"); err != nil {
			if n == 0 {
				it.Complete, it.Incomplete = false, err.Error()
			}
			break
		}
		if n == 0 && !(buf[0] == '.' && buf[1] == ' ' && Attr(buf[11])&AttrDir != 0) {
			it.Complete, it.Incomplete = false, "overwritten"
			return nil
		}
		w.delDirs.set(cc)
		n++
		if hasEnd(buf) {
			break
		}
	}
	if n == 0 {
		return nil
	}
	w.claims = append(w.claims, claim{it: it, start: c, need: int64(n), dir: true})
	it.runs = []run{{first: c, n: n}}
	return []extent{{off: fs.clusterOff(c), n: int64(n) * fs.ClusterSize}}
}

// hasEnd reports whether a folder cluster holds the end marker (an entry
// whose first byte is 0).
func hasEnd(buf []byte) bool {
	for pos := 0; pos+entrySize <= len(buf); pos += entrySize {
		if buf[pos] == 0 {
			return true
		}
	}
	return false
}

// Extents returns where the content of it lies in the volume, for the
// engine's disk-order read: its runs cut to its size. It returns nil for
// an item whose runs do not give its whole size within the volume (an
// incomplete item is read through Open).
func (fs *FS) Extents(it *Item) []Extent {
	if !it.Complete || it.Readable != it.Size || it.Size <= 0 {
		return nil
	}
	out := make([]Extent, 0, len(it.runs))
	var pos int64
	for _, ru := range it.runs {
		if pos >= it.Size {
			break
		}
		if !fs.validCluster(ru.first) || ru.n == 0 {
			return nil
		}
		vol := fs.clusterOff(ru.first)
		l := min(int64(ru.n)*fs.ClusterSize, it.Size-pos)
		if vol < 0 || vol > fs.size-l {
			return nil
		}
		out = append(out, Extent{Off: pos, VolOff: vol, Len: l})
		pos += l
	}
	if pos != it.Size {
		return nil
	}
	return out
}

// Extent is a piece of an item's content: Len bytes at offset Off of the
// content are at offset VolOff of the volume.
type Extent struct{ Off, VolOff, Len int64 }
