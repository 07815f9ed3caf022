package ntfsfs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf8"

	"www.velocidex.com/golang/go-ntfs/parser"
)

// SlackName is a $FILE_NAME carved from the slack of a folder index.
type SlackName struct {
	Name  string
	Ref   uint64 // the MFT reference it holds (entry number)
	Size  int64  // the file size it records
	Times Times
}

// walkSlack reports the names in folder index slack that no MFT entry of
// the folder holds any more (stale copies of live names are left out).
func (fs *FS) walkSlack(ctx context.Context, r *resolver, visit func(*Item) error, problem func(error)) error {
	// live[folder][name]: the names MFT entries hold. Slack copies of
	// them (left by index node splits and re-sorts) are not deleted files
	// and are not reported; the Sleuth Kit reports those whose reference
	// differs from the live entry's.
	live := map[int64]map[string]bool{}
	var dirs []int64
	for id, f := range r.files {
		for _, n := range f.Names {
			p := int64(n.Parent & 0xffffffffffff)
			if live[p] == nil {
				live[p] = map[string]bool{}
			}
			live[p][n.Name] = true
		}
		if f.IsDir && f.InUse {
			dirs = append(dirs, id)
		}
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := ""
		if d != 5 {
			p, st := r.folder(d, r.files[d].Seq, d)
			if st != found {
				continue
			}
			dir = p
		}
		var names []SlackName
		err := fs.locked(fmt.Sprintf("carving the index slack of MFT entry %d", d), func() error {
			e, err := fs.meta.GetMFT(d)
			if err != nil {
				return err
			}
			// An index allocation larger than the volume cannot be
			// real: carving it would read zeros for as long as it
			// claims (a hostile size made a walk take seconds).
			for _, a := range e.EnumerateAttributes(fs.meta) {
				if a.Type().Value == 0xA0 && !a.IsResident() && (int64(a.Actual_size()) > fs.size || int64(a.Allocated_size()) > fs.size || int64(a.Actual_size()) < 0 || int64(a.Allocated_size()) < 0) {
					return fmt.Errorf("index allocation of %d bytes (allocated %d) is larger than the volume (%d bytes): its slack is not carved", int64(a.Actual_size()), int64(a.Allocated_size()), fs.size)
				}
			}
			for _, fi := range parser.ExtractI30List(fs.meta, e) {
				// Carving tries every byte offset; a real index entry is
				// 8-byte aligned and holds a clean name.
				ref, _ := strconv.ParseUint(fi.MFTId, 10, 64)
				ref &= 0xffffffffffff
				if !fi.IsSlack || fi.SlackOffset%8 != 0 || !plausibleName(fi.Name) || live[d][fi.Name] {
					continue
				}
				switch fi.NameType {
				case "POSIX", "Win32", "DOS", "DOS+Win32":
				default:
					continue
				}
				// go-ntfs's FileInfo fields hold, in order: MFT change,
				// access, creation and modification times.
				names = append(names, SlackName{Name: fi.Name, Ref: ref, Size: fi.Size,
					Times: Times{Ctime: fi.Mtime.UTC(), Atime: fi.Atime.UTC(), Btime: fi.Ctime.UTC(), Mtime: fi.Btime.UTC()}})
			}
			return nil
		})
		if err != nil {
			problem(&Error{Off: r.files[d].Offset, Entry: d, Msg: "failed to carve the folder index slack", Err: err})
			continue
		}
		seen := map[string]bool{}
		for k := range names {
			if seen[names[k].Name] {
				continue
			}
			seen[names[k].Name] = true
			if err := visit(&Item{File: r.files[d], Path: dir + "/" + names[k].Name, Deleted: true, Slack: &names[k]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// plausibleName rejects carved names that cannot be NTFS file names: empty,
// with control characters, "/", or undecodable UTF-16.
func plausibleName(n string) bool {
	if n == "" || n == "." || n == ".." {
		return false
	}
	for _, c := range n {
		if c < 0x20 || c == '/' || c == 0x7f || c == utf8.RuneError {
			return false
		}
	}
	return true
}
