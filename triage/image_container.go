package triage

import (
	"errors"

	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/image/container"
)

// SourceImage returns the disk image a Source reads, or nil when the
// source is not a disk image (a folder, a single file). Whole-media
// hashing and verification use it after a scan.
func SourceImage(src Source) image.Image {
	if s, ok := src.(*imageSource); ok {
		return s.img
	}
	if s, ok := src.(mediaSource); ok {
		return s.media()
	}
	return nil
}

// mediaSource is a Source over an image other than imageSource (tests).
type mediaSource interface{ media() image.Image }

// reportImageProblems records what an image says about its own damage
// before its volumes are walked: the media regions its acquisition could
// not read (an E01's error2 sectors, stored as zeros; see
// container.DamageRecorder) and damage to its structure or metadata that
// did not stop reading (container.ProblemReporter).
func (s *imageSource) reportImageProblems(v Visitor) {
	if d, ok := s.img.(container.DamageRecorder); ok {
		for _, r := range d.RecordedDamage() {
			v.Problem("", r.Off, errors.New(r.Note))
		}
	}
	if p, ok := s.img.(container.ProblemReporter); ok {
		for _, err := range p.Problems() {
			v.Problem("", -1, err)
		}
	}
}
