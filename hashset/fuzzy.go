package hashset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/internal/evidence"
	"github.com/triagekit/triage/triage/fuzzy"
)

// Similarity-digest sets. ssdeep's CSV ("ssdeep,1.1--blocksize:hash:hash,
// filename" then `digest,"filename"` lines) and plain lists of TLSH
// digests (one per line, optionally followed by white space and a name, as
// `tlsh -r` prints them) are imported into a fuzzy set: a text file
// NAME.fuzzy next to the exact indexes, with a JSON header (the same
// provenance as an exact set: sources with their SHA-256, counts per
// algorithm) and one digest a line. docs/hashsets.md describes it.

// FuzzyExt is the file extension of a fuzzy set in a library.
const FuzzyExt = ".fuzzy"

// Fuzzy set formats.
const (
	FormatSSDeep = "ssdeep"
	FormatTLSH   = "tlsh"
)

const (
	fuzzyMagic = "triage-fuzzy-set 1"
	// MaxFuzzyFile bounds a fuzzy source or set file read.
	MaxFuzzyFile = 1 << 30
	// maxFuzzyLine bounds one line of a fuzzy source.
	maxFuzzyLine = 64 << 10
	ssdeepHeader = "ssdeep,1.1--blocksize:hash:hash,filename"
)

// FuzzySet is an open set of similarity digests. It is held in memory;
// lookups are safe for concurrent use.
type FuzzySet struct {
	Header
	// BodySHA256 is the SHA-256 of the digest lines, checked at Open.
	BodySHA256 string `json:"-"`
	Path       string `json:"-"`
	SSDeep     *fuzzy.SSDeepIndex
	TLSH       *fuzzy.TLSHIndex
}

// fuzzyHeader is the header line of a fuzzy set file.
type fuzzyHeader struct {
	Header
	BodySHA256 string `json:"body_sha256"`
}

// detectFuzzy tells whether head starts a fuzzy source: ssdeep's CSV
// header, or a first record that is a TLSH digest.
func detectFuzzy(head []byte) string {
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(head, []byte(ssdeepHeader)) {
		return FormatSSDeep
	}
	for _, line := range bytes.SplitN(head, []byte("\n"), 50) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if _, err := fuzzy.ParseTLSH(string(firstField(line))); err == nil {
			return FormatTLSH
		}
		return ""
	}
	return ""
}

func firstField(line []byte) []byte {
	if i := bytes.IndexAny(line, " \t,"); i >= 0 {
		return line[:i]
	}
	return line
}

// ParseFuzzy reads a fuzzy source in format (FormatSSDeep or
// FormatTLSH) and calls fn with each digest. Malformed lines are counted
// and the first few returned as problems, naming the line; a line longer
// than 64 KiB ends the read with an error.
func ParseFuzzy(r io.Reader, file, format string, fn func(alg string, e fuzzy.Entry) error) (records, malformed int64, problems []Problem, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxFuzzyLine)
	var line int64
	bad := func(msg string) {
		malformed++
		if len(problems) < maxProblems {
			problems = append(problems, Problem{File: file, Line: line, Msg: msg})
		}
	}
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		b = bytes.TrimRight(b, "\r")
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		switch format {
		case FormatSSDeep:
			if line == 1 {
				if string(b) != ssdeepHeader {
					return records, malformed, problems, fmt.Errorf("line 1 is not ssdeep's header %q", ssdeepHeader)
				}
				continue
			}
			if string(b) == ssdeepHeader {
				continue // files concatenated
			}
			i := bytes.IndexByte(b, ',')
			if i < 0 {
				bad("no comma between digest and file name")
				continue
			}
			d := string(b[:i])
			if _, perr := fuzzy.ParseSSDeep(d); perr != nil {
				bad(perr.Error())
				continue
			}
			name := string(b[i+1:])
			if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
				name = strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
			}
			records++
			if err := fn(FormatSSDeep, fuzzy.Entry{Digest: d, Name: name}); err != nil {
				return records, malformed, problems, err
			}
		case FormatTLSH:
			t := bytes.TrimSpace(b)
			if t[0] == '#' {
				continue
			}
			f := firstField(t)
			td, perr := fuzzy.ParseTLSH(string(f))
			if perr != nil {
				bad(perr.Error())
				continue
			}
			name := strings.TrimSpace(strings.TrimLeft(string(t[len(f):]), " \t,"))
			records++
			if err := fn(FormatTLSH, fuzzy.Entry{Digest: td.String(), Name: name}); err != nil {
				return records, malformed, problems, err
			}
		default:
			return 0, 0, nil, fmt.Errorf("unknown fuzzy format %q", format)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return records, malformed, problems, fmt.Errorf("line %d is longer than %d bytes", line+1, maxFuzzyLine)
		}
		return records, malformed, problems, err
	}
	return records, malformed, problems, nil
}

