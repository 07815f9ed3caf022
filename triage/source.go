package triage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage/fs"
)

// Entry is one item a Source yields: a file, folder, link, special file or
// data stream. Sources fill what they know; the scanner reads the content,
// hashes and classifies it, and turns the entry into a casedb.FileRecord.
type Entry struct {
	// Key identifies the entry within its evidence item and must be the
	// same on every walk of the same evidence: a resumed scan skips the
	// keys the case already holds.
	Key string
	// Path is the full "/"-separated path inside the evidence, starting
	// with "/". It holds the raw name bytes, valid UTF-8 or not.
	Path   string
	Stream string // alternate data stream name, "" for the main content
	Type   string // casedb.TypeFile, TypeDir, ...
	// Size is the logical size of the content as the source declares it.
	Size       int64
	LinkTarget string
	Inode      *uint64
	Volume     *int
	Deleted    bool
	// Zero times are unknown.
	Mtime, Atime, Ctime, Btime time.Time
	Extra                      map[string]any
	// Err is a problem known before any content is read (metadata that
	// could not be read). The entry is recorded with the error and its
	// content is not read.
	Err error
	// Open returns the content of a file or stream; nil when the entry
	// has no content to read (folders, links, special files).
	Open func() (io.ReadCloser, error)
	// Extents, when not nil, tells where the content lies in the image
	// (fs.Extent, with image offsets), so that the scan can read the
	// image once in disk order; nil (or a nil result) reads it through
	// Open.
	Extents func() []fs.Extent
}

// PartialReader is implemented by content readers that can tell, once read
// to EOF, that the bytes they yielded do not cover the whole logical
// content: a run pointing outside the volume, an unsupported compression,
// a sector the acquisition could not read. The hash is then recorded with
// complete: false and the reason.
type PartialReader interface {
	Incomplete() (reason string, incomplete bool)
}

// Visitor receives what a Source finds.
type Visitor interface {
	// Entry is called for every entry in walk order. A returned error
	// stops the walk and is returned by Walk.
	Entry(e *Entry) error
	// Problem records an error that is not tied to one entry (a folder
	// that cannot be listed, a corrupt partition table) and lets the walk
	// go on. path may be "" and offset < 0 when they do not apply.
	Problem(path string, offset int64, err error)
}

// Source is an evidence item that can be walked.
type Source interface {
	// Info describes the evidence item before the walk.
	Info() SourceInfo
	// Walk visits every entry in a deterministic order. It returns
	// ctx.Err() when cancelled and the Visitor's error when it fails.
	Walk(ctx context.Context, v Visitor) error
	Close() error
}

// SourceInfo describes an evidence item.
type SourceInfo struct {
	Path string // absolute path as given
	Type string // "folder", "file", "raw", "split-raw", "e01", ...
	// Size in bytes: the media size of an image, the file size of a single
	// file, -1 when not known before the walk (a folder).
	Size int64
	// Metadata holds item-level facts recorded on the evidence item
	// (acquisition metadata, segment files).
	Metadata map[string]any
}

// Offsetter is implemented by errors that know the byte offset in the
// evidence where a problem was found.
type Offsetter interface {
	Offset() int64
}

// ErrorOffset returns the evidence offset carried by err, or -1.
func ErrorOffset(err error) int64 {
	var o Offsetter
	if errors.As(err, &o) {
		return o.Offset()
	}
	return -1
}

// OpenSource opens the evidence at path, choosing the reader from what the
// path holds: a folder is walked, a block device or a regular file whose
// content is a disk image (partition table, file-system boot sector, E01
// signature) is read as an image, any other regular file is recorded as a
// single file. A symbolic link given as the source itself is followed, as
// the examiner named it; links inside the evidence are not.
func OpenSource(path string) (Source, error) {
	return OpenSourceWith(path, SourceOptions{})
}

// Values of SourceOptions.As.
const (
	AsAuto  = ""      // decide from the content
	AsFile  = "file"  // record a regular file as one file, whatever it holds
	AsImage = "image" // read the file as a disk image
)

// SourceOptions control how OpenSourceWith reads a source.
type SourceOptions struct {
	As    string // AsAuto, AsFile or AsImage
	Image ImageOptions
}

// OpenSourceWith is OpenSource with options.
func OpenSourceWith(path string, o SourceOptions) (Source, error) {
	if o.As != AsAuto || isImagePath(path) {
		return openSourceAs(path, o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot open source: %w", err)
	}
	if err := evidence.CheckMode(path, fi.Mode()); err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return &folderSource{root: abs, single: false}, nil
	case fi.Mode().IsRegular():
		return &folderSource{root: abs, single: true, size: fi.Size()}, nil
	default:
		return nil, fmt.Errorf("cannot open source %q: not a folder or regular file (%s)", path, fi.Mode().Type())
	}
}
