package casework

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// HeaderChanges are changes to the case header: values keyed by the flag
// name of their field (casedb.CaseFields), only for the fields to change.
type HeaderChanges map[string]string

// apply returns base with the changes applied.
func (h HeaderChanges) apply(base casedb.CaseInfo) casedb.CaseInfo {
	for _, cf := range casedb.CaseFields {
		if v, ok := h[cf.Flag]; ok {
			cf.Set(&base, v)
		}
	}
	return base
}

// OpenCase opens the case in dir, creating it when dir is missing or empty,
// and applies the header changes as ApplyCaseHeader does. created tells
// whether the case was created.
func (e *Env) OpenCase(ctx context.Context, dir string, changes HeaderChanges, examiner string) (c *casedb.Case, created bool, err error) {
	c, created, err = casedb.OpenOrCreate(dir)
	if err != nil {
		return nil, false, err
	}
	if err := e.ApplyCaseHeader(ctx, c, created, changes, examiner); err != nil {
		c.Close()
		return nil, created, err
	}
	return c, created, nil
}

// ApplyCaseHeader stores the case header changes and records them in the
// custody log: "case created" for a new case (whose examiner defaults to
// the actor), "case updated" (with old and new values, and whether the case
// was already scanned) for a change. Every change is logged, before and
// after the first scan.
func (e *Env) ApplyCaseHeader(ctx context.Context, c *casedb.Case, created bool, changes HeaderChanges, examiner string) error {
	old, err := casedb.LoadCaseInfo(ctx, c)
	if err != nil {
		return err
	}
	ci := changes.apply(old)
	if created && ci.Examiner == "" {
		ci.Examiner = Actor(examiner, ci)
	}
	diff := casedb.DiffCaseInfo(old, ci)
	if len(diff) > 0 {
		if err := casedb.SaveCaseInfo(ctx, c, ci); err != nil {
			return err
		}
	}
	actor := Actor(examiner, ci)
	switch {
	case created:
		d := map[string]any{"case_dir": c.Dir}
		for _, f := range casedb.CaseFields {
			if v := f.Get(&ci); v != "" {
				d[strings.ReplaceAll(f.Flag, "-", "_")] = v
			}
		}
		return e.AppendCustody(c.Dir, custody.ActionCaseCreated, actor, d)
	case len(diff) > 0:
		scanned, err := c.HasRuns(ctx)
		if err != nil {
			return err
		}
		d := map[string]any{"changes": changeDetails(diff), "after_first_scan": scanned}
		return e.AppendCustody(c.Dir, custody.ActionCaseUpdated, actor, d)
	}
	return nil
}

func changeDetails(ch map[string]casedb.Change) map[string]any {
	m := map[string]any{}
	for k, v := range ch {
		m[strings.ReplaceAll(k, "-", "_")] = map[string]any{"old": v.Old, "new": v.New}
	}
	return m
}

// NoEvidenceError is returned for an evidence item the case does not hold.
type NoEvidenceError struct {
	Dir string
	ID  int64
}

func (e *NoEvidenceError) Error() string {
	return fmt.Sprintf("case %s has no evidence item %d", e.Dir, e.ID)
}

// UpdateExhibit records exhibit details of evidence item id: values keyed
// by metadata key (casedb.ExhibitFields). A received date is normalised in
// the case's display time zone. Only values that differ are stored, and
// recorded in the custody log with old and new value; dir is the case as
// the caller named it, for the error of a missing item.
func (e *Env) UpdateExhibit(ctx context.Context, c *casedb.Case, dir string, id int64, values map[string]string, examiner string) error {
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return err
	}
	var ev *casedb.Evidence
	for _, it := range items {
		if it.ID == id {
			ev = it
		}
	}
	if ev == nil {
		return &NoEvidenceError{dir, id}
	}
	ci, err := casedb.LoadCaseInfo(ctx, c)
	if err != nil {
		return err
	}
	if v, ok := values[casedb.MetaReceivedAt]; ok {
		loc, err := ci.Location()
		if err != nil {
			return err
		}
		if values[casedb.MetaReceivedAt], err = casedb.NormalizeReceived(v, loc); err != nil {
			return err
		}
	}
	changes := map[string]any{}
	vals := map[string]any{}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		old := fmt.Sprint(ev.Metadata[k])
		if ev.Metadata[k] == nil {
			old = ""
		}
		if old != values[k] {
			changes[k] = map[string]any{"old": old, "new": values[k]}
			vals[k] = values[k]
		}
	}
	if len(vals) == 0 {
		return nil
	}
	if err := c.UpdateEvidenceMetadata(ctx, id, vals); err != nil {
		return err
	}
	return e.AppendCustody(c.Dir, custody.ActionEvidenceUpdated, Actor(examiner, ci), map[string]any{
		"evidence": id, "source": casedb.DisplayString(ev.Source), "changes": changes,
	})
}

// BrokenChainError is returned when a custody log whose chain is broken
// would be appended to.
type BrokenChainError struct{ Err error }

func (e *BrokenChainError) Error() string { return e.Err.Error() }
func (e *BrokenChainError) Unwrap() error { return e.Err }

// AddCustodyEvent records a human event (a transfer, a note) in the custody
// log of the case, for examiner (see Actor). A log whose chain is broken is
// never appended to: that is a *BrokenChainError.
func (e *Env) AddCustodyEvent(ctx context.Context, c *casedb.Case, action, examiner string, details map[string]any) error {
	if _, _, err := custody.Verify(c.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return &BrokenChainError{err}
	}
	ci, err := casedb.LoadCaseInfo(ctx, c)
	if err != nil {
		return err
	}
	return e.AppendCustody(c.Dir, action, Actor(examiner, ci), details)
}

// CustodyView is the custody log of a case as checked, with the case header
// and its display time zone.
type CustodyView struct {
	Info     casedb.CaseInfo
	Location *time.Location // the display time zone; UTC when unset or unknown
	Events   []custody.Event
	Head     string
	Err      error // why the chain is broken, or the log missing; nil when intact
}

// ReadCustody reads and checks the custody log of the case.
func ReadCustody(ctx context.Context, c *casedb.Case) (*CustodyView, error) {
	ci, err := casedb.LoadCaseInfo(ctx, c)
	if err != nil {
		return nil, err
	}
	v := &CustodyView{Info: ci}
	if v.Location, err = ci.Location(); err != nil {
		v.Location = time.UTC
	}
	v.Events, v.Head, v.Err = custody.Verify(c.Dir)
	return v, nil
}