// IsFuzzySource tells whether the file at path is an ssdeep CSV or a TLSH
// list, by its content.
func IsFuzzySource(path string) (string, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	return detectFuzzy(head[:n]), nil
}

func (l *Library) fuzzyPath(name string) string { return filepath.Join(l.Dir, name+FuzzyExt) }

// ImportFuzzy imports ssdeep CSV files and TLSH lists into a fuzzy set
// named opts.Name (format: "auto", "ssdeep" or "tlsh"). A set of the same
// name, exact or fuzzy, is replaced only with opts.Replace.
func (l *Library) ImportFuzzy(ctx context.Context, files []string, opts ImportOptions) (*ImportResult, error) {
	if err := ValidName(opts.Name); err != nil {
		return nil, err
	}
	if isBuiltin(opts.Name) {
		return nil, fmt.Errorf("%q is the name of a built-in set", opts.Name)
	}
	if !ValidCategory(opts.Category) {
		return nil, fmt.Errorf("invalid category %q: use known-bad, known-good or notable", opts.Category)
	}
	if len(files) == 0 {
		return nil, errors.New("no files to import")
	}
	dst := l.fuzzyPath(opts.Name)
	nl, err := l.lockNew(opts.Name, opts.Replace)
	if err != nil {
		return nil, err
	}
	defer nl.release()
	res := &ImportResult{Path: dst}
	var body bytes.Buffer
	seen := map[string]bool{}
	counts := map[string]int64{}
	for _, file := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sr, err := l.importFuzzyFile(file, opts.Format, func(alg string, e fuzzy.Entry) error {
			if seen[alg+"\t"+e.Digest] {
				return nil
			}
			if body.Len() > MaxFuzzyFile {
				return fmt.Errorf("more than %d bytes of digests", MaxFuzzyFile)
			}
			seen[alg+"\t"+e.Digest] = true
			counts[alg]++
			fmt.Fprintf(&body, "%s\t%s\t%s\n", alg, e.Digest, strconv.Quote(e.Name))
			return nil
		})
		if err != nil {
			return nil, err
		}
		res.Sources = append(res.Sources, *sr)
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	bi := buildinfo.Get()
	h := Header{
		FormatVersion: 1, Name: opts.Name, Category: opts.Category, Description: opts.Description,
		Imported: now().UTC().Truncate(time.Second), Tool: bi.Program + " " + bi.Version, Counts: counts,
	}
	if bi.Commit != "" {
		h.Tool += " (" + bi.Commit + ")"
	}
	for _, s := range res.Sources {
		h.Sources = append(h.Sources, s.Source)
	}
	sum := sha256.Sum256(body.Bytes())
	hj, err := json.Marshal(fuzzyHeader{Header: h, BodySHA256: fmt.Sprintf("%x", sum)})
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(l.Dir, ".import-*.fuzzy")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriter(tmp)
	fmt.Fprintf(w, "%s\n%s\n", fuzzyMagic, hj)
	w.Write(body.Bytes())
	if err := w.Flush(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return nil, err
	}
	res.Header = h
	return res, nil
}

