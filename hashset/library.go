package hashset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/internal/evidence"
)

// Ext is the file extension of an index in a library.
const Ext = ".tset"

// EnvDir names the environment variable that overrides the library folder.
const EnvDir = "TRIAGE_HASHSET_DIR"

// ErrExists is returned when importing under a name already in use.
var ErrExists = errors.New("a set with this name exists")

// ErrNotFound is returned for a set name that is not in the library.
var ErrNotFound = errors.New("no such set")

// DefaultDir returns the library folder: $TRIAGE_HASHSET_DIR, else
// $XDG_DATA_HOME/triage/hashsets, else ~/.local/share/triage/hashsets.
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "triage", "hashsets"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("cannot find the hash-set library (set %s or --hashset-dir): %w", EnvDir, err)
	}
	return filepath.Join(home, ".local", "share", "triage", "hashsets"), nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$`)

// ValidName checks a set name: letters, digits, '.', '_', '+', '-', at most
// 128 characters, not starting with a punctuation character.
func ValidName(n string) error {
	if !nameRE.MatchString(n) {
		return fmt.Errorf("invalid set name %q: use letters, digits, '.', '_', '+' and '-', starting with a letter or digit, at most 128 characters", n)
	}
	return nil
}

// Library is a folder of hash-set indexes plus the built-in sets.
type Library struct {
	Dir string
	// NoBuiltin leaves the built-in sets out.
	NoBuiltin bool
}

func (l *Library) path(name string) string { return filepath.Join(l.Dir, name+Ext) }

// Names lists the sets of the library, built-in first, then sorted.
func (l *Library) Names() ([]string, error) {
	var out []string
	if !l.NoBuiltin {
		out = append(out, BuiltinNames()...)
	}
	ents, err := os.ReadDir(l.Dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasPrefix(n, ".") || !strings.HasSuffix(n, Ext) || e.IsDir() {
			continue
		}
		n = strings.TrimSuffix(n, Ext)
		if ValidName(n) == nil && !isBuiltin(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return append(out, names...), nil
}

// Open opens the set called name.
func (l *Library) Open(name string) (*Set, error) {
	if !l.NoBuiltin {
		if s, ok := builtin(name); ok {
			return s, nil
		}
	}
	if err := ValidName(name); err != nil {
		return nil, err
	}
	s, err := Open(l.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w %q in %s", ErrNotFound, name, l.Dir)
	}
	return s, err
}

// OpenAll opens every set of the library. Sets that cannot be opened are
// returned as errors next to the others.
func (l *Library) OpenAll() ([]*Set, []error, error) {
	names, err := l.Names()
	if err != nil {
		return nil, nil, err
	}
	var sets []*Set
	var errs []error
	for _, n := range names {
		s, err := l.Open(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("set %q: %w", n, err))
			continue
		}
		sets = append(sets, s)
	}
	return sets, errs, nil
}

// Remove deletes the set called name.
func (l *Library) Remove(name string) error {
	if isBuiltin(name) {
		return fmt.Errorf("%q is built in and cannot be removed", name)
	}
	if err := ValidName(name); err != nil {
		return err
	}
	err := os.Remove(l.path(name))
	if errors.Is(err, fs.ErrNotExist) {
		err = os.Remove(l.fuzzyPath(name))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w %q in %s", ErrNotFound, name, l.Dir)
	}
	return err
}

// ImportOptions control an import.
type ImportOptions struct {
	Name        string
	Category    string
	Description string
	Format      string // "auto" or "" to detect per file, or a name of Formats
	Replace     bool
	Workers     int // parallel parsers; GOMAXPROCS when 0
	// RunBytes is the in-memory sort run per algorithm (defaultRunBytes
	// when 0).
	RunBytes int
	Now      func() time.Time
}

// SourceResult is what one file gave.
type SourceResult struct {
	Source
	Problems   []Problem // the first few malformed lines
	Categories map[string]int64
}

// ImportResult summarises an import.
type ImportResult struct {
	Path    string
	Header  Header
	Sources []SourceResult
}

// Import reads files into a new index named opts.Name. The index replaces
// an existing set of the same name only with opts.Replace. Malformed lines
// are counted and reported, not fatal; a file without a single record is
// an error.
func (l *Library) Import(ctx context.Context, files []string, opts ImportOptions) (*ImportResult, error) {
	if err := ValidName(opts.Name); err != nil {
		return nil, err
	}
	if isBuiltin(opts.Name) {
		return nil, fmt.Errorf("%q is the name of a built-in set", opts.Name)
	}
	if !ValidCategory(opts.Category) {
		return nil, fmt.Errorf("invalid category %q: use known-bad, known-good or notable", opts.Category)
	}
	// ssdeep CSV files and TLSH lists make a fuzzy set (fuzzy.go).
	if f := strings.ToLower(opts.Format); f == FormatSSDeep || f == FormatTLSH {
		opts.Format = f
		return l.ImportFuzzy(ctx, files, opts)
	}
	if (opts.Format == "" || opts.Format == "auto") && len(files) > 0 {
		if f, err := IsFuzzySource(files[0]); err == nil && f != "" {
			return l.ImportFuzzy(ctx, files, opts)
		}
	}
	format, ok := NormalizeFormat(opts.Format)
	if !ok {
		return nil, fmt.Errorf("unknown format %q: use auto or one of %s", opts.Format, strings.Join(Formats, ", "))
	}
	if len(files) == 0 {
		return nil, errors.New("no files to import")
	}
	dst := l.path(opts.Name)
	nl, err := l.lockNew(opts.Name, opts.Replace)
	if err != nil {
		return nil, err
	}
	defer nl.release()
	tmp, err := os.MkdirTemp(l.Dir, ".import-*")
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary folder: %w", err)
	}
	defer os.RemoveAll(tmp)
	tl, _, _, err := tryLockFile(filepath.Join(tmp, importLockName))
	if err != nil {
		return nil, fmt.Errorf("cannot create a temporary folder: %w", err)
	}
	defer tl.release()
	b := newBuilder(tmp, opts.RunBytes)
	defer b.cleanup()
	res := &ImportResult{Path: dst}
	emit := func(bt *batch) error {
		for _, a := range Algorithms {
			if len(bt.d[a]) > 0 {
				if err := b.add(a, bt.d[a]); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, file := range files {
		sr, err := importFile(ctx, file, format, opts.Workers, emit)
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
		Name: opts.Name, Category: opts.Category, Description: opts.Description,
		Imported: now().UTC().Truncate(time.Second), Tool: bi.Program + " " + bi.Version,
	}
	if bi.Commit != "" {
		h.Tool += " (" + bi.Commit + ")"
	}
	for _, s := range res.Sources {
		h.Sources = append(h.Sources, s.Source)
	}
	if err := b.writeFile(ctx, dst, &h); err != nil {
		return nil, err
	}
	res.Header = h
	return res, nil
}

// importFile parses one source into emit.
func importFile(ctx context.Context, path, format string, workers int, emit consumer) (*SourceResult, error) {
	name := filepath.Base(path)
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
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	found := detect(head)
	if format == "auto" {
		if found == "" {
			return nil, fmt.Errorf("%s: cannot tell the format: %s (name one with --format)", path, describe(head))
		}
		format = found
	}
	mismatch := func(err error) error {
		if found != format {
			return fmt.Errorf("%s is not in %s format (%v); it looks like %s", path, format, err, describe(head))
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	sr := &SourceResult{Source: Source{Name: name, Size: fi.Size(), Format: format}}
	sum := newSum()
	var st *sourceStats
	switch format {
	case "nsrl-sqlite":
		if found != format {
			return nil, mismatch(errors.New("no SQLite header"))
		}
		done := make(chan error, 1)
		go func() {
			hf, err := evidence.Open(path)
			if err == nil {
				_, err = io.Copy(sum, hf)
				hf.Close()
			}
			done <- err
		}()
		st, err = parseNSRLSQLite(ctx, path, name, emit)
		if herr := <-done; err == nil && herr != nil {
			err = fmt.Errorf("cannot read %s: %w", path, herr)
		}
	case "vics":
		sr.Categories = map[string]int64{}
		st, err = parseVICS(ctx, io.TeeReader(f, sum), name, sr.Categories, emit)
		if err == nil {
			_, err = io.Copy(sum, f) // trailing bytes
		}
	default:
		tf := textFormats[format]
		st, err = parseText(ctx, f, name, tf, workers, sum, emit)
	}
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, err
		}
		return nil, mismatch(err)
	}
	sr.SHA256 = hexString(sum.Sum(nil))
	sr.Records, sr.Malformed, sr.Problems = st.records, st.malformed, st.problems
	if st.records == 0 {
		unit := "lines"
		if format == "nsrl-sqlite" {
			unit = "rows"
		} else if format == "vics" {
			unit = "records"
		}
		e := fmt.Errorf("no hash records (%d malformed %s)", st.malformed, unit)
		if len(st.problems) > 0 {
			e = fmt.Errorf("%w; first: %s", e, st.problems[0])
		}
		return nil, mismatch(e)
	}
	return sr, nil
}

// lockNew takes the lock of the set name for an import into the library,
// creating the library folder. Unless replace, a name already taken by an
// exact or a fuzzy set is refused, before the lock and again under it (an
// import of the same name may have finished meanwhile).
func (l *Library) lockNew(name string, replace bool) (*fileLock, error) {
	taken := func() error {
		for _, p := range []string{l.path(name), l.fuzzyPath(name)} {
			if _, err := os.Stat(p); err == nil && !replace {
				return fmt.Errorf("%w: %q (use --replace to replace it)", ErrExists, name)
			}
		}
		return nil
	}
	if err := taken(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the hash-set library: %w", err)
	}
	nl, err := l.lockName(name)
	if err != nil {
		return nil, err
	}
	if err := taken(); err != nil {
		nl.release()
		return nil, err
	}
	return nl, nil
}
