// Package casedb stores a triage case: one directory holding case.db, an
// SQLite database (WAL mode) with the evidence items, every file record, every
// error and the runs that produced them.
//
// The layout is documented in docs/case-format.md and versioned by
// SchemaVersion, kept both in the meta table and in SQLite's user_version.
// The case header ([CaseInfo]) and the exhibit details of each evidence item
// are kept here too.
//
// The database is not handed out: readers such as reports use the typed
// reads ([Case.EvidenceItems], [Case.Runs], [Case.HashSetsUsed],
// [Case.CountFiles], [Case.Files] with a [FileFilter], [Case.Errors]).
package casedb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// SchemaVersion is the version of the case database layout this package
// writes and reads.
const SchemaVersion = 1

// applicationID marks case.db as a triage case ("TRIA").
const applicationID = 0x54524941

// DBName is the file name of the database inside a case directory.
const DBName = "case.db"

var (
	// ErrNotCase is returned when a directory is not a triage case.
	ErrNotCase = errors.New("not a triage case")
	// ErrSchema is returned for a case written by an incompatible version.
	ErrSchema = errors.New("unsupported case schema version")
)

// Case is an open case directory. Its methods are safe for concurrent use;
// writes from one process are serialised by SQLite.
type Case struct {
	Dir  string
	db   *sql.DB
	lock *caseLock // the writer lock, when opened for writing
	ro   bool      // opened immutable from read-only storage
}

// ReadOnly tells whether the case was opened immutable from read-only
// storage (OpenReadOnly): nothing can be recorded in it.
func (c *Case) ReadOnly() bool { return c.ro }

// Close closes the database and releases the writer lock.
func (c *Case) Close() error {
	err := c.db.Close()
	c.lock.release()
	return err
}

// Path returns the path of a file inside the case directory.
func (c *Case) Path(name string) string { return filepath.Join(c.Dir, name) }

// Exists reports whether dir holds a case database.
func Exists(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, DBName))
	return err == nil
}

// Open opens an existing case.
func Open(dir string) (*Case, error) {
	if !Exists(dir) {
		if _, err := os.Stat(dir); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, caseErrorf(ErrNotCase, "%s is not a triage case (no such folder)", dir)
			}
			return nil, caseErrorf(ErrNotCase, "%s is not a triage case: %v", dir, err)
		}
		return nil, caseErrorf(ErrNotCase, "%s is not a triage case (no %s)", dir, DBName)
	}
	c, err := open(dir)
	if err != nil {
		return nil, err
	}
	if err := c.checkSchema(); err != nil {
		c.db.Close()
		return nil, err
	}
	return c, nil
}

// OpenReadOnly opens an existing case to read it. A case on storage this
// process may write to opens as Open does; one on read-only media (a
// write-blocked disk, a read-only mount) opens immutable, without the
// write-ahead log, so verify, report and custody show work there. A
// read-only case that holds uncommitted changes in its write-ahead log (a
// crash) is refused: reading it without them would be wrong.
func OpenReadOnly(dir string) (*Case, error) {
	if !Exists(dir) || writable(dir) {
		return Open(dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(filepath.Join(abs, DBName+"-wal")); err == nil && fi.Size() > 0 {
		return nil, fmt.Errorf("the case %s is on read-only storage and its %s-wal holds changes not yet in %s (a scan ended by a crash): copy the case folder to writable storage to read it", abs, DBName, DBName)
	}
	dsn := "file:" + filepath.ToSlash(filepath.Join(abs, DBName)) + "?mode=ro&immutable=1&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("failed to open case database: %w", err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to open case database %s: %w", filepath.Join(abs, DBName), err)
	}
	c := &Case{Dir: abs, db: db, ro: true}
	if err := c.checkSchema(); err != nil {
		c.db.Close()
		return nil, err
	}
	return c, nil
}