func (l *Library) importFuzzyFile(path, format string, emit func(string, fuzzy.Entry) error) (*SourceResult, error) {
	f, err := evidence.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%s is a folder, not a hash-set file", path)
	}
	if fi.Size() > MaxFuzzyFile {
		return nil, fmt.Errorf("%s: larger than %d bytes, the most a fuzzy set source may be", path, MaxFuzzyFile)
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	found := detectFuzzy(head[:n])
	if format == "" || format == "auto" {
		format = found
	}
	if format == "" {
		return nil, fmt.Errorf("%s: neither an ssdeep CSV file nor a list of TLSH digests", path)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	sum := sha256.New()
	recs, bad, probs, err := ParseFuzzy(io.TeeReader(io.LimitReader(f, MaxFuzzyFile), sum), filepath.Base(path), format, emit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if recs == 0 {
		e := fmt.Errorf("%s: no %s digests (%d malformed lines)", path, format, bad)
		if len(probs) > 0 {
			e = fmt.Errorf("%w; first: %s", e, probs[0])
		}
		return nil, e
	}
	return &SourceResult{
		Source:   Source{Name: filepath.Base(path), SHA256: fmt.Sprintf("%x", sum.Sum(nil)), Size: fi.Size(), Format: format, Records: recs, Malformed: bad},
		Problems: probs,
	}, nil
}

// FuzzyNames lists the fuzzy sets of the library, sorted.
func (l *Library) FuzzyNames() ([]string, error) {
	ents, err := os.ReadDir(l.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, FuzzyExt) || e.IsDir() {
			continue
		}
		n = strings.TrimSuffix(n, FuzzyExt)
		if ValidName(n) == nil {
			names = append(names, n)
		}
	}
	return names, nil
}

// OpenFuzzy opens the fuzzy set called name.
func (l *Library) OpenFuzzy(name string) (*FuzzySet, error) {
	if err := ValidName(name); err != nil {
		return nil, err
	}
	s, err := OpenFuzzy(l.fuzzyPath(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %q in %s", ErrNotFound, name, l.Dir)
	}
	return s, err
}

// OpenFuzzy reads a fuzzy set file, checks its body against the header's
// SHA-256 and indexes its digests.
func OpenFuzzy(path string) (*FuzzySet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxFuzzyFile+maxFuzzyLine+1))
	if err != nil {
		return nil, err
	}
	s, err := parseFuzzySet(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	return s, nil
}

// parseFuzzySet parses the bytes of a fuzzy set file.
func parseFuzzySet(b []byte) (*FuzzySet, error) {
	if len(b) > MaxFuzzyFile+maxFuzzyLine {
		return nil, fmt.Errorf("fuzzy set larger than %d bytes", MaxFuzzyFile)
	}
	rest, ok := bytes.CutPrefix(b, []byte(fuzzyMagic+"\n"))
	if !ok {
		return nil, errors.New("not a fuzzy set file (no \"" + fuzzyMagic + "\" line) at byte 0x0")
	}
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return nil, fmt.Errorf("fuzzy set header not ended at byte %#x", len(b))
	}
	var h fuzzyHeader
	if err := json.Unmarshal(rest[:i], &h); err != nil {
		return nil, fmt.Errorf("bad fuzzy set header at byte %#x: %v", len(fuzzyMagic)+1, err)
	}
	body := rest[i+1:]
	bodyOff := len(b) - len(body)
	if got := fmt.Sprintf("%x", sha256.Sum256(body)); got != h.BodySHA256 {
		return nil, fmt.Errorf("fuzzy set digests (from byte %#x) do not match the header's SHA-256: the file was changed or damaged", bodyOff)
	}
	var ss, tl []fuzzy.Entry
	off := bodyOff
	for len(body) > 0 {
		j := bytes.IndexByte(body, '\n')
		if j < 0 {
			return nil, fmt.Errorf("fuzzy set line not ended at byte %#x", off)
		}
		line := string(body[:j])
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("bad fuzzy set line at byte %#x", off)
		}
		name, err := strconv.Unquote(f[2])
		if err != nil {
			return nil, fmt.Errorf("bad name in fuzzy set line at byte %#x", off)
		}
		switch f[0] {
		case FormatSSDeep:
			ss = append(ss, fuzzy.Entry{Digest: f[1], Name: name})
		case FormatTLSH:
			tl = append(tl, fuzzy.Entry{Digest: f[1], Name: name})
		default:
			return nil, fmt.Errorf("unknown algorithm %q in fuzzy set line at byte %#x", f[0], off)
		}
		off += j + 1
		body = body[j+1:]
	}
	s := &FuzzySet{Header: h.Header, BodySHA256: h.BodySHA256}
	var bad []int
	if s.SSDeep, bad = fuzzy.NewSSDeepIndex(ss); len(bad) > 0 {
		return nil, fmt.Errorf("bad ssdeep digest %q in fuzzy set", ss[bad[0]].Digest)
	}
	if s.TLSH, bad = fuzzy.NewTLSHIndex(tl); len(bad) > 0 {
		return nil, fmt.Errorf("bad TLSH digest %q in fuzzy set", tl[bad[0]].Digest)
	}
	return s, nil
}

func sha256Hex(b []byte) string { return fmt.Sprintf("%x", sha256.Sum256(b)) }

