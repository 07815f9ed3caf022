package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/classify"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/mediahash"
)

// ScanOptions control Scan.
type ScanOptions struct {
	Algorithms  []triage.Algorithm // digests to compute; nil: the engine's default
	Workers     int                // files read and hashed at once (0: the engine's default)
	JSONL       io.Writer          // receives one JSON object per record; nil: none
	CommandLine []string           // recorded with the evidence item and the run
	Examiner    string             // recorded on the evidence item; the actor of custody events (see Actor)
	Rescan      bool               // scan a source again that the case holds a finished scan of
	Host        string             // host recorded on the evidence item; "": the system's
	Now         func() time.Time   // clock of the scan engine; nil: time.Now
	Watchdog    triage.Watchdog    // limits per item's content; zero: the engine's defaults
	// Archives opens the archives found in files and records their
	// members; nil: archives are recorded as files only.
	Archives *triage.ArchiveOptions

	// As forces how a regular file is read: "file" or "image" ("" decides
	// from the content). Image is how disk images are read.
	As    string
	Image triage.ImageOptions
	// VerifyImage hashes the whole media of a disk-image source after its
	// scan and checks it against the hashes an E01 stores.
	VerifyImage bool
	// Hashsets select the hash sets files are matched against.
	Hashsets HashsetOptions
	// MismatchPolicy is a policy file adjusting the extension-mismatch
	// table (docs/classification.md); "": the default table.
	MismatchPolicy string

	// Hooks for what a command shows; each may be nil.

	// OnHashsetFile is called for each Hashsets.Files set once imported.
	OnHashsetFile func(file string, res *hashset.ImportResult, s *hashset.Set)
	// Progress is called when the scan of a source starts, with the
	// counters the engine updates; the function it returns is called when
	// the scan ends.
	Progress func(src triage.Source, p *triage.Progress) (stop func())
	// MediaProgress is called before the whole media of an image is
	// hashed for its verification; update receives the bytes hashed so
	// far, stop is called at the end.
	MediaProgress func(path string, size int64) (update func(int64), stop func())
	// OnSource is called when a source is done, before the next starts.
	OnSource func(*SourceResult)
}

// SourceResult is the outcome of the scan of one source.
type SourceResult struct {
	Path string // the source as given
	// OpenErr is set when the source could not be opened; nothing else is
	// set then.
	OpenErr error
	// Result is the engine's result, nil when the scan did not start.
	Result *triage.Result
	// Err is the error that ended the scan, recording it or verifying the
	// image, if any.
	Err error
	// Image is the verification of a disk image, nil when the source is
	// not an image or was not verified.
	Image *ImageCheck
	// MediaHashResumed is set when the source's files were scanned by an
	// earlier run whose media hash was interrupted, and this run hashed
	// the media.
	MediaHashResumed bool
}

// Failed reports whether the source could not be scanned.
func (r *SourceResult) Failed() bool { return r.OpenErr != nil || r.Err != nil }

// Partial reports whether the scan finished but could not read everything:
// some items were unreadable or part of the image media could not be read.
func (r *SourceResult) Partial() bool {
	return !r.Failed() && (r.Result.State == casedb.StatePartial || r.Verdict() == mediahash.Failed)
}

// Mismatch reports whether the image media does not match its stored hashes.
func (r *SourceResult) Mismatch() bool { return r.Verdict() == mediahash.Mismatch }

// Verdict returns the image verification verdict, "" when there is none.
func (r *SourceResult) Verdict() string {
	if r.Image == nil {
		return ""
	}
	return r.Image.Check.Verdict
}

// Scan opens the hash sets o selects and scans each source into the case c,
// recording the custody events of each scan and, with o.VerifyImage, the
// verification of each disk image. A source that cannot be opened or scanned
// does not stop the others: its SourceResult says what happened. The error
// is one that stops everything: the hash sets cannot be opened, or ctx is
// done (the results then hold the sources handled so far).
func (e *Env) Scan(ctx context.Context, c *casedb.Case, sources []string, o *ScanOptions) ([]*SourceResult, error) {
	pol := classify.Default()
	if o.MismatchPolicy != "" {
		p, err := classify.LoadPolicy(o.MismatchPolicy)
		if err != nil {
			return nil, fmt.Errorf("mismatch policy: %w", err)
		}
		pol = p
	}
	hs, err := OpenHashsets(ctx, &o.Hashsets, o.OnHashsetFile)
	if err != nil {
		return nil, err
	}
	defer hs.Close()
	host := o.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	var out []*SourceResult
	for _, p := range sources {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r := e.scanSource(ctx, c, p, host, hs, pol, o)
		out = append(out, r)
		if o.OnSource != nil {
			o.OnSource(r)
		}
		if errors.Is(r.Err, context.Canceled) && ctx.Err() != nil {
			return out, r.Err
		}
	}
	return out, nil
}