// OpenWriter opens an existing case for writing: it takes the writer lock
// of the case (an *InUseError naming the process that holds it otherwise),
// held until Close, and marks the runs a crashed process left `running` as
// `interrupted`.
func OpenWriter(dir string) (*Case, error) {
	if !Exists(dir) {
		return Open(dir) // the error
	}
	l, err := lockCase(dir)
	if err != nil {
		return nil, err
	}
	c, err := Open(dir)
	if err != nil {
		l.release()
		return nil, err
	}
	c.lock = l
	if err := c.endCrashedRuns(); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// endCrashedRuns marks the runs and evidence items still `running` as
// `interrupted`: with the writer lock held, no process is running them.
func (c *Case) endCrashedRuns() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET state = ? WHERE state = ?`, StateInterrupted, StateRunning); err != nil {
		return fmt.Errorf("failed to end crashed runs: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE evidence SET state = ? WHERE state = ?`, StateInterrupted, StateRunning); err != nil {
		return fmt.Errorf("failed to end crashed runs: %w", err)
	}
	return tx.Commit()
}

// OpenOrCreate opens the case in dir for writing (see OpenWriter), creating
// it when dir does not exist or is empty. A non-empty directory without a
// case database is refused, so a mistyped --case never scatters a case into
// an unrelated folder (or into the evidence).
func OpenOrCreate(dir string) (c *Case, created bool, err error) {
	if Exists(dir) {
		c, err := OpenWriter(dir)
		return c, false, err
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, false, fmt.Errorf("failed to create case directory: %w", err)
		}
	case err != nil:
		return nil, false, caseErrorf(ErrNotCase, "%s is not a triage case: %v", dir, err)
	default:
		for _, e := range ents {
			if e.Name() != "custody.jsonl" && e.Name() != "case.json" && e.Name() != LockName {
				return nil, false, caseErrorf(ErrNotCase, "%s is not a triage case (no %s) and is not empty", dir, DBName)
			}
		}
	}
	l, err := lockCase(dir)
	if err != nil {
		return nil, false, err
	}
	if Exists(dir) { // created by the process that held the lock
		l.release()
		c, err := OpenWriter(dir)
		return c, false, err
	}
	c, err = open(dir)
	if err != nil {
		l.release()
		return nil, false, err
	}
	if err := c.create(); err != nil {
		c.db.Close()
		os.Remove(filepath.Join(dir, DBName))
		l.release()
		return nil, false, err
	}
	c.lock = l
	return c, true, nil
}

func open(dir string) (*Case, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	dsn := "file:" + filepath.ToSlash(filepath.Join(abs, DBName)) +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=cache_size(-32768)&_pragma=foreign_keys(ON)" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walCheckpointPages)
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("failed to open case database: %w", err)
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to open case database %s: %w", filepath.Join(abs, DBName), err)
	}
	return &Case{Dir: abs, db: db}, nil
}

// walCheckpointPages is the size of the write-ahead log, in pages, past
// which a commit copies it into case.db (SQLite's wal_autocheckpoint; its
// default is 1,000). A checkpoint reads back from the log the last version
// of every page the log holds: the pages a scan changes again and again
// (the index of the record keys, the table's last pages and its inner
// pages) are read once per checkpoint. With a 64 MiB log, a scan of
// 100,000 files reads 67 MB of the log where the default read 88 MB, for a
// case.db of 64 MB (a checkpoint reads every page at least once); the log
// holds at most that much more on disk while the case is open.
const walCheckpointPages = 16384

func (c *Case) checkSchema() error {
	var appID, ver int
	if err := c.db.QueryRow(`PRAGMA application_id`).Scan(&appID); err != nil {
		return caseErrorf(ErrNotCase, "%s is not a triage case: %v", c.Path(DBName), err)
	}
	if appID != applicationID {
		return caseErrorf(ErrNotCase, "%s is not a triage case: an SQLite database of another application", c.Path(DBName))
	}
	if err := c.db.QueryRow(`PRAGMA user_version`).Scan(&ver); err != nil {
		return err
	}
	if ver != SchemaVersion {
		return caseErrorf(ErrSchema, "case %s has schema version %d; this triage reads version %d", c.Dir, ver, SchemaVersion)
	}
	return nil
}

// caseError is an error whose message stands alone (it names the case
// directory) and that matches the sentinel it wraps with errors.Is.
type caseError struct {
	msg string
	err error
}

func (e *caseError) Error() string { return e.msg }
func (e *caseError) Unwrap() error { return e.err }

