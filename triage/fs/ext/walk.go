package ext

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/triagekit/triage/triage/fs"
)

// node is one name of the folder tree.
type node struct {
	name    string
	ino     uint32
	ftype   uint8
	deleted bool
	index   bool // read from an index node of a hashed folder
	live    bool // index: taken for a live name by the Sleuth Kit
	// below: a deleted name of a folder still in use that no live name
	// points to; its names are read (unlisted: the Sleuth Kit does not
	// list them).
	below, unlisted bool
	off             int64 // image offset of the folder record
	dir             uint32
	inode           *inode // read for folders
	children        []node
}

// walker holds the state of one Walk.
type walker struct {
	v          *Volume
	ctx        context.Context
	problem    func(error)
	bitmaps    map[uint32][]byte
	named      bits            // every inode a name points to
	live1      bits            // inodes with a live name
	liveMore   map[uint32]bool // inodes with several live names
	links      map[uint32][]string
	after      map[string]string // the path listed before each name in links
	done       bits              // inodes already recorded
	expanded   map[uint32]bool   // folders already read
	orphanList map[uint32]bool   // inodes on the superblock's orphan list
	// inOrphan: the folders read are below /$OrphanFiles; their names do
	// not make an inode named (the Sleuth Kit lists it as an orphan too).
	inOrphan bool
	// later are the deleted names of folders whose inode is in use: read
	// after the tree when no live name points to them.
	later     []*node
	xattrSeen map[uint64]bool // extended attribute blocks checked
	xbuf      []byte
	// kids and names are the buffers of the folder read last (expand).
	kids  []node
	names nameSet
	// A chunk of an inode table: inodes are mostly read in order.
	chunk    []byte
	chunkOff int64
	nodes    int
}

const rootIno = 2

// inodeChunk is how much of an inode table is read at once.
const inodeChunk = 64 << 10

// readInode reads inode n through a cache of one chunk of inode table.
func (w *walker) readInode(n uint32) (*inode, error) {
	in := new(inode)
	if err := w.readInodeTo(in, n); err != nil {
		return nil, err
	}
	return in, nil
}

// readInodeTo reads inode n into in through a cache of one chunk of inode
// table.
func (w *walker) readInodeTo(in *inode, n uint32) error {
	v := w.v
	off, err := v.inodeLoc(n)
	if err != nil {
		return &FormatError{Off: v.base + 1024, Inode: n, Msg: err.Error()}
	}
	isz := int64(v.sb.inodeSize)
	c := off &^ (inodeChunk - 1)
	if w.chunk == nil || c != w.chunkOff {
		if w.chunk == nil {
			w.chunk = make([]byte, inodeChunk)
		}
		k, _ := v.r.ReadAt(w.chunk[:min(inodeChunk, v.size-c)], c)
		w.chunk = w.chunk[:k]
		w.chunkOff = c
	}
	if off+isz > c+int64(len(w.chunk)) {
		w.chunk, w.chunkOff = w.chunk[:0], -1
		// the chunk was cut short: read the inode alone
		b := make([]byte, isz)
		if k, err := v.r.ReadAt(b, off); k < len(b) {
			return &FormatError{Off: v.base + off, Inode: n, Msg: "failed to read the inode", Err: err}
		}
		return v.parseInodeTo(in, b, n, v.base+off)
	}
	return v.parseInodeTo(in, w.chunk[off-c:off-c+isz], n, v.base+off)
}

// maxBitmaps bounds the inode bitmaps kept in memory during a walk.
const maxBitmaps = 256

