package main

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/triagekit/triage/internal/ntfsfs"
)

// ntfsIndex gives the place of a name in its folder's $I30 index in the
// order fls reads the index (ntfsfs.FS.IndexOrder).
type ntfsIndex struct {
	fs    *ntfsfs.FS
	order map[uint64]map[indexKey]int // folder entry: first place of each name
	names map[uint64][]ntfsfs.IndexName
}

// list returns the names of the index of folder entry dir, in fls's
// order (what was read before a problem).
func (x *ntfsIndex) list(dir uint64) []ntfsfs.IndexName {
	if n, ok := x.names[dir]; ok {
		return n
	}
	n, _ := x.fs.IndexOrder(int64(dir))
	x.names[dir] = n
	return n
}

// staleSlack returns the rows fls prints for names in the slack of the
// folder indexes that name MFT entry 0 (a cleared reference) and that no
// row holds yet: stale copies of live names, which the walk leaves out.
func (x *ntfsIndex) staleSlack(rows []*flsRow) []*flsRow {
	have := map[string]bool{}
	dirs := map[string]uint64{"": 5}
	for _, r := range rows {
		if r.Inode == nil {
			have[r.Path] = true
		} else if r.Stream == "" && strings.HasSuffix(r.Type, "/d") {
			dirs[r.Path] = *r.Inode
		}
	}
	var out []*flsRow
	for path, dir := range dirs {
		for _, n := range x.list(dir) {
			p := n.Name
			if path != "" {
				p = path + "/" + n.Name
			}
			if !n.Deleted || n.Ref != 0 || have[p] || !plausibleSlackName(n.Name) {
				continue
			}
			have[p] = true
			out = append(out, &flsRow{Type: "r/-", Deleted: true, Address: "0", Path: p})
		}
	}
	return out
}

