package casework

import (
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
)

// Statuses are the match statuses a record can have, strongest first.
var Statuses = []string{casedb.StatusKnownBad, casedb.StatusNotable, casedb.StatusKnownGood, casedb.StatusUnknown}

// HitStatuses are the statuses `triage hits` lists.
var HitStatuses = []string{casedb.StatusKnownBad, casedb.StatusNotable}

// FileQuery selects records of a case. The zero value selects every record.
type FileQuery struct {
	Status     []string // only these statuses (Statuses)
	Mismatch   bool     // only records whose extension contradicts their content
	Deleted    bool     // only deleted entries
	Incomplete bool     // only records not read completely or with an error
	Evidence   int64    // only this evidence item; 0: all
	// Path is a glob (path.Match syntax) matched against the record's
	// full path when it holds a "/", else against its last element (as
	// find -name does).
	Path string
	// MIME is a content type ("application/pdf") or a family
	// ("image/*").
	MIME string
}

// UnknownStatusError is a status that no record can have.
type UnknownStatusError struct{ Status string }

func (e *UnknownStatusError) Error() string {
	return fmt.Sprintf("unknown status %q: use %s", e.Status, strings.Join(Statuses, ", "))
}

// Validate checks the query without touching a case: every status is one
// of Statuses (an *UnknownStatusError otherwise) and the glob is well formed.
func (q *FileQuery) Validate() error {
	for _, s := range q.Status {
		ok := false
		for _, v := range Statuses {
			ok = ok || s == v
		}
		if !ok {
			return &UnknownStatusError{s}
		}
	}
	if q.Path != "" {
		if _, err := path.Match(q.Path, ""); err != nil {
			return fmt.Errorf("--path %q: %w", q.Path, err)
		}
	}
	if q.Evidence < 0 {
		return fmt.Errorf("--evidence %d: evidence items are numbered from 1", q.Evidence)
	}
	return nil
}

// match reports whether rec passes the filters that SQL does not apply.
func (q *FileQuery) match(rec *casedb.FileRecord) bool {
	if q.Path != "" {
		p := rec.Path
		if !strings.Contains(q.Path, "/") {
			p = path.Base(p)
		}
		if ok, _ := path.Match(q.Path, p); !ok {
			return false
		}
	}
	if q.MIME != "" {
		if fam, ok := strings.CutSuffix(q.MIME, "/*"); ok {
			if !strings.HasPrefix(rec.MIME, fam+"/") {
				return false
			}
		} else if !strings.EqualFold(rec.MIME, q.MIME) {
			return false
		}
	}
	return true
}

// Files calls fn for each record of the case that q selects, in evidence
// and walk order.
func Files(ctx context.Context, c *casedb.Case, q *FileQuery, fn func(*casedb.FileRecord) error) error {
	if err := q.Validate(); err != nil {
		return err
	}
	f := casedb.FileFilter{EvidenceID: q.Evidence, Status: q.Status, ExtensionMismatch: q.Mismatch,
		Deleted: q.Deleted, Incomplete: q.Incomplete}
	return c.Files(ctx, f, func(rec *casedb.FileRecord) error {
		if !q.match(rec) {
			return nil
		}
		return fn(rec)
	})
}

// A FileWriter writes records in one of the listing formats.
type FileWriter interface {
	Write(rec *casedb.FileRecord) error
	// Close writes what is buffered and ends the listing.
	Close() error
}

// Listing formats of NewFileWriter.
const (
	ListTable = "table"
	ListJSON  = "json"
	ListJSONL = "jsonl"
	ListCSV   = "csv"
)

// NewFileWriter returns a writer of records to w in format: ListTable (an
// aligned table for people, in blocks of 10,000 rows; hits adds the sets
// matched and the digest that matched each), ListJSON (one array of records in the JSON-lines
// record form), ListJSONL (one record per line, docs/jsonl.md) or ListCSV
// (RFC 4180, formula-injection safe, paths with control characters shown
// escaped and given exactly in name_bytes_b64).
func NewFileWriter(w io.Writer, format string, hits bool) (FileWriter, error) {
	switch format {
	case ListTable, "":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		t := &tableWriter{tw: tw, hits: hits}
		return t, nil
	case ListJSON:
		return &jsonWriter{w: w}, nil
	case ListJSONL:
		return &jsonlWriter{enc: json.NewEncoder(w)}, nil
	case ListCSV:
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		if err := cw.Write(FilesCSVHeader); err != nil {
			return nil, err
		}
		return &csvWriter{cw: cw}, nil
	}
	return nil, fmt.Errorf("unknown listing format %q", format)
}

type tableWriter struct {
	tw     *tabwriter.Writer
	hits   bool
	header bool
	rows   int
}

// tableBlock is the number of rows aligned together: the table is written
// in blocks of that many rows, so its memory does not grow with the case.
const tableBlock = 10000

