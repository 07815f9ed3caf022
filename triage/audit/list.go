// Package audit checks files against a list of known hashes as hashdeep's
// audit mode does (hashdeep -a -k LIST): which files of the list are
// present where the list says, moved, changed or missing, and which files
// are not in it. It reads the lists examiners exchange: md5sum and sha*sum
// output, hashdeep files and DFXML.
//
// The list is untrusted input: every line is bounded (MaxLine) and a list
// whose format is not recognised is refused with ErrUnknownFormat.
package audit

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Algorithms a list may hold, named as hashdeep names them.
const (
	MD5    = "md5"
	SHA1   = "sha1"
	SHA256 = "sha256"
)

// hexLen is the length of each algorithm's hex digest.
var hexLen = map[string]int{MD5: 32, SHA1: 40, SHA256: 64}

// Formats of a list.
const (
	FormatHashdeep = "hashdeep"
	FormatSum      = "sum" // md5sum, sha1sum, sha256sum output
	FormatDFXML    = "dfxml"
)

// MaxLine is the longest line of a text list (a path of 4096 bytes and
// three digests fit easily).
const MaxLine = 64 << 10

// ErrUnknownFormat is returned for a list that is none of the formats.
var ErrUnknownFormat = errors.New("audit: list format not recognised (expected md5sum/sha*sum output, a hashdeep file or DFXML)")

// FormatError is a malformed list: its text ends "at byte %#x".
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s at byte %#x", e.Msg, e.Off) }

// Offset is the byte offset of the problem in the list.
func (e *FormatError) Offset() int64 { return e.Off }

// Known is one file of a list.
type Known struct {
	Name string
	// Size is -1 when the list does not give it (md5sum output).
	Size int64
	// Hashes are lowercase hex digests by algorithm.
	Hashes map[string]string
}

// List is a parsed list of known files.
type List struct {
	Format string
	// Algorithms are the algorithms the list gives, in the order md5,
	// sha1, sha256.
	Algorithms []string
	Files      []Known
}

// Parse reads a list of known files, recognising its format from its first
// bytes.
func Parse(r io.Reader) (*List, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(512)
	t := bytes.TrimLeft(head, "\ufeff \t\r\n")
	var l *List
	var err error
	switch {
	case bytes.HasPrefix(t, []byte("%%%% HASHDEEP-1.0")):
		l, err = parseHashdeep(br)
	case bytes.HasPrefix(t, []byte("<?xml")) || bytes.HasPrefix(t, []byte("<dfxml")):
		l, err = parseDFXML(br)
	case looksLikeSum(t):
		l, err = parseSum(br)
	default:
		return nil, ErrUnknownFormat
	}
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, k := range l.Files {
		for a := range k.Hashes {
			seen[a] = true
		}
	}
	for _, a := range []string{MD5, SHA1, SHA256} {
		if seen[a] {
			l.Algorithms = append(l.Algorithms, a)
		}
	}
	return l, nil
}

// lines calls f for each line of r with its offset, bounded by MaxLine.
func lines(r *bufio.Reader, f func(line string, off int64) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	var off int64
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if err := f(line, off); err != nil {
			return err
		}
		off += int64(len(sc.Bytes())) + 1
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return &FormatError{off, fmt.Sprintf("line longer than %d bytes", MaxLine)}
	}
	return sc.Err()
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && s != ""
}

func algOfLen(n int) string {
	for a, l := range hexLen {
		if l == n {
			return a
		}
	}
	return ""
}

// parseSumLine splits "HEX  NAME" or "HEX *NAME" (md5sum's binary mode).
func parseSumLine(line string) (alg, digest, name string, ok bool) {
	i := strings.IndexByte(line, ' ')
	if i <= 0 || i+2 > len(line) || (line[i+1] != ' ' && line[i+1] != '*') {
		return "", "", "", false
	}
	d := line[:i]
	escaped := false
	if d[0] == '\\' { // coreutils escapes names holding \ or a newline
		escaped, d = true, d[1:]
	}
	alg = algOfLen(len(d))
	if alg == "" || !isHex(d) {
		return "", "", "", false
	}
	name = line[i+2:]
	if escaped {
		name = unescapeSum(name)
	}
	return alg, strings.ToLower(d), name, name != ""
}

func unescapeSum(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func looksLikeSum(head []byte) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	if len(line) == len(head) && len(head) == 512 {
		line = head // a very long first line: let the parser say so
	}
	_, _, _, ok := parseSumLine(strings.TrimSuffix(string(line), "\r"))
	return ok
}

func parseSum(r *bufio.Reader) (*List, error) {
	l := &List{Format: FormatSum}
	var alg string
	err := lines(r, func(line string, off int64) error {
		if line == "" {
			return nil
		}
		a, d, name, ok := parseSumLine(line)
		if !ok {
			return &FormatError{off, "line is not \"DIGEST  NAME\""}
		}
		if alg == "" {
			alg = a
		} else if a != alg {
			return &FormatError{off, fmt.Sprintf("%s digest in a list of %s digests", a, alg)}
		}
		l.Files = append(l.Files, Known{Name: name, Size: -1, Hashes: map[string]string{a: d}})
		return nil
	})
	return l, err
}

