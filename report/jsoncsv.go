package report

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/triagekit/triage/triage/casedb"
)

// WriteJSON writes the whole report as one JSON document:
//
//	{"schema_version": 1, "report": {...}, "files": [record, ...]}
//
// Records use the JSON record schema of docs/jsonl.md and are streamed from
// the case, so the listing is never held in memory.
func WriteJSON(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	head, err := json.MarshalIndent(r, "  ", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "{\n  \"schema_version\": %d,\n  \"report\": ", SchemaVersion)
	bw.Write(head)
	bw.WriteString(",\n  \"files\": [")
	n := 0
	err = r.Files(ctx, func(f *casedb.FileRecord) error {
		b, err := json.Marshal(f)
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n    ")
		n++
		_, err = bw.Write(b)
		return err
	})
	if err != nil {
		return err
	}
	if n > 0 {
		bw.WriteString("\n  ")
	}
	bw.WriteString("]\n}\n")
	return bw.Flush()
}

// CSVHeader is the header row of the CSV listing.
var CSVHeader = []string{"report_id", "evidence", "exhibit", "path", "type", "size", "md5", "sha1", "sha256", "status",
	"hashsets", "mime", "extension", "extension_mismatch", "deleted", "stream", "volume", "inode",
	"mtime", "atime", "ctime", "btime", "complete", "error", "name_bytes_b64"}

// Neutralize defuses a CSV cell against spreadsheet formula injection: a
// cell that starts with =, +, -, @, tab or carriage return gets a leading
// single quote, so spreadsheets show it as text instead of evaluating it.
func Neutralize(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// WriteCSV writes the full listing as RFC 4180 CSV (CRLF line ends, quoted
// where needed), one row per record, every text cell neutralised against
// formula injection. Numbers are written unquoted and never neutralised.
func WriteCSV(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	exhibit := map[int64]string{}
	for i := range r.Evidence {
		exhibit[r.Evidence[i].ID] = r.Evidence[i].ExhibitID()
	}
	err := r.Files(ctx, func(f *casedb.FileRecord) error {
		vol, ino := "", ""
		if f.Volume != nil {
			vol = strconv.Itoa(*f.Volume)
		}
		if f.Inode != nil {
			ino = strconv.FormatUint(*f.Inode, 10)
		}
		row := []string{
			Neutralize(r.ID), strconv.FormatInt(f.Evidence, 10), Neutralize(exhibit[f.Evidence]), Neutralize(ShowName(f.Path)),
			f.Type, strconv.FormatInt(f.Size, 10), f.MD5, f.SHA1, f.SHA256, Neutralize(f.Status),
			Neutralize(strings.Join(f.Hashsets, ";")), Neutralize(f.MIME), Neutralize(f.Extension),
			b01(f.ExtensionMismatch), b01(f.Deleted), Neutralize(f.Stream), vol, ino,
			casedb.FormatTime(f.Mtime), casedb.FormatTime(f.Atime), casedb.FormatTime(f.Ctime), casedb.FormatTime(f.Btime),
			b01(f.Complete), Neutralize(f.Error), nameBytes(f.Path),
		}
		return cw.Write(row)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// nameBytes is the name_bytes_b64 cell: the exact bytes of a path that the
// path cell cannot show as they are (invalid UTF-8, shown as \xHH escapes, or
// control characters such as CR and LF, shown as \uXXXX escapes), base64;
// empty for any other path.
func nameBytes(path string) string {
	if utf8.ValidString(path) && Visible(path) == path {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(path))
}
