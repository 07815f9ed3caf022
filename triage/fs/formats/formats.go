// Package formats is the table of the file systems triage knows. Image
// detection (image.Detect), volume typing (volume.Read, volume.DetectFS)
// and the scan engine all look file systems up here; adding one is adding
// its package under triage/fs and its line in All.
package formats

import (
	"io"

	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/exfat"
	"github.com/triagekit/triage/triage/fs/ext"
	"github.com/triagekit/triage/triage/fs/fat"
	"github.com/triagekit/triage/triage/fs/iso9660"
	"github.com/triagekit/triage/triage/fs/ntfs"
	"github.com/triagekit/triage/triage/fs/udf"
)

// All lists the file systems in the order they are probed: the first
// whose Probe accepts a volume's first bytes names it. A Format without
// Open is recognised and reported as not supported.
var All = []*fs.Format{
	&ext.Format,
	&ntfs.Format,
	&exfat.Format, // before FAT: an exFAT boot sector has a jump instruction too
	&fat.Format,
	&iso9660.Format,
	&udf.Format, // after ISO 9660: a bridge disc is read through its ISO 9660 side
	{Name: "xfs", Probe: probeXFS},
}

// Detect returns the file system whose boot sector or superblock starts b
// (the first fs.ProbeSize bytes of a volume, fewer when it is smaller), or
// nil.
func Detect(b []byte) *fs.Format {
	for _, f := range All {
		if f.Probe(b) {
			return f
		}
	}
	return nil
}

// DetectAt reads the first fs.ProbeSize bytes of the volume at off in r
// and returns its file system, or nil.
func DetectAt(r io.ReaderAt, off int64) *fs.Format {
	b := make([]byte, fs.ProbeSize)
	n, _ := r.ReadAt(b, off)
	return Detect(b[:n])
}

// Options returns the options of every file system, in table order. An
// option several file systems list (fs.SourceTimezone) is returned once.
func Options() []fs.Option {
	var out []fs.Option
	seen := map[string]bool{}
	for _, f := range All {
		for _, o := range f.Options {
			if !seen[o.Name] {
				seen[o.Name] = true
				out = append(out, o)
			}
		}
	}
	return out
}
