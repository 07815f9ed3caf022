package casedb

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// AddRun records a run that changes records without scanning (a match of
// the records against hash sets): unlike StartRun it leaves the evidence
// item's state alone. The run is recorded `running`; EndRun ends it.
func (c *Case) AddRun(ctx context.Context, r *Run) (int64, error) {
	res, err := c.db.ExecContext(ctx, `INSERT INTO runs (evidence_id, started_at, state, command_line, tool_version, tool_commit, host, examiner)
	  VALUES (?,?,?,?,?,?,?,?)`, r.EvidenceID, ts(r.StartedAt), StateRunning, mustJSON(r.CommandLine), r.ToolVersion,
		r.ToolCommit, r.Host, r.Examiner)
	if err != nil {
		return 0, fmt.Errorf("failed to record run: %w", err)
	}
	r.ID, err = res.LastInsertId()
	return r.ID, err
}

// EndRun records the end of a run added by AddRun: its state and the
// number of records it changed (files). It uses its own context so that
// an interrupted run is still recorded as such.
func (c *Case) EndRun(runID int64, state string, files int64, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := c.db.ExecContext(ctx, `UPDATE runs SET finished_at = ?, state = ?, files = ? WHERE id = ?`, ts(at), state, files, runID)
	return err
}

// MatchUpdate is the new match of one record: its status, the sets it
// matched and its extra (which holds the HashMatch).
type MatchUpdate struct {
	Key      string
	Status   string
	Hashsets []string
	Extra    map[string]any
}

// UpdateMatches records the new matches of records of an evidence item, all
// in one transaction: either every update is recorded or none is.
func (c *Case) UpdateMatches(ctx context.Context, evidenceID int64, ups []MatchUpdate) error {
	if len(ups) == 0 {
		return nil
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("failed to write case: %w", err)
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `UPDATE files SET status = ?, hashsets = ?, extra = ? WHERE evidence_id = ? AND key = ?`)
	if err != nil {
		return fmt.Errorf("failed to write case: %w", err)
	}
	defer st.Close()
	for _, u := range ups {
		sets := "[]"
		if len(u.Hashsets) > 0 {
			sets = mustJSON(u.Hashsets)
		}
		var extra any
		if len(u.Extra) > 0 {
			extra = extraJSON(u.Extra)
		}
		res, err := st.ExecContext(ctx, u.Status, sets, extra, evidenceID, []byte(u.Key))
		if err != nil {
			return fmt.Errorf("failed to update the record %q of evidence item %d: %w", DisplayString(u.Key), evidenceID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("failed to update the record %q of evidence item %d: %w", DisplayString(u.Key), evidenceID, errors.New("no such record"))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to write case: %w", err)
	}
	return nil
}
