package casedb

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Writer adds the records of one run in batched transactions. A batch is
// committed every BatchSize records or when Commit is called, so a crash or
// interrupt loses at most the uncommitted batch and leaves the case
// consistent. A Writer is not safe for concurrent use: one goroutine writes.
type Writer struct {
	c          *Case
	evidenceID int64
	runID      int64
	tx         *sql.Tx
	fileStmt   *sql.Stmt // one row
	multiStmt  *sql.Stmt // multiRows rows
	errStmt    *sql.Stmt
	// args of file rows not yet inserted: rows go to SQLite multiRows at a
	// time, which costs far less per row than one statement each.
	args      []any
	rows      int
	pending   int
	BatchSize int
	// seal, when not nil, is the records' seal of the rows inserted;
	// sealLost is set when rows were discarded (Abort).
	seal     *RecordsSeal
	sealLost bool
}

// SealRecords makes the writer compute the records' part of the seal of
// its evidence item from the rows it inserts (RecordsSeal), to be called
// before the first AddFile, when the item holds no records yet.
func (w *Writer) SealRecords() {
	if w.seal == nil && w.rows == 0 && w.pending == 0 && !w.sealLost {
		w.seal = newRecordsSeal()
	}
}

// RecordsSeal returns the records' seal of every row the writer inserted
// since SealRecords (see Case.SealEvidenceWith), nil when it was not
// asked for or rows were discarded. Call it after the last Commit.
func (w *Writer) RecordsSeal() *RecordsSeal {
	if w.sealLost {
		return nil
	}
	return w.seal
}

// multiRows is the number of file rows per INSERT statement.
const multiRows = 32

// NewWriter returns a writer for the records of a run.
func (c *Case) NewWriter(evidenceID, runID int64) *Writer {
	return &Writer{c: c, evidenceID: evidenceID, runID: runID, BatchSize: 2000}
}

const insertFile = `INSERT INTO files (evidence_id, run_id, key, path, path_bytes, stream, type, link_target, size,
  md5, sha1, sha256, blake3, mime, extension, extension_mismatch, entropy, deleted, inode, volume,
  mtime, atime, ctime, btime, status, hashsets, complete, error, extra)
  VALUES `