func (e *Env) scanSource(ctx context.Context, c *casedb.Case, p, host string, hs *Hashsets, pol *classify.Policy, o *ScanOptions) *SourceResult {
	r := &SourceResult{Path: p}
	src, err := triage.OpenSourceWith(p, triage.SourceOptions{As: o.As, Image: o.Image})
	if err != nil {
		r.OpenErr = err
		return r
	}
	defer src.Close()
	sc := e.newScanCustody(ctx, c, o.Examiner)
	if o.MismatchPolicy != "" {
		sc.mismatchPolicy = map[string]any{"path": o.MismatchPolicy, "sha256": pol.SHA256()}
	}
	// One Progress covers all the work on the source: its files, then
	// the media pass of an image.
	prog := &triage.Progress{}
	prog.Total.Store(-1)
	if img := triage.SourceImage(src); img != nil && o.VerifyImage {
		prog.Media.Store(img.Size())
	}
	stopProgress := func() {}
	if o.Progress != nil {
		stopProgress = o.Progress(src, prog)
	}
	defer func() { stopProgress() }()
	mo := *o
	mo.MediaProgress = func(path string, size int64) (func(int64), func()) {
		update, stop := func(int64) {}, func() {}
		if o.MediaProgress != nil {
			if u, s := o.MediaProgress(path, size); u != nil {
				update, stop = u, s
			} else if s != nil {
				stop = s
			}
		}
		base := prog.Bytes.Load()
		prog.Media.Store(size)
		prog.FoundAll.Store(true)
		prog.SetPhase(triage.PhaseMedia)
		return func(n int64) { prog.Bytes.Store(base + n); update(n) }, stop
	}
	res, err := triage.Scan(ctx, c, src, triage.Options{
		Algorithms:  o.Algorithms,
		Workers:     o.Workers,
		JSONL:       o.JSONL,
		Progress:    prog,
		CommandLine: o.CommandLine,
		Host:        host,
		Examiner:    sc.actor, // the case's examiner when none is given
		Rescan:      o.Rescan,
		Now:         o.Now,
		Watchdog:    o.Watchdog,
		Archives:    o.Archives,
		OnEvidence:  hs.onEvidence(e, c, sc.actor, sc.onEvidence),
		Matcher:     hs.Matcher(),
		MediaHash:   o.VerifyImage,

		MismatchPolicy: pol,
	})
	if res != nil {
		sc.records = res.RecordsSeal
		if cerr := sc.finished(res.EvidenceID, res.RunID, res.State, res.Files, res.Bytes, res.Errors, res.Existing); cerr != nil && err == nil {
			err = cerr
		}
	}
	r.Result = res
	if o.VerifyImage && err == nil && res != nil && triage.SourceImage(src) != nil {
		switch {
		case !res.Skipped && (res.State == casedb.StateComplete || res.State == casedb.StatePartial):
			r.Image, err = e.mediaHashPhase(ctx, c, src, res, res.State, sc.actor, &mo)
		case res.Skipped && res.State == casedb.StateMediaHashPending:
			// the media hash of an earlier run was interrupted: finish it
			scanState := casedb.StateComplete
			if evs, ferr := c.EvidenceItems(ctx); ferr == nil {
				for _, ev := range evs {
					if s, ok := ev.Metadata[casedb.ScanStateKey].(string); ok && ev.ID == res.EvidenceID {
						scanState = s
					}
				}
			}
			r.MediaHashResumed = true
			r.Image, err = e.mediaHashPhase(ctx, c, src, res, scanState, sc.actor, &mo)
		}
	}
	r.Err = err
	return r
}

