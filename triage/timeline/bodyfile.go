package timeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// WriteBodyfile writes the time stamps of the case in the Sleuth Kit's body
// file format (version 3, as fls -m writes it):
//
//	MD5|name|inode|mode|UID|GID|size|atime|mtime|ctime|crtime
//
// name is "E<evidence>/v<volume>" (without "/v<volume>" outside any
// volume) followed by the record's path, with ":STREAM" for a data stream,
// " ($FILE_NAME)" for the times of an NTFS $FILE_NAME attribute and
// " (deleted)" for a deleted entry and " -> TARGET" for an ext fast
// symbolic link, as fls -m names them. Times are seconds
// since 1970 in UTC with their fraction when the file system records one
// (mactime reads the whole seconds); 0 is an unknown time. A "|", "%" or
// "\" in a name is written %7C, %25 or %5C, which mactime decodes; a line
// break or another control character is written as \n, \r, \t or \xHH, so
// that no name spans two lines. It returns the number of lines written.
func WriteBodyfile(ctx context.Context, c *casedb.Case, w io.Writer, opts Options) (int, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	n := 0
	var line []byte
	err := walk(ctx, c, func(r *casedb.FileRecord, ts []times) error {
		for _, t := range ts {
			m, a, ch, b := opts.keep(t.m), opts.keep(t.a), opts.keep(t.c), opts.keep(t.b)
			if m.IsZero() && a.IsZero() && ch.IsZero() && b.IsZero() {
				continue
			}
			line = line[:0]
			if r.MD5 != "" {
				line = append(line, r.MD5...)
			} else {
				line = append(line, '0')
			}
			line = append(line, '|')
			line = appendEscaped(line, Name(r, t.attr))
			line = append(line, '|')
			if r.Inode != nil {
				line = strconv.AppendUint(line, *r.Inode, 10)
			} else {
				line = append(line, '0')
			}
			line = append(line, '|')
			line = append(line, mode(r)...)
			line = append(line, '|')
			line = strconv.AppendInt(line, extraInt(r, "ext_uid"), 10)
			line = append(line, '|')
			line = strconv.AppendInt(line, extraInt(r, "ext_gid"), 10)
			line = append(line, '|')
			size := r.Size
			if r.Type == casedb.TypeSymlink && size == 0 {
				size = int64(len(r.LinkTarget)) // an ext link's size is its target's length
			}
			line = strconv.AppendInt(line, size, 10)
			for _, tt := range []time.Time{a, m, ch, b} {
				line = append(line, '|')
				line = appendSeconds(line, tt)
			}
			line = append(line, '\n')
			if _, err := bw.Write(line); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// keep returns t when it is in the range of opts, else the zero time.
func (o *Options) keep(t time.Time) time.Time {
	if o.in(t) {
		return t
	}
	return time.Time{}
}

// Prefix names the evidence item and volume of r: "E1/v0", or "E1" for a
// record outside any volume (a folder's files).
func Prefix(r *casedb.FileRecord) string {
	p := "E" + strconv.FormatInt(r.Evidence, 10)
	if r.Volume != nil {
		p += "/v" + strconv.Itoa(*r.Volume)
	}
	return p
}

// Name is the name of a timeline row: the prefix, the path, the stream,
// the attribute and the deleted mark.
func Name(r *casedb.FileRecord, attr string) string {
	s := Prefix(r) + r.Path
	if _, ext := r.Extra["ext_mode"]; ext && r.Type == casedb.TypeSymlink && r.LinkTarget != "" && len(r.LinkTarget) < 60 {
		// fls names a fast link (its target held in the inode) with its
		// target
		s += " -> " + r.LinkTarget
	}
	if attr == AttrFileName {
		s += " ($FILE_NAME)"
	} else if r.Stream != "" {
		s += ":" + r.Stream
	}
	if r.Deleted {
		if v, _ := r.Extra["ext_realloc"].(bool); v {
			s += " (deleted-realloc)"
		} else {
			s += " (deleted)"
		}
	}
	return s
}

// appendSeconds appends t as seconds since 1970 with its fraction, trailing
// zeros trimmed; 0 for the zero time.
func appendSeconds(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, '0')
	}
	sec, ns := t.Unix(), t.Nanosecond()
	b = strconv.AppendInt(b, sec, 10)
	if ns != 0 {
		f := fmt.Sprintf("%09d", ns)
		b = append(b, '.')
		b = append(b, strings.TrimRight(f, "0")...)
	}
	return b
}

// appendEscaped appends a name so that it stays one field of one line.
func appendEscaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '|' || c == '%' || c == '\\':
			b = append(b, '%', "0123456789ABCDEF"[c>>4], "0123456789ABCDEF"[c&15])
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// mode is the mode column: the name and metadata types (r/r, d/d, l/l) and
// the permissions when the file system records them (ext), as fls -m
// writes it.
func mode(r *casedb.FileRecord) string {
	t := "r/r"
	switch r.Type {
	case casedb.TypeDir:
		t = "d/d"
	case casedb.TypeSymlink:
		t = "l/l"
	case casedb.TypeFIFO:
		t = "p/p"
	case casedb.TypeSocket:
		t = "s/s"
	case casedb.TypeDevice:
		t = "b/b"
	}
	if s, ok := r.Extra["ext_mode"].(string); ok {
		if m, err := strconv.ParseUint(s, 8, 32); err == nil {
			return t + permString(uint32(m))
		}
	}
	return t + "---------"
}

func permString(m uint32) string {
	const rwx = "rwxrwxrwx"
	b := []byte("---------")
	for i := 0; i < 9; i++ {
		if m&(1<<(8-i)) != 0 {
			b[i] = rwx[i]
		}
	}
	if m&0o4000 != 0 {
		b[2] = "Ss"[m>>6&1]
	}
	if m&0o2000 != 0 {
		b[5] = "Ss"[m>>3&1]
	}
	if m&0o1000 != 0 {
		b[8] = "Tt"[m&1]
	}
	return string(b)
}

func extraInt(r *casedb.FileRecord, k string) int64 {
	switch v := r.Extra[k].(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}