func (t *tableWriter) Write(r *casedb.FileRecord) error {
	if !t.header {
		t.header = true
		h := "EVIDENCE\tSTATUS\tSIZE\tFLAGS\tPATH\n"
		if t.hits {
			h = "EVIDENCE\tSTATUS\tSIZE\tFLAGS\tMATCHED\tPATH\n"
		}
		if _, err := io.WriteString(t.tw, h); err != nil {
			return err
		}
	}
	status := r.Status
	if status == "" {
		status = casedb.StatusUnknown
	}
	var flags []string
	if r.Deleted {
		flags = append(flags, "deleted")
	}
	if r.ExtensionMismatch {
		flags = append(flags, "mismatch")
	}
	if !r.Complete || r.Error != "" {
		flags = append(flags, "incomplete")
	}
	fl := strings.Join(flags, ",")
	if fl == "" {
		fl = "-"
	}
	p := report.Visible(r.DisplayPath())
	if r.Stream != "" {
		p += ":" + report.Visible(r.Stream)
	}
	// tabs in a name would break the alignment: Visible escapes them
	row := fmt.Sprintf("%d\t%s\t%d\t%s\t", r.Evidence, status, r.Size, fl)
	if t.hits {
		row += report.Visible(MatchedText(r)) + "\t"
	}
	if _, err := io.WriteString(t.tw, row+p+"\n"); err != nil {
		return err
	}
	if t.rows++; t.rows%tableBlock == 0 {
		return t.tw.Flush()
	}
	return nil
}

func (t *tableWriter) Close() error { return t.tw.Flush() }

// MatchedText names the sets a record matched, each with the digest that
// matched it when the case records it ("bad:md5"), separated by commas;
// "-" for none. A near match of a similarity digest is named with its
// algorithm and score.
func MatchedText(r *casedb.FileRecord) string {
	var parts []string
	if m := r.HashMatch(); m != nil && len(m.Hits) > 0 {
		for _, h := range m.Hits {
			if h.Algorithm != "" {
				parts = append(parts, h.Set+":"+h.Algorithm)
			} else {
				parts = append(parts, h.Set)
			}
		}
	} else {
		parts = r.Hashsets
	}
	// A near match of a similarity digest (extra.fuzzy_match), which made
	// the record notable, is named with its score: "agency:ssdeep~99".
	if fm, ok := r.Extra["fuzzy_match"].(map[string]any); ok {
		if set, _ := fm["set"].(string); set != "" {
			alg, _ := fm["algorithm"].(string)
			parts = append(parts, fmt.Sprintf("%s:%s~%v", set, alg, fm["score"]))
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

type jsonWriter struct {
	w io.Writer
	n int
}

func (j *jsonWriter) Write(r *casedb.FileRecord) error {
	b, err := r.MarshalJSON()
	if err != nil {
		return err
	}
	sep := ",\n"
	if j.n == 0 {
		sep = "[\n"
	}
	j.n++
	if _, err := io.WriteString(j.w, sep); err != nil {
		return err
	}
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) Close() error {
	end := "\n]\n"
	if j.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(j.w, end)
	return err
}

type jsonlWriter struct{ enc *json.Encoder }

func (j *jsonlWriter) Write(r *casedb.FileRecord) error { return j.enc.Encode(r) }
func (j *jsonlWriter) Close() error                     { return nil }

// FilesCSVHeader is the header row of the CSV listing of `triage files`.
var FilesCSVHeader = []string{"evidence", "path", "stream", "type", "size", "md5", "sha1", "sha256", "status",
	"hashsets", "matched", "mime", "extension", "extension_mismatch", "deleted", "volume", "inode",
	"mtime", "atime", "ctime", "btime", "complete", "error", "name_bytes_b64"}

type csvWriter struct{ cw *csv.Writer }

func (c *csvWriter) Write(f *casedb.FileRecord) error {
	vol, ino := "", ""
	if f.Volume != nil {
		vol = strconv.Itoa(*f.Volume)
	}
	if f.Inode != nil {
		ino = strconv.FormatUint(*f.Inode, 10)
	}
	status := f.Status
	if status == "" {
		status = casedb.StatusUnknown
	}
	n := report.Neutralize
	matched := ""
	if m := f.HashMatch(); m != nil {
		var parts []string
		for _, h := range m.Hits {
			parts = append(parts, h.Set+":"+h.Algorithm+":"+h.Digest)
		}
		matched = strings.Join(parts, ";")
	}
	return c.cw.Write([]string{
		strconv.FormatInt(f.Evidence, 10), n(report.Visible(f.DisplayPath())), n(report.Visible(f.Stream)), f.Type,
		strconv.FormatInt(f.Size, 10), f.MD5, f.SHA1, f.SHA256, n(status), n(strings.Join(f.Hashsets, ";")), n(matched),
		n(f.MIME), n(f.Extension), b01(f.ExtensionMismatch), b01(f.Deleted), vol, ino,
		casedb.FormatTime(f.Mtime), casedb.FormatTime(f.Atime), casedb.FormatTime(f.Ctime), casedb.FormatTime(f.Btime),
		b01(f.Complete), n(report.Visible(f.Error)), nameBytes(f.Path),
	})
}

func (c *csvWriter) Close() error {
	c.cw.Flush()
	return c.cw.Error()
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// nameBytes is the name_bytes_b64 cell: the exact bytes of a path the path
// cell cannot show as they are (invalid UTF-8, or control characters such
// as CR and LF shown as \uXXXX escapes), base64; "" for any other path.
func nameBytes(p string) string {
	if utf8.ValidString(p) && report.Visible(p) == p {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(p))
}
