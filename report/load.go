package report

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// Build reads the case and assembles the report. The case must stay open
// while the report is rendered: the listing is streamed from it.
func Build(ctx context.Context, c *casedb.Case, o Options) (*Report, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	tool := CurrentTool()
	if o.Tool != nil {
		tool = *o.Tool
	}
	r := &Report{SchemaVersion: SchemaVersion, ID: o.ID, Title: Title, GeneratedAt: now.UTC().Format(time.RFC3339),
		CaseDir: c.Dir, Tool: tool, CommandLine: o.CommandLine, Host: o.Host, Statement: Statement,
		Listing: !o.NoListing, c: c, metaLabel: o.MetadataLabel, library: o.Library, libraryErr: o.LibraryError}
	if r.ID == "" {
		r.ID = NewID(now)
	}
	if r.CommandLine == nil {
		r.CommandLine = []string{}
	}
	var err error
	if r.Case, err = casedb.LoadCaseInfo(ctx, c); err != nil {
		return nil, err
	}
	if r.loc, err = r.Case.Location(); err != nil {
		return nil, err
	}
	r.TimeZone = r.loc.String()
	r.CaseCreatedAt, _ = c.Meta(ctx, "created_at")

	events, head, cerr := custody.Verify(c.Dir)
	r.Custody = CustodyLog{Events: events, Head: head, Intact: cerr == nil}
	switch {
	case errors.Is(cerr, fs.ErrNotExist):
		r.Custody.Problem = "the case has no custody log (custody.jsonl is missing)"
	case cerr != nil:
		r.Custody.Problem = cerr.Error()
	}
	if r.Custody.Events == nil {
		r.Custody.Events = []custody.Event{}
	}
	if !r.Custody.Intact && !o.AllowBrokenChain {
		return nil, fmt.Errorf("%w: %s", ErrBrokenChain, r.Custody.Problem)
	}

	if err := r.loadEvidence(ctx); err != nil {
		return nil, err
	}
	if err := r.loadRuns(ctx); err != nil {
		return nil, err
	}
	if err := r.loadHashSets(ctx); err != nil {
		return nil, err
	}
	if err := r.loadSummary(ctx); err != nil {
		return nil, err
	}
	if err := r.loadSections(ctx); err != nil {
		return nil, err
	}
	r.NoScans = len(r.Runs) == 0
	r.HashSetsNotUsed = r.setsNotUsed()
	r.NotExamined = r.notExamined()
	r.Findings = r.findings()
	r.Limitations = append(append([]string{}, r.NotExamined...), r.limitations()...)
	return r, nil
}

func (r *Report) loadEvidence(ctx context.Context) error {
	items, err := r.c.EvidenceItems(ctx)
	if err != nil {
		return fmt.Errorf("failed to read evidence items: %w", err)
	}
	r.Evidence = []EvidenceItem{}
	for _, e := range items {
		it := EvidenceItem{ID: e.ID, Source: casedb.DisplayString(e.Source), Type: e.Type, Size: e.Size, State: e.State,
			StartedAt: fmtTS(e.StartedAt), FinishedAt: fmtTS(e.FinishedAt),
			Tool:        Tool{Program: "triage", Version: e.ToolVersion, Commit: e.ToolCommit, SHA256: e.ToolSHA256, GoVersion: e.GoVersion, Platform: e.Platform},
			CommandLine: e.CommandLine, Host: e.Host, Examiner: e.Examiner, HashAlgorithms: e.HashAlgorithms,
			Files: e.Files, Bytes: e.Bytes, Errors: e.Errors, Metadata: e.Metadata}
		if it.CommandLine == nil {
			it.CommandLine = []string{}
		}
		for _, f := range casedb.ExhibitFields {
			if v, ok := e.Metadata[f.Key]; ok && metaString(v) != "" {
				it.Exhibit = append(it.Exhibit, KV{f.Label, metaString(v)})
			}
		}
		it.MediaHashes, it.Verification, it.OtherMetadata = labeler{r.metaLabel}.splitMetadata(e.Metadata)
		for i, kv := range it.OtherMetadata {
			it.OtherMetadata[i].Value = r.dateValue(kv.Key, kv.Value)
		}
		if it.Volumes, err = r.c.Volumes(ctx, e.ID); err != nil {
			return err
		}
		if it.Volumes == nil {
			it.Volumes = []casedb.Volume{}
		}
		if len(it.Volumes) > 0 {
			if it.volumeRecords, err = r.c.CountByVolume(ctx, e.ID); err != nil {
				return err
			}
		}
		r.Evidence = append(r.Evidence, it)
	}
	// a rescan of a source supersedes the earlier items of that source
	latest := map[string]int64{}
	for _, e := range items {
		latest[e.Source] = max(latest[e.Source], e.ID)
	}
	for i, e := range items {
		if l := latest[e.Source]; l != e.ID {
			r.Evidence[i].SupersededBy = l
		}
	}
	return nil
}

