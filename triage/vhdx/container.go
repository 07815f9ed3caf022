package vhdx

import (
	"context"
	"fmt"
	"sort"
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

// Describe returns the format ("vhdx"), the files of the chain and the
// metadata (under MetadataKey).
func (r *Reader) Describe() container.Info {
	return container.Info{Format: "vhdx", Segments: r.Files(), Metadata: map[string]any{MetadataKey: r.AcquisitionMetadata()}}
}

// Problems returns the damage that did not stop reading (a header or
// region table replaced by its copy), the parents' included.
func (r *Reader) Problems() []error {
	out := append([]error(nil), r.probs...)
	if p, ok := r.parent.(container.ProblemReporter); ok {
		out = append(out, p.Problems()...)
	}
	return out
}

func (r *Reader) diskType() string {
	switch {
	case r.meta.HasParent:
		return "differencing"
	case r.meta.LeaveAllocated:
		return "fixed"
	}
	return "dynamic"
}

func (r *Reader) blocks() int64 {
	bs := int64(r.meta.BlockSize)
	return (r.Size() + bs - 1) / bs
}

// AcquisitionMetadata returns what the headers and metadata record.
func (r *Reader) AcquisitionMetadata() map[string]any {
	m := map[string]any{
		"disk_type":            r.diskType(),
		"virtual_size":         r.Size(),
		"block_size":           int64(r.meta.BlockSize),
		"logical_sector_size":  r.meta.LogicalSectorSize,
		"physical_sector_size": r.meta.PhysicalSectorSize,
		"blocks":               r.blocks(),
		"present_blocks":       r.present,
		"disk_id":              r.meta.DiskID.String(),
		"data_write_id":        r.header.DataWrite.String(),
		"creator":              r.creator,
		"header_sequence":      r.header.Sequence,
	}
	if r.meta.HasParent {
		m["parent_locator"] = r.meta.ParentLocator
		if r.parent != nil {
			m["parent"] = r.parent.Files()[0].Path
		}
	}
	return m
}

// AcquisitionReport returns the disk's description as rows.
func (r *Reader) AcquisitionReport() []container.Section {
	rows := []container.Row{
		vdisk.Row("Format", "VHDX "+r.diskType()),
		vdisk.Row("Virtual size", fmt.Sprintf("%d bytes", r.Size())),
		vdisk.Row("Block size", fmt.Sprint(r.meta.BlockSize)),
		vdisk.Row("Sector size", fmt.Sprintf("%d logical, %d physical", r.meta.LogicalSectorSize, r.meta.PhysicalSectorSize)),
		vdisk.Row("Allocation", fmt.Sprintf("%d of %d blocks present", r.present, r.blocks())),
		vdisk.Row("Virtual disk ID", r.meta.DiskID.String()),
		vdisk.Row("Data write ID", r.header.DataWrite.String()),
		vdisk.Row("Creator", r.creator),
	}
	keys := make([]string, 0, len(r.meta.ParentLocator))
	for k := range r.meta.ParentLocator {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		rows = append(rows, vdisk.Row("Parent "+k, r.meta.ParentLocator[k]))
	}
	return []container.Section{
		{Title: "Virtual disk", Rows: rows},
		{Title: "Chain", Rows: vdisk.ChainRows(r.Files())},
	}
}

var labels = map[string]string{
	"disk_type": "disk type", "virtual_size": "virtual size", "block_size": "block size",
	"logical_sector_size": "logical sector size", "physical_sector_size": "physical sector size",
	"blocks": "blocks", "present_blocks": "present blocks", "disk_id": "virtual disk ID",
	"data_write_id": "data write ID", "creator": "creator", "header_sequence": "header sequence number",
	"parent": "parent file",
}

// MetadataLabel names a flattened metadata key ("vhdx.disk_id" -> "VHDX:
// virtual disk ID") for reports.
func MetadataLabel(key string) (string, bool) {
	if l, ok := vdisk.Label("VHDX", MetadataKey, labels, key); ok {
		return l, true
	}
	if k, ok := strings.CutPrefix(key, MetadataKey+".parent_locator."); ok {
		return "VHDX: parent locator " + k, true
	}
	return "", false
}
