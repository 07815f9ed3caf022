package casework

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/mediahash"
)

// VerifyImage hashes the whole media of img (MD5, SHA-1, SHA-256 in one
// pass, with workers decoders) and checks the digests against the hashes an
// E01 stores and the expected ones. progress, when not nil, is called with
// the bytes hashed so far.
func VerifyImage(ctx context.Context, img image.Image, workers int, expect []mediahash.Reference, progress func(int64)) (*mediahash.Result, mediahash.Check, error) {
	refs := append(mediahash.StoredReferences(img), expect...)
	res, err := mediahash.Sum(ctx, img, img.Size(), workers, progress)
	if err != nil {
		return nil, mediahash.Check{}, err
	}
	return res, mediahash.Verify(res, refs), nil
}

// SegmentHash is the SHA-256 of one file of a multi-file or container
// image, so that the files themselves can be checked later.
type SegmentHash struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// segmentDigester is a container that hashes its segment files while it
// streams its media (ewf.Reader.SegmentSHA256): nil when no stream went
// to the end.
type segmentDigester interface {
	SegmentSHA256() [][sha256.Size]byte
}

// HashSegments hashes the files of a container (container.SegmentFiler)
// or of a split raw image; nil for a single raw file or device (its media
// hashes are the file's). media, when not nil, is the media hashing just
// done: the files of a split raw image were hashed from its blocks.
func HashSegments(ctx context.Context, img image.Image, info image.Info, media *mediahash.Result) ([]SegmentHash, error) {
	// The files may have been hashed from the reads of the media just
	// made: an E01's by its stream (ewf.Reader.SegmentSHA256), a split
	// raw image's from the media's blocks (media.Segments). They are not
	// read again.
	segs := info.Segments
	var sums [][sha256.Size]byte
	if sf, ok := img.(container.SegmentFiler); ok {
		segs = sf.SegmentFiles()
		if sd, ok := img.(segmentDigester); ok {
			sums = sd.SegmentSHA256()
		}
	} else if len(segs) < 2 {
		return nil, nil
	} else if media != nil {
		sums = media.Segments
	}
	if len(sums) == len(segs) && len(segs) > 0 {
		out := make([]SegmentHash, len(segs))
		for i, s := range segs {
			out[i] = SegmentHash{Path: s.Path, Size: s.Size, SHA256: hex.EncodeToString(sums[i][:])}
		}
		return out, nil
	}
	var out []SegmentHash
	for _, s := range segs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		f, err := evidence.Open(s.Path)
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		n, err := io.Copy(h, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("cannot hash segment file %s: %w", s.Path, err)
		}
		out = append(out, SegmentHash{Path: s.Path, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}

// ImageCheck is the outcome of verifying a scanned disk image.
type ImageCheck struct {
	Path  string            // the image, as scanned
	Media *mediahash.Result // the digests of the whole media
	Check mediahash.Check   // the verdict and the comparisons
}

// verifyScannedImage hashes the whole media of a disk-image source after
// its scan, compares the digests with the hashes an E01 stores, and records
// the result on the evidence item (keys "media_hashes" and
// "image_verification") and in the custody log (image verified / MISMATCH /
// verification FAILED / hashed). It returns nil for a source that is not an
// image.
//
// media, when not nil, holds the digests the scan computed in its
// disk-order pass: they are checked instead of hashing the media again.
func (e *Env) verifyScannedImage(ctx context.Context, c *casedb.Case, src triage.Source, evidenceID int64, media *mediahash.Result, o *ScanOptions) (*ImageCheck, error) {
	img := triage.SourceImage(src)
	if img == nil {
		return nil, nil
	}
	path := src.Info().Path
	res, check := media, mediahash.Check{}
	if res != nil {
		check = mediahash.Verify(res, mediahash.StoredReferences(img))
	} else {
		progress, stop := func(int64) {}, func() {}
		if o.MediaProgress != nil {
			progress, stop = o.MediaProgress(path, img.Size())
		}
		var err error
		res, check, err = VerifyImage(ctx, img, o.Workers, nil, progress)
		stop()
		if err != nil {
			return nil, fmt.Errorf("image verification: %w", err)
		}
	}
	var info image.Info
	if d, ok := img.(image.Describer); ok {
		info = d.Describe()
	}
	files, err := HashSegments(ctx, img, info, res)
	if err != nil {
		return nil, fmt.Errorf("image verification: %w", err)
	}
	at := time.Now().UTC().Format(time.RFC3339)
	hashes := map[string]any{"md5": res.MD5, "sha1": res.SHA1, "sha256": res.SHA256, "size": res.Size, "computed_at": at}
	if len(files) > 0 {
		hashes["segment_files"] = files
	}
	if len(res.Bad) > 0 {
		bad := make([]mediahash.BadRange, len(res.Bad))
		for i, b := range res.Bad {
			b.Error = triage.MessageText(b.Error)
			bad[i] = b
		}
		hashes["unreadable"] = bad
	}
	ver := map[string]any{"verdict": check.Verdict, "at": at, "comparisons": check.Comparisons}
	if check.Reason != "" {
		ver["reason"] = check.Reason
	}
	if err := c.UpdateEvidenceMetadata(ctx, evidenceID, map[string]any{"media_hashes": hashes, "image_verification": ver}); err != nil {
		return nil, fmt.Errorf("image verification: cannot record it: %w", err)
	}
	action := map[string]string{
		mediahash.Verified:     custody.ActionImageVerified,
		mediahash.Mismatch:     custody.ActionImageMismatch,
		mediahash.Failed:       custody.ActionImageFailed,
		mediahash.NoStoredHash: custody.ActionImageHashed,
	}[check.Verdict]
	details := map[string]any{
		"evidence": evidenceID, "source": casedb.DisplayString(path), "verdict": check.Verdict,
		"media_size": res.Size, "computed_md5": res.MD5, "computed_sha1": res.SHA1, "computed_sha256": res.SHA256,
	}
	for _, cmp := range check.Comparisons {
		details["stored_"+cmp.Algorithm] = cmp.Value
		details["stored_"+cmp.Algorithm+"_source"] = cmp.Source
	}
	if check.Reason != "" {
		details["reason"] = check.Reason
	}
	if len(res.Bad) > 0 {
		details["unreadable_ranges"] = len(res.Bad)
	}
	if d, ok := img.(container.DamageRecorder); ok && len(d.RecordedDamage()) > 0 {
		details["acquisition_read_errors"] = len(d.RecordedDamage())
	}
	ci, _ := casedb.LoadCaseInfo(ctx, c)
	if err := e.AppendCustody(c.Dir, action, Actor(o.Examiner, ci), details); err != nil {
		return nil, err
	}
	return &ImageCheck{Path: path, Media: res, Check: check}, nil
}
