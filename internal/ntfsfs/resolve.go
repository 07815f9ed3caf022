package ntfsfs

import (
	"fmt"
	"slices"
	"strings"
)

// item places f in the tree; false when a folder on its path has not been
// read yet.
func (r *resolver) item(f *File) (*Item, bool) {
	n := f.PrimaryName()
	dir, st := r.folder(int64(n.Parent&0xffffffffffff), n.ParentSeq, f.Entry)
	if st == pending {
		return nil, false
	}
	it := &Item{File: f, Deleted: !f.InUse, Path: dir + "/" + n.Name}
	if st == orphan {
		it.Orphan = true
		it.Path = "/$OrphanFiles/" + n.Name
	}
	it.Metafile = f.Entry < 16 || strings.HasPrefix(it.Path, "/$Extend/")
	for k := range f.Names {
		o := &f.Names[k]
		if o == n || o.Space == "DOS" {
			continue
		}
		d, st := r.folder(int64(o.Parent&0xffffffffffff), o.ParentSeq, f.Entry)
		switch st {
		case pending:
			return nil, false
		case found:
			if p := d + "/" + o.Name; p != it.Path {
				it.Links = append(it.Links, p)
			}
		}
	}
	return it, true
}

// resolver rebuilds folder paths from parent references.
type resolver struct {
	fs      *FS
	files   map[int64]*File
	memo    map[int64]string // folder entry -> its path ("" for the root)
	bad     map[int64]bool   // folders that cannot be placed
	problem func(error)
	maxRead int64 // entries above this one are not read yet
}

// Results of resolver.folder.
const (
	found   = iota
	orphan  // the folder no longer exists, or its entry was reused
	pending // a folder on the path is further on in the $MFT
)

// folder returns the path of folder entry id, referenced with sequence
// number seq by child.
func (r *resolver) folder(id int64, seq uint16, child int64) (string, int) {
	var chain []int64
	cur, curSeq := id, seq
	for {
		var base string
		known := false
		if cur == 5 {
			base, known = "", true
		} else {
			if r.bad[cur] {
				r.markBad(chain)
				return "", orphan
			}
			pf := r.files[cur]
			if pf == nil && cur > r.maxRead {
				return "", pending
			}
			// The sequence number tells whether the entry still holds the
			// folder the reference names (a freed entry's is one more).
			if pf == nil || !pf.IsDir || !(pf.Seq == curSeq || (!pf.InUse && pf.Seq == curSeq+1)) {
				r.markBad(chain)
				return "", orphan
			}
			base, known = r.memo[cur]
			if !known {
				if slices.Contains(chain, cur) || len(chain) >= MaxPathDepth {
					r.problem(&Error{Off: pf.Offset, Entry: cur, Msg: fmt.Sprintf("directory loop or excessive depth reached from entry %d; files below are listed under /$OrphanFiles", child)})
					r.markBad(chain)
					return "", orphan
				}
				chain = append(chain, cur)
				pn := pf.PrimaryName()
				cur, curSeq = int64(pn.Parent&0xffffffffffff), pn.ParentSeq
				continue
			}
		}
		// Unwind: memoise the path of every folder on the chain.
		for k := len(chain) - 1; k >= 0; k-- {
			base = base + "/" + r.files[chain[k]].PrimaryName().Name
			r.memo[chain[k]] = base
		}
		return base, found
	}
}

func (r *resolver) markBad(chain []int64) {
	if r.bad == nil {
		r.bad = map[int64]bool{}
	}
	for _, c := range chain {
		r.bad[c] = true
	}
}