// plausibleSlackName rejects names that cannot be file names.
func plausibleSlackName(n string) bool {
	if n == "" || n == "." || n == ".." {
		return false
	}
	for _, c := range n {
		if c < 0x20 || c == '/' || c == 0x7f || c == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// indexKey is a name of the index and the MFT entry it names; ref -1
// stands for a name in slack whatever entry it names.
type indexKey struct {
	ref  int64
	name string
}

// place returns the place of name (naming MFT entry inode, or a name
// carved from slack when inode is nil) in the index of folder entry dir.
func (x *ntfsIndex) place(dir uint64, name string, inode *uint64) (int, bool) {
	m, ok := x.order[dir]
	if !ok {
		names := x.list(dir)
		m = make(map[indexKey]int, len(names))
		for i, n := range names {
			k := indexKey{int64(n.Ref), n.Name}
			if _, ok := m[k]; !ok {
				m[k] = i
			}
			if n.Deleted {
				if _, ok := m[indexKey{-1, n.Name}]; !ok {
					m[indexKey{-1, n.Name}] = i
				}
			}
		}
		x.order[dir] = m
	}
	k := indexKey{-1, name}
	if inode != nil {
		k.ref = int64(*inode)
	}
	i, ok := m[k]
	return i, ok
}

// ntfsOrder sorts the rows of an NTFS volume in the order fls lists them:
// depth first; within a folder the names in the order fls reads its $I30
// index (idx: the entries of its root node, then of each index record as
// they lie in $INDEX_ALLOCATION, slack included), then the deleted names
// the index does not hold, by MFT entry; then $OrphanFiles, whose entries
// come by MFT entry number; the data streams of a file after its unnamed
// stream, by name, then its other indexes. Without idx (or for a folder
// whose index cannot be read) the names of a folder are sorted by NTFS
// collation (upper-cased UTF-16 code units), allocated names first.
func ntfsOrder(rows []*flsRow, idx *ntfsIndex) {
	// What each path is: deleted or not, its MFT entry.
	type node struct {
		deleted bool
		inode   *uint64
		dir     bool
	}
	nodes := make(map[string]node, len(rows))
	for _, r := range rows {
		if n, ok := nodes[r.Path]; ok && (r.Stream != "" || r.Inode == nil && n.inode != nil) {
			continue
		}
		nodes[r.Path] = node{deleted: r.Deleted, inode: r.Inode, dir: strings.HasSuffix(r.Type, "/d")}
	}
	type key struct {
		parts []string
		row   *flsRow
	}
	keys := make([]key, len(rows))
	for i, r := range rows {
		keys[i] = key{strings.Split(r.Path, "/"), r}
	}
	// group orders a child within its folder: allocated names, deleted
	// names, then $OrphanFiles (at the root).
	group := func(prefix string, depth int) int {
		if depth == 0 && prefix == "$OrphanFiles" {
			return 2
		}
		if nodes[prefix].deleted {
			return 1
		}
		return 0
	}
	// place is the place of a name in its folder's index, -1 when the
	// index does not hold it, -2 when the folder is not known.
	place := func(prefix string, parts []string, d int, own *flsRow) int {
		if idx == nil {
			return -2
		}
		dir := uint64(5) // the root folder
		if d > 0 {
			p := nodes[strings.Join(parts[:d], "/")]
			if p.inode == nil || !p.dir {
				return -2
			}
			dir = *p.inode
		}
		inode := nodes[prefix].inode
		if own != nil && d == len(parts)-1 {
			inode = own.Inode
		}
		if i, ok := idx.place(dir, parts[d], inode); ok {
			return i
		}
		return -1
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		for d := 0; d < len(a.parts) && d < len(b.parts); d++ {
			if a.parts[d] == b.parts[d] {
				if d == len(a.parts)-1 && d == len(b.parts)-1 && (a.row.Inode == nil) != (b.row.Inode == nil) {
					// A name carved from slack and a live name alike.
					xa, xb := place(a.row.Path, a.parts, d, a.row), place(b.row.Path, b.parts, d, b.row)
					if xa != xb && xa >= 0 && xb >= 0 {
						return xa < xb
					}
				}
				continue
			}
			pa, pb := strings.Join(a.parts[:d+1], "/"), strings.Join(b.parts[:d+1], "/")
			oa, ob := d == 0 && pa == "$OrphanFiles", d == 0 && pb == "$OrphanFiles"
			if oa != ob {
				return ob
			}
			if ua, ub := d == 0 && rootUsers(pa), d == 0 && rootUsers(pb); ua != ub {
				return ua
			}
			if d == 1 && a.parts[0] == "$OrphanFiles" {
				return inodeOf(nodes[pa].inode) < inodeOf(nodes[pb].inode)
			}
			if xa, xb := place(pa, a.parts, d, a.row), place(pb, b.parts, d, b.row); xa != -2 && xb != -2 {
				switch {
				case xa >= 0 && xb >= 0:
					return xa < xb
				case xa >= 0 || xb >= 0:
					return xa >= 0 // names the index holds first
				case inodeOf(nodes[pa].inode) != inodeOf(nodes[pb].inode):
					return inodeOf(nodes[pa].inode) < inodeOf(nodes[pb].inode)
				}
			}
			if ga, gb := group(pa, d), group(pb, d); ga != gb {
				return ga < gb
			}
			if c := ntfsCollate(a.parts[d], b.parts[d]); c != 0 {
				return c < 0
			}
			return a.parts[d] < b.parts[d]
		}
		if len(a.parts) != len(b.parts) {
			return len(a.parts) < len(b.parts) // a folder before its entries
		}
		if sa, sb := streamGroup(a.row), streamGroup(b.row); sa != sb {
			return sa < sb
		}
		return ntfsCollate(a.row.Stream, b.row.Stream) < 0
	})
	for i := range keys {
		rows[i] = keys[i].row
	}
}

// rootUsers tells whether a name of the root folder is "Users" (in any
// case): fls 4.11 lists it, and what it holds, before all other names of
// the root, on NTFS and FAT alike.
func rootUsers(name string) bool { return strings.EqualFold(name, "users") }

func inodeOf(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// streamGroup orders the rows of one file: the unnamed stream (or the
// folder), the named data streams, the other indexes.
func streamGroup(r *flsRow) int {
	switch {
	case r.Index:
		return 2
	case r.Stream != "":
		return 1
	}
	return 0
}

// ntfsCollate compares two names as an NTFS index does: by their UTF-16
// code units upper-cased.
func ntfsCollate(a, b string) int {
	ua, ub := utf16.Encode([]rune(strings.Map(unicode.ToUpper, a))), utf16.Encode([]rune(strings.Map(unicode.ToUpper, b)))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	return len(ua) - len(ub)
}

// treeOrder puts every row of a FAT or exFAT volume right after its
// folder (depth first) and the rows of a folder in the order of their
// directory entries (their byte offset in the volume: the deleted entries
// the walk gives last go back to their place); rows without an entry (the
// virtual files) keep their order after them.
func treeOrder(rows []*flsRow) {
	place := make(map[string]int64, len(rows))
	for i, r := range rows {
		if _, ok := place[r.Path]; ok {
			continue
		}
		if r.Inode != nil && *r.Inode < 1<<62 {
			place[r.Path] = int64(*r.Inode)
		} else {
			place[r.Path] = 1<<62 + int64(i)
		}
	}
	keys := make([][]int64, len(rows))
	for i, r := range rows {
		parts := strings.Split(r.Path, "/")
		k := make([]int64, 0, len(parts)+1)
		for d := 1; d < len(parts); d++ {
			if p, ok := place[strings.Join(parts[:d], "/")]; ok {
				if d == 1 && rootUsers(parts[0]) {
					p = -1
				}
				k = append(k, p)
			}
		}
		own := place[r.Path]
		if len(parts) == 1 && rootUsers(parts[0]) {
			own = -1
		}
		keys[i] = append(k, own, int64(i))
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		for d := 0; d < len(ka) && d < len(kb); d++ {
			if ka[d] != kb[d] {
				return ka[d] < kb[d]
			}
		}
		return len(ka) < len(kb)
	})
	out := make([]*flsRow, len(rows))
	for i, j := range idx {
		out[i] = rows[j]
	}
	copy(rows, out)
}
