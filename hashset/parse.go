package hashset

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Problem is a line or record of a source that could not be read.
type Problem struct {
	File string
	Line int64 // 1-based line, or record number for SQLite and JSON sources
	Unit string
	Msg  string
}

func (p Problem) String() string {
	unit := p.Unit
	if unit == "" {
		unit = "line"
	}
	return fmt.Sprintf("%s: %s %d: %s", p.File, unit, p.Line, p.Msg)
}

// maxProblems is how many problems per source are kept for display.
const maxProblems = 5

// batch collects the digests parsed from one block.
type batch struct {
	d         [numAlgorithms][]byte
	records   int64
	malformed int64
	problems  []Problem
	line      int64 // line number of the current line
}

func (b *batch) reset() {
	for a := range b.d {
		b.d[a] = b.d[a][:0]
	}
	b.records, b.malformed, b.problems, b.line = 0, 0, b.problems[:0], 0
}

// addHex decodes a hex digest of algorithm a and appends it.
func (b *batch) addHex(a Algorithm, h []byte) bool {
	n := len(b.d[a])
	b.d[a] = append(b.d[a], make([]byte, a.Size())...)
	if !decodeHex(b.d[a][n:], h) {
		b.d[a] = b.d[a][:n]
		return false
	}
	return true
}

// addAny appends a hex digest whose algorithm follows from its length.
func (b *batch) addAny(h []byte) error {
	a, ok := algorithmForHexLen(len(h))
	if !ok {
		return badDigest(h)
	}
	if !b.addHex(a, h) {
		return badDigest(h)
	}
	return nil
}

func (b *batch) problem(file, unit string, line int64, err error) {
	b.malformed++
	if len(b.problems) < maxProblems {
		b.problems = append(b.problems, Problem{File: file, Line: line, Unit: unit, Msg: err.Error()})
	}
}

func badDigest(h []byte) error {
	if _, ok := algorithmForHexLen(len(h)); ok || !isHex(h) {
		return fmt.Errorf("%q is not a hex digest", trunc(h))
	}
	return fmt.Errorf("a digest of %d hex digits is not MD5, SHA-1 or SHA-256", len(h))
}

// errSkip marks a line that is neither a record nor malformed (a comment).
var errSkip = errors.New("skip")

// lineParser parses one line (without its line ending) into b. It returns
// nil for a record, errSkip for a comment or blank line, or why the line is
// malformed.
type lineParser func(line []byte, b *batch) error

// textFormat is a line-oriented format.
type textFormat struct {
	name string
	// setup looks at the first lines of the file and returns the line
	// parser and how many leading lines are a header.
	setup func(head [][]byte) (lineParser, int, error)
}

// Formats lists the names accepted by --format, besides "auto".
var Formats = []string{"md5sum", "hashdeep", "plain", "csv", "nsrl-sqlite", "nsrl-txt", "hashkeeper", "vics"}

var formatAliases = map[string]string{
	"sha1sum": "md5sum", "sha256sum": "md5sum", "bsd": "md5sum", "coreutils": "md5sum",
	"md5deep": "md5sum", "virusshare": "plain", "xways": "plain", "rdsv3": "nsrl-sqlite",
	"nsrl": "nsrl-sqlite", "rds": "nsrl-sqlite", "rdsv2": "nsrl-txt", "nsrlfile": "nsrl-txt",
	"hsh": "hashkeeper", "projectvic": "vics", "caid": "vics", "odata": "vics",
}

// NormalizeFormat maps a format name or alias to its canonical name.
func NormalizeFormat(f string) (string, bool) {
	f = strings.ToLower(strings.TrimSpace(f))
	if f == "" || f == "auto" {
		return "auto", true
	}
	if c, ok := formatAliases[f]; ok {
		return c, true
	}
	for _, n := range Formats {
		if n == f {
			return f, true
		}
	}
	return "", false
}

var textFormats = map[string]*textFormat{
	"md5sum":     {name: "md5sum", setup: setupMD5sum},
	"hashdeep":   {name: "hashdeep", setup: setupHashdeep},
	"plain":      {name: "plain", setup: setupPlain},
	"csv":        {name: "csv", setup: setupCSV},
	"nsrl-txt":   {name: "nsrl-txt", setup: setupNSRLText},
	"hashkeeper": {name: "hashkeeper", setup: setupHashKeeper},
}

// splitLines splits the head of a file into lines without their endings.
func splitLines(b []byte, max int) [][]byte {
	var out [][]byte
	for len(b) > 0 && len(out) < max {
		i := bytes.IndexByte(b, '\n')
		var l []byte
		if i < 0 {
			l, b = b, nil
		} else {
			l, b = b[:i], b[i+1:]
		}
		out = append(out, bytes.TrimSuffix(l, []byte{'\r'}))
	}
	return out
}

var utf8BOM = []byte("\xef\xbb\xbf")

// detect names the format of a file from its first bytes.
func detect(head []byte) string {
	if bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return "nsrl-sqlite"
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return "vics"
	}
	lines := splitLines(head, 64)
	// the last line may be cut by the head size
	if len(lines) > 1 {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		t := bytes.TrimSpace(l)
		if len(t) == 0 {
			continue
		}
		switch {
		case bytes.HasPrefix(t, []byte("%%%% HASHDEEP-")):
			return "hashdeep"
		case t[0] == '#':
			continue
		case bytes.HasPrefix(t, []byte(`"SHA-1","MD5"`)) || bytes.HasPrefix(t, []byte(`"SHA-1","FileName"`)):
			return "nsrl-txt"
		case bytes.HasPrefix(t, []byte(`"file_id","hashset_id"`)):
			return "hashkeeper"
		}
		if _, ok := xwaysType(t); ok && i+1 < len(lines) {
			return "plain"
		}
		if isHex(t) {
			return "plain"
		}
		if looksMD5sum(t) {
			return "md5sum"
		}
		if _, ok := csvHashColumns(t); ok {
			return "csv"
		}
		return ""
	}
	return ""
}

// Describe names what a file's head looks like, for error messages.
func describe(head []byte) string {
	if f := detect(head); f != "" {
		return f
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return "an empty file"
	}
	l := splitLines(bytes.TrimPrefix(head, utf8BOM), 1)
	first := ""
	if len(l) > 0 {
		first = string(l[0])
		if len(first) > 60 {
			first = first[:60] + "..."
		}
	}
	return fmt.Sprintf("no known format (first line %q)", first)
}

// sortProblems orders problems by file order and line, keeping the first n.
func sortProblems(p []Problem, n int) []Problem {
	sort.SliceStable(p, func(i, j int) bool { return p[i].Line < p[j].Line })
	if len(p) > n {
		p = p[:n]
	}
	return p
}
