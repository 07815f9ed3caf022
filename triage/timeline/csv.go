package timeline

import (
	"bufio"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// CSVHeader is the first line of the CSV timeline.
var CSVHeader = []string{"time", "macb", "attribute", "evidence", "volume", "inode", "path", "stream", "type", "size", "deleted", "status", "hashsets", "md5", "sha256"}

// row is one line of the CSV timeline: one time of one record, with the
// kinds of time (M, A, C, B) that hold it.
type row struct {
	t    time.Time
	rec  int32 // index in recs
	macb uint8 // bits: 8 m, 4 a, 2 c, 1 b
	fn   bool  // the times of $FILE_NAME
}

// csvRecord is what a CSV row says of its record.
type csvRecord struct {
	evidence     int64
	volume       *int
	inode        *uint64
	path, stream string
	typ          string
	size         int64
	deleted      bool
	status, sets string
	md5, sha256  string
}

// WriteCSV writes the time stamps of the case as CSV sorted by time (then
// by evidence item and path), one row per distinct time of a record and
// attribute, with the kinds of time it is in the macb column as mactime
// shows them ("m.cb"). Times are RFC 3339 in UTC with the precision the
// file system recorded. The rows are sorted in memory: about 150 bytes per
// record plus 24 per row. It returns the number of rows written.
func WriteCSV(ctx context.Context, c *casedb.Case, w io.Writer, opts Options) (int, error) {
	var recs []csvRecord
	var rows []row
	err := walk(ctx, c, func(r *casedb.FileRecord, ts []times) error {
		idx := int32(len(recs))
		added := false
		for _, t := range ts {
			for i, tt := range []time.Time{t.m, t.a, t.c, t.b} {
				if !opts.in(tt) {
					continue
				}
				bit := uint8(8 >> i)
				merged := false
				for j := len(rows) - 1; j >= 0 && rows[j].rec == idx; j-- {
					if rows[j].fn == (t.attr == AttrFileName) && rows[j].t.Equal(tt) {
						rows[j].macb |= bit
						merged = true
						break
					}
				}
				if !merged {
					rows = append(rows, row{t: tt, rec: idx, macb: bit, fn: t.attr == AttrFileName})
					added = true
				}
			}
		}
		if added {
			recs = append(recs, csvRecord{evidence: r.Evidence, volume: r.Volume, inode: r.Inode, path: casedb.DisplayString(r.Path),
				stream: r.Stream, typ: r.Type, size: r.Size, deleted: r.Deleted, status: r.Status,
				sets: strings.Join(r.Hashsets, ","), md5: r.MD5, sha256: r.SHA256})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	slices.SortStableFunc(rows, func(x, y row) int {
		if c := x.t.Compare(y.t); c != 0 {
			return c
		}
		a, b := &recs[x.rec], &recs[y.rec]
		if a.evidence != b.evidence {
			return int(a.evidence - b.evidence)
		}
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return strings.Compare(a.stream, b.stream)
	})
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVHeader); err != nil {
		return 0, err
	}
	f := make([]string, len(CSVHeader))
	for _, rw := range rows {
		r := &recs[rw.rec]
		f[0] = casedb.FormatTime(rw.t)
		f[1] = macbString(rw.macb)
		f[2] = "standard"
		if rw.fn {
			f[2] = AttrFileName
		}
		f[3] = strconv.FormatInt(r.evidence, 10)
		f[4], f[5] = "", ""
		if r.volume != nil {
			f[4] = strconv.Itoa(*r.volume)
		}
		if r.inode != nil {
			f[5] = strconv.FormatUint(*r.inode, 10)
		}
		f[6], f[7], f[8] = csvSafe(r.path), csvSafe(r.stream), r.typ
		f[9] = strconv.FormatInt(r.size, 10)
		f[10] = strconv.FormatBool(r.deleted)
		f[11], f[12], f[13], f[14] = r.status, r.sets, r.md5, r.sha256
		if err := cw.Write(f); err != nil {
			return 0, err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, err
	}
	return len(rows), bw.Flush()
}

func macbString(b uint8) string {
	s := []byte("....")
	for i, c := range "macb" {
		if b&(8>>i) != 0 {
			s[i] = byte(c)
		}
	}
	return string(s)
}

// csvSafe keeps a spreadsheet from reading a name as a formula (a leading
// =, +, - or @ gets a quote), and writes line breaks as \n and \r so that
// each row is one line.
func csvSafe(s string) string {
	s = strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(s)
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
