package triage

import (
	"fmt"

	"github.com/triagekit/triage/triage/image"
)

// SourceImage returns the disk image a Source reads, or nil when the
// source is not a disk image (a folder, a single file). Whole-media
// hashing and verification use it after a scan.
func SourceImage(src Source) image.Image {
	if s, ok := src.(*imageSource); ok {
		return s.img
	}
	return nil
}

// reportImageProblems records what an image says about its own damage
// before its volumes are walked: for an E01, the sectors the acquisition
// could not read (error2 section; stored as zeros) and damage to its
// metadata that did not stop reading.
func (s *imageSource) reportImageProblems(v Visitor) {
	e := image.EWF(s.img)
	if e == nil {
		return
	}
	m := e.Metadata()
	bps := int64(m.BytesPerSector)
	for _, r := range m.ReadErrors {
		off := int64(r.Start) * bps
		v.Problem("", off, fmt.Errorf("acquisition read error recorded in the image (error2 section): %d sector(s) from sector %d (bytes %#x-%#x) were stored as zeros",
			r.Count, r.Start, off, off+int64(r.Count)*bps-1))
	}
	for _, p := range m.Problems {
		v.Problem("", -1, p)
	}
}
