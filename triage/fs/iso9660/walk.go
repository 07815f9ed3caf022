package iso9660

import (
	"context"
	"fmt"
	"io"

	"github.com/triagekit/triage/triage/fs"
)

type walker struct {
	v       *volume
	ctx     context.Context
	visit   func(*fs.Entry) error
	problem func(error)
	seen    map[uint32]bool // directory extents walked
	entries int
	// dirBytes counts the folder bytes read: folders of a sound volume
	// do not overlap, so more than the volume holds means they do.
	dirBytes int64
	stopped  bool
	// keep, when set, is told of each entry and the extents of a file's
	// content before the entry is visited, and may change it; it returns
	// whether to visit it (folders are walked either way).
	keep func(e *fs.Entry, spans []span) bool
}

func (w *walker) walk() error {
	v := w.v
	e := &fs.Entry{Path: "/", Addr: v.root.off, Type: fs.TypeDir, Mtime: v.root.time, Extra: map[string]any{}}
	if v.rr {
		e.Extra["iso_names"] = "rockridge"
	} else if v.joliet {
		e.Extra["iso_names"] = "joliet"
	} else {
		e.Extra["iso_names"] = "iso9660"
	}
	if !v.created.IsZero() {
		e.Btime = v.created
	}
	if len(v.sessions) > 0 {
		e.Extra["iso_session"] = v.session
		e.Extra["iso_sessions"] = v.sessionList()
	}
	// The root's own "." record has its date (the copy in the volume
	// descriptor often has none) and, with Rock Ridge, its mode and times.
	if dot, err := v.firstRecord(v.root); err == nil {
		if !dot.time.IsZero() {
			e.Mtime = dot.time
		}
		if v.rr {
			rr := v.rockRidge(dot, w.problem)
			w.rrExtra(e, dot, rr)
		}
	}
	if err := w.visit(e); err != nil {
		return err
	}
	return w.dir("/", v.root, 0)
}

// dir walks the folder rec, whose path is p, depth levels below the root.
func (w *walker) dir(p string, rec record, depth int) error {
	v := w.v
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if depth >= MaxDepth {
		w.problem(v.errf(rec.off, "folder %q is more than %d levels deep: not walked", p, MaxDepth))
		return nil
	}
	if w.seen[rec.extent] {
		w.problem(v.errf(rec.off, "folder %q points to the folder at block %d walked before (a loop): not walked again", p, rec.extent))
		return nil
	}
	w.seen[rec.extent] = true
	start := int64(rec.extent) * v.block
	size := int64(rec.size)
	if start >= v.size {
		w.problem(v.errf(rec.off+2, "folder %q at block %d lies outside the volume", p, rec.extent))
		return nil
	}
	if start+size > v.size {
		w.problem(v.errf(rec.off+10, "folder %q (%d bytes at block %d) runs past the end of the volume", p, size, rec.extent))
		size = v.size - start
	}
	if w.dirBytes += size; w.dirBytes > v.size+sector {
		w.problem(v.errf(rec.off, "folder %q: the folders read so far overlap (more folder bytes than the volume holds): the rest of the volume is not walked", p))
		w.stopped = true
		return nil
	}
	buf := make([]byte, sector)
	var pending []record // the parts of a multi-extent file
	for s := int64(0); s < size; s += sector {
		if w.stopped {
			return nil
		}
		n := min(sector, size-s)
		b := buf[:n]
		if _, err := v.r.ReadAt(b, start+s); err != nil && err != io.EOF {
			w.problem(fmt.Errorf("iso9660: failed to read folder %q at byte %#x: %w", p, v.base+start+s, err))
			return nil
		}
		for q := 0; q < len(b); {
			l := int(b[q])
			if l == 0 {
				break // the rest of the sector is padding
			}
			off := start + s + int64(q)
			if l < minRecordSize || q+l > len(b) {
				w.problem(v.errf(off, "directory record of %d bytes in folder %q", l, p))
				break
			}
			r, err := v.parseRecord(b[q:q+l], off)
			q += l
			if err != nil {
				w.problem(err)
				continue
			}
			if len(r.name) == 1 && (r.name[0] == 0 || r.name[0] == 1) {
				continue // "." and ".."
			}
			if w.entries++; w.entries > MaxEntries {
				w.problem(v.errf(off, "more than %d directory records: the rest of the volume is not walked", MaxEntries))
				w.stopped = true
				return nil
			}
			if r.flags&flagMultiExt != 0 && r.flags&flagDir == 0 {
				pending = append(pending, r)
				continue
			}
			parts := append(pending, r)
			pending = nil
			if err := w.entry(p, parts, depth); err != nil {
				return err
			}
		}
	}
	if len(pending) > 0 {
		w.problem(v.errf(pending[0].off, "multi-extent file in folder %q has no final extent", p))
		if err := w.entry(p, pending, depth); err != nil {
			return err
		}
	}
	return nil
}

