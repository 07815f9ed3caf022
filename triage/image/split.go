package image

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/triagekit/triage/internal/evidence"
)

// splitImage is a raw image stored in several files, read as their
// concatenation.
type splitImage struct {
	files []*os.File
	segs  []Segment
	size  int64
}

// OpenSplit opens the segment files in order as one raw image. Every
// segment is opened read-only; on error the ones already opened are closed.
func OpenSplit(paths []string) (Image, error) {
	if len(paths) == 0 {
		return nil, errors.New("no segment files")
	}
	s := &splitImage{}
	for _, p := range paths {
		f, err := evidence.Open(p)
		if err != nil {
			s.Close()
			return nil, err
		}
		fi, err := f.Stat()
		if err != nil {
			f.Close()
			s.Close()
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			f.Close()
			s.Close()
			return nil, fmt.Errorf("segment %q is not a regular file", p)
		}
		s.files = append(s.files, f)
		s.segs = append(s.segs, Segment{Path: p, Offset: s.size, Size: fi.Size()})
		s.size += fi.Size()
	}
	return s, nil
}

func (s *splitImage) Size() int64 { return s.size }

func (s *splitImage) Close() error {
	var first error
	for _, f := range s.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (s *splitImage) Describe() Info {
	return Info{Format: "split-raw", Segments: append([]Segment(nil), s.segs...)}
}

// ReadAt reads across segment boundaries. A segment that is shorter on
// disk than when it was opened yields io.ErrUnexpectedEOF.
func (s *splitImage) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= s.size {
		return 0, io.EOF
	}
	// First segment whose end lies after off.
	i := sort.Search(len(s.segs), func(i int) bool { return s.segs[i].Offset+s.segs[i].Size > off })
	n := 0
	for n < len(p) && i < len(s.segs) {
		seg := s.segs[i]
		rel := off - seg.Offset
		want := min(int64(len(p)-n), seg.Size-rel)
		m, err := s.files[i].ReadAt(p[n:n+int(want)], rel)
		n += m
		off += int64(m)
		if int64(m) < want {
			if err == nil || err == io.EOF {
				err = fmt.Errorf("segment %q ends early at byte %#x: %w", seg.Path, rel+int64(m), io.ErrUnexpectedEOF)
			}
			return n, err
		}
		i++
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}
