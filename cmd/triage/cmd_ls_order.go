package main

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf16"
)

// ntfsOrder sorts the rows of an NTFS volume in the order fls lists them:
// depth first; within a folder the names in the order of its $I30 index
// (NTFS collation: upper-cased UTF-16 code units), then the deleted names
// in the same order, then $OrphanFiles, whose entries come by MFT entry
// number; the data streams of a file after its unnamed stream, by name.
func ntfsOrder(rows []*flsRow) {
	// What each path is: deleted or not, its MFT entry.
	type node struct {
		deleted bool
		inode   uint64
	}
	nodes := make(map[string]node, len(rows))
	for _, r := range rows {
		if _, ok := nodes[r.Path]; ok && r.Stream != "" {
			continue
		}
		n := node{deleted: r.Deleted}
		if r.Inode != nil {
			n.inode = *r.Inode
		}
		nodes[r.Path] = n
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
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		for d := 0; d < len(a.parts) && d < len(b.parts); d++ {
			if a.parts[d] == b.parts[d] {
				continue
			}
			pa, pb := strings.Join(a.parts[:d+1], "/"), strings.Join(b.parts[:d+1], "/")
			if ga, gb := group(pa, d), group(pb, d); ga != gb {
				return ga < gb
			}
			if d == 1 && a.parts[0] == "$OrphanFiles" {
				return nodes[pa].inode < nodes[pb].inode
			}
			if c := ntfsCollate(a.parts[d], b.parts[d]); c != 0 {
				return c < 0
			}
			return a.parts[d] < b.parts[d]
		}
		if len(a.parts) != len(b.parts) {
			return len(a.parts) < len(b.parts) // a folder before its entries
		}
		if (a.row.Stream == "") != (b.row.Stream == "") {
			return a.row.Stream == ""
		}
		return ntfsCollate(a.row.Stream, b.row.Stream) < 0
	})
	for i := range keys {
		rows[i] = keys[i].row
	}
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
