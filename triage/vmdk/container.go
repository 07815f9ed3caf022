package vmdk

import (
	"context"
	"fmt"

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

// Files lists the disk's files (the descriptor, then its extent files,
// each with the media offset of its first byte), then its parents'.
func (r *Reader) Files() []container.Segment {
	out := []container.Segment{{Path: r.path, Size: r.fsize}}
	for _, e := range r.extents {
		if e.path != "" && e.path != r.path {
			out = append(out, container.Segment{Path: e.path, Offset: e.start * 512, Size: e.fsize})
		}
	}
	if r.parent != nil {
		out = append(out, r.parent.Files()...)
	}
	return out
}

// OpenFiles lists the files of Files as opened (nil for a disk read
// from memory).
func (r *Reader) OpenFiles() []*vdisk.File {
	first := r.descf
	if len(r.extents) > 0 && r.extents[0].path == r.path && r.path != "" {
		first = r.extents[0].f
	}
	out := []*vdisk.File{first}
	for _, e := range r.extents {
		if e.path != "" && e.path != r.path {
			out = append(out, e.f)
		}
	}
	if r.parent != nil {
		out = append(out, r.parent.OpenFiles()...)
	}
	return out
}

// SegmentFiles returns Files: the chain's files are hashed with the media.
func (r *Reader) SegmentFiles() []container.Segment { return r.Files() }

// Describe returns the format ("vmdk"), the files and the metadata (under
// MetadataKey).
func (r *Reader) Describe() container.Info {
	return container.Info{Format: "vmdk", Segments: r.Files(), Metadata: map[string]any{MetadataKey: r.AcquisitionMetadata()}}
}

// Problems returns the damage that did not stop reading (extents shorter
// than the descriptor says), the parents' included.
func (r *Reader) Problems() []error {
	out := append([]error(nil), r.probs...)
	if p, ok := r.parent.(container.ProblemReporter); ok {
		out = append(out, p.Problems()...)
	}
	return out
}

// allocation counts the grains the sparse extents map, and all grains.
func (r *Reader) allocation() (alloc, total int64) {
	for _, e := range r.extents {
		if e.sp == nil {
			continue
		}
		total += (e.sectors*512 + e.sp.grain - 1) / e.sp.grain
		seen := map[uint32]bool{}
		for i, off := range e.sp.gd {
			// Each distinct table once; tables must not overlap, so
			// that the reading is bounded by the file's size.
			if off == 0 || seen[off] || int64(len(seen))*int64(e.sp.h.NumGTEsPerGT)*4 > e.fsize {
				continue
			}
			seen[off] = true
			t, err := e.gt(int64(i))
			if err != nil {
				continue
			}
			for _, s := range t {
				if s > 1 {
					alloc++
				}
			}
		}
	}
	return
}

func cid(c uint32) string {
	if c == NoParent {
		return ""
	}
	return fmt.Sprintf("%08x", c)
}

// AcquisitionMetadata returns what the descriptor and headers record.
func (r *Reader) AcquisitionMetadata() map[string]any {
	d := r.desc
	alloc, total := r.allocation()
	m := map[string]any{
		"create_type":  d.CreateType,
		"virtual_size": r.size,
		"cid":          fmt.Sprintf("%08x", d.CID),
		"extents":      len(r.extents),
	}
	if total > 0 {
		m["grains"], m["allocated_grains"] = total, alloc
	}
	if d.ParentCID != NoParent {
		m["parent_cid"] = cid(d.ParentCID)
		m["parent_file_name_hint"] = d.ParentFileNameHint
		if r.parent != nil {
			m["parent"] = r.parent.Files()[0].Path
		}
	}
	if v := d.DDB["ddb.uuid.image"]; v != "" {
		m["uuid"] = v
	}
	return m
}

// AcquisitionReport returns the disk's description as rows.
func (r *Reader) AcquisitionReport() []container.Section {
	d := r.desc
	alloc, total := r.allocation()
	rows := []container.Row{
		vdisk.Row("Format", "VMDK "+d.CreateType),
		vdisk.Row("Virtual size", fmt.Sprintf("%d bytes", r.size)),
		vdisk.Row("CID", fmt.Sprintf("%08x", d.CID)),
		vdisk.Row("Parent CID", cid(d.ParentCID)),
		vdisk.Row("Parent file name hint", d.ParentFileNameHint),
		vdisk.Row("Image UUID", d.DDB["ddb.uuid.image"]),
		vdisk.Row("Adapter type", d.DDB["ddb.adapterType"]),
	}
	if total > 0 {
		rows = append(rows, vdisk.Row("Allocation", fmt.Sprintf("%d of %d grains", alloc, total)))
	}
	for i, e := range r.extents {
		desc := fmt.Sprintf("%s, %d sectors from sector %d", e.kind, e.sectors, e.start)
		if e.path != "" {
			desc += ", " + e.path
		}
		if e.sp != nil && e.sp.h.Flags&FlagCompressed != 0 {
			desc += " (compressed grains)"
		}
		rows = append(rows, vdisk.Row(fmt.Sprintf("Extent %d", i+1), desc))
	}
	return []container.Section{
		{Title: "Virtual disk", Rows: rows},
		{Title: "Chain", Rows: vdisk.ChainRows(r.chainHeads())},
	}
}

// chainHeads lists the first file of each member of the chain.
func (r *Reader) chainHeads() []container.Segment {
	out := []container.Segment{{Path: r.path, Size: r.fsize}}
	for p := r.parent; p != nil; {
		out = append(out, p.Files()[0])
		pr, ok := p.(*Reader)
		if !ok {
			break
		}
		p = pr.parent
	}
	return out
}

var labels = map[string]string{
	"create_type": "create type", "virtual_size": "virtual size", "cid": "CID", "extents": "extents",
	"grains": "grains", "allocated_grains": "allocated grains", "parent_cid": "parent CID",
	"parent_file_name_hint": "parent file name hint", "parent": "parent file", "uuid": "image UUID",
}

// MetadataLabel names a flattened metadata key ("vmdk.cid" -> "VMDK: CID")
// for reports.
func MetadataLabel(key string) (string, bool) {
	return vdisk.Label("VMDK", MetadataKey, labels, key)
}
