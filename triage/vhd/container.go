package vhd

import (
	"context"
	"fmt"
	"strings"

	"github.com/triagekit/triage/internal/vdisk"
	"github.com/triagekit/triage/triage/image/container"
)

// The Reader implements the optional interfaces of a disk-image
// container.
var (
	_ container.Describer           = (*Reader)(nil)
	_ container.SegmentFiler        = (*Reader)(nil)
	_ container.ProblemReporter     = (*Reader)(nil)
	_ container.AcquisitionReporter = (*Reader)(nil)
	_ container.Streamer            = (*Reader)(nil)
)

// Stream delivers the whole media in order, read by workers goroutines
// at once (see container.Streamer).
func (r *Reader) Stream(ctx context.Context, workers int, fn func(data []byte, bad *container.RegionError) error) error {
	return vdisk.StreamDisk(ctx, r, workers, &r.FileDigests, fn)
}

// DiskTypeName names a footer disk type.
func DiskTypeName(t uint32) string {
	switch t {
	case TypeFixed:
		return "fixed"
	case TypeDynamic:
		return "dynamic"
	case TypeDifferencing:
		return "differencing"
	}
	return fmt.Sprintf("type %d", t)
}

// Files lists the file of the disk, then those of its parents.
func (r *Reader) Files() []container.Segment {
	out := []container.Segment{{Path: r.path, Size: r.fsize}}
	if r.parent != nil {
		out = append(out, r.parent.Files()...)
	}
	return out
}

// OpenFiles lists the files of Files as opened (nil for a disk read
// from memory).
func (r *Reader) OpenFiles() []*vdisk.File { return vdisk.ChainOpenFiles(r.closer, r.parent) }

// SegmentFiles returns Files: the chain's files are hashed with the media.
func (r *Reader) SegmentFiles() []container.Segment { return r.Files() }

// Describe returns the format ("vhd"), the files of the chain and the
// metadata (under MetadataKey).
func (r *Reader) Describe() container.Info {
	return container.Info{Format: "vhd", Segments: r.Files(), Metadata: map[string]any{MetadataKey: r.AcquisitionMetadata()}}
}

// Problems returns the damage that did not stop reading (checksum
// mismatches, a footer read from its copy), the parents' included.
func (r *Reader) Problems() []error {
	out := append([]error(nil), r.probs...)
	if p, ok := r.parent.(container.ProblemReporter); ok {
		out = append(out, p.Problems()...)
	}
	return out
}

// AcquisitionMetadata returns what the footer and header record.
func (r *Reader) AcquisitionMetadata() map[string]any {
	f := r.footer
	m := map[string]any{
		"disk_type":       DiskTypeName(f.DiskType),
		"virtual_size":    r.size,
		"unique_id":       uuidString(f.UniqueID),
		"creator":         strings.TrimSpace(fmt.Sprintf("%s %d.%d %s", f.CreatorApp, f.CreatorVer>>16, f.CreatorVer&0xffff, f.CreatorOS)),
		"created":         f.Timestamp.Format("2006-01-02T15:04:05Z"),
		"geometry":        fmt.Sprintf("%d/%d/%d", f.Cylinders, f.Heads, f.SectorsPerTrk),
		"file_size":       r.fsize,
		"footer_checksum": f.checksumOK,
	}
	if r.dyn != nil {
		m["block_size"] = int64(r.dyn.BlockSize)
		m["blocks"] = len(r.bat)
		m["allocated_blocks"] = r.alloc
	}
	if f.DiskType == TypeDifferencing {
		m["parent_unique_id"] = uuidString(r.dyn.ParentUniqueID)
		m["parent_name"] = r.dyn.ParentName
		if r.parent != nil {
			m["parent"] = r.parent.Files()[0].Path
		}
	}
	return m
}

// AcquisitionReport returns the disk's description as rows.
func (r *Reader) AcquisitionReport() []container.Section {
	f := r.footer
	m := r.AcquisitionMetadata()
	rows := []container.Row{
		vdisk.Row("Format", "VHD "+DiskTypeName(f.DiskType)),
		vdisk.Row("Virtual size", fmt.Sprintf("%d bytes", r.size)),
		vdisk.Row("Unique ID", uuidString(f.UniqueID)),
		vdisk.Row("Creator", m["creator"].(string)),
		vdisk.Row("Created", m["created"].(string)),
		vdisk.Row("Geometry (C/H/S)", m["geometry"].(string)),
	}
	if r.dyn != nil {
		rows = append(rows,
			vdisk.Row("Block size", fmt.Sprint(r.dyn.BlockSize)),
			vdisk.Row("Allocation", fmt.Sprintf("%d of %d blocks", r.alloc, len(r.bat))))
	}
	if f.DiskType == TypeDifferencing {
		rows = append(rows,
			vdisk.Row("Parent unique ID", uuidString(r.dyn.ParentUniqueID)),
			vdisk.Row("Parent name", r.dyn.ParentName))
		for _, l := range r.dyn.Locators {
			rows = append(rows, vdisk.Row("Parent locator "+l.Platform, l.Path))
		}
	}
	return []container.Section{
		{Title: "Virtual disk", Rows: rows},
		{Title: "Chain", Rows: vdisk.ChainRows(r.Files())},
	}
}

var labels = map[string]string{
	"disk_type": "disk type", "virtual_size": "virtual size", "unique_id": "unique ID", "creator": "creator",
	"created": "created", "geometry": "geometry (C/H/S)", "file_size": "file size", "footer_checksum": "footer checksum valid",
	"block_size": "block size", "blocks": "blocks", "allocated_blocks": "allocated blocks",
	"parent_unique_id": "parent unique ID", "parent_name": "parent name", "parent": "parent file",
}

// MetadataLabel names a flattened metadata key ("vhd.unique_id" -> "VHD:
// unique ID") for reports.
func MetadataLabel(key string) (string, bool) {
	return vdisk.Label("VHD", MetadataKey, labels, key)
}
