package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
)

// ext folders are listed in the order of their records, as fls does; an
// inode with several names is recorded once, at its first name, and its
// other names are printed where fls prints them: after the name listed
// just before each (extra.ext_hard_link_after).

// holdLink keeps the row of another name of a file until the row listed
// before it (after, a path of the walk) is written. It returns false when
// the place is not known: the row is written now.
func (v *flsVisitor) holdLink(r *flsRow, after string) bool {
	if after == "" || (v.only >= 0 && (r.Volume == nil || *r.Volume != v.only)) {
		return false
	}
	if v.held == nil {
		v.held = map[string][]*flsRow{}
	}
	p := strings.TrimPrefix(casedb.DisplayString(after), "/")
	v.held[p] = append(v.held[p], r)
	return true
}

// release writes the rows held until the row of path was written, and
// those held until them.
func (v *flsVisitor) release(path string) error {
	rows := v.held[path]
	if len(rows) == 0 {
		return nil
	}
	delete(v.held, path)
	for _, r := range rows {
		if err := v.write(r); err != nil {
			return err
		}
		if err := v.release(r.Path); err != nil {
			return err
		}
	}
	return nil
}

// releaseAll writes the rows still held at the end of a volume (their
// place was not met), by path.
func (v *flsVisitor) releaseAll() error {
	var rows []*flsRow
	for _, rs := range v.held {
		rows = append(rows, rs...)
	}
	clear(v.held)
	sort.Slice(rows, func(i, j int) bool { return rows[i].Path < rows[j].Path })
	for _, r := range rows {
		if err := v.write(r); err != nil {
			return err
		}
	}
	return nil
}

// extIndexSlack gives the types and address fls prints for a record read
// from an index node of a hashed ext folder: the record's type (name), the
// type of the inode it names (meta), the inode (0 when none), in the order
// fls prints them.
func extIndexSlack(e *triage.Entry) (name, meta, addr string) {
	name, _ = e.Extra["ext_name_type"].(string)
	meta, _ = e.Extra["ext_inode_type"].(string)
	if name == "" {
		name = "-"
	}
	if meta == "" {
		meta = "-"
	}
	addr = "0"
	if e.Inode != nil {
		addr = strconv.FormatUint(*e.Inode, 10)
	}
	return name, meta, addr
}

// flsSanitize appends path to b as fls prints it: control characters
// (bytes below 0x20) as "^".
func flsSanitize[S string | []byte](b []byte, path S) []byte {
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c < 0x20 {
			c = '^'
		}
		b = append(b, c)
	}
	return b
}

// Names takes the names of a file system that lists them itself
// (fs.Lister: ext), written as they come; the JSON form takes entries.
func (v *flsVisitor) Names(vol int) func(*fs.Name) error {
	if v.json {
		return nil
	}
	return func(n *fs.Name) error { return v.name(vol, n) }
}

// name writes the row of n, a name of volume vol.
func (v *flsVisitor) name(vol int, n *fs.Name) error {
	if vol != v.cur {
		v.endVolume()
		v.cur = vol
		v.mftSize = 0
		v.sawOrphans = false
	}
	if n.Virtual {
		v.sawOrphans = true
	}
	if v.only >= 0 && vol != v.only {
		return nil
	}
	if v.headers && vol != v.headed {
		v.headed = vol
		fmt.Fprintf(v.w, "# v%d\n", vol)
	}
	b := append(v.buf[:0], n.NameType, '/', n.MetaType, ' ')
	if n.Deleted {
		b = append(b, "* "...)
	}
	if n.Addr < 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, n.Addr, 10)
	}
	if n.Realloc {
		b = append(b, "(realloc)"...)
	}
	b = append(b, ":\t"...)
	if utf8.Valid(n.Path) {
		b = flsSanitize(b, n.Path)
	} else {
		b = flsSanitize(b, casedb.DisplayString(string(n.Path)))
	}
	if v.long {
		b = v.appendLong(b, [4]time.Time{n.Mtime, n.Atime, n.Ctime, n.Btime}, n.Size, n.GID, n.UID)
	}
	b = append(b, '\n')
	v.buf = b
	_, err := v.w.Write(b)
	return err
}