// mediaHashPhase hashes the whole media of an image source as the last
// phase of its scan. Until it is done the evidence item is in state
// casedb.StateMediaHashPending (the file scan's state kept in its metadata),
// so an interrupted media hash is finished by the next run of the same
// command; once done, the item gets the file scan's state back.
func (e *Env) mediaHashPhase(ctx context.Context, c *casedb.Case, src triage.Source, res *triage.Result, scanState, actor string, o *ScanOptions) (*ImageCheck, error) {
	if err := c.UpdateEvidenceMetadata(ctx, res.EvidenceID, map[string]any{casedb.ScanStateKey: scanState}); err != nil {
		return nil, err
	}
	if err := c.SetEvidenceState(ctx, res.EvidenceID, casedb.StateMediaHashPending); err != nil {
		return nil, err
	}
	res.State = casedb.StateMediaHashPending
	ic, err := e.verifyScannedImage(ctx, c, src, res.EvidenceID, res.Media, o)
	if err != nil {
		if ctx.Err() != nil {
			if cerr := e.AppendCustody(c.Dir, custody.ActionScanInterrupted, actor, map[string]any{
				"evidence": res.EvidenceID, "phase": "media hash", "state": casedb.StateMediaHashPending,
			}); cerr != nil {
				return nil, errors.Join(err, cerr)
			}
		}
		return nil, err
	}
	if err := c.SetEvidenceState(context.WithoutCancel(ctx), res.EvidenceID, scanState); err != nil {
		return nil, err
	}
	res.State = scanState
	return ic, nil
}

// scanCustody records the custody events of a scan: "evidence added" for a
// new evidence item, "scan started", and at the end "scan finished" or
// "scan interrupted" with the counts.
type scanCustody struct {
	env        *Env
	c          *casedb.Case
	dir, actor string
	started    bool
	// mismatchPolicy is the policy file of the scan (path and SHA-256),
	// nil for the default table.
	mismatchPolicy map[string]any
	// records is the records' seal the scan made as it wrote them, for
	// the next call of finished (nil: the seal reads them back).
	records *casedb.RecordsSeal
}

func (e *Env) newScanCustody(ctx context.Context, c *casedb.Case, examiner string) *scanCustody {
	ci, _ := casedb.LoadCaseInfo(ctx, c)
	return &scanCustody{env: e, c: c, dir: c.Dir, actor: Actor(examiner, ci)}
}

// onEvidence is the triage.Options.OnEvidence hook.
func (s *scanCustody) onEvidence(ev *casedb.Evidence, runID int64, resumed bool) error {
	if !resumed {
		if err := s.env.AppendCustody(s.dir, custody.ActionEvidenceAdded, s.actor, map[string]any{
			"evidence": ev.ID, "source": casedb.DisplayString(ev.Source), "type": ev.Type, "size": ev.Size,
		}); err != nil {
			return err
		}
	}
	s.started = true
	details := map[string]any{
		"evidence": ev.ID, "run": runID, "resumed": resumed, "source": casedb.DisplayString(ev.Source),
		"command_line": report.CommandLine(ev.CommandLine), "hash_algorithms": strings.Join(ev.HashAlgorithms, ","),
	}
	if s.mismatchPolicy != nil {
		details["mismatch_policy"] = s.mismatchPolicy
	}
	return s.env.AppendCustody(s.dir, custody.ActionScanStarted, s.actor, details)
}

// finished records the end of a scan whose start was recorded.
func (s *scanCustody) finished(evidenceID, runID int64, state string, files, bytes, errs, existing int64) error {
	if !s.started {
		return nil
	}
	s.started = false
	action := custody.ActionScanFinished
	if state == casedb.StateInterrupted {
		action = custody.ActionScanInterrupted
	}
	d := map[string]any{
		"evidence": evidenceID, "run": runID, "state": state, "records": files, "bytes": bytes, "errors": errs,
		"records_from_earlier_runs": existing,
	}
	// The seal of the item's records as the case holds them now (earlier
	// runs included): verify recomputes it, so a later change to case.db
	// is caught.
	if s.c != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		seal, err := s.c.SealEvidenceWith(ctx, evidenceID, s.records)
		s.records = nil
		if err != nil {
			return fmt.Errorf("cannot seal the records of evidence item %d: %w", evidenceID, err)
		}
		d["seal"] = sealDetails(seal)
	}
	return s.env.AppendCustody(s.dir, action, s.actor, d)
}
