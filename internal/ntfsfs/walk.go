package ntfsfs

import (
	"context"
	"errors"
	"math"
	"sort"
)

// Item is one file, folder or stream found by Walk.
type Item struct {
	File    *File
	Stream  *Stream // nil for a folder, or a file without $DATA
	Path    string  // full path from the volume root, "/"-separated
	Deleted bool
	Orphan  bool
	// Metafile marks NTFS system files ($MFT, $LogFile, $Extend/...).
	Metafile bool
	// Links are the full paths of the entry's other (hard link) names.
	Links []string
	// Slack is set for a name found only in a folder index's slack; File
	// is then the folder's.
	Slack *SlackName
}

// Walk visits every file and stream of the volume, allocated and deleted,
// in MFT entry order (the main stream first, then the named streams sorted
// by name), except entries whose folder lies further on in the $MFT, which
// come after all others; the virtual /$OrphanFiles folder is last. Problems (corrupt entries, directory
// loops) go to problem and the walk goes on.
func (fs *FS) Walk(ctx context.Context, visit func(*Item) error, problem func(error)) error {
	defer fs.purge()
	files := make(map[int64]*File)
	r := &resolver{fs: fs, files: files, memo: map[int64]string{5: ""}, problem: problem, maxRead: -1}
	orphans := false
	emit := func(it *Item) error {
		if it.Orphan {
			orphans = true
		}
		f := it.File
		var main *Stream
		var ads []*Stream
		for k := range f.Streams {
			if f.Streams[k].Name == "" {
				main = &f.Streams[k]
			} else {
				ads = append(ads, &f.Streams[k])
			}
		}
		sort.Slice(ads, func(a, b int) bool { return ads[a].Name < ads[b].Name })
		first := *it
		if !f.IsDir {
			first.Stream = main
		}
		if err := visit(&first); err != nil {
			return err
		}
		for _, s := range ads {
			x := *it
			x.Stream = s
			if err := visit(&x); err != nil {
				return err
			}
		}
		return nil
	}
	// Entries are emitted as they are read, so that content is hashed
	// while the $MFT is still being parsed; an entry whose folder lies
	// further on in the $MFT waits until the end.
	var pending []*File
	for i := int64(0); i < fs.entries; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f, err := fs.ReadEntry(i)
		r.maxRead = i
		if err != nil {
			if !errors.Is(err, ErrNoEntry) {
				problem(err)
			}
			continue
		}
		for _, p := range f.Problems {
			problem(p)
		}
		if len(f.Names) == 0 {
			continue // no name: nothing to place in the tree
		}
		// Only folders are kept for placing what lies below them (and
		// every entry when the index slack is carved, whose live names it
		// needs): memory grows with the folders, not the files.
		if f.IsDir || fs.IndexSlack {
			files[i] = f
		}
		if i == 5 {
			continue // the root folder itself
		}
		it, ok := r.item(f)
		if !ok {
			pending = append(pending, f)
			continue
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	r.maxRead = math.MaxInt64 // every entry is read: nothing is pending now
	for _, f := range pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, _ := r.item(f)
		if err := emit(it); err != nil {
			return err
		}
	}
	if orphans {
		if err := visit(&Item{Path: "/$OrphanFiles", File: &File{Entry: -1, IsDir: true, InUse: true}}); err != nil {
			return err
		}
	}
	if fs.IndexSlack {
		return fs.walkSlack(ctx, r, visit, problem)
	}
	return nil
}
