package image

import (
	"context"

	"github.com/triagekit/triage/triage/ewf"
)

// ewfImage is an Expert Witness (E01/S01) image read by package ewf.
type ewfImage struct {
	*ewf.Reader
}

// openEWF opens the E01 segment set whose first segment is path.
func openEWF(path string) (Image, error) {
	r, err := ewf.Open(path)
	if err != nil {
		return nil, err
	}
	return &ewfImage{r}, nil
}

// EWF returns the EWF reader behind img, or nil when img is not an E01.
func EWF(img Image) *ewf.Reader {
	if e, ok := img.(*ewfImage); ok {
		return e.Reader
	}
	return nil
}

// Stream passes the media in order, decoding chunks in parallel (see
// ewf.Reader.Stream); whole-media hashing uses it.
func (e *ewfImage) Stream(ctx context.Context, workers int, fn func([]byte, *ewf.ChunkError) error) error {
	return e.Reader.Stream(ctx, workers, fn)
}

func (e *ewfImage) Describe() Info {
	info := Info{Format: "e01", Metadata: map[string]any{"ewf": e.Metadata().Map()}}
	for _, s := range e.SegmentInfo() {
		info.Segments = append(info.Segments, Segment{Path: s.Path, Offset: max(s.MediaOffset, 0), Size: s.Size})
	}
	return info
}