func caseErrorf(sentinel error, format string, a ...any) error {
	return &caseError{msg: fmt.Sprintf(format, a...), err: sentinel}
}

const schema = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE evidence (
  id              INTEGER PRIMARY KEY,
  source          TEXT NOT NULL,
  source_bytes    BLOB NOT NULL,
  type            TEXT NOT NULL,
  size            INTEGER,
  state           TEXT NOT NULL,
  started_at      TEXT NOT NULL,
  finished_at     TEXT,
  tool_version    TEXT NOT NULL,
  tool_commit     TEXT NOT NULL,
  tool_sha256     TEXT NOT NULL DEFAULT '',
  go_version      TEXT NOT NULL,
  platform        TEXT NOT NULL,
  command_line    TEXT NOT NULL,
  host            TEXT NOT NULL,
  examiner        TEXT NOT NULL DEFAULT '',
  hash_algorithms TEXT NOT NULL,
  files           INTEGER NOT NULL DEFAULT 0,
  bytes           INTEGER NOT NULL DEFAULT 0,
  errors          INTEGER NOT NULL DEFAULT 0,
  metadata        TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE runs (
  id           INTEGER PRIMARY KEY,
  evidence_id  INTEGER NOT NULL REFERENCES evidence(id),
  started_at   TEXT NOT NULL,
  finished_at  TEXT,
  state        TEXT NOT NULL,
  command_line TEXT NOT NULL,
  tool_version TEXT NOT NULL,
  tool_commit  TEXT NOT NULL,
  host         TEXT NOT NULL,
  examiner     TEXT NOT NULL DEFAULT '',
  files        INTEGER NOT NULL DEFAULT 0,
  bytes        INTEGER NOT NULL DEFAULT 0,
  errors       INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE files (
  id                 INTEGER PRIMARY KEY,
  evidence_id        INTEGER NOT NULL REFERENCES evidence(id),
  run_id             INTEGER NOT NULL REFERENCES runs(id),
  key                BLOB NOT NULL,
  path               TEXT NOT NULL,
  path_bytes         BLOB NOT NULL,
  stream             TEXT NOT NULL DEFAULT '',
  type               TEXT NOT NULL,
  link_target        BLOB,
  size               INTEGER NOT NULL,
  md5                TEXT,
  sha1               TEXT,
  sha256             TEXT,
  blake3             TEXT,
  mime               TEXT,
  extension          TEXT NOT NULL DEFAULT '',
  extension_mismatch INTEGER NOT NULL DEFAULT 0,
  entropy            REAL,
  deleted            INTEGER NOT NULL DEFAULT 0,
  inode              INTEGER,
  volume             INTEGER,
  mtime              TEXT,
  atime              TEXT,
  ctime              TEXT,
  btime              TEXT,
  status             TEXT NOT NULL DEFAULT 'unknown',
  hashsets           TEXT NOT NULL DEFAULT '[]',
  complete           INTEGER NOT NULL,
  error              TEXT,
  extra              TEXT
);
CREATE UNIQUE INDEX files_key ON files(evidence_id, key);
CREATE INDEX files_status ON files(status) WHERE status != 'unknown';
CREATE TABLE errors (
  id          INTEGER PRIMARY KEY,
  evidence_id INTEGER NOT NULL REFERENCES evidence(id),
  run_id      INTEGER NOT NULL REFERENCES runs(id),
  path        TEXT NOT NULL DEFAULT '',
  path_bytes  BLOB,
  offset      INTEGER,
  message     TEXT NOT NULL,
  at          TEXT NOT NULL
);
CREATE TABLE volumes (
  evidence_id INTEGER NOT NULL REFERENCES evidence(id),
  idx         INTEGER NOT NULL,
  offset      INTEGER NOT NULL,
  length      INTEGER NOT NULL,
  type        TEXT NOT NULL DEFAULT '',
  label       TEXT NOT NULL DEFAULT '',
  fs          TEXT NOT NULL DEFAULT '',
  details     TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (evidence_id, idx)
);
CREATE TABLE hashsets_used (
  run_id       INTEGER NOT NULL REFERENCES runs(id),
  name         TEXT NOT NULL,
  category     TEXT NOT NULL,
  details      TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, name)
);
`

func (c *Case) create() error {
	tx, err := c.db.Begin()
	if err != nil {
		return fmt.Errorf("failed to create case: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec(schema); err != nil {
		return fmt.Errorf("failed to create case schema: %w", err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for k, v := range map[string]string{
		"schema_version": fmt.Sprint(SchemaVersion),
		"created_at":     now,
	} {
		if _, err := tx.Exec(`INSERT INTO meta(key, value) VALUES (?, ?)`, k, v); err != nil {
			return err
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA application_id = %d; PRAGMA user_version = %d`, applicationID, SchemaVersion)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("failed to create case: %w", err)
	}
	return nil
}

