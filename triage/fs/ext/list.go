package ext

import (
	"context"
	"strconv"

	"github.com/triagekit/triage/triage/fs"
)

// List implements fs.Lister: the names of the volume as the Sleuth Kit's
// fls -r -p lists them, in the order of Walk, with every name of a file
// with hard links where it lies, then /$OrphanFiles (always: fls lists it
// on every ext volume) with the orphan inodes. It reads what Walk reads
// and gives the same problems, without building an entry per name: the
// path is one buffer, the inode of each name is read into one value.
func (v *Volume) List(ctx context.Context, visit func(*fs.Name) error, problem func(error)) error {
	w, top, err := v.readTree(ctx, problem)
	if err != nil {
		return err
	}
	l := &lister{w: w, visit: visit, path: make([]byte, 0, 256), links: map[uint32]fs.Name{}}
	if err := l.tree(top, 0); err != nil {
		return err
	}
	virtual := false
	orphans := func() error {
		if virtual {
			return nil
		}
		virtual = true
		l.path = append(l.path[:0], "$OrphanFiles"...)
		l.n = fs.Name{Path: l.path, Addr: int64(v.sb.inodes) + 1, NameType: 'V', MetaType: 'V', Virtual: true}
		return visit(&l.n)
	}
	err = w.orphanInodes(func(n uint32, in *inode) error {
		if err := orphans(); err != nil {
			return err
		}
		l.path = strconv.AppendUint(append(l.path[:0], "$OrphanFiles/OrphanFile-"...), uint64(n), 10)
		l.n = fs.Name{Path: l.path, Addr: int64(n), Deleted: true, NameType: '-', MetaType: 'r'}
		if w.done.get(n) {
			// Named in an orphan folder listed before: the name only,
			// as the Sleuth Kit lists it twice.
			if in.IsDir() {
				l.n.MetaType = 'd'
			}
			return visit(&l.n)
		}
		w.done.set(n)
		l.record(in, true)
		if err := visit(&l.n); err != nil {
			return err
		}
		if in.IsDir() && !w.expanded[n] {
			top, err := w.orphanDir(n, in)
			if err != nil {
				return err
			}
			l.path = append(l.path, '/')
			return l.tree(top, len(l.path))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return orphans()
}

// lister holds the state of one List.
type lister struct {
	w     *walker
	visit func(*fs.Name) error
	path  []byte
	n     fs.Name
	in    inode // the inode of the name listed, read in place
	runs  []run // the runs of its content (read for their problems)
	// links holds the row of each file with several live names, listed
	// again under its other names.
	links map[uint32]fs.Name
}

// tree lists the names below folder n; the path buffer holds the
// folder's path and a "/" (prefix bytes, none for the root).
func (l *lister) tree(n *node, prefix int) error {
	w := l.w
	for i := range n.children {
		k := &n.children[i]
		if i%256 == 0 {
			if err := w.ctx.Err(); err != nil {
				return err
			}
		}
		l.path = append(l.path[:prefix], k.name...)
		if !k.deleted && w.done.get(k.ino) {
			// Another name of an inode listed already: a hard link
			// (listed again here) or a folder loop (not).
			if r, ok := l.links[k.ino]; ok && k.inode == nil && !k.unlisted {
				r.Path = l.path
				if err := l.visit(&r); err != nil {
					return err
				}
			}
			continue
		}
		l.name(k)
		if !k.unlisted {
			if err := l.visit(&l.n); err != nil {
				return err
			}
		}
		if k.inode != nil && k.children != nil {
			l.path = append(l.path, '/')
			if err := l.tree(k, len(l.path)); err != nil {
				return err
			}
		}
	}
	return nil
}

// name sets l.n for the name k, whose path is in l.path, as Walk's entry
// records it (walker.entry) and fls prints it.
func (l *lister) name(k *node) {
	w := l.w
	t := typeLetter(ftypeName(k.ftype))
	l.n = fs.Name{Path: l.path, Addr: int64(k.ino), Deleted: k.deleted, NameType: t, MetaType: t}
	n := &l.n
	switch {
	case k.index:
		// Bytes of an index node read as a record, as the Sleuth Kit
		// reads them: the name and the types only.
		n.NameType, n.MetaType = ftypeLetter(k.ftype), '-'
		n.Deleted = k.deleted && !k.live
		if k.ino == 0 {
			return
		}
		if err := w.readInodeTo(&l.in, k.ino); err == nil {
			n.MetaType = modeLetter(l.in.Mode)
		}
		n.Realloc = w.allocated(k.ino) && !k.live
		if n.Realloc {
			l.inUse(k.ino)
		}
		return
	case k.ino == 0:
		// A deleted name whose inode number was cleared.
		n.Addr = -1
		return
	case k.deleted && w.allocated(k.ino) && !w.done.get(k.ino) && !w.live1.get(k.ino) && k.inode == nil:
		// A deleted name of an inode in use that no live name points
		// to (a file of a deleted folder): listed with the inode.
		n.Realloc = true
	case k.deleted && (w.done.get(k.ino) || w.allocated(k.ino)):
		// A deleted name whose inode is in use by another file, or is
		// listed already: the name only.
		n.Realloc = w.allocated(k.ino)
		if n.Realloc {
			l.inUse(k.ino)
		}
		return
	}
	w.done.set(k.ino)
	in := k.inode
	if in == nil {
		if err := w.readInodeTo(&l.in, k.ino); err != nil {
			w.problem(err)
			return
		}
		in = &l.in
	}
	l.record(in, k.deleted)
	if !k.deleted && len(w.liveMore) > 0 && w.liveMore[k.ino] && k.inode == nil {
		r := *n
		r.Path = nil
		l.links[k.ino] = r
	}
}

// inUse sets the columns of fls -l of l.n, a deleted name whose inode
// ino is in use by another file, from that inode, as fls gives them (no
// problem: the inode is the other file's, recorded at its own name).
func (l *lister) inUse(ino uint32) {
	if err := l.w.readInodeTo(&l.in, ino); err != nil {
		return
	}
	in, n := &l.in, &l.n
	n.Mtime, n.Atime, n.Ctime, n.Btime = in.Mtime, in.Atime, in.Ctime, in.Btime
	n.UID, n.GID = int64(in.UID), int64(in.GID)
	switch in.fileType() {
	case modeFile, modeDir, modeLink:
		n.Size = in.Size
	}
}

// record sets the types and the columns of fls -l of l.n from inode in,
// giving the problems Walk's fill gives.
func (l *lister) record(in *inode, deleted bool) {
	w, n := l.w, &l.n
	w.inodeChecks(in, deleted)
	n.Mtime, n.Atime, n.Ctime, n.Btime = in.Mtime, in.Atime, in.Ctime, in.Btime
	n.UID, n.GID = int64(in.UID), int64(in.GID)
	typ := inodeType(in, deleted)
	n.MetaType = typeLetter(typ)
	if n.NameType != '-' {
		n.NameType = n.MetaType
	}
	switch typ {
	case fs.TypeDir:
		n.Size = in.Size // fls -l gives a folder's size
		return
	case fs.TypeSymlink:
		n.Size = int64(len(w.linkTarget(in))) // an ext link's size is its target's length
		return
	case fs.TypeFile:
	default:
		return
	}
	n.Size = in.Size
	if in.Flags&flagInlineData != 0 {
		return
	}
	l.runs, _ = w.contentMap(l.runs, in, deleted)
	w.sizeLimit(in)
}

// typeLetter is the letter the listing prints for an entry type.
func typeLetter(t string) byte {
	switch t {
	case fs.TypeDir:
		return 'd'
	case fs.TypeSymlink:
		return 'l'
	case "fifo":
		return 'p'
	case "socket":
		return 's'
	case "device":
		return 'b'
	}
	return 'r'
}