// Walk yields the entries of the volume depth first, the names of a folder
// in the order of its records, as the Sleuth Kit lists them (the root
// itself is not yielded): each live name followed by the deleted names
// found in its slack; then the orphan inodes (unallocated, used, named by
// no folder) under the virtual /$OrphanFiles folder. An
// inode with several names is yielded once, at its first path, with the
// others in Extra["ext_hard_links"].
func (v *Volume) Walk(ctx context.Context, visit func(*fs.Entry) error, problem func(error)) error {
	w, top, err := v.readTree(ctx, problem)
	if err != nil {
		return err
	}
	// The other paths of inodes with several names.
	w.links, w.after = map[uint32][]string{}, map[string]string{}
	w.collectLinks(top, "", new(string), map[uint32]bool{})
	var e fs.Entry
	if err := w.emit(top, "", &e, visit); err != nil {
		return err
	}
	return w.orphans(&e, visit)
}

// readTree reads the folder tree of the volume, from the root, for Walk
// and List: the problems found by Open, the bitmap checksums, the orphan
// list, then every folder in use and the folders only deleted names point
// to.
func (v *Volume) readTree(ctx context.Context, problem func(error)) (*walker, *node, error) {
	for _, p := range v.pending {
		problem(p)
	}
	w := &walker{v: v, ctx: ctx, problem: problem, bitmaps: map[uint32][]byte{}, named: newBits(v.sb.inodes),
		live1: newBits(v.sb.inodes), liveMore: map[uint32]bool{}, done: newBits(v.sb.inodes), expanded: map[uint32]bool{},
		xattrSeen: map[uint64]bool{}}
	if err := v.checkBitmaps(ctx, problem); err != nil {
		return nil, nil, err
	}
	root, err := v.readInode(rootIno)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to read the root folder: %w", err)
	}
	if root.CsumError {
		problem(&FormatError{Off: root.Off, Inode: rootIno, Msg: "inode checksum mismatch"})
	}
	w.orphanList = w.readOrphanList()
	top := &node{ino: rootIno, inode: root}
	w.expanded[rootIno] = true
	w.named.set(rootIno)
	if err := w.expand(top, 0); err != nil {
		return nil, nil, err
	}
	if err := w.expandLater(); err != nil {
		return nil, nil, err
	}
	return w, top, nil
}