// Meta returns a value of the meta table, "" when absent.
func (c *Case) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := c.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta sets a value of the meta table.
func (c *Case) SetMeta(ctx context.Context, key, value string) error {
	_, err := c.db.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

// Evidence states.
const (
	StateRunning     = "running"
	StateComplete    = "complete"
	StatePartial     = "partial" // finished, but some items were unreadable
	StateInterrupted = "interrupted"
	StateFailed      = "failed"
	// StateMediaHashPending: the files were scanned but the hash of the
	// whole media did not finish; the next run of the same scan does it
	// (the state the file scan ended in is in the metadata, ScanStateKey).
	StateMediaHashPending = "media hash pending"
)

// ScanStateKey is the evidence metadata key holding the state the file
// scan ended in while the media hash is pending.
const ScanStateKey = "scan_state"

// Evidence is one evidence item of a case.
type Evidence struct {
	ID             int64
	Source         string // as given, made absolute; raw bytes
	Type           string // folder, file, raw, split-raw, e01, ...
	Size           int64  // bytes of the evidence (media size for images, total file bytes for folders)
	State          string
	StartedAt      time.Time
	FinishedAt     time.Time
	ToolVersion    string
	ToolCommit     string
	ToolSHA256     string
	GoVersion      string
	Platform       string
	CommandLine    []string
	Host           string
	Examiner       string
	HashAlgorithms []string
	Files, Bytes   int64
	Errors         int64
	// Metadata holds item-level facts: acquisition metadata, media
	// hashes and verification results, exhibit details.
	Metadata map[string]any
}

// Run is one invocation that worked on an evidence item. StartRun reads
// the fields up to Examiner; Runs fills them all.
type Run struct {
	ID          int64
	EvidenceID  int64
	StartedAt   time.Time
	CommandLine []string
	ToolVersion string
	ToolCommit  string
	Host        string
	Examiner    string
	// Recorded when the run finishes.
	FinishedAt time.Time
	State      string
	Files      int64
	Bytes      int64
	Errors     int64
}

func ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTS(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s.String)
	return t
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// AddEvidence records a new evidence item and returns its id.
func (c *Case) AddEvidence(ctx context.Context, e *Evidence) (int64, error) {
	if e.Metadata == nil {
		e.Metadata = map[string]any{}
	}
	res, err := c.db.ExecContext(ctx, `INSERT INTO evidence
	  (source, source_bytes, type, size, state, started_at, tool_version, tool_commit, tool_sha256, go_version, platform,
	   command_line, host, examiner, hash_algorithms, metadata)
	  VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		DisplayString(e.Source), []byte(e.Source), e.Type, e.Size, e.State, ts(e.StartedAt), e.ToolVersion, e.ToolCommit,
		e.ToolSHA256, e.GoVersion, e.Platform, mustJSON(e.CommandLine), e.Host, e.Examiner,
		strings.Join(e.HashAlgorithms, ","), mustJSON(e.Metadata))
	if err != nil {
		return 0, fmt.Errorf("failed to record evidence item: %w", err)
	}
	id, err := res.LastInsertId()
	e.ID = id
	return id, err
}

const evidenceCols = `id, source_bytes, type, size, state, started_at, finished_at, tool_version, tool_commit, tool_sha256,
  go_version, platform, command_line, host, examiner, hash_algorithms, files, bytes, errors, metadata`

func scanEvidence(row interface{ Scan(...any) error }) (*Evidence, error) {
	var e Evidence
	var src []byte
	var size sql.NullInt64
	var started, finished sql.NullString
	var cmdline, algos, meta string
	if err := row.Scan(&e.ID, &src, &e.Type, &size, &e.State, &started, &finished, &e.ToolVersion, &e.ToolCommit,
		&e.ToolSHA256, &e.GoVersion, &e.Platform, &cmdline, &e.Host, &e.Examiner, &algos, &e.Files, &e.Bytes,
		&e.Errors, &meta); err != nil {
		return nil, err
	}
	e.Source = string(src)
	e.Size = size.Int64
	e.StartedAt = parseTS(started)
	e.FinishedAt = parseTS(finished)
	_ = json.Unmarshal([]byte(cmdline), &e.CommandLine)
	if algos != "" {
		e.HashAlgorithms = strings.Split(algos, ",")
	}
	e.Metadata = map[string]any{}
	_ = json.Unmarshal([]byte(meta), &e.Metadata)
	return &e, nil
}

// EvidenceItems returns every evidence item in id order.
func (c *Case) EvidenceItems(ctx context.Context) ([]*Evidence, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT `+evidenceCols+` FROM evidence ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// FindEvidence returns the most recent evidence item with the given source,
// or nil when there is none.
func (c *Case) FindEvidence(ctx context.Context, source string) (*Evidence, error) {
	row := c.db.QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM evidence WHERE source_bytes = ? ORDER BY id DESC LIMIT 1`, []byte(source))
	e, err := scanEvidence(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return e, err
}

// UpdateEvidenceMetadata merges values into an evidence item's metadata.
func (c *Case) UpdateEvidenceMetadata(ctx context.Context, id int64, values map[string]any) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var meta string
	if err := tx.QueryRowContext(ctx, `SELECT metadata FROM evidence WHERE id = ?`, id).Scan(&meta); err != nil {
		return fmt.Errorf("evidence item %d: %w", id, err)
	}
	m := map[string]any{}
	_ = json.Unmarshal([]byte(meta), &m)
	for k, v := range values {
		m[k] = v
	}
	if _, err := tx.ExecContext(ctx, `UPDATE evidence SET metadata = ? WHERE id = ?`, mustJSON(m), id); err != nil {
		return err
	}
	return tx.Commit()
}

// SetEvidenceSize records the size of an evidence item.
func (c *Case) SetEvidenceSize(ctx context.Context, id, size int64) error {
	_, err := c.db.ExecContext(ctx, `UPDATE evidence SET size = ? WHERE id = ?`, size, id)
	return err
}

// StartRun records the start of a run on an evidence item.
func (c *Case) StartRun(ctx context.Context, r *Run) (int64, error) {
	res, err := c.db.ExecContext(ctx, `INSERT INTO runs (evidence_id, started_at, state, command_line, tool_version, tool_commit, host, examiner)
	  VALUES (?,?,?,?,?,?,?,?)`, r.EvidenceID, ts(r.StartedAt), StateRunning, mustJSON(r.CommandLine), r.ToolVersion,
		r.ToolCommit, r.Host, r.Examiner)
	if err != nil {
		return 0, fmt.Errorf("failed to record run: %w", err)
	}
	r.ID, err = res.LastInsertId()
	if err == nil {
		_, err = c.db.ExecContext(ctx, `UPDATE evidence SET state = ?, finished_at = NULL WHERE id = ?`, StateRunning, r.EvidenceID)
	}
	return r.ID, err
}

// FinishRun records the end state of a run and refreshes the evidence
// item's totals from its records. It uses its own context so that an
// interrupted scan can still record that it was interrupted.
func (c *Case) FinishRun(runID, evidenceID int64, state string, files, bytes, errs int64, at time.Time) error {
	return c.FinishRunWith(runID, evidenceID, state, files, bytes, errs, at, nil)
}

// FinishRunWith is FinishRun taking the item's record count and content
// bytes from rs, a writer's seal of every record of the item
// (Writer.RecordsSeal), when the item holds as many records as rs, instead
// of reading every record back; a nil rs gives FinishRun.
func (c *Case) FinishRunWith(runID, evidenceID int64, state string, files, bytes, errs int64, at time.Time, rs *RecordsSeal) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE runs SET finished_at = ?, state = ?, files = ?, bytes = ?, errors = ? WHERE id = ?`,
		ts(at), state, files, bytes, errs, runID); err != nil {
		return err
	}
	// The totals come from what the case holds (earlier runs of a resumed
	// scan included), in one pass over the item's records; or from the
	// writer's seal of them all, when the count (from the index, without
	// reading the records) confirms it holds them all.
	if rs != nil {
		var n int64
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM files WHERE evidence_id = ?`, evidenceID).Scan(&n); err != nil {
			return err
		}
		if n != rs.records {
			rs = nil
		}
	}
	if rs != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE evidence SET finished_at = ?, state = ?, files = ?, bytes = ?,
	    errors = (SELECT count(*) FROM errors WHERE evidence_id = ?)
	  WHERE id = ?`, ts(at), state, rs.records, rs.bytes, evidenceID, evidenceID); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE evidence SET finished_at = ?, state = ?,
	    (files, bytes) = (SELECT count(*), coalesce(sum(CASE WHEN type = 'file' THEN size END), 0) FROM files WHERE evidence_id = ?),
	    errors = (SELECT count(*) FROM errors WHERE evidence_id = ?)
	  WHERE id = ?`, ts(at), state, evidenceID, evidenceID, evidenceID); err != nil {
		return err
	}
	// A folder's size is only known once walked: the bytes of its files.
	if _, err := tx.ExecContext(ctx, `UPDATE evidence SET size = bytes WHERE id = ? AND (size IS NULL OR size < 0)`, evidenceID); err != nil {
		return err
	}
	return tx.Commit()
}

