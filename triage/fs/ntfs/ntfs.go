// Package ntfs is the NTFS file system for the scan engine: it recognises
// an NTFS boot sector and walks the volume through internal/ntfsfs (go-ntfs
// behind a panic boundary), with deleted entries, alternate data streams
// and, on request, names carved from folder index slack.
package ntfs

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/triagekit/triage/internal/ntfsfs"
	"github.com/triagekit/triage/triage/fs"
)

// Options of NTFS.
var (
	// SkipMetafiles leaves out the NTFS system files ($MFT, $LogFile,
	// $Extend/...), which are otherwise recorded with the extra field
	// "ntfs_metafile": true.
	SkipMetafiles = fs.Option{Name: "skip-metafiles", Usage: "leave out NTFS system files ($MFT, $LogFile, $Extend/...) of disk images"}
	// IndexSlack also yields the file names carved from the slack of
	// folder indexes that no MFT entry holds any more (no content).
	IndexSlack = fs.Option{Name: "ntfs-index-slack", Usage: "also record deleted file names carved from NTFS folder index slack (no content)"}
)

// Format is NTFS.
var Format = fs.Format{Name: "ntfs", Probe: Probe, Open: Open, Options: []fs.Option{SkipMetafiles, IndexSlack}}

// Probe tells whether b starts with an NTFS boot sector.
func Probe(b []byte) bool {
	return len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa && string(b[3:11]) == "NTFS    "
}

// Open opens the NTFS volume held in r (size bytes from the boot sector at
// 0, at offset base of its image). r must be safe for concurrent ReadAt.
func Open(r io.ReaderAt, base, size int64, opts fs.Options) (fs.FS, error) {
	v, err := ntfsfs.Open(r, base, size)
	if err != nil {
		return nil, err
	}
	v.IndexSlack = opts.Bool(IndexSlack)
	return &volume{v: v, skipMetafiles: opts.Bool(SkipMetafiles)}, nil
}

type volume struct {
	v             *ntfsfs.FS
	skipMetafiles bool
}

func (vol *volume) Label() string { return vol.v.Label }

// UsedBytes is the size of the clusters $Bitmap marks allocated (fs.Usage).
func (vol *volume) UsedBytes() int64 { return vol.v.UsedBytes() }

// Walk yields the entries of ntfsfs.FS.Walk: one per data stream of a
// file, the virtual /$OrphanFiles folder (key "orphans") and the names
// carved from index slack (key "slack/<folder entry>/<name>", no address).
func (vol *volume) Walk(ctx context.Context, visit func(*fs.Entry) error, problem func(error)) error {
	var e fs.Entry
	return vol.v.Walk(ctx, func(it *ntfsfs.Item) error {
		if vol.skipMetafiles && it.Metafile {
			return nil
		}
		vol.entry(&e, it)
		return visit(&e)
	}, problem)
}

// entry fills e with what it holds. Times and names of the $FILE_NAME
// attribute, the sequence number and the NTFS flags go to Extra.
func (vol *volume) entry(e *fs.Entry, it *ntfsfs.Item) {
	f := it.File
	*e = fs.Entry{Path: it.Path, Addr: -1, Deleted: it.Deleted, Extra: map[string]any{}}
	if sl := it.Slack; sl != nil {
		// A name carved from a folder index: no MFT entry, no content.
		e.Key = "slack/" + strconv.FormatInt(f.Entry, 10) + "/" + sl.Name
		e.Type = fs.TypeFile
		e.Extra["ntfs_index_slack"] = true
		e.Extra["ntfs_slack_mft_ref"] = sl.Ref
		e.Extra["ntfs_fn_size"] = sl.Size
		putTimes(e.Extra, &sl.Times)
		return
	}
	if f.Entry < 0 { // the virtual $OrphanFiles folder
		e.Key = "orphans"
		e.Type = fs.TypeDir
		e.Extra["virtual"] = true
		return
	}
	e.Addr = f.Entry
	e.Mtime, e.Atime, e.Ctime, e.Btime = f.SI.Mtime, f.SI.Atime, f.SI.Ctime, f.SI.Btime
	if n := f.PrimaryName(); n != nil {
		putTimes(e.Extra, &n.Times)
	}
	e.Extra["ntfs_seq"] = f.Seq
	if it.Metafile {
		e.Extra["ntfs_metafile"] = true
	}
	if it.Orphan {
		e.Extra["orphan"] = true
	}
	if f.Reparse != 0 {
		e.Extra["ntfs_reparse_tag"] = fmt.Sprintf("%#08x", f.Reparse)
	}
	if len(it.Links) > 0 {
		e.Extra["ntfs_hard_links"] = it.Links
	}
	s := it.Stream
	if s == nil {
		if f.IsDir {
			e.Type = fs.TypeDir
			if f.IndexID >= 0 {
				e.Extra["ntfs_attr"] = "144-" + strconv.Itoa(f.IndexID)
			}
		} else {
			e.Type = fs.TypeFile // a file with no $DATA: empty
		}
		return
	}
	e.Type = fs.TypeFile
	e.Stream = s.Name
	e.Size = s.Size
	e.Extra["ntfs_attr"] = "128-" + strconv.Itoa(int(s.AttrID()))
	if s.Resident {
		e.Extra["ntfs_resident"] = true
	}
	if s.Compressed {
		e.Extra["ntfs_compressed"] = true
	}
	if s.Sparse {
		e.Extra["ntfs_sparse"] = true
	}
	if s.DeclaredSize != 0 {
		e.Extra["ntfs_declared_size"] = s.DeclaredSize
	}
	// The opener keeps what reading needs, not the whole entry (its
	// names, times and other streams): a scan in disk order holds the
	// openers of every file until its content is read.
	c := vol.v.Content(f, s)
	e.Open = c.Open
	e.Extents = func() []fs.Extent {
		x := c.Extents()
		if x == nil {
			return nil
		}
		out := make([]fs.Extent, len(x))
		for i, p := range x {
			out[i] = fs.Extent{Off: p.Off, VolOff: p.VolOff, Len: p.Len}
		}
		return out
	}
}

// putTimes records the times of a $FILE_NAME as fn_mtime, fn_atime...
func putTimes(m map[string]any, t *ntfsfs.Times) {
	putTime(m, "fn_mtime", t.Mtime)
	putTime(m, "fn_atime", t.Atime)
	putTime(m, "fn_ctime", t.Ctime)
	putTime(m, "fn_btime", t.Btime)
}

func putTime(m map[string]any, k string, t time.Time) {
	if !t.IsZero() {
		m[k] = fs.FormatTime(t)
	}
}