// FuzzyExportFormats are the formats ExportFuzzy writes: ssdeep's CSV and
// a TLSH list.
var FuzzyExportFormats = []string{FormatSSDeep, FormatTLSH}

// ExportFuzzy writes the set's digests of one algorithm in the order they
// were imported: format "ssdeep" as ssdeep's CSV (its header, then
// `digest,"name"`, as `ssdeep -b` prints it and import reads it), "tlsh" as
// a TLSH list (`T1…` digest, a tab and the name when there is one, as `tlsh
// -r` prints it, with TLSH 4.x's "T1" prefix). With format "" the set's
// only algorithm is written; a set holding both needs a format.
func (s *FuzzySet) ExportFuzzy(w io.Writer, format string) error {
	ns, nt := len(s.SSDeep.Entries()), len(s.TLSH.Entries())
	if format == "" {
		switch {
		case ns > 0 && nt > 0:
			return fmt.Errorf("fuzzy set %s holds ssdeep and TLSH digests: choose one with --format ssdeep or --format tlsh", s.Name)
		case nt > 0:
			format = FormatTLSH
		default:
			format = FormatSSDeep
		}
	}
	bw := bufio.NewWriter(w)
	switch format {
	case FormatSSDeep:
		bw.WriteString(ssdeepHeader + "\n")
		for _, e := range s.SSDeep.Entries() {
			fmt.Fprintf(bw, "%s,\"%s\"\n", e.Digest, strings.ReplaceAll(e.Name, `"`, `""`))
		}
	case FormatTLSH:
		for _, e := range s.TLSH.Entries() {
			d, err := fuzzy.ParseTLSH(e.Digest)
			if err != nil {
				return fmt.Errorf("fuzzy set %s: %w", s.Name, err)
			}
			bw.WriteString(d.String())
			if e.Name != "" {
				bw.WriteString("\t" + e.Name)
			}
			bw.WriteByte('\n')
		}
	default:
		return fmt.Errorf("a fuzzy set is exported as %s, not %q", strings.Join(FuzzyExportFormats, " or "), format)
	}
	return bw.Flush()
}

// NearMatch is a digest of a fuzzy set close to a queried one.
type NearMatch struct {
	fuzzy.Match
	Set      *FuzzySet
	Category string
}

// NearMatches looks the similarity digest q (an ssdeep digest, or a TLSH
// digest with or without "T1") up in sets: the digests scoring at least
// ssdeepMin (ssdeep) or at most tlshMax from it (TLSH), closest first
// across the sets (ties: in the order of sets, then of import), at most
// limit of them. alg is "ssdeep" or "tlsh" and digest q's canonical text;
// err says why q is neither.
func NearMatches(sets []*FuzzySet, q string, ssdeepMin, tlshMax, limit int) (alg, digest string, near []NearMatch, err error) {
	if td, terr := fuzzy.ParseTLSH(q); terr == nil {
		for _, s := range sets {
			for _, m := range s.TLSH.Near(td, tlshMax, limit) {
				near = append(near, NearMatch{m, s, s.Category})
			}
		}
		slices.SortStableFunc(near, func(a, b NearMatch) int { return a.Score - b.Score })
		return FormatTLSH, td.String(), near[:min(len(near), limit)], nil
	}
	sd, serr := fuzzy.ParseSSDeep(q)
	if serr != nil {
		if strings.Contains(q, ":") {
			return "", "", nil, serr
		}
		return "", "", nil, fmt.Errorf("not an ssdeep or TLSH digest")
	}
	for _, s := range sets {
		for _, m := range s.SSDeep.Near(&sd, ssdeepMin, limit) {
			near = append(near, NearMatch{m, s, s.Category})
		}
	}
	slices.SortStableFunc(near, func(a, b NearMatch) int { return b.Score - a.Score })
	return FormatSSDeep, q, near[:min(len(near), limit)], nil
}

// IsFuzzyDigest tells whether q reads as a similarity digest rather than
// an MD5, SHA-1 or SHA-256 one: it holds a colon but no algorithm prefix
// of those (ssdeep's "blocksize:part1:part2"), or is 70 hex digits with or
// without "T1" (TLSH). It says nothing of whether q is well formed.
func IsFuzzyDigest(q string) bool {
	if _, err := fuzzy.ParseTLSH(q); err == nil {
		return true
	}
	i := strings.IndexByte(q, ':')
	if i < 0 {
		return false
	}
	_, exact := ParseAlgorithm(q[:i])
	return !exact
}