// HasKey reports whether the evidence item already holds a record with key.
func (c *Case) HasKey(ctx context.Context, evidenceID int64, key string) (bool, error) {
	var one int
	err := c.db.QueryRowContext(ctx, `SELECT 1 FROM files WHERE evidence_id = ? AND key = ?`, evidenceID, []byte(key)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// Volume is one volume (partition, or the whole image when it has no
// partition table) of an image evidence item.
type Volume struct {
	Index   int
	Offset  int64
	Length  int64
	Type    string // partition type name or GUID
	Label   string
	FS      string // file system found, "" when none was recognised
	Details map[string]any
}

// AddVolume records a volume of an evidence item, replacing one with the same index.
func (c *Case) AddVolume(ctx context.Context, evidenceID int64, v Volume) error {
	if v.Details == nil {
		v.Details = map[string]any{}
	}
	_, err := c.db.ExecContext(ctx, `INSERT OR REPLACE INTO volumes (evidence_id, idx, offset, length, type, label, fs, details)
	  VALUES (?,?,?,?,?,?,?,?)`, evidenceID, v.Index, v.Offset, v.Length, v.Type, v.Label, v.FS, mustJSON(v.Details))
	return err
}

// Volumes returns the volumes of an evidence item in index order.
func (c *Case) Volumes(ctx context.Context, evidenceID int64) ([]Volume, error) {
	rows, err := c.db.QueryContext(ctx, `SELECT idx, offset, length, type, label, fs, details FROM volumes WHERE evidence_id = ? ORDER BY idx`, evidenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Volume
	for rows.Next() {
		var v Volume
		var d string
		if err := rows.Scan(&v.Index, &v.Offset, &v.Length, &v.Type, &v.Label, &v.FS, &d); err != nil {
			return nil, err
		}
		v.Details = map[string]any{}
		_ = json.Unmarshal([]byte(d), &v.Details)
		out = append(out, v)
	}
	return out, rows.Err()
}

// HashSetUse records that a run matched files against a hash set.
type HashSetUse struct {
	Name     string
	Category string
	// Details: description, source files with SHA-256, record counts per
	// algorithm, index SHA-256, built-in flag, import time.
	Details map[string]any
}

// AddHashSetUse records a hash set used by a run.
func (c *Case) AddHashSetUse(ctx context.Context, runID int64, h HashSetUse) error {
	_, err := c.db.ExecContext(ctx, `INSERT OR REPLACE INTO hashsets_used (run_id, name, category, details) VALUES (?,?,?,?)`,
		runID, h.Name, h.Category, mustJSON(h.Details))
	return err
}
