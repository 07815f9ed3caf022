package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/triagekit/triage/internal/mediahash"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/image"
)

// imageCheck is the outcome of verifying a scanned disk image.
type imageCheck struct {
	verdict string // mediahash verdict, "" when the source is not an image
}

// verifyScannedImage hashes the whole media of a disk-image source after
// its scan (MD5, SHA-1, SHA-256 in one pass), compares the digests with the
// hashes an E01 stores, and records the result on the evidence item (keys
// "media_hashes" and "image_verification") and in the custody log (image
// verified / MISMATCH / verification FAILED / hashed).
func verifyScannedImage(ctx context.Context, w io.Writer, quiet bool, c *casedb.Case, src triage.Source, evidenceID int64, examiner string, workers int) (imageCheck, error) {
	img := triage.SourceImage(src)
	if img == nil {
		return imageCheck{}, nil
	}
	path := src.Info().Path
	if !quiet {
		fmt.Fprintf(w, "triage: %s: hashing the whole media (%s) to verify the image; --verify-image=false skips this\n", filepath.Base(path), ibytes(img.Size()))
	}
	res, check, err := verifyImage(ctx, w, quiet, img, workers, nil)
	if err != nil {
		return imageCheck{}, fmt.Errorf("image verification: %w", err)
	}
	var info image.Info
	if d, ok := img.(image.Describer); ok {
		info = d.Describe()
	}
	files, err := hashSegments(ctx, info)
	if err != nil {
		return imageCheck{}, fmt.Errorf("image verification: %w", err)
	}
	at := time.Now().UTC().Format(time.RFC3339)
	hashes := map[string]any{"md5": res.MD5, "sha1": res.SHA1, "sha256": res.SHA256, "size": res.Size, "computed_at": at}
	if len(files) > 0 {
		hashes["segment_files"] = files
	}
	if len(res.Bad) > 0 {
		hashes["unreadable"] = res.Bad
	}
	ver := map[string]any{"verdict": check.Verdict, "at": at, "comparisons": check.Comparisons}
	if check.Reason != "" {
		ver["reason"] = check.Reason
	}
	if err := c.UpdateEvidenceMetadata(ctx, evidenceID, map[string]any{"media_hashes": hashes, "image_verification": ver}); err != nil {
		return imageCheck{}, fmt.Errorf("image verification: cannot record it: %w", err)
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
	if e := image.EWF(img); e != nil && len(e.Metadata().ReadErrors) > 0 {
		details["acquisition_read_errors"] = len(e.Metadata().ReadErrors)
	}
	ci, _ := casedb.LoadCaseInfo(ctx, c)
	if err := appendCustody(c.Dir, action, actorFor(examiner, ci), details); err != nil {
		return imageCheck{}, err
	}
	if !quiet || check.Verdict == mediahash.Mismatch || check.Verdict == mediahash.Failed {
		fmt.Fprintf(w, "triage: %s: image %s", filepath.Base(path), check.Verdict)
		for _, cmp := range check.Comparisons {
			fmt.Fprintf(w, "; %s %s (%s) vs computed %s", algName(cmp.Algorithm), cmp.Value, cmp.Source, cmp.Computed)
		}
		if check.Verdict == mediahash.NoStoredHash {
			fmt.Fprintf(w, "; MD5 %s, SHA-256 %s recorded", res.MD5, res.SHA256)
		}
		if check.Reason != "" {
			fmt.Fprintf(w, " (%s)", check.Reason)
		}
		fmt.Fprintln(w)
	}
	return imageCheck{verdict: check.Verdict}, nil
}