// entry visits the file or folder whose directory records (one, or the
// extents of a multi-extent file in order) are parts, in folder p.
func (w *walker) entry(p string, parts []record, depth int) error {
	v := w.v
	r := parts[0]
	isDir := r.flags&flagDir != 0
	var rr rrInfo
	if v.rr {
		rr = v.rockRidge(r, w.problem)
		if rr.relocated {
			return nil // reached through the CL entry that stands in its place
		}
	}
	var name string
	switch {
	case rr.hasName:
		name = rr.name
	case v.joliet:
		name = jolietName(r.name, isDir)
	default:
		name = isoName(r.name, isDir)
	}
	if name == "" || name == "." || name == ".." {
		name = fmt.Sprintf("$INVALID-%d", r.off)
		w.problem(v.errf(r.off+32, "directory record with an unusable name in folder %q, listed as %s", p, name))
	}
	path := p + name
	e := &fs.Entry{Path: path, Addr: r.off, Type: fs.TypeFile, Mtime: r.time, Extra: map[string]any{}}
	if r.flags&flagHidden != 0 {
		e.Extra["iso_hidden"] = true
	}
	if r.flags&flagAssoc != 0 {
		e.Extra["iso_associated"] = true
	}
	if v.rr {
		if rr.hasName {
			e.Extra["iso_name"] = string(r.name)
		}
		w.rrExtra(e, r, rr)
	}
	if rr.hasChild { // a folder relocated by Rock Ridge: walk it here
		dot, err := v.firstRecord(record{off: r.off, extent: rr.child})
		if err != nil {
			w.problem(fmt.Errorf("relocated folder %q (block %d): %w", path, rr.child, err))
			return nil
		}
		isDir, r = true, dot
		e.Extra["iso_relocated"] = true
	}
	switch {
	case isDir:
		e.Type = fs.TypeDir
	case rr.isLink:
		e.Type = fs.TypeSymlink
		e.Extra["symlink_target"] = rr.link
	case rr.hasMode && rr.mode&modeType != modeReg && rr.mode&modeType != 0:
		e.Type = fs.TypeOther // device, FIFO, socket
	}
	var spans []span
	if e.Type == fs.TypeFile {
		for _, x := range parts {
			e.Size += int64(x.size)
			spans = append(spans, span{int64(x.extent) * v.block, int64(x.size)})
		}
		why := ""
		switch {
		case r.unit != 0:
			why = fmt.Sprintf("interleaved file (unit size %d) is not supported: the hash covers its extent as stored", r.unit)
		case rr.zisofs:
			why = "zisofs compression is not supported: the hash covers the content as stored"
		}
		if why != "" {
			e.Extra["iso_unsupported"] = why
		}
		e.Open = func() (io.ReadCloser, error) { return v.open(spans, why), nil }
	}
	if w.keep == nil || w.keep(e, spans) {
		if err := w.visit(e); err != nil {
			return err
		}
	}
	if e.Type == fs.TypeDir {
		return w.dir(path+"/", r, depth+1)
	}
	return nil
}

// rrExtra puts the Rock Ridge mode, owner and times of rr on e.
func (w *walker) rrExtra(e *fs.Entry, r record, rr rrInfo) {
	if rr.hasMode {
		e.Extra["posix_mode"] = modeString(rr.mode)
		e.Extra["uid"], e.Extra["gid"], e.Extra["nlink"] = rr.uid, rr.gid, rr.nlink
	}
	if !rr.mtime.IsZero() {
		e.Mtime = rr.mtime
	}
	if !rr.atime.IsZero() {
		e.Atime = rr.atime
	}
	if !rr.ctime.IsZero() {
		e.Ctime = rr.ctime
	}
	if !rr.btime.IsZero() {
		e.Btime = rr.btime
	}
}

// span is an extent of a file in the volume.
type span struct{ off, n int64 }

// content reads a file's extents in order. An extent past the end of the
// volume is read as far as the volume goes, and the reader says so.
type content struct {
	v      *volume
	spans  []span
	cur    *io.SectionReader
	reason string
}

func (v *volume) open(spans []span, why string) *content {
	return &content{v: v, spans: spans, reason: why}
}

func (c *content) Read(p []byte) (int, error) {
	for {
		if c.cur != nil {
			n, err := c.cur.Read(p)
			if err == io.EOF {
				c.cur = nil
				if n > 0 {
					return n, nil
				}
				continue
			}
			return n, err
		}
		if len(c.spans) == 0 {
			return 0, io.EOF
		}
		s := c.spans[0]
		c.spans = c.spans[1:]
		if s.off+s.n > c.v.size {
			if c.reason == "" {
				c.reason = fmt.Sprintf("iso9660: extent of %d bytes at byte %#x runs past the end of the volume", s.n, c.v.base+s.off)
			}
			s.n = max(0, c.v.size-s.off)
		}
		c.cur = io.NewSectionReader(c.v.r, s.off, s.n)
	}
}

func (c *content) Close() error { return nil }

// Incomplete tells whether the content read does not cover the file.
func (c *content) Incomplete() (string, bool) { return c.reason, c.reason != "" }