// expand reads folder n and, below it, the folders it names.
func (w *walker) expand(n *node, depth int) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if depth > MaxDirDepth {
		w.problem(&FormatError{Off: n.inode.Off, Inode: n.ino, Msg: fmt.Sprintf("folders nested deeper than %d: not read", MaxDirDepth)})
		return nil
	}
	kids := w.kids[:0]
	problem := w.problem
	if n.deleted {
		// The blocks of a deleted folder may hold anything by now.
		problem = func(error) {}
	}
	// A name met twice with the same inode (a live record and a stale
	// copy of it in slack) is listed once, at its first place, live if
	// either is, as the Sleuth Kit does. The names of the folder are
	// kept in one buffer, made one string at the end.
	names := &w.names
	names.reset()
	w.v.readDir(n.inode, func(d dirent) {
		if !d.deleted && (string(d.name) == "." || string(d.name) == "..") {
			return
		}
		if d.ino > w.v.sb.inodes {
			if d.index {
				return // index bytes read as a record: no problem of the volume
			}
			problem(&FormatError{Off: d.off, Inode: n.ino, Msg: fmt.Sprintf("name %q points to inode %d, past the %d inodes of the volume", d.name, d.ino, w.v.sb.inodes)})
			return
		}
		if !d.deleted && d.ino == 0 {
			return
		}
		if n.deleted {
			d.deleted = true // the names of a deleted folder are deleted
		}
		if i, ok := names.find(d.ino, d.name); ok {
			if kids[i].deleted && !d.deleted {
				kids[i] = node{ino: d.ino, ftype: d.ftype, off: d.off, dir: n.ino}
				w.live(d.ino)
			}
			return
		}
		names.add(d.ino, d.name, len(kids))
		kids = append(kids, node{ino: d.ino, ftype: d.ftype, deleted: d.deleted, index: d.index, live: d.indexLive, off: d.off, dir: n.ino,
			unlisted: n.below || n.unlisted})
		if d.ino != 0 && !w.inOrphan {
			w.named.set(d.ino)
			if !d.deleted {
				w.live(d.ino)
			}
		}
	}, problem)
	w.kids = kids[:0]
	kids = slices.Clone(kids)
	all := string(names.buf)
	for i := range kids {
		kids[i].name = all[names.spans[i][0]:names.spans[i][1]]
	}
	n.children = kids
	w.nodes += len(kids)
	for i := range kids {
		k := &kids[i]
		if k.ino == 0 || k.index || (k.ftype != 0 && k.ftype != ftDir) {
			continue
		}
		if k.deleted && w.allocated(k.ino) {
			// The name of a deleted folder whose inode is in use again,
			// or still (its folder was deleted): read later if no live
			// name points to it.
			w.later = append(w.later, k)
			continue
		}
		in, err := w.readInode(k.ino)
		if err != nil {
			w.problem(err)
			continue
		}
		if !in.IsDir() {
			continue
		}
		k.inode = in
		if w.expanded[k.ino] {
			if !k.deleted {
				w.problem(&FormatError{Off: k.off, Inode: n.ino, Msg: fmt.Sprintf("folder %q (inode %d) is reached a second time: not read again", k.name, k.ino)})
			}
			continue
		}
		w.expanded[k.ino] = true
		if err := w.expand(k, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// nameSet holds the names of one folder, in one buffer, to find a name
// met again with the same inode: by inode, and by inode and name for the
// inodes of several names.
type nameSet struct {
	buf   []byte
	spans [][2]int // of each name in buf
	first map[uint32]int
	more  map[nameKey]int
}

type nameKey struct {
	ino  uint32
	name string
}

func (s *nameSet) reset() {
	s.buf, s.spans = s.buf[:0], s.spans[:0]
	// Clearing a map costs its capacity: the maps of a large folder are
	// dropped, not cleared for each small folder that follows.
	if len(s.first) > 1024 || s.first == nil {
		s.first = map[uint32]int{}
	}
	if len(s.more) > 1024 || s.more == nil {
		s.more = map[nameKey]int{}
	}
	clear(s.first)
	clear(s.more)
}

func (s *nameSet) name(i int) []byte { return s.buf[s.spans[i][0]:s.spans[i][1]] }

// find returns the index of the name of inode ino added before.
func (s *nameSet) find(ino uint32, name []byte) (int, bool) {
	i, ok := s.first[ino]
	switch {
	case !ok:
		return 0, false
	case i >= 0:
		return i, bytes.Equal(s.name(i), name)
	}
	i, ok = s.more[nameKey{ino, string(name)}]
	return i, ok
}

// add adds the name of inode ino, at index i.
func (s *nameSet) add(ino uint32, name []byte, i int) {
	s.spans = append(s.spans, [2]int{len(s.buf), len(s.buf) + len(name)})
	s.buf = append(s.buf, name...)
	j, ok := s.first[ino]
	switch {
	case !ok:
		s.first[ino] = i
		return
	case j >= 0:
		// a second name of the inode: both by name from now on
		s.more[nameKey{ino, string(s.name(j))}] = j
		s.first[ino] = -1
	}
	s.more[nameKey{ino, string(name)}] = i
}

// expandLater reads the folders in use that only deleted names point to
// (the folders of a deleted folder): the Sleuth Kit does not list their
// names, which are recorded with extra.ext_unlisted.
func (w *walker) expandLater() error {
	for len(w.later) > 0 {
		k := w.later[0]
		w.later = w.later[1:]
		if w.live1.get(k.ino) || w.expanded[k.ino] {
			continue
		}
		in, err := w.readInode(k.ino)
		if err != nil || !in.IsDir() {
			continue
		}
		k.inode, k.below = in, true
		w.expanded[k.ino] = true
		if err := w.expand(k, 1); err != nil {
			return err
		}
	}
	return nil
}

// live counts a live name of inode n.
func (w *walker) live(n uint32) {
	if w.live1.get(n) {
		w.liveMore[n] = true
	}
	w.live1.set(n)
}

// collectLinks records the paths of the allocated inodes with several
// live names, in the order they are listed, and for each the path listed
// just before it (after): emit yields such an inode once, at its first
// name, and the listing of its other names needs their place.
func (w *walker) collectLinks(n *node, path string, last *string, seen map[uint32]bool) {
	for i := range n.children {
		k := &n.children[i]
		p := path + "/" + k.name
		if !k.deleted && w.liveMore[k.ino] {
			if k.inode == nil {
				w.links[k.ino] = append(w.links[k.ino], p)
				w.after[p] = *last
			}
			if seen[k.ino] {
				continue // not yielded: emit skips it
			}
			seen[k.ino] = true
		}
		*last = p
		if k.inode != nil && k.children != nil {
			w.collectLinks(k, p, last, seen)
		}
	}
}

// emit yields the names below folder n, whose path is path.
func (w *walker) emit(n *node, path string, e *fs.Entry, visit func(*fs.Entry) error) error {
	for i := range n.children {
		k := &n.children[i]
		if i%256 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		p := path + "/" + k.name
		if !k.deleted && w.done.get(k.ino) {
			continue // another name of an inode already recorded (a hard link, or a folder loop)
		}
		w.entry(e, k, p)
		if err := visit(e); err != nil {
			return err
		}
		if k.inode != nil && k.children != nil {
			if err := w.emit(k, p, e, visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// entry fills e for the name k at path p.
func (w *walker) entry(e *fs.Entry, k *node, p string) {
	*e = fs.Entry{Path: p, Addr: int64(k.ino), Deleted: k.deleted, Type: ftypeName(k.ftype), Extra: map[string]any{}}
	if k.unlisted {
		e.Extra["ext_unlisted"] = true
	}
	slackKey := "slack/" + strconv.FormatUint(uint64(k.dir), 10) + "/" + strconv.FormatInt(k.off, 10)
	switch {
	case k.index:
		// Bytes of an index node read as a record, as the Sleuth Kit
		// reads them: the name and the types only, never content.
		e.Key = "index/" + strconv.FormatUint(uint64(k.dir), 10) + "/" + strconv.FormatInt(k.off, 10)
		e.Extra["ext_index_slack"] = true
		e.Extra["ext_name_type"] = string(ftypeLetter(k.ftype))
		if k.live {
			e.Extra["ext_index_live"] = true
		}
		if k.ino == 0 {
			e.Addr = -1
			return
		}
		if in, err := w.readInode(k.ino); err == nil {
			e.Extra["ext_inode_type"] = string(modeLetter(in.Mode))
		}
		if w.allocated(k.ino) {
			e.Extra["ext_realloc"] = true
		}
		return
	case k.ino == 0:
		// A deleted name whose inode number was cleared.
		e.Addr, e.Key = -1, slackKey
		return
	case k.deleted && w.allocated(k.ino) && !w.done.get(k.ino) && !w.live1.get(k.ino) && k.inode == nil:
		// A deleted name of an inode in use that no live name points
		// to (a file of a deleted folder): the file is recorded here.
		e.Extra["ext_realloc"] = true
	case k.deleted && (w.done.get(k.ino) || w.allocated(k.ino)):
		// A deleted name whose inode is in use by another file, or is
		// recorded already: the name only.
		e.Key = slackKey
		if w.allocated(k.ino) {
			e.Extra["ext_realloc"] = true
		}
		return
	}
	w.done.set(k.ino)
	in := k.inode
	if in == nil {
		var err error
		if in, err = w.readInode(k.ino); err != nil {
			w.problem(err)
			return
		}
	}
	w.fill(e, in, k.deleted)
	if l := w.links[k.ino]; len(l) > 1 {
		var others, after []string
		for _, o := range l {
			if o != p {
				others = append(others, o)
				after = append(after, w.after[o])
			}
		}
		e.Extra["ext_hard_links"] = others
		e.Extra["ext_hard_link_after"] = after
	}
}

// fill sets e from inode in.
func (w *walker) fill(e *fs.Entry, in *inode, deleted bool) {
	v := w.v
	w.inodeChecks(in, deleted)
	e.Mtime, e.Atime, e.Ctime, e.Btime = in.Mtime, in.Atime, in.Ctime, in.Btime
	e.Extra["ext_mode"] = octalMode(in.Mode)
	e.Extra["ext_uid"] = in.UID
	e.Extra["ext_gid"] = in.GID
	e.Extra["ext_links"] = in.Links
	if w.orphanList[in.Num] {
		e.Extra["ext_orphan_list"] = true
	}
	if !in.Dtime.IsZero() {
		e.Extra["ext_dtime"] = fs.FormatTime(in.Dtime)
	}
	if in.Flags&flagInlineData != 0 {
		e.Extra["ext_inline"] = true
	}
	e.Type = inodeType(in, deleted)
	switch e.Type {
	case fs.TypeSymlink:
		e.LinkTarget = w.linkTarget(in)
		return
	case fs.TypeFile:
	default:
		return
	}
	e.Size = in.Size
	if in.Flags&flagInlineData != 0 {
		if deleted {
			e.Extra["recovered"] = true
		}
		r := &inlineReader{b: in.Inline}
		if int64(len(in.Inline)) < in.Size {
			r.reason = fmt.Sprintf("ext: inode %d: inline data holds %d of %d bytes at byte %#x", in.Num, len(in.Inline), in.Size, in.Off)
		}
		e.Open = func() (io.ReadCloser, error) { return &inlineReader{b: r.b, reason: r.reason}, nil }
		return
	}
	runs, err := w.contentMap(nil, in, deleted)
	cut, why := int64(-1), ""
	if err != nil {
		why = err.Error()
		cut = 0
		if len(runs) > 0 {
			l := runs[len(runs)-1]
			cut = int64(l.logical+l.count) * v.sb.blockSize
		}
	}
	sparse := false
	var next uint64
	for _, r := range runs {
		if r.logical != next || r.uninit {
			sparse = true
		}
		next = r.logical + r.count
	}
	if next*uint64(v.sb.blockSize) < uint64(in.Size) {
		sparse = true
	}
	if deleted {
		switch {
		case len(runs) == 0 && err == nil && in.Size > 0:
			cut, why = 0, fmt.Sprintf("ext: inode %d: deleted, and its block map was cleared on deletion (ext3/ext4): the content is not in the inode any more at byte %#x", in.Num, in.Off)
		case len(runs) == 0 && err == nil:
			// The size was cleared too (ext4): nothing says what
			// the content was.
			why = fmt.Sprintf("ext: inode %d: deleted, and its size and block map were cleared on deletion: the content is not in the inode any more at byte %#x", in.Num, in.Off)
			e.Open = func() (io.ReadCloser, error) { return &inlineReader{reason: why}, nil }
			return
		default:
			e.Extra["recovered"] = true
			sparse = false // holes of a recovered file are not told apart from lost blocks
		}
	}
	if sparse {
		e.Extra["ext_sparse"] = true
	}
	size := in.Size
	limit, limitWhy := w.sizeLimit(in)
	enc := in.Flags&flagEncrypt != 0
	num, off := in.Num, in.Off
	e.Open = func() (io.ReadCloser, error) {
		r := &contentReader{v: v, runs: runs, size: size, cut: cut, cutWhy: why, limit: limit, limitWhy: limitWhy}
		if enc {
			r.reason = fmt.Sprintf("ext: inode %d: the content is encrypted (ext4 encryption) and was read as stored at byte %#x", num, off)
		}
		return r, nil
	}
	if cut < 0 && limit == 0 && !enc {
		e.Extents = func() []fs.Extent { return v.extents(runs, size) }
	}
}

// inodeChecks gives the problems of inode in itself: its checksum and,
// in use, its extended attribute block's.
func (w *walker) inodeChecks(in *inode, deleted bool) {
	if in.CsumError {
		w.problem(&FormatError{Off: in.Off, Inode: in.Num, Msg: "inode checksum mismatch (read all the same)"})
	}
	if !deleted {
		w.checkXattrBlock(in)
	}
}

// contentMap returns the runs of the content of file in (appended to
// runs[:0]), giving the
// problems of its block map (what cut it short only when in use: the map
// of a deleted file may hold anything).
func (w *walker) contentMap(runs []run, in *inode, deleted bool) ([]run, error) {
	runs, warn, err := w.v.blockMapTo(runs, in)
	for _, x := range warn {
		w.problem(x)
	}
	if err != nil && !deleted {
		w.problem(err)
	}
	return runs, err
}

// sizeLimit returns where reading the content of file in stops short of
// its size, with the reason (0 when it does not), and gives a size over
// the largest file the volume can hold as a problem.
func (w *walker) sizeLimit(in *inode) (int64, string) {
	m := w.v.maxFileSize(in)
	if in.Size <= m {
		return 0, ""
	}
	w.problem(&FormatError{Off: in.Off + 4, Inode: in.Num, Msg: fmt.Sprintf("size %d is over the largest file the volume can hold (%d bytes)", in.Size, m)})
	return m, fmt.Sprintf("ext: inode %d: size %d is over the largest file the volume can hold (%d bytes): read to there at byte %#x", in.Num, in.Size, m, in.Off+4)
}

// inodeType is the entry type of inode in.
func inodeType(in *inode, deleted bool) string {
	switch in.fileType() {
	case modeDir:
		return fs.TypeDir
	case modeLink:
		return fs.TypeSymlink
	case modeFile:
		return fs.TypeFile
	case modeFifo:
		return "fifo"
	case modeSocket:
		return "socket"
	case modeChr, modeBlk:
		return "device"
	}
	if in.Mode == 0 && deleted {
		return fs.TypeFile // a cleared deleted inode: type from the name
	}
	return fs.TypeOther
}

// linkTarget returns the target of a symbolic link: in i_block (a fast
// link), inline, or in its blocks; at most MaxSymlink bytes.
func (w *walker) linkTarget(in *inode) string {
	v := w.v
	n := min(in.Size, MaxSymlink)
	if in.Size > MaxSymlink {
		w.problem(&FormatError{Off: in.Off + 4, Inode: in.Num, Msg: fmt.Sprintf("symbolic link of %d bytes (at most %d are read)", in.Size, MaxSymlink)})
	}
	if in.Flags&flagInlineData != 0 {
		return string(in.Inline[:min(int64(len(in.Inline)), n)])
	}
	eaBlocks := uint64(0)
	if in.FileACL != 0 {
		eaBlocks = uint64(v.sb.blockSize / 512)
	}
	if in.Flags&flagExtents == 0 && in.Size < 60 && (in.Blocks == 0 || in.Blocks == eaBlocks) {
		return string(in.Block[:n])
	}
	runs, _, err := v.blockMap(in)
	if err != nil {
		w.problem(err)
	}
	r := &contentReader{v: v, runs: runs, size: n, cut: -1}
	b, _ := io.ReadAll(r)
	return string(b)
}

// ftypeName is the entry type of a folder record's file type.
func ftypeName(t uint8) string {
	switch t {
	case ftDir:
		return fs.TypeDir
	case ftLink:
		return fs.TypeSymlink
	case ftFifo:
		return "fifo"
	case ftSocket:
		return "socket"
	case ftChr, ftBlk:
		return "device"
	}
	return fs.TypeFile
}

// ftypeLetter is the Sleuth Kit's letter for the file type of a folder
// record ("-" when unknown).
func ftypeLetter(t uint8) byte {
	if t >= 1 && t <= 7 {
		return "rdcbpsl"[t-1]
	}
	return '-'
}

// modeLetter is the Sleuth Kit's letter for the file type of an inode's
// mode ("-" when unknown).
func modeLetter(m uint16) byte {
	switch m & 0xf000 {
	case modeFile:
		return 'r'
	case modeDir:
		return 'd'
	case modeChr:
		return 'c'
	case modeBlk:
		return 'b'
	case modeFifo:
		return 'p'
	case modeSocket:
		return 's'
	case modeLink:
		return 'l'
	}
	return '-'
}

// allocated tells whether inode n is marked in use in its group's bitmap.
func (w *walker) allocated(n uint32) bool {
	s := w.v.sb
	if n == 0 || n > s.inodes {
		return false
	}
	g := (n - 1) / s.inodesPerGrp
	bm, ok := w.bitmaps[g]
	if !ok {
		if len(w.bitmaps) >= maxBitmaps {
			clear(w.bitmaps) // memory stays bounded on volumes of many groups
		}
		bm = w.v.inodeBitmap(g, w.problem)
		w.bitmaps[g] = bm
	}
	i := (n - 1) % s.inodesPerGrp
	if bm == nil {
		return true // unreadable: taken as in use (its names are not recovered)
	}
	return bm[i/8]&(1<<(i%8)) != 0
}

// inodeBitmap reads the inode bitmap of group g: all zero for a group
// whose inodes were never initialised, nil when it cannot be read.
func (v *Volume) inodeBitmap(g uint32, problem func(error)) []byte {
	s := v.sb
	d := v.groups[g]
	bm := make([]byte, s.blockSize)
	if d.flags&bgInodeUninit != 0 && s.roCompat&(roCompatGDTCsum|roCompatMetadataCsum) != 0 {
		return bm
	}
	if err := v.readBlock(bm, d.inodeBitmap); err != nil {
		problem(fmt.Errorf("failed to read the inode bitmap of block group %d: %w", g, err))
		return nil
	}
	return bm
}

// orphans yields the orphan inodes: unallocated, used (a change or
// deletion time), named by no folder, under /$OrphanFiles as
// OrphanFile-<inode>, as the Sleuth Kit lists them.
func (w *walker) orphans(e *fs.Entry, visit func(*fs.Entry) error) error {
	virtual := false
	return w.orphanInodes(func(n uint32, in *inode) error {
		p := "/$OrphanFiles/OrphanFile-" + strconv.FormatUint(uint64(n), 10)
		if !virtual {
			*e = fs.Entry{Path: "/$OrphanFiles", Addr: -1, Key: "orphans", Type: fs.TypeDir, Extra: map[string]any{"virtual": true}}
			if err := visit(e); err != nil {
				return err
			}
			virtual = true
		}
		*e = fs.Entry{Path: p, Addr: int64(n), Deleted: true,
			Type: fs.TypeFile, Extra: map[string]any{"orphan": true}}
		if w.done.get(n) {
			// Named in an orphan folder listed before: the name
			// only, as the Sleuth Kit lists it twice.
			e.Key = "orphan/" + strconv.FormatUint(uint64(n), 10)
			e.Type = ftypeName(0)
			if in.IsDir() {
				e.Type = fs.TypeDir
			}
			return visit(e)
		}
		w.done.set(n)
		w.fill(e, in, true)
		if err := visit(e); err != nil {
			return err
		}
		if in.IsDir() && !w.expanded[n] {
			top, err := w.orphanDir(n, in)
			if err != nil {
				return err
			}
			return w.emit(top, p, e, visit)
		}
		return nil
	})
}

// orphanInodes calls fn for each orphan inode, in inode order:
// unallocated (or on the orphan list), used (a change or deletion time),
// named by no folder.
func (w *walker) orphanInodes(fn func(n uint32, in *inode) error) error {
	v, s := w.v, w.v.sb
	isz := int64(s.inodeSize)
	perBlock := s.blockSize / isz
	buf := make([]byte, s.blockSize)
	cur, bad := ^uint64(0), false
	for g := range uint32(len(v.groups)) {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		d := v.groups[g]
		csum := s.roCompat&(roCompatGDTCsum|roCompatMetadataCsum) != 0
		if csum && d.flags&bgInodeUninit != 0 {
			continue
		}
		count := s.inodesPerGrp
		if csum && d.itableUnused < count {
			count -= d.itableUnused
		}
		if d.inodeTable >= s.blocks || int64(d.inodeTable) >= v.size/s.blockSize {
			w.problem(&FormatError{Off: v.base + v.size, Msg: fmt.Sprintf("the inode table of block group %d (block %d) lies past the end of the volume: not searched for orphans", g, d.inodeTable)})
			continue
		}
		first := g*s.inodesPerGrp + 1
		for i := uint32(0); i < count; i++ {
			n := first + i
			if n > s.inodes {
				break
			}
			if n < s.firstIno || w.named.get(n) || (w.allocated(n) && !w.orphanList[n]) {
				continue
			}
			blk := d.inodeTable + uint64(int64(i)/perBlock)
			if blk != cur {
				cur = blk
				if bad = v.readBlock(buf, blk) != nil; bad {
					w.problem(&FormatError{Off: v.base + int64(blk)*s.blockSize, Msg: fmt.Sprintf("failed to read the inode table of block group %d", g)})
				}
			}
			if bad {
				continue
			}
			o := (int64(i) % perBlock) * isz
			in, err := v.parseInode(buf[o:o+isz], n, v.base+int64(blk)*s.blockSize+o)
			if err != nil || (!in.used() && !w.orphanList[n]) {
				continue
			}
			if err := fn(n, in); err != nil {
				return err
			}
		}
	}
	return nil
}

// orphanDir reads the names of orphan folder n, whose blocks may survive
// (ext2), as the Sleuth Kit lists them: deleted names, and the folders
// below it whose inodes are not in use.
func (w *walker) orphanDir(n uint32, in *inode) (*node, error) {
	w.expanded[n] = true
	top := &node{ino: n, inode: in, deleted: true}
	w.inOrphan = true
	err := w.expand(top, 1)
	if err == nil {
		err = w.expandLater()
	}
	w.inOrphan = false
	return top, err
}

// readOrphanList follows the superblock's list of orphan inodes (files
// unlinked while open, or cut short, when the volume was last in use),
// linked through their deletion time field.
func (w *walker) readOrphanList() map[uint32]bool {
	out := map[uint32]bool{}
	for n := w.v.sb.lastOrphan; n != 0; {
		if out[n] || n > w.v.sb.inodes || len(out) > 1<<20 {
			w.problem(&FormatError{Off: w.v.base + 1024 + 0xe8, Inode: n, Msg: "orphan inode list loops or points past the inodes of the volume"})
			break
		}
		in, err := w.readInode(n)
		if err != nil {
			w.problem(err)
			break
		}
		out[n] = true
		n = in.rawDtime
	}
	for _, n := range w.v.readOrphanFile(w.problem) {
		out[n] = true
	}
	return out
}

// octalMode formats the permission bits of a mode as four octal digits.
func octalMode(m uint16) string {
	return string([]byte{byte('0' + m>>9&7), byte('0' + m>>6&7), byte('0' + m>>3&7), byte('0' + m&7)})
}

// bits is a set of inode numbers.
type bits []uint64

func newBits(n uint32) bits { return make(bits, uint64(n)/64+1) }

func (b bits) set(n uint32)      { b[n/64] |= 1 << (n % 64) }
func (b bits) get(n uint32) bool { return b[n/64]&(1<<(n%64)) != 0 }
