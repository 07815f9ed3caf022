package casedb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
)

// Runs returns every run of the case in id order.
func (c *Case) Runs(ctx context.Context) ([]Run, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT id, evidence_id, started_at, finished_at, state, command_line,
	  tool_version, tool_commit, host, examiner, files, bytes, errors FROM runs ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var u Run
		var started, fin sql.NullString
		var cl string
		if err := rows.Scan(&u.ID, &u.EvidenceID, &started, &fin, &u.State, &cl, &u.ToolVersion, &u.ToolCommit,
			&u.Host, &u.Examiner, &u.Files, &u.Bytes, &u.Errors); err != nil {
			return nil, err
		}
		u.StartedAt, u.FinishedAt = parseTS(started), parseTS(fin)
		_ = json.Unmarshal([]byte(cl), &u.CommandLine)
		out = append(out, u)
	}
	return out, rows.Err()
}

// HasRuns reports whether any scan has been run in the case.
func (c *Case) HasRuns(ctx context.Context) (bool, error) {
	var n int
	err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM runs`).Scan(&n)
	return n > 0, err
}

// UsedHashSet is a hash set recorded by AddHashSetUse, with its run.
type UsedHashSet struct {
	RunID int64
	HashSetUse
}

// HashSetsUsed returns the hash sets used by every run, ordered by set name
// and run id.
func (c *Case) HashSetsUsed(ctx context.Context) ([]UsedHashSet, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT run_id, name, category, details FROM hashsets_used ORDER BY name, run_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []UsedHashSet
	for rows.Next() {
		var u UsedHashSet
		var det string
		if err := rows.Scan(&u.RunID, &u.Name, &u.Category, &det); err != nil {
			return nil, err
		}
		u.Details = map[string]any{}
		_ = json.Unmarshal([]byte(det), &u.Details)
		out = append(out, u)
	}
	return out, rows.Err()
}

// FileCounts are the counts of the records of a case.
type FileCounts struct {
	Records           int64 // every record
	Files             int64 // records of regular files
	Bytes             int64 // content bytes of regular files
	KnownBad          int64 // files by status
	Notable           int64
	KnownGood         int64
	Unknown           int64
	ExtensionMismatch int64 // records whose extension contradicts their content
	Deleted           int64
	Incomplete        int64 // records not read completely or with an error
}

// CountFiles returns the counts of every record of the case.
func (c *Case) CountFiles(ctx context.Context) (FileCounts, error) {
	return c.CountFilesExcept(ctx, nil)
}

// CountFilesExcept returns the counts of the records of the case that do
// not belong to the evidence items listed in skip (superseded by a rescan).
func (c *Case) CountFilesExcept(ctx context.Context, skip []int64) (FileCounts, error) {
	var s FileCounts
	where, args := "", []any{}
	if len(skip) > 0 {
		where = " WHERE evidence_id NOT IN (?" + strings.Repeat(",?", len(skip)-1) + ")"
		for _, id := range skip {
			args = append(args, id)
		}
	}
	err := c.db.QueryRowContext(ctx, `SELECT count(*),
	    coalesce(sum(type = 'file'), 0),
	    coalesce(sum(CASE WHEN type = 'file' THEN size ELSE 0 END), 0),
	    coalesce(sum(type = 'file' AND status = 'known-bad'), 0), coalesce(sum(type = 'file' AND status = 'notable'), 0),
	    coalesce(sum(type = 'file' AND status = 'known-good'), 0), coalesce(sum(type = 'file' AND status = 'unknown'), 0),
	    coalesce(sum(extension_mismatch), 0), coalesce(sum(deleted), 0),
	    coalesce(sum(complete = 0 OR error IS NOT NULL), 0)
	  FROM files`+where, args...).Scan(&s.Records, &s.Files, &s.Bytes, &s.KnownBad, &s.Notable, &s.KnownGood, &s.Unknown,
		&s.ExtensionMismatch, &s.Deleted, &s.Incomplete)
	return s, err
}

// CountErrors returns the number of errors recorded for an evidence item
// (0: all).
func (c *Case) CountErrors(ctx context.Context, evidenceID int64) (int64, error) {
	q, args := `SELECT count(*) FROM errors`, []any(nil)
	if evidenceID != 0 {
		q += ` WHERE evidence_id = ?`
		args = append(args, evidenceID)
	}
	var n int64
	err := c.db.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, err
}

// where returns the conditions of f on the files table and their arguments.
func (f *FileFilter) where() (string, []any) {
	q := ` WHERE 1=1`
	var args []any
	if f.EvidenceID != 0 {
		q += ` AND evidence_id = ?`
		args = append(args, f.EvidenceID)
	}
	if f.Path != "" {
		q += ` AND path_bytes = ?`
		args = append(args, []byte(f.Path))
	}
	if len(f.Status) > 0 {
		q += ` AND status IN (?` + strings.Repeat(",?", len(f.Status)-1) + `)`
		unknown := false
		for _, s := range f.Status {
			args = append(args, s)
			unknown = unknown || s == StatusUnknown
		}
		if !unknown {
			// Repeats the condition of the index files_status, so that
			// SQLite can use it: hits are few, unknown records many.
			q += ` AND status != '` + StatusUnknown + `'`
		}
	}
	if f.ExtensionMismatch {
		q += ` AND extension_mismatch != 0`
	}
	if f.Deleted {
		q += ` AND deleted != 0`
	}
	if f.Incomplete {
		q += ` AND (complete = 0 OR error IS NOT NULL)`
	}
	if f.HasError {
		q += ` AND error IS NOT NULL`
	}
	if len(f.ExceptEvidence) > 0 {
		q += ` AND evidence_id NOT IN (?` + strings.Repeat(",?", len(f.ExceptEvidence)-1) + `)`
		for _, id := range f.ExceptEvidence {
			args = append(args, id)
		}
	}
	return q, args
}

// CountMatching returns the number of records matching f (its Limit aside).
func (c *Case) CountMatching(ctx context.Context, f FileFilter) (int64, error) {
	w, args := f.where()
	var n int64
	if err := c.db.QueryRowContext(ctx, `SELECT count(*) FROM files`+w, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("failed to count records: %w", err)
	}
	return n, nil
}

// CountByVolume returns the number of records of evidence item id in each
// volume (by volume index); records outside any volume are not counted.
func (c *Case) CountByVolume(ctx context.Context, evidenceID int64) (map[int]int64, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT volume, count(*) FROM files WHERE evidence_id = ? AND volume IS NOT NULL GROUP BY volume`, evidenceID)
	if err != nil {
		return nil, fmt.Errorf("failed to count records by volume: %w", err)
	}
	defer rows.Close()
	m := map[int]int64{}
	for rows.Next() {
		var v int
		var n int64
		if err := rows.Scan(&v, &n); err != nil {
			return nil, err
		}
		m[v] = n
	}
	return m, rows.Err()
}
