package casedb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Meta keys of the custody head anchor: a second copy of the custody log's
// head, written at every event, so that a log whose tail was cut can be
// told from one that never went further.
const (
	MetaCustodyHeadSeq = "custody_head_seq"
	MetaCustodyHead    = "custody_head"
)

// SetCustodyHead records the custody log's head (the sequence number of
// its last event and that line's hash).
func (c *Case) SetCustodyHead(ctx context.Context, seq int64, head string) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for k, v := range map[string]string{MetaCustodyHeadSeq: strconv.FormatInt(seq, 10), MetaCustodyHead: head} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, k, v); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// CustodyHead returns the custody head recorded by SetCustodyHead; ok is
// false when none is recorded (a case made before anchoring).
func (c *Case) CustodyHead(ctx context.Context) (seq int64, head string, ok bool, err error) {
	s, err := c.Meta(ctx, MetaCustodyHeadSeq)
	if err != nil || s == "" {
		return 0, "", false, err
	}
	if seq, err = strconv.ParseInt(s, 10, 64); err != nil {
		return 0, "", false, fmt.Errorf("case database: bad %s %q", MetaCustodyHeadSeq, s)
	}
	head, err = c.Meta(ctx, MetaCustodyHead)
	return seq, head, err == nil, err
}

// SetEvidenceState sets the state of an evidence item.
func (c *Case) SetEvidenceState(ctx context.Context, id int64, state string) error {
	_, err := c.db.ExecContext(ctx, `UPDATE evidence SET state = ? WHERE id = ?`, state, id)
	return err
}

// Seal summarises the file records and errors of one evidence item: their
// counts, the count of records by status, and the SHA-256 of a canonical
// encoding of each (see RecordsSHA256). A custody event carries it, so that
// a later change to the database is caught.
type Seal struct {
	Records       int64            `json:"records"`
	Errors        int64            `json:"errors"`
	Statuses      map[string]int64 `json:"statuses"`
	RecordsSHA256 string           `json:"records_sha256"`
	ErrorsSHA256  string           `json:"errors_sha256"`
}

// SealVersion names the canonical encoding of Seal's digests.
const SealVersion = 1

// SealEvidence computes the seal of an evidence item. The records' digest
// is the SHA-256 of one line per record, in record order: the JSON array
// [key (hex), path (hex), stream, type, size, md5, sha1, sha256, blake3,
// status, hashsets, deleted, complete, extension_mismatch, error], each
// followed by a newline. The errors' digest is the same over
// [path (hex), offset or null, message].
func (c *Case) SealEvidence(ctx context.Context, evidenceID int64) (*Seal, error) {
	if evidenceID <= 0 {
		return nil, fmt.Errorf("no evidence item %d", evidenceID)
	}
	s := &Seal{Statuses: map[string]int64{}}
	h := sha256.New()
	// Only the sealed columns, encoded without reflection: a seal is made
	// at the end of every scan, over every record of the item.
	// The records are read in the table's own order, within the range of
	// the item's ids: with the index on evidence_id, SQLite sorted every
	// record of the item in memory (about 1 KB each) before the first.
	rows, err := c.db.QueryContext(ctx, `SELECT key, path_bytes, stream, type, size, md5, sha1, sha256, blake3, status,
  hashsets, deleted, complete, extension_mismatch, error FROM files
  WHERE id BETWEEN (SELECT min(id) FROM files WHERE evidence_id = ?1) AND (SELECT max(id) FROM files WHERE evidence_id = ?1)
  AND +evidence_id = ?1 ORDER BY id`, evidenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var line []byte
	for rows.Next() {
		var key, path []byte
		var stream, typ, status, sets string
		var size int64
		var md5, sha1, sha256s, blake3, errS sql.NullString
		var del, comp, mism int
		if err := rows.Scan(&key, &path, &stream, &typ, &size, &md5, &sha1, &sha256s, &blake3, &status,
			&sets, &del, &comp, &mism, &errS); err != nil {
			return nil, err
		}
		line = append(line[:0], '[', '"')
		line = hex.AppendEncode(line, key)
		line = append(line, '"', ',', '"')
		line = hex.AppendEncode(line, path)
		line = append(line, '"', ',')
		line = appendJSONString(line, stream)
		line = append(line, ',')
		line = appendJSONString(line, typ)
		line = append(line, ',')
		line = strconv.AppendInt(line, size, 10)
		for _, d := range []string{md5.String, sha1.String, sha256s.String, blake3.String, status} {
			line = append(line, ',')
			line = appendJSONString(line, d)
		}
		line = append(line, ',')
		if line, err = appendHashsets(line, sets); err != nil {
			return nil, err
		}
		for _, b := range []int{del, comp, mism} {
			line = append(line, ',')
			line = strconv.AppendBool(line, b != 0)
		}
		line = append(line, ',')
		line = appendJSONString(line, errS.String)
		line = append(line, ']', '\n')
		h.Write(line)
		s.Records++
		s.Statuses[status]++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.RecordsSHA256 = hex.EncodeToString(h.Sum(nil))
	errs, err := c.Errors(ctx, evidenceID)
	if err != nil {
		return nil, err
	}
	h.Reset()
	for _, e := range errs {
		line, err := json.Marshal([]any{hex.EncodeToString([]byte(e.Path)), e.Offset, e.Message})
		if err != nil {
			return nil, err
		}
		h.Write(append(line, '\n'))
	}
	s.Errors = int64(len(errs))
	s.ErrorsSHA256 = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// appendJSONString appends s as encoding/json writes it: plain ASCII as is,
// anything else through encoding/json (escapes, invalid UTF-8).
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			j, _ := json.Marshal(s)
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendHashsets appends the hash-set names stored as a JSON array as
// encoding/json writes the decoded []string ("null" when the column does
// not decode to a list).
func appendHashsets(b []byte, sets string) ([]byte, error) {
	if sets == "[]" {
		return append(b, "[]"...), nil
	}
	var names []string
	_ = json.Unmarshal([]byte(sets), &names)
	j, err := json.Marshal(names)
	return append(b, j...), err
}

// Compare names how got differs from the sealed s, "" when it does not.
func (s *Seal) Compare(got *Seal) string {
	var d []string
	if got.Records != s.Records {
		d = append(d, fmt.Sprintf("%d file records sealed, %d in case.db (records deleted or added)", s.Records, got.Records))
	}
	keys := map[string]bool{}
	for k := range s.Statuses {
		keys[k] = true
	}
	for k := range got.Statuses {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		if got.Statuses[k] != s.Statuses[k] {
			d = append(d, fmt.Sprintf("%d %s records sealed, %d in case.db (a status was changed)", s.Statuses[k], k, got.Statuses[k]))
		}
	}
	if got.Errors != s.Errors {
		d = append(d, fmt.Sprintf("%d errors sealed, %d in case.db (errors deleted or added)", s.Errors, got.Errors))
	} else if got.ErrorsSHA256 != s.ErrorsSHA256 {
		d = append(d, "an error record was changed")
	}
	if len(d) == 0 && got.RecordsSHA256 != s.RecordsSHA256 {
		d = append(d, "a file record's content (a hash, path, size or flag) was changed")
	}
	return strings.Join(d, "; ")
}