// parseHashdeep reads hashdeep's format: a "%%%% HASHDEEP-1.0" line, a
// "%%%% size,md5,...,filename" line naming the columns, "##" comments,
// then one line per file; the file name is the last column and may hold
// commas.
func parseHashdeep(r *bufio.Reader) (*List, error) {
	l := &List{Format: FormatHashdeep}
	var cols []string
	err := lines(r, func(line string, off int64) error {
		switch {
		case line == "" || strings.HasPrefix(line, "##"):
			return nil
		case strings.HasPrefix(line, "%%%% HASHDEEP-1.0"):
			return nil
		case strings.HasPrefix(line, "%%%% "):
			cols = strings.Split(strings.TrimPrefix(line, "%%%% "), ",")
			if len(cols) < 2 || cols[len(cols)-1] != "filename" {
				return &FormatError{off, "hashdeep column line does not end with \"filename\""}
			}
			for _, c := range cols[:len(cols)-1] {
				if c != "size" && hexLen[c] == 0 && c != "tiger" && c != "whirlpool" && c != "sha3" {
					return &FormatError{off, fmt.Sprintf("unknown hashdeep column %q", c)}
				}
			}
			return nil
		}
		if cols == nil {
			return &FormatError{off, "hashdeep line before the column line"}
		}
		f := strings.SplitN(line, ",", len(cols))
		if len(f) != len(cols) {
			return &FormatError{off, fmt.Sprintf("hashdeep line has %d columns, want %d", len(f), len(cols))}
		}
		k := Known{Name: f[len(f)-1], Size: -1, Hashes: map[string]string{}}
		for i, c := range cols[:len(cols)-1] {
			switch {
			case c == "size":
				n, err := strconv.ParseInt(f[i], 10, 64)
				if err != nil || n < 0 {
					return &FormatError{off, fmt.Sprintf("bad size %q", f[i])}
				}
				k.Size = n
			case hexLen[c] != 0:
				if len(f[i]) != hexLen[c] || !isHex(f[i]) {
					return &FormatError{off, fmt.Sprintf("bad %s digest %q", c, f[i])}
				}
				k.Hashes[c] = strings.ToLower(f[i])
			}
		}
		l.Files = append(l.Files, k)
		return nil
	})
	if err == nil && cols == nil {
		err = &FormatError{0, "hashdeep file without a column line"}
	}
	return l, err
}

// parseDFXML reads the fileobjects of a DFXML file: filename, filesize and
// hashdigest elements (type md5, sha1, sha256, any case).
func parseDFXML(r io.Reader) (*List, error) {
	l := &List{Format: FormatDFXML}
	d := xml.NewDecoder(r)
	d.Strict = true
	var cur *Known
	var field, alg string
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &FormatError{d.InputOffset(), fmt.Sprintf("bad DFXML: %v", err)}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "fileobject":
				if cur != nil {
					return nil, &FormatError{d.InputOffset(), "fileobject inside a fileobject"}
				}
				cur = &Known{Size: -1, Hashes: map[string]string{}}
			case "filename", "filesize", "hashdigest":
				if cur == nil {
					continue
				}
				field, alg = t.Name.Local, ""
				text.Reset()
				for _, a := range t.Attr {
					if a.Name.Local == "type" {
						alg = strings.ReplaceAll(strings.ToLower(a.Value), "-", "")
					}
				}
			}
		case xml.CharData:
			if field != "" {
				if text.Len()+len(t) > MaxLine {
					return nil, &FormatError{d.InputOffset(), fmt.Sprintf("%s longer than %d bytes", field, MaxLine)}
				}
				text.Write(t)
			}
		case xml.EndElement:
			switch {
			case cur == nil:
			case t.Name.Local == "fileobject":
				if cur.Name != "" && len(cur.Hashes) > 0 {
					l.Files = append(l.Files, *cur)
				}
				cur = nil
			case t.Name.Local == field:
				v := strings.TrimSpace(text.String())
				switch field {
				case "filename":
					cur.Name = v
				case "filesize":
					n, err := strconv.ParseInt(v, 10, 64)
					if err != nil || n < 0 {
						return nil, &FormatError{d.InputOffset(), fmt.Sprintf("bad filesize %q", v)}
					}
					cur.Size = n
				case "hashdigest":
					if hexLen[alg] != 0 {
						if len(v) != hexLen[alg] || !isHex(v) {
							return nil, &FormatError{d.InputOffset(), fmt.Sprintf("bad %s digest %q", alg, v)}
						}
						cur.Hashes[alg] = strings.ToLower(v)
					}
				}
				field = ""
			}
		}
	}
	return l, nil
}
