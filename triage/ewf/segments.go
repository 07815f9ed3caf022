package ewf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/triagekit/triage/internal/evidence"
)

var (
	sigEVF  = []byte("EVF\x09\x0d\x0a\xff\x00")
	sigLVF  = []byte("LVF\x09\x0d\x0a\xff\x00")
	sigEVF2 = []byte("EVF2\x0d\x0a\x81\x00")
	sigLEF2 = []byte("LEF2\x0d\x0a\x81\x00")
)

// fileHeaderSize is the size of the EWF-E01/S01 segment file header.
const fileHeaderSize = 13

// maxSegments is the largest segment number reachable through EnCase file
// names (.E01-.E99, .EAA-.ZZZ).
const maxSegments = 99 + 22*26*26

// Segment is one segment file of an image, as given to NewReader.
type Segment struct {
	Name string // path or name, used in error messages
	R    io.ReaderAt
	Size int64
}

// IsEWF reports whether b (the first bytes of a file) starts with an EWF
// segment file signature of any version.
func IsEWF(b []byte) bool {
	return bytes.HasPrefix(b, sigEVF) || bytes.HasPrefix(b, sigLVF) ||
		bytes.HasPrefix(b, sigEVF2) || bytes.HasPrefix(b, sigLEF2)
}

// SegmentName returns the file name of segment n (from 1) of the set whose
// first segment is first, following EnCase's naming: .E01 to .E99, then
// .EAA to .EZZ, .FAA and so on up to .ZZZ. The case and the letter (E, S
// for SMART, L) of first's extension are kept.
func SegmentName(first string, n int) (string, error) {
	ext := filepath.Ext(first)
	if len(ext) != 4 || ext[2:] != "01" {
		return "", fmt.Errorf("ewf: first segment file name %q does not end in .E01, .e01 or .s01", first)
	}
	letter := ext[1]
	lower := letter >= 'a' && letter <= 'z'
	up := letter &^ 0x20
	if up < 'A' || up > 'Z' {
		return "", fmt.Errorf("ewf: first segment file name %q does not end in .E01, .e01 or .s01", first)
	}
	if n < 1 || n > maxSegments {
		return "", fmt.Errorf("ewf: segment number %d out of range", n)
	}
	var e string
	if n <= 99 {
		e = fmt.Sprintf("%c%02d", letter, n)
	} else {
		x := n - 100
		l1 := int(up) + x/(26*26)
		if l1 > 'Z' {
			return "", fmt.Errorf("ewf: segment number %d out of range", n)
		}
		b := []byte{byte(l1), byte('A' + (x/26)%26), byte('A' + x%26)}
		if lower {
			b = bytes.ToLower(b)
		}
		e = string(b)
	}
	return strings.TrimSuffix(first, ext) + "." + e, nil
}

// Open opens the segment file set whose first segment is path (X.E01,
// X.e01 or X.s01), finding the other segments by name. The files are
// opened read-only and closed by Close, or before Open returns an error.
func Open(path string) (*Reader, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	files = append(files, f)
	var head [fileHeaderSize]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || !IsEWF(head[:]) {
		closeAll()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("ewf: %s: %w", filepath.Base(path), err)
		}
		return nil, fmt.Errorf("%w: %s", ErrNotEWF, filepath.Base(path))
	}
	if bytes.Equal(head[:8], sigEVF) || bytes.Equal(head[:8], sigLVF) {
		if num := int(head[9]) | int(head[10])<<8; num != 1 {
			closeAll()
			return nil, &FormatError{Segment: path, Off: 9, Msg: "not the first segment file: segment number", Val: num}
		}
	}
	// Only names ending in 01 have siblings; any other name is taken as a
	// single-segment image and the section chain tells if one is missing.
	for n := 2; n <= maxSegments; n++ {
		name, err := SegmentName(path, n)
		if err != nil {
			break
		}
		g, err := evidence.Open(name)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("ewf: cannot open segment %d: %w", n, err)
		}
		files = append(files, g)
	}
	segs := make([]Segment, len(files))
	for i, f := range files {
		fi, err := f.Stat()
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("ewf: %s: %w", filepath.Base(f.Name()), err)
		}
		segs[i] = Segment{Name: f.Name(), R: f, Size: fi.Size()}
	}
	r, err := NewReader(segs)
	if err != nil {
		closeAll()
		return nil, err
	}
	r.closers = files
	r.first = path
	return r, nil
}

// missingSegmentError names the segment file the set needs after segs.
func missingSegmentError(segs []Segment, n int) error {
	name, err := SegmentName(segs[0].Name, n)
	if err != nil {
		name = "segment " + strconv.Itoa(n)
	}
	return fmt.Errorf("%w %s: %s ends with a next section, the set continues", ErrMissingSegment,
		filepath.Base(name), filepath.Base(segs[n-2].Name))
}
