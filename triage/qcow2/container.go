package qcow2

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

// Files lists the file of the image, then those of its backing files.
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

// Describe returns the format ("qcow2"), the files of the chain and the
// metadata (under MetadataKey).
func (r *Reader) Describe() container.Info {
	return container.Info{Format: "qcow2", Segments: r.Files(), Metadata: map[string]any{MetadataKey: r.AcquisitionMetadata()}}
}

// Problems returns the damage that did not stop reading (dirty or corrupt
// flags), the backing files' included.
func (r *Reader) Problems() []error {
	out := append([]error(nil), r.probs...)
	if p, ok := r.parent.(container.ProblemReporter); ok {
		out = append(out, p.Problems()...)
	}
	return out
}

// allocated counts the clusters the L2 tables map (data, compressed or
// zero clusters), reading each distinct L2 table of the L1 table once.
func (r *Reader) allocated() (data, compressed, zero int64) {
	seen := map[uint64]bool{}
	for _, l2 := range r.l1 {
		if l2 == 0 || seen[l2] {
			continue
		}
		seen[l2] = true
		t, err := r.l2Table(int64(l2))
		if err != nil {
			continue
		}
		for _, e := range t {
			switch {
			case e&(1<<62) != 0:
				compressed++
			case e&1 != 0 && r.h.Version >= 3:
				zero++
			case e&0x00fffffffffffe00 != 0:
				data++
			}
		}
	}
	return
}

func compressionName(c uint8) string {
	if c == 1 {
		return "zstd"
	}
	return "zlib"
}

// AcquisitionMetadata returns what the header records.
func (r *Reader) AcquisitionMetadata() map[string]any {
	data, comp, zero := r.allocated()
	m := map[string]any{
		"version":             r.h.Version,
		"virtual_size":        r.Size(),
		"cluster_size":        r.csize,
		"clusters":            (r.Size() + r.csize - 1) / r.csize,
		"allocated_clusters":  data,
		"compressed_clusters": comp,
		"zero_clusters":       zero,
		"compression":         compressionName(r.h.Compression),
		"snapshots":           r.h.Snapshots,
		"file_size":           r.fsize,
	}
	if r.h.BackingFile != "" {
		m["backing_file"] = r.h.BackingFile
		m["backing_format"] = r.h.BackingFormat
		if r.parent != nil {
			m["parent"] = r.parent.Files()[0].Path
		}
	}
	return m
}

// AcquisitionReport returns the image's description as rows.
func (r *Reader) AcquisitionReport() []container.Section {
	data, comp, zero := r.allocated()
	rows := []container.Row{
		vdisk.Row("Format", fmt.Sprintf("QCOW2 version %d", r.h.Version)),
		vdisk.Row("Virtual size", fmt.Sprintf("%d bytes", r.Size())),
		vdisk.Row("Cluster size", fmt.Sprint(r.csize)),
		vdisk.Row("Allocation", fmt.Sprintf("%d of %d clusters (%d compressed, %d zero)", data+comp+zero, (r.Size()+r.csize-1)/r.csize, comp, zero)),
		vdisk.Row("Compression", compressionName(r.h.Compression)),
		vdisk.Row("Snapshots", fmt.Sprint(r.h.Snapshots)),
		vdisk.Row("Backing file", r.h.BackingFile),
		vdisk.Row("Backing format", r.h.BackingFormat),
	}
	return []container.Section{
		{Title: "Virtual disk", Rows: rows},
		{Title: "Chain", Rows: vdisk.ChainRows(r.Files())},
	}
}

var labels = map[string]string{
	"version": "version", "virtual_size": "virtual size", "cluster_size": "cluster size", "clusters": "clusters",
	"allocated_clusters": "allocated clusters", "compressed_clusters": "compressed clusters", "zero_clusters": "zero clusters",
	"compression": "compression", "snapshots": "snapshots", "file_size": "file size",
	"backing_file": "backing file (recorded)", "backing_format": "backing format", "parent": "backing file (read)",
}

// MetadataLabel names a flattened metadata key ("qcow2.backing_file" ->
// "QCOW2: backing file (recorded)") for reports.
func MetadataLabel(key string) (string, bool) {
	return vdisk.Label("QCOW2", MetadataKey, labels, key)
}
