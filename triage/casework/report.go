package casework

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/mediahash"
	"github.com/triagekit/triage/triage/validate"
)

// ReportOptions control WriteReport.
type ReportOptions struct {
	// Build are the options of report.Build; its Now and Host come from
	// the Env when unset, its MetadataLabel from the container table.
	Build    report.Options
	Outputs  []report.Output // the files to write (report.Plan)
	Manifest string          // the manifest's path (report.Plan)
	Write    report.WriteOptions
	Examiner string // the actor of the custody event (see Actor)
	// HashsetDir is the hash-set library whose sets the report lists when
	// no scan used them (Build.Library, when nil); "": the default one.
	HashsetDir string
	// Check, when not nil, is called with the report once built, before
	// anything is written; an error it returns stops WriteReport.
	Check func(*report.Report) error
}

// WriteReport builds the report of the case, writes its outputs with their
// manifest, and records it in the custody log ("report generated", with the
// manifest's SHA-256; with o.Write.Force, the run it replaced as
// "supersedes"). A log whose chain is broken is not appended to; the
// report, made over it only with Build.AllowBrokenChain, says so
// (Report.Custody.Intact is false).
func (e *Env) WriteReport(ctx context.Context, c *casedb.Case, o *ReportOptions) (*report.Report, *report.Result, error) {
	bo := o.Build
	if bo.Now.IsZero() {
		bo.Now = e.Time()
	}
	if bo.Host == "" {
		bo.Host = e.HostName()
	}
	if bo.MetadataLabel == nil {
		bo.MetadataLabel = image.MetadataLabel
	}
	if bo.Library == nil && bo.LibraryError == "" {
		var err error
		if bo.Library, err = LibrarySets(o.HashsetDir); err != nil {
			bo.LibraryError = err.Error()
		}
	}
	r, err := report.Build(ctx, c, bo)
	if err != nil {
		return nil, nil, err
	}
	r.Tool.Validation = validationOf(r.Tool.SHA256, c.Dir)
	if o.Check != nil {
		if err := o.Check(r); err != nil {
			return nil, nil, err
		}
	}
	res, err := report.Write(ctx, r, o.Outputs, o.Manifest, o.Write)
	if err != nil {
		return nil, nil, err
	}
	d := map[string]any{
		"report_id":       r.ID,
		"manifest":        absPath(res.ManifestPath),
		"manifest_sha256": res.ManifestSHA256,
		"custody_head":    r.Custody.Head,
	}
	var outs []any
	for _, out := range res.Outputs {
		outs = append(outs, map[string]any{"file": out.File, "format": out.Format, "sha256": out.SHA256})
	}
	d["outputs"] = outs
	if sup := res.Superseded; sup != nil {
		d["supersedes"] = map[string]any{"manifest": absPath(sup.Manifest), "manifest_sha256": sup.SHA256, "report_id": sup.ReportID}
	}
	if o.Write.Signer != nil {
		d["signed_by_key"] = o.Write.Signer.KeyID()
	}
	if r.Custody.Intact && !c.ReadOnly() { // read-only storage records nothing
		if err := e.AppendCustody(c.Dir, custody.ActionReportGenerated, Actor(o.Examiner, r.Case), d); err != nil {
			return nil, nil, err
		}
	}
	return r, res, nil
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// RehashMedia reads the disk image at source again and returns the digests
// of its whole media by algorithm (md5, sha1, sha256); media that cannot be
// read completely is an error. It is report.VerifyOptions.Rehash.
func RehashMedia(ctx context.Context, source, typ string) (map[string]string, error) {
	img, err := image.Open(source)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	res, err := mediahash.Sum(ctx, img, img.Size(), 0, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Bad) > 0 {
		return nil, fmt.Errorf("%d ranges of the media could not be read", len(res.Bad))
	}
	return map[string]string{"md5": res.MD5, "sha1": res.SHA1, "sha256": res.SHA256}, nil
}

// validationOf names the validation record of the binary with this SHA-256
// found in the case folder or the user's data folder ("" when none).
func validationOf(binarySHA256, caseDir string) string {
	if binarySHA256 == "" {
		return ""
	}
	data, _ := validate.DataDir()
	p, rec, err := validate.Find(binarySHA256, validate.CaseDir(caseDir), data)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s of %s by %s on %s: %d passed, %d failed (%s)", rec.ID, rec.GeneratedAt, rec.Examiner, rec.Host, rec.Passed, rec.Failed, p)
}

// LibrarySets lists the sets of the hash-set library in dir ("": the
// default one) for the report: each set's name and category, and why it
// cannot be used when it cannot be opened or its sections' checksums do
// not match (checked as a scan checks them, once per file version).
func LibrarySets(dir string) ([]report.LibrarySet, error) {
	lib, err := Library(dir)
	if err != nil {
		return nil, err
	}
	names, err := lib.Names()
	if err != nil {
		return nil, err
	}
	out := []report.LibrarySet{}
	for _, n := range names {
		ls := report.LibrarySet{Name: n}
		s, err := lib.Open(n)
		if err == nil {
			ls.Category = s.Category
			if s.BuiltIn {
				err = s.Check()
			} else {
				_, err = lib.CheckCached(s)
				s.Close()
			}
		}
		if err != nil {
			ls.Problem = err.Error()
		}
		out = append(out, ls)
	}
	return out, nil
}
