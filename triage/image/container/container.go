// Package container holds what every disk-image container format shares:
// the description of an opened image, the optional interfaces a format's
// reader implements to say more about the media it holds, and the error
// for a region of the media that cannot be read back.
//
// A format package (triage/ewf, ...) imports this package and implements
// the interfaces on its reader; callers check for them with a type
// assertion on the interface, as io.Copy does for io.WriterTo, and never
// name a format. This package imports nothing but the standard library,
// so that any format package can use it without an import cycle.
package container

import (
	"context"
	"fmt"
)

// Segment is one file of an image stored in several files (split raw
// segments, E01 segment files, extent files).
type Segment struct {
	Path   string `json:"path"`
	Offset int64  `json:"offset"` // logical offset of the segment's first byte
	Size   int64  `json:"size"`
}

// Info describes an opened image, for the evidence item's metadata.
type Info struct {
	// Format is "raw", "split-raw", "device", "e01", ...
	Format   string
	Segments []Segment
	// Metadata holds format-specific facts (acquisition details, stored
	// hashes) recorded on the evidence item, under one key per format
	// ("ewf").
	Metadata map[string]any
}

// Describer is implemented by images that can describe themselves.
type Describer interface {
	Describe() Info
}

// SegmentFiler is implemented by containers stored in files of their own
// format (E01 segment files, VMDK extents). Those files are hashed with
// the media, so that the files themselves can be checked later.
type SegmentFiler interface {
	SegmentFiles() []Segment
}

// RegionError reports a region of the media that could not be read back:
// a chunk or block that does not decompress, fails its checksum or lies
// outside its file. Its bytes read as zeros. Err is what the format says
// about it (for an E01, a *ewf.ChunkError naming the chunk and the segment
// file); the message is Err's.
type RegionError struct {
	Off    int64 // media offset of the region
	Length int64 // media bytes the region covers
	Err    error
}

func (e *RegionError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("media bytes %#x-%#x unreadable", e.Off, e.Off+e.Length-1)
	}
	return e.Err.Error()
}

func (e *RegionError) Unwrap() error { return e.Err }

// Offset returns the media offset of the region (see triage.Offsetter).
func (e *RegionError) Offset() int64 { return e.Off }

// Streamer is implemented by images that deliver their whole media in
// order faster than sequential ReadAt calls (an E01 decodes its chunks in
// parallel). Stream calls fn with consecutive pieces of the media from
// offset 0 to the end; an unreadable region is passed zero-filled with its
// *RegionError and the stream goes on. fn must not keep data after it
// returns. Stream returns fn's first error or ctx.Err().
type Streamer interface {
	Stream(ctx context.Context, workers int, fn func(data []byte, bad *RegionError) error) error
}

// StoredHash is a digest of the media that the container recorded at
// acquisition.
type StoredHash struct {
	Algorithm string `json:"algorithm"` // "md5", "sha1", "sha256"
	Value     string `json:"value"`     // lower-case hex
	Source    string `json:"source"`    // where it is stored: "digest section", ...
}

// HashStorer is implemented by containers that store digests of the media
// (E01 hash, digest and xhash sections), for verification.
type HashStorer interface {
	StoredHashes() []StoredHash
}

// Damage is a region of the media that the container records as not
// acquired: the acquisition could not read it and stored zeros in its
// place (E01 error2 section). Stored hashes cover those zeros.
type Damage struct {
	Off    int64 // media offset
	Length int64 // media bytes
	// Sector and Sectors give the region in sectors, as the container
	// records it.
	Sector, Sectors uint64
	// Note says what the container records, for the scan's problem list.
	Note string
}

// DamageRecorder is implemented by containers that record damaged media
// regions.
type DamageRecorder interface {
	RecordedDamage() []Damage
}

// ProblemReporter is implemented by containers that found damage to their
// own structure or metadata which did not stop reading (a header that
// does not decompress, a table replaced by its copy).
type ProblemReporter interface {
	Problems() []error
}

// Row is one labelled value of a Section; rows with an empty value are not
// shown.
type Row struct {
	Label, Value string
}

// Section is a titled group of rows, as "triage image info" prints them.
type Section struct {
	Title string
	Rows  []Row
}

// AcquisitionReporter is implemented by containers that record how and
// from what the media was acquired (case metadata, the media geometry,
// stored hashes). AcquisitionMetadata returns it as a JSON-friendly map;
// AcquisitionReport as titled sections of labelled rows, for people.
type AcquisitionReporter interface {
	AcquisitionMetadata() map[string]any
	AcquisitionReport() []Section
}