// dateValue shows a metadata value that is a time as the report shows
// times: an RFC 3339 value in the one time format, and a date stored as
// epoch seconds (E01 headers) as that date, with the value as stored.
func (r *Report) dateValue(label, v string) string {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return r.TimeOf(t)
	}
	l := strings.ToLower(label)
	if !strings.Contains(l, "date") && !strings.Contains(l, "acquired") && !strings.Contains(l, "time") {
		return v
	}
	if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil && n > 0 && n < 1<<34 {
		return r.TimeOf(time.Unix(n, 0)) + ", stored as " + v
	}
	return v
}

// superseded returns the ids of the evidence items a rescan superseded.
func (r *Report) superseded() []int64 {
	var ids []int64
	for _, e := range r.Evidence {
		if e.SupersededBy != 0 {
			ids = append(ids, e.ID)
		}
	}
	return ids
}

func (r *Report) loadRuns(ctx context.Context) error {
	runs, err := r.c.Runs(ctx)
	if err != nil {
		return fmt.Errorf("failed to read runs: %w", err)
	}
	r.Runs = []Run{}
	for _, u := range runs {
		run := Run{ID: u.ID, EvidenceID: u.EvidenceID, StartedAt: fmtTS(u.StartedAt), FinishedAt: fmtTS(u.FinishedAt),
			State: u.State, CommandLine: u.CommandLine, ToolVersion: u.ToolVersion, ToolCommit: u.ToolCommit,
			Host: u.Host, Examiner: u.Examiner, Files: u.Files, Bytes: u.Bytes, Errors: u.Errors}
		if run.CommandLine == nil {
			run.CommandLine = []string{}
		}
		r.Runs = append(r.Runs, run)
	}
	return nil
}

func (r *Report) loadHashSets(ctx context.Context) error {
	used, err := r.c.HashSetsUsed(ctx)
	if err != nil {
		return fmt.Errorf("failed to read hash sets: %w", err)
	}
	r.HashSets = []HashSet{}
	idx := map[string]int{}
	for _, u := range used {
		det, _ := json.Marshal(u.Details)
		key := u.Name + "\x00" + u.Category + "\x00" + string(det)
		if i, ok := idx[key]; ok {
			r.HashSets[i].Runs = append(r.HashSets[i].Runs, u.RunID)
			continue
		}
		idx[key] = len(r.HashSets)
		r.HashSets = append(r.HashSets, HashSet{Name: u.Name, Category: u.Category, Runs: []int64{u.RunID},
			Details: FlattenDetails(u.Details), Meaning: Meaning(u.Category), raw: u.Details})
	}
	return nil
}

func (r *Report) loadSummary(ctx context.Context) error {
	n, err := r.c.CountFilesExcept(ctx, r.superseded())
	if err != nil {
		return fmt.Errorf("failed to count records: %w", err)
	}
	r.Summary = Summary{Records: n.Records, Files: n.Files, Bytes: n.Bytes, KnownBad: n.KnownBad, Notable: n.Notable,
		KnownGood: n.KnownGood, Unknown: n.Unknown, ExtensionMismatch: n.ExtensionMismatch, Deleted: n.Deleted,
		Incomplete: n.Incomplete}
	if r.ErrorsTotal, err = r.c.CountErrors(ctx, 0); err != nil {
		return err
	}
	r.Superseded = []SupersededItem{}
	for _, e := range r.Evidence {
		if e.SupersededBy == 0 {
			continue
		}
		it := SupersededItem{ID: e.ID, Exhibit: e.ExhibitID(), By: e.SupersededBy}
		for _, c := range []struct {
			f casedb.FileFilter
			n *int64
		}{{casedb.FileFilter{}, &it.Records}, {filterHits, &it.Hits}, {filterMismatch, &it.Mismatches}, {filterIncomplete, &it.Incomplete}} {
			c.f.EvidenceID = e.ID
			if *c.n, err = r.c.CountMatching(ctx, c.f); err != nil {
				return err
			}
		}
		if it.Errors, err = r.c.CountErrors(ctx, e.ID); err != nil {
			return err
		}
		r.ErrorsTotal -= it.Errors
		r.Superseded = append(r.Superseded, it)
	}
	r.Summary.Errors = r.ErrorsTotal
	return nil
}