const fileRow = `(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

const fileCols29 = 29

var insertFileMulti = insertFile + strings.TrimSuffix(strings.Repeat(fileRow+",", multiRows), ",")

const insertError = `INSERT INTO errors (evidence_id, run_id, path, path_bytes, offset, message, at) VALUES (?,?,?,?,?,?,?)`

func (w *Writer) begin() error {
	if w.tx != nil {
		return nil
	}
	// Records are written with a background context: cancelling a scan
	// must not abort the batch that is being committed.
	tx, err := w.c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("failed to write case: %w", err)
	}
	fs, err := tx.Prepare(insertFile + fileRow)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("failed to write case: %w", err)
	}
	ms, err := tx.Prepare(insertFileMulti)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("failed to write case: %w", err)
	}
	es, err := tx.Prepare(insertError)
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("failed to write case: %w", err)
	}
	w.tx, w.fileStmt, w.multiStmt, w.errStmt = tx, fs, ms, es
	return nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// AddFile adds a file record.
func (w *Writer) AddFile(r *FileRecord) error {
	if err := w.begin(); err != nil {
		return err
	}
	var entropy, inode, volume, link, extra any
	if r.Entropy != nil {
		entropy = *r.Entropy
	}
	if r.Inode != nil {
		inode = int64(*r.Inode)
	}
	if r.Volume != nil {
		volume = *r.Volume
	}
	if r.LinkTarget != "" {
		link = []byte(r.LinkTarget)
	}
	if len(r.Extra) > 0 {
		extra = extraJSON(r.Extra)
	}
	status := r.Status
	if status == "" {
		status = StatusUnknown
	}
	sets := "[]"
	if len(r.Hashsets) > 0 {
		sets = mustJSON(r.Hashsets)
	}
	w.args = append(w.args, w.evidenceID, w.runID, []byte(r.Key), r.DisplayPath(), []byte(r.Path), r.Stream, r.Type, link,
		r.Size, nullStr(r.MD5), nullStr(r.SHA1), nullStr(r.SHA256), nullStr(r.BLAKE3), nullStr(r.MIME), r.Extension,
		b2i(r.ExtensionMismatch), entropy, b2i(r.Deleted), inode, volume,
		nullStr(FormatTime(r.Mtime)), nullStr(FormatTime(r.Atime)), nullStr(FormatTime(r.Ctime)), nullStr(FormatTime(r.Btime)),
		status, sets, b2i(r.Complete), nullStr(r.Error), extra)
	if rs := w.seal; rs != nil {
		var err error
		if rs.line, err = appendSealLine(rs.line[:0], r.Key, r.Path, r.Stream, r.Type, r.Size, r.MD5, r.SHA1,
			r.SHA256, r.BLAKE3, status, sets, r.Deleted, r.Complete, r.ExtensionMismatch, r.Error); err != nil {
			w.seal, w.sealLost = nil, true
		} else {
			rs.h.Write(rs.line)
			rs.records++
			rs.statuses[status]++
			if r.Type == TypeFile {
				rs.bytes += r.Size
			}
		}
	}
	w.rows++
	if w.rows == multiRows {
		if err := w.flushRows(); err != nil {
			return err
		}
	}
	return w.tick()
}

// flushRows inserts the buffered file rows.
func (w *Writer) flushRows() error {
	var err error
	if w.rows == multiRows {
		_, err = w.multiStmt.Exec(w.args...)
	} else {
		for i := 0; i < w.rows && err == nil; i++ {
			_, err = w.fileStmt.Exec(w.args[i*fileCols29 : (i+1)*fileCols29]...)
		}
	}
	if err != nil {
		// The row at fault is one of the batch: name the batch's first.
		err = fmt.Errorf("failed to write record %q (or one of the %d after it) to case: %w", w.args[3], w.rows-1, err)
	}
	clear(w.args)
	w.args, w.rows = w.args[:0], 0
	return err
}

// AddError records a problem that is not tied to one file record (an
// unreadable directory, a corrupt partition table), or that is, alongside
// the record's own error field. offset < 0 means no offset applies.
func (w *Writer) AddError(path string, offset int64, msg string, at time.Time) error {
	if err := w.begin(); err != nil {
		return err
	}
	var off any
	if offset >= 0 {
		off = offset
	}
	_, err := w.errStmt.Exec(w.evidenceID, w.runID, DisplayString(path), []byte(path), off, msg, ts(at))
	if err != nil {
		return fmt.Errorf("failed to write error to case: %w", err)
	}
	return w.tick()
}

func (w *Writer) tick() error {
	w.pending++
	if w.pending >= w.BatchSize {
		return w.Commit()
	}
	return nil
}

// Pending returns the number of records not yet committed.
func (w *Writer) Pending() int { return w.pending }

// Commit commits the records written so far.
func (w *Writer) Commit() error {
	if w.tx == nil {
		return nil
	}
	if err := w.flushRows(); err != nil {
		w.Abort()
		return err
	}
	tx := w.tx
	w.tx, w.pending = nil, 0
	if err := tx.Commit(); err != nil {
		tx.Rollback()
		if w.seal != nil {
			w.seal, w.sealLost = nil, true
		}
		return fmt.Errorf("failed to commit records to case: %w", err)
	}
	return nil
}

// Abort discards the uncommitted records.
func (w *Writer) Abort() {
	if w.seal != nil && (w.rows > 0 || w.pending > 0) {
		w.seal, w.sealLost = nil, true
	}
	clear(w.args)
	w.args, w.rows = w.args[:0], 0
	if w.tx != nil {
		w.tx.Rollback()
		w.tx, w.pending = nil, 0
	}
}

// FileFilter selects records for Files and CountMatching. The zero value
// selects every record; each set field narrows the selection.
type FileFilter struct {
	EvidenceID        int64    // 0: all items
	Path              string   // only records with this path (raw bytes, as recorded)
	Status            []string // only records with one of these statuses
	ExtensionMismatch bool     // only records whose extension contradicts their content
	Deleted           bool     // only deleted entries
	Incomplete        bool     // only records not read completely or with an error
	HasError          bool     // only records with an error
	Limit             int      // at most this many records (Files only); 0: no limit
	ExceptEvidence    []int64  // leave out the records of these items (superseded by a rescan)
}

const fileCols = `evidence_id, key, path_bytes, stream, type, link_target, size, md5, sha1, sha256, blake3, mime, extension,
  extension_mismatch, entropy, deleted, inode, volume, mtime, atime, ctime, btime, status, hashsets, complete, error, extra`

// Files calls fn for each file record matching f, in evidence and walk order.
func (c *Case) Files(ctx context.Context, f FileFilter, fn func(*FileRecord) error) error {
	w, args := f.where()
	q := `SELECT ` + fileCols + ` FROM files` + w + ` ORDER BY evidence_id, id`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r FileRecord
		var key, path, link []byte
		var md5, sha1, sha256, blake3, mime, mt, at, ct, bt, errS, extra sql.NullString
		var entropy sql.NullFloat64
		var inode, volume sql.NullInt64
		var mism, del, comp int
		var sets string
		if err := rows.Scan(&r.Evidence, &key, &path, &r.Stream, &r.Type, &link, &r.Size, &md5, &sha1, &sha256, &blake3,
			&mime, &r.Extension, &mism, &entropy, &del, &inode, &volume, &mt, &at, &ct, &bt, &r.Status, &sets, &comp,
			&errS, &extra); err != nil {
			return err
		}
		r.Key, r.Path, r.LinkTarget = string(key), string(path), string(link)
		r.MD5, r.SHA1, r.SHA256, r.BLAKE3, r.MIME = md5.String, sha1.String, sha256.String, blake3.String, mime.String
		r.ExtensionMismatch, r.Deleted, r.Complete = mism != 0, del != 0, comp != 0
		if entropy.Valid {
			e := entropy.Float64
			r.Entropy = &e
		}
		if inode.Valid {
			i := uint64(inode.Int64)
			r.Inode = &i
		}
		if volume.Valid {
			v := int(volume.Int64)
			r.Volume = &v
		}
		r.Mtime, r.Atime, r.Ctime, r.Btime = parseTS(mt), parseTS(at), parseTS(ct), parseTS(bt)
		_ = json.Unmarshal([]byte(sets), &r.Hashsets)
		r.Error = errS.String
		if extra.Valid {
			_ = json.Unmarshal([]byte(extra.String), &r.Extra)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// ErrorRecord is a problem recorded during a run.
type ErrorRecord struct {
	EvidenceID int64
	RunID      int64
	Path       string
	Offset     *int64
	Message    string
	At         time.Time
}

// Errors returns the recorded errors of an evidence item (0: all) in order.
func (c *Case) Errors(ctx context.Context, evidenceID int64) ([]ErrorRecord, error) {
	return c.FirstErrors(ctx, evidenceID, 0)
}

// FirstErrors returns the first n recorded errors of an evidence item (0:
// all) in order; n <= 0 returns them all.
func (c *Case) FirstErrors(ctx context.Context, evidenceID int64, n int) ([]ErrorRecord, error) {
	q := `SELECT evidence_id, run_id, path_bytes, offset, message, at FROM errors`
	var args []any
	if evidenceID != 0 {
		q += ` WHERE evidence_id = ?`
		args = append(args, evidenceID)
	}
	q += ` ORDER BY id`
	if n > 0 {
		q += ` LIMIT ?`
		args = append(args, n)
	}
	rows, err := c.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ErrorRecord
	for rows.Next() {
		var e ErrorRecord
		var p []byte
		var off sql.NullInt64
		var at sql.NullString
		if err := rows.Scan(&e.EvidenceID, &e.RunID, &p, &off, &e.Message, &at); err != nil {
			return nil, err
		}
		e.Path = string(p)
		if off.Valid {
			o := off.Int64
			e.Offset = &o
		}
		e.At = parseTS(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
