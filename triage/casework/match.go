package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// MatchOptions control Match.
type MatchOptions struct {
	// Hashsets select the sets of the library (Names, Dir); Files and
	// None are not used by a match.
	Hashsets    HashsetOptions
	CommandLine []string // recorded with each run
	Examiner    string   // recorded on the runs; the actor of custody events (see Actor)
	Host        string   // recorded on the runs; "": the system's
}

// MatchResult is what Match did to one evidence item.
type MatchResult struct {
	EvidenceID int64
	RunID      int64
	Source     string
	Records    int64            // records with a digest, looked up
	Changed    int64            // records whose status, sets or hits changed
	Before     map[string]int64 // records by status before the match
	After      map[string]int64 // records by status after it
}

// Match matches every record of the case against the hash sets o selects,
// without reading the evidence: the digests recorded are looked up. Each
// evidence item gets a run (its command line, the sets used with their
// provenance, as a scan records them), the records whose match changed are
// updated in one transaction, and a custody event "records matched" closes
// the run with the new seal of the item's records, which verify checks.
//
// The sets matched decide the hits they give; a hit a record holds from a
// set this match did not use (another library set, a --hashset-file of the
// scan) is kept, so the status is the strongest of both. A known-good
// match of an incomplete or rebuilt record gives unknown, as in a scan.
func (e *Env) Match(ctx context.Context, c *casedb.Case, o *MatchOptions) ([]*MatchResult, error) {
	if c.ReadOnly() {
		return nil, errors.New("the case is on read-only storage: nothing can be recorded in it")
	}
	ho := o.Hashsets
	ho.Files, ho.None, ho.FileCategory = nil, false, hashset.KnownBad
	hs, err := OpenHashsets(ctx, &ho, nil)
	if err != nil {
		return nil, err
	}
	defer hs.Close()
	if len(hs.sets) == 0 {
		return nil, errors.New("no hash set to match against")
	}
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return nil, err
	}
	// The categories of the sets earlier runs used, for the hits a record
	// keeps from them.
	used, err := c.HashSetsUsed(ctx)
	if err != nil {
		return nil, err
	}
	categories := map[string]string{}
	for _, u := range used {
		categories[u.Name] = u.Category
	}
	for _, s := range hs.sets {
		categories[s.Name] = s.Category
	}
	host := o.Host
	if host == "" {
		host = e.HostName()
	}
	ci, _ := casedb.LoadCaseInfo(ctx, c)
	actor := Actor(o.Examiner, ci)
	var out []*MatchResult
	for _, ev := range items {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		r, err := e.matchItem(ctx, c, ev, hs, categories, host, actor, o)
		if r != nil {
			out = append(out, r)
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func (e *Env) matchItem(ctx context.Context, c *casedb.Case, ev *casedb.Evidence, hs *Hashsets, categories map[string]string,
	host, actor string, o *MatchOptions) (*MatchResult, error) {
	bi := buildinfo.Get()
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: e.Time(), CommandLine: o.CommandLine, ToolVersion: bi.Version,
		ToolCommit: bi.Commit, Host: host, Examiner: o.Examiner}
	if _, err := c.AddRun(ctx, run); err != nil {
		return nil, err
	}
	res := &MatchResult{EvidenceID: ev.ID, RunID: run.ID, Source: casedb.DisplayString(ev.Source),
		Before: map[string]int64{}, After: map[string]int64{}}
	end := func(state string, err error) (*MatchResult, error) {
		if eerr := c.EndRun(run.ID, state, res.Changed, e.Time()); eerr != nil && err == nil {
			err = eerr
		}
		return res, err
	}
	// The run and the sets it uses are in the custody log before any
	// record changes.
	if err := e.AppendCustody(c.Dir, custody.ActionMatchStarted, actor, map[string]any{
		"evidence": ev.ID, "run": run.ID, "source": res.Source, "command_line": report.CommandLine(o.CommandLine),
	}); err != nil {
		return end(casedb.StateFailed, err)
	}
	if err := hs.onEvidence(e, c, actor, nil)(ev, run.ID, true); err != nil {
		return end(casedb.StateFailed, err)
	}
	inRun := map[string]bool{}
	for _, s := range hs.sets {
		inRun[s.Name] = true
	}
	at := e.Time().Format(time.RFC3339)
	var ups []casedb.MatchUpdate
	err := c.Files(ctx, casedb.FileFilter{EvidenceID: ev.ID}, func(rec *casedb.FileRecord) error {
		old := rec.Status
		if old == "" {
			old = casedb.StatusUnknown
		}
		res.Before[old]++
		if rec.MD5 == "" && rec.SHA1 == "" && rec.SHA256 == "" {
			res.After[old]++
			return nil
		}
		res.Records++
		_, found, err := hs.m.Explain(rec.MD5, rec.SHA1, rec.SHA256)
		if err != nil {
			return fmt.Errorf("hash-set lookup failed for %s: %w", rec.DisplayPath(), err)
		}
		hits := mergeHits(rec, ToHashHits(found), inRun, categories)
		var sets, cats []string
		for _, h := range hits {
			sets = append(sets, h.Set)
			cats = append(cats, h.Category)
		}
		status := triage.MatchStatus(rec, hashset.StatusOf(cats...))
		res.After[status]++
		prev := rec.HashMatch()
		var prevHits []casedb.HashHit
		if prev != nil {
			prevHits = prev.Hits
		}
		if status == old && slices.Equal(sets, rec.Hashsets) && slices.Equal(hits, prevHits) {
			return nil
		}
		var m *casedb.HashMatch
		if len(hits) > 0 {
			m = &casedb.HashMatch{Run: run.ID, At: at, Hits: hits}
		}
		rec.SetHashMatch(m)
		ups = append(ups, casedb.MatchUpdate{Key: rec.Key, Status: status, Hashsets: sets, Extra: rec.Extra})
		return nil
	})
	if err != nil {
		state := casedb.StateFailed
		if ctx.Err() != nil {
			state = casedb.StateInterrupted
		}
		return end(state, err)
	}
	if err := c.UpdateMatches(ctx, ev.ID, ups); err != nil {
		state := casedb.StateFailed
		if ctx.Err() != nil {
			state = casedb.StateInterrupted
		}
		return end(state, err)
	}
	res.Changed = int64(len(ups))
	if _, err := end(casedb.StateComplete, nil); err != nil {
		return res, err
	}
	// The new seal of the item's records, which verify checks from now on.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	seal, err := c.SealEvidence(sctx, ev.ID)
	if err != nil {
		return res, fmt.Errorf("cannot seal the records of evidence item %d: %w", ev.ID, err)
	}
	return res, e.AppendCustody(c.Dir, custody.ActionRecordsMatched, actor, map[string]any{
		"evidence": ev.ID, "run": run.ID, "state": casedb.StateComplete, "records_looked_up": res.Records,
		"records_changed": res.Changed, "statuses_before": res.Before, "seal": sealDetails(seal),
	})
}

// mergeHits returns the hits of a record after a match: the sets of the
// run give the hits found; a hit from a set the run did not use is kept
// (from the recorded match, or, for a case made before matches were
// recorded, from the record's set names with the category the case
// records for them). The hits are in set-name order.
func mergeHits(rec *casedb.FileRecord, found []casedb.HashHit, inRun map[string]bool, categories map[string]string) []casedb.HashHit {
	hits := found
	kept := map[string]bool{}
	if prev := rec.HashMatch(); prev != nil {
		for _, h := range prev.Hits {
			if !inRun[h.Set] {
				hits = append(hits, h)
				kept[h.Set] = true
			}
		}
	}
	for _, name := range rec.Hashsets {
		if !inRun[name] && !kept[name] {
			hits = append(hits, casedb.HashHit{Set: name, Category: categories[name]})
		}
	}
	slices.SortFunc(hits, func(a, b casedb.HashHit) int {
		switch {
		case a.Set < b.Set:
			return -1
		case a.Set > b.Set:
			return 1
		}
		return 0
	})
	if len(hits) == 0 {
		return nil
	}
	return hits
}

// sealDetails is the seal as a custody event carries it.
func sealDetails(seal *casedb.Seal) map[string]any {
	return map[string]any{"version": casedb.SealVersion, "records": seal.Records, "errors": seal.Errors,
		"statuses": seal.Statuses, "records_sha256": seal.RecordsSHA256, "errors_sha256": seal.ErrorsSHA256}
}
