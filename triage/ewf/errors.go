package ewf

import (
	"errors"
	"fmt"
	"path/filepath"
)

var (
	// ErrNotEWF is returned when a file does not start with an EWF-E01,
	// EWF-S01 or EWF-L01 segment file signature.
	ErrNotEWF = errors.New("ewf: not an EWF segment file")
	// ErrUnsupported is returned for EWF variants this package does not
	// read (EWF2 Ex01/Lx01, logical evidence files).
	ErrUnsupported = errors.New("ewf: unsupported EWF variant")
	// ErrMissingSegment is wrapped by the error returned when a segment
	// file of the set cannot be found.
	ErrMissingSegment = errors.New("ewf: missing segment file")
)

// FormatError reports a problem in the structure of a segment file. Off is
// the byte offset in that segment file, so that the finding can be checked
// in a hex editor.
type FormatError struct {
	Segment string // segment file path
	Section string // section type, "" for the file header
	Off     int64  // byte offset in the segment file
	Msg     string
	Val     any   // offending value, nil if none
	Err     error // underlying error, nil if none
}

func (e *FormatError) Error() string {
	s := "ewf: " + filepath.Base(e.Segment)
	if e.Section != "" {
		s += ": " + e.Section + " section"
	}
	s += ": " + e.Msg
	if e.Val != nil {
		s += fmt.Sprintf(" %v", e.Val)
	}
	s += fmt.Sprintf(" at byte %#x", e.Off)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *FormatError) Unwrap() error { return e.Err }

// ChunkError reports a chunk of media data that could not be read back: it
// does not decompress, fails its checksum, or lies outside its segment
// file. Its bytes read as zeros.
type ChunkError struct {
	Chunk    int64  // chunk number, from 0
	MediaOff int64  // offset of the chunk in the media
	Length   int64  // media bytes the chunk covers
	Segment  string // segment file path
	FileOff  int64  // offset of the stored chunk in the segment file
	Err      error
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("ewf: chunk %d (media bytes %#x-%#x) in %s unreadable at byte %#x: %v",
		e.Chunk, e.MediaOff, e.MediaOff+e.Length-1, filepath.Base(e.Segment), e.FileOff, e.Err)
}

func (e *ChunkError) Unwrap() error { return e.Err }

// Offset returns the media offset of the chunk (see triage.Offsetter).
func (e *ChunkError) Offset() int64 { return e.MediaOff }