// The findings sections; each leaves out the records of superseded items
// (loadSection).
var (
	filterHits       = casedb.FileFilter{Status: []string{casedb.StatusKnownBad, casedb.StatusNotable}}
	filterMismatch   = casedb.FileFilter{ExtensionMismatch: true}
	filterIncomplete = casedb.FileFilter{Incomplete: true}
)

// loadSection reads the first MaxSectionRows records matching f and counts
// them all.
func (r *Report) loadSection(ctx context.Context, f casedb.FileFilter, s *Section) error {
	s.Records = []*casedb.FileRecord{}
	f.Limit = MaxSectionRows
	f.ExceptEvidence = r.superseded() // the rescan's records stand for them
	err := r.c.Files(ctx, f, func(rec *casedb.FileRecord) error {
		s.Records = append(s.Records, rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to read records: %w", err)
	}
	if s.Total, err = r.c.CountMatching(ctx, f); err != nil {
		return err
	}
	return nil
}

func (r *Report) loadSections(ctx context.Context) error {
	if err := r.loadSection(ctx, filterHits, &r.Hits); err != nil {
		return err
	}
	// known-bad before notable, each in evidence and walk order
	sort.SliceStable(r.Hits.Records, func(i, j int) bool {
		return r.Hits.Records[i].Status == casedb.StatusKnownBad && r.Hits.Records[j].Status != casedb.StatusKnownBad
	})
	r.Hits.LatestMatch = r.latestMatch()
	if err := r.loadKnownBadHours(ctx); err != nil {
		return err
	}
	sets := r.setDigests()
	for _, f := range r.Hits.Records {
		r.Hits.Matched = append(r.Hits.Matched, r.matchedOn(f, sets))
	}
	if err := r.loadSection(ctx, filterMismatch, &r.Mismatches); err != nil {
		return err
	}
	if err := r.loadSection(ctx, filterIncomplete, &r.Incomplete); err != nil {
		return err
	}
	errs, err := r.c.Errors(ctx, 0)
	if err != nil {
		return fmt.Errorf("failed to read errors: %w", err)
	}
	r.Errors = []ErrorRow{}
	skip := map[int64]bool{}
	for _, id := range r.superseded() {
		skip[id] = true
	}
	for _, e := range errs {
		if len(r.Errors) >= MaxSectionRows {
			break
		}
		if skip[e.EvidenceID] {
			continue
		}
		r.Errors = append(r.Errors, ErrorRow{e.EvidenceID, e.RunID, casedb.DisplayString(e.Path), e.Offset, e.Message, fmtTS(e.At), e.Path})
	}
	return nil
}

// volumeName describes a volume for the limitations: its type, label and
// offset in the image.
func volumeName(v casedb.Volume) string {
	s := v.Type
	if v.Label != "" {
		s += " " + strconv.Quote(v.Label)
	}
	if v.Offset >= 0 {
		s += fmt.Sprintf(" at byte %#x", v.Offset)
	}
	return s
}

// findings writes the first page's summary in sentences.
func (r *Report) findings() Findings {
	f := Findings{Examined: []string{}, Found: []string{}}
	for _, e := range r.Evidence {
		s := fmt.Sprintf("Evidence item %d (%s): %s %s, %s; scan %s; %s.", e.ID, e.ExhibitID(), e.Type, Visible(e.Source), HumanBytes(e.Size), e.State, plural(e.Files, "record", "records"))
		if e.SupersededBy != 0 {
			f.Examined = append(f.Examined, fmt.Sprintf("Evidence item %d (%s): superseded by evidence item %d, a rescan of the same source; its %s are not counted below.", e.ID, e.ExhibitID(), e.SupersededBy, plural(e.Files, "record", "records")))
			continue
		}
		switch v := e.Verdict(); {
		case v != "":
			s += " Image verification: " + v + "."
		case isImageType(e.Type):
			s += " The image was not verified."
		}
		f.Examined = append(f.Examined, s)
	}
	sm := r.Summary
	bySet := map[string]int64{}
	for _, h := range r.Hits.Records {
		for _, n := range h.Hashsets {
			bySet[n]++
		}
	}
	sets := make([]string, 0, len(bySet))
	for n, c := range bySet {
		sets = append(sets, fmt.Sprintf("%s: %d", n, c))
	}
	sort.Strings(sets)
	hit := fmt.Sprintf("%s and %s.", plural(sm.KnownBad, "known-bad file", "known-bad files"), plural(sm.Notable, "notable file", "notable files"))
	if len(sets) > 0 && !r.Hits.Truncated() {
		hit = strings.TrimSuffix(hit, ".") + " (matches by hash set: " + strings.Join(sets, ", ") + ")."
	}
	f.Found = append(f.Found, hit,
		plural(sm.ExtensionMismatch, "file whose extension contradicts its content.", "files whose extension contradicts their content."),
		plural(sm.Deleted, "deleted entry recovered from file-system metadata.", "deleted entries recovered from file-system metadata."),
		plural(sm.Incomplete, "record incomplete, unreadable or encrypted (its hashes do not cover the whole content).", "records incomplete, unreadable or encrypted (their hashes do not cover the whole content)."),
		plural(sm.Errors, "problem recorded while reading the evidence.", "problems recorded while reading the evidence."))
	return f
}

// isImageType reports whether an evidence type is read as a disk image.
func isImageType(t string) bool { return t != "folder" && t != "file" }

// notExamined lists what the scans did not examine, from what the case
// holds: its evidence items, their states and volumes.
func (r *Report) notExamined() []string {
	l := []string{}
	for _, e := range r.Evidence {
		if e.State == casedb.StateMediaHashPending {
			l = append(l, fmt.Sprintf("Evidence item %d (%s): the hash of the whole media was interrupted and is not complete; running the same scan command again finishes it.", e.ID, e.ExhibitID()))
		}
		for _, v := range e.Volumes {
			if e.volumeRecords[v.Index] > 0 {
				continue
			}
			why := "no supported file system was found in it"
			if r := metaString(v.Details["not_examined"]); r != "" {
				why = r
			} else if v.FS != "" {
				why = "its file system (" + v.FS + ") was not read"
			}
			l = append(l, fmt.Sprintf("Evidence item %d (%s), volume %d (%s, %s at byte %d): not examined: %s.", e.ID, e.ExhibitID(), v.Index, nonEmpty(v.Type, "unknown type"), HumanBytes(v.Length), v.Offset, why))
		}
		if isImageType(e.Type) {
			if e.Metadata["media_hashes"] == nil && e.State != casedb.StateMediaHashPending {
				l = append(l, fmt.Sprintf("Evidence item %d (%s): the whole media was not hashed (image verification was not run).", e.ID, e.ExhibitID()))
			}
			l = append(l, fmt.Sprintf("Evidence item %d (%s): unallocated space and file slack were not searched; only files the file systems list (allocated and deleted entries) were examined.", e.ID, e.ExhibitID()))
		}
	}
	l = append(l, r.setsNotUsedLines()...)
	if r.Summary.Records > 0 {
		l = append(l, r.archivesNotExamined()...)
	}
	return l
}

// archivesNotExamined says which archives were not opened: all of them for
// the evidence items scanned without --archives (their metadata has no
// "archives"), and for the others those the scan could not open or read
// completely.
func (r *Report) archivesNotExamined() []string {
	var l, closed []string
	for _, e := range r.Evidence {
		am, ok := e.Metadata["archives"].(map[string]any)
		if !ok {
			closed = append(closed, fmt.Sprintf("%d (%s)", e.ID, e.ExhibitID()))
			continue
		}
		if n, _ := am["not_opened"].(float64); n > 0 {
			l = append(l, fmt.Sprintf("Evidence item %d (%s): %s not opened or not read completely (encrypted, corrupt, a volume of a multi-volume RAR, or stopped by a bomb limit); the problems recorded name them.",
				e.ID, e.ExhibitID(), plural(int64(n), "archive was", "archives were")))
		}
	}
	switch {
	case len(closed) == len(r.Evidence):
		return append(l, "Archives and other containers inside files (ZIP, e-mail stores, disk images held as files) were not opened: the files inside them were not hashed or classified.")
	case len(closed) > 0:
		l = append(l, fmt.Sprintf("Evidence %s %s: archives inside files were not opened (scanned with --archives=false): the files inside them were not hashed or classified.",
			plural2(int64(len(closed)), "item", "items"), strings.Join(closed, ", ")))
	}
	return append(l, "E-mail stores and disk images held as files were not opened: the files inside them were not hashed or classified.")
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (r *Report) limitations() []string {
	var l []string
	if !r.Custody.Intact {
		l = append(l, "THE CUSTODY LOG IS BROKEN: "+r.Custody.Problem+". The report was produced over a broken chain at the examiner's request (--allow-broken-chain).")
	}
	if r.NoScans {
		l = append(l, "No evidence has been scanned in this case: the report holds no findings.")
	}
	if len(r.HashSets) == 0 && !r.NoScans {
		l = append(l, "No hash sets were used: no file could be classified as known-bad, notable or known-good; every file is \"unknown\".")
	}
	for _, e := range r.Evidence {
		switch e.State {
		case casedb.StateInterrupted, casedb.StateRunning:
			l = append(l, fmt.Sprintf("The scan of evidence item %d (%s) did not finish (%s): records of the unscanned part are missing.", e.ID, e.ExhibitID(), e.State))
		case casedb.StateFailed:
			l = append(l, fmt.Sprintf("The scan of evidence item %d (%s) failed.", e.ID, e.ExhibitID()))
		}
	}
	for _, e := range r.Evidence {
		for _, v := range e.Volumes {
			if why := metaString(v.Details["not_examined"]); why != "" {
				l = append(l, fmt.Sprintf("Volume %d of evidence item %d (%s) was not examined: %s.", v.Index, e.ID, volumeName(v), why))
			}
			if z, ok := v.Details["fs_time_zone"].(string); ok && z != "" {
				l = append(l, fmt.Sprintf("Evidence item %d (%s), volume %d (%s): the file system stores times without a time zone (all times on FAT, times without a UTC offset on exFAT); they were read as times in the zone %q (--source-timezone) and recorded in UTC. If the device's clock was set to another zone, these times are off by the difference.",
					e.ID, e.ExhibitID(), v.Index, v.FS, z))
			}
		}
	}
	if r.Summary.Incomplete > 0 {
		l = append(l, fmt.Sprintf("%s incomplete or unreadable: %s hashes do not cover the whole content (see the tables below).",
			plural(r.Summary.Incomplete, "record is", "records are"), plural2(r.Summary.Incomplete, "its", "their")))
	}
	if r.Summary.Errors > 0 {
		l = append(l, fmt.Sprintf("%s recorded while reading the evidence.", plural(r.Summary.Errors, "problem was", "problems were")))
	}
	if !r.Listing {
		l = append(l, "The full file listing was left out of this document (--no-listing); the CSV, JSON and DFXML outputs hold it.")
	}
	for _, s := range []*Section{&r.Hits, &r.Mismatches, &r.Incomplete} {
		if s.Truncated() {
			l = append(l, fmt.Sprintf("A findings table shows the first %d of %d rows; the full listing holds all.", len(s.Records), s.Total))
			break
		}
	}
	return l
}

// setsNotUsed returns the library's sets that no scan of the case used,
// and those that cannot be used.
func (r *Report) setsNotUsed() []LibrarySet {
	used := map[string]bool{}
	for _, h := range r.HashSets {
		used[h.Name] = true
	}
	out := []LibrarySet{}
	for _, s := range r.library {
		if s.Problem != "" || !used[s.Name] {
			out = append(out, s)
		}
	}
	return out
}

// setsNotUsedLines says which hash sets were not used: one line for the
// usable sets of the library no scan used, one per set that cannot be
// used, with its reason.
func (r *Report) setsNotUsedLines() []string {
	var l []string
	if r.libraryErr != "" {
		l = append(l, "Hash sets not used: the hash-set library could not be read ("+r.libraryErr+"), so the sets no scan used are not known.")
	}
	if r.NoScans {
		return l
	}
	var unused []string
	for _, s := range r.HashSetsNotUsed {
		if s.Problem == "" {
			unused = append(unused, fmt.Sprintf("%q (%s)", s.Name, nonEmpty(s.Category, "category not recorded")))
		}
	}
	if len(unused) > 0 {
		l = append(l, fmt.Sprintf("Hash sets not used: %s of the hash-set library %s used by no scan of this case: %s. A file they hold is reported as \"unknown\" here.",
			plural(int64(len(unused)), "set", "sets"), plural2(int64(len(unused)), "was", "were"), strings.Join(unused, ", ")))
	}
	for _, s := range r.HashSetsNotUsed {
		if s.Problem != "" {
			l = append(l, fmt.Sprintf("Hash set %q of the hash-set library cannot be used now: %s.", s.Name, strings.TrimSuffix(s.Problem, ".")))
		}
	}
	return l
}
