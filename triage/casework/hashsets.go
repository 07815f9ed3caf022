package casework

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/triagekit/triage/hashset"
	_ "github.com/triagekit/triage/hashset/nsrlsqlite" // the nsrl-sqlite import format
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/fuzzy"
)

// HashsetOptions select the hash sets a scan matches against.
type HashsetOptions struct {
	Names        []string // sets of the library to use; none: every set
	Files        []string // hash-set files imported for this scan only
	FileCategory string   // category of the Files sets
	Dir          string   // the library; "": hashset.DefaultDir
	None         bool     // use no set of the library (only Files)
	// Near matches against fuzzy sets: an ssdeep score at least
	// SSDeepThreshold, a TLSH distance at most TLSHThreshold (the
	// defaults when 0; a negative value turns that algorithm's matching
	// off).
	SSDeepThreshold int
	TLSHThreshold   int
}

// Default near-match thresholds. ssdeep scores of 80 and more are what
// ssdeep's authors and hash-sharing partners treat as the same file
// modified (a byte changed, a re-save); lower scores catch more relatives
// and more unrelated files of a shared format. TLSH distances of 40 or less
// are TLSH's authors' "very similar" band with a low false-positive rate.
const (
	DefaultSSDeepThreshold = 80
	DefaultTLSHThreshold   = 40
)

// Validate checks the options without touching anything.
func (o *HashsetOptions) Validate() error {
	if !hashset.ValidCategory(o.FileCategory) {
		return fmt.Errorf("--hashset-file-category %q: use known-bad, known-good or notable", o.FileCategory)
	}
	if o.None && len(o.Names) > 0 {
		return errors.New("--no-hashsets and --hashset exclude each other")
	}
	if o.SSDeepThreshold > 100 {
		return fmt.Errorf("--ssdeep-threshold %d: an ssdeep score is 0 to 100", o.SSDeepThreshold)
	}
	return nil
}

// Library returns the hash-set library in dir, or the default one when dir
// is "".
func Library(dir string) (*hashset.Library, error) {
	if dir == "" {
		d, err := hashset.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return &hashset.Library{Dir: dir}, nil
}

// DamagedSetsError is returned by OpenSets when some sets of the library
// cannot be read.
type DamagedSetsError struct{ Errs []error }

func (e *DamagedSetsError) Error() string   { return errors.Join(e.Errs...).Error() }
func (e *DamagedSetsError) Unwrap() []error { return e.Errs }

// OpenSets opens the named sets, or every set when names is empty. A set
// that is not found is an error wrapping hashset.ErrNotFound; damaged sets,
// when every set is opened, are a *DamagedSetsError.
func OpenSets(lib *hashset.Library, names []string) ([]*hashset.Set, error) {
	if len(names) == 0 {
		sets, errs, err := lib.OpenAll()
		if err != nil {
			return nil, err
		}
		if len(errs) > 0 {
			CloseSets(sets)
			return nil, &DamagedSetsError{errs}
		}
		return sets, nil
	}
	var sets []*hashset.Set
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		s, err := lib.Open(n)
		if err != nil {
			CloseSets(sets)
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// CloseSets closes sets, except the built-in ones.
func CloseSets(sets []*hashset.Set) {
	for _, s := range sets {
		if !s.BuiltIn {
			s.Close()
		}
	}
}

// Hashsets are the sets a scan matches against.
type Hashsets struct {
	sets               []*hashset.Set
	fuzzy              []*hashset.FuzzySet
	ssdeepMin, tlshMax int
	m                  *hashset.Matcher
	tmp                string
	onFly              map[string]bool
}

// OpenHashsets opens the library sets o selects and imports the o.Files
// sets into a temporary library. onFile, when not nil, is called for each
// file imported, with the set made of it (nil when it could not be opened).
// Close releases them.
func OpenHashsets(ctx context.Context, o *HashsetOptions, onFile func(file string, res *hashset.ImportResult, s *hashset.Set)) (*Hashsets, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	hs := &Hashsets{onFly: map[string]bool{}}
	if !o.None {
		lib, err := Library(o.Dir)
		if err != nil {
			return nil, err
		}
		// Names of fuzzy sets select those; the others, exact sets.
		var exact, fz []string
		for _, n := range o.Names {
			if _, err := os.Stat(filepath.Join(lib.Dir, n+hashset.FuzzyExt)); err == nil && hashset.ValidName(n) == nil {
				fz = append(fz, n)
			} else {
				exact = append(exact, n)
			}
		}
		if len(o.Names) == 0 {
			var err error
			if fz, err = lib.FuzzyNames(); err != nil {
				return nil, err
			}
		}
		for _, n := range fz {
			f, err := lib.OpenFuzzy(n)
			if err != nil {
				return nil, fmt.Errorf("set %q: %w", n, err)
			}
			hs.fuzzy = append(hs.fuzzy, f)
		}
		if len(o.Names) == 0 || len(exact) > 0 {
			sets, err := OpenSets(lib, exact)
			if err != nil {
				return nil, err
			}
			hs.sets = sets
		}
		// A damaged index would miss known files without a word: every
		// section's checksum is checked (once per file version) before
		// the scan, and a mismatch stops it.
		for _, s := range hs.sets {
			var err error
			if s.BuiltIn {
				err = s.Check()
			} else {
				_, err = lib.CheckCached(s)
			}
			if err != nil {
				hs.Close()
				return nil, err
			}
		}
	}
	if len(o.Files) > 0 {
		tmp, err := os.MkdirTemp("", "triage-hashsets-")
		if err != nil {
			hs.Close()
			return nil, err
		}
		hs.tmp = tmp
		lib := &hashset.Library{Dir: tmp, NoBuiltin: true}
		taken := map[string]bool{}
		for _, s := range hs.sets {
			taken[s.Name] = true
		}
		for _, f := range o.Files {
			name := FileSetName(f, taken)
			taken[name] = true
			res, err := lib.Import(ctx, []string{f}, hashset.ImportOptions{Name: name, Category: o.FileCategory,
				Description: "imported for one scan with --hashset-file"})
			if err != nil {
				hs.Close()
				return nil, fmt.Errorf("--hashset-file: %w", err)
			}
			if strings.HasSuffix(res.Path, hashset.FuzzyExt) {
				fs, err := lib.OpenFuzzy(name)
				if err != nil {
					hs.Close()
					return nil, err
				}
				if onFile != nil {
					onFile(f, res, nil)
				}
				hs.fuzzy = append(hs.fuzzy, fs)
				hs.onFly[name] = true
				continue
			}
			s, err := lib.Open(name)
			if err == nil {
				if err = s.Check(); err != nil {
					s.Close()
					s = nil
				}
			}
			if onFile != nil {
				onFile(f, res, s)
			}
			if err != nil {
				hs.Close()
				return nil, err
			}
			hs.sets = append(hs.sets, s)
			hs.onFly[name] = true
		}
	}
	hs.m = hashset.NewMatcher(hs.sets)
	hs.ssdeepMin = cmpOr(o.SSDeepThreshold, DefaultSSDeepThreshold)
	hs.tlshMax = cmpOr(o.TLSHThreshold, DefaultTLSHThreshold)
	return hs, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// FileSetName derives a set name from a file name, unique among taken.
func FileSetName(path string, taken map[string]bool) string {
	base := []byte(filepath.Base(path))
	for i, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+') {
			base[i] = '_'
		}
	}
	name := strings.TrimLeft(string(base), "._-+")
	if len(name) > 100 {
		name = name[:100]
	}
	if name == "" {
		name = "hashset-file"
	}
	n := name
	for i := 2; taken[n] || hashset.ValidName(n) != nil; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	return n
}

// Close releases the sets and removes the temporary library.
func (hs *Hashsets) Close() {
	if hs == nil {
		return
	}
	CloseSets(hs.sets)
	hs.sets = nil
	if hs.tmp != "" {
		os.RemoveAll(hs.tmp)
	}
}

// scanMatcher adapts a hashset.Matcher and the fuzzy sets to the scan
// engine.
type scanMatcher struct{ hs *Hashsets }

func (s scanMatcher) Match(d triage.Digests) (string, []string, error) {
	return s.hs.m.Find(d.MD5, d.SHA1, d.SHA256)
}

// MatchFuzzy returns the closest digest of the fuzzy sets: the highest
// ssdeep score at least the threshold, else the smallest TLSH distance at
// most the threshold (ssdeep first: its score is the one examiners quote).
func (s scanMatcher) MatchFuzzy(ssdeep, tlsh string) (triage.FuzzyMatch, bool) {
	hs := s.hs
	var best triage.FuzzyMatch
	found := false
	if ssdeep != "" && hs.ssdeepMin >= 0 {
		if q, err := fuzzy.ParseSSDeep(ssdeep); err == nil {
			for _, f := range hs.fuzzy {
				if m, ok := f.SSDeep.Best(&q, max(hs.ssdeepMin, 1)); ok && (!found || m.Score > best.Score) {
					best, found = triage.FuzzyMatch{Set: f.Name, Category: f.Category, Match: m}, true
				}
			}
		}
	}
	if found || tlsh == "" || hs.tlshMax < 0 {
		return best, found
	}
	if q, err := fuzzy.ParseTLSH(tlsh); err == nil {
		for _, f := range hs.fuzzy {
			if m, ok := f.TLSH.Best(q, hs.tlshMax); ok && (!found || m.Score < best.Score) {
				best, found = triage.FuzzyMatch{Set: f.Name, Category: f.Category, Match: m}, true
			}
		}
	}
	return best, found
}

// MatchHits implements triage.HitMatcher: which digest matched each set.
func (s scanMatcher) MatchHits(d triage.Digests) (string, []casedb.HashHit, error) {
	status, hits, err := s.hs.m.Explain(d.MD5, d.SHA1, d.SHA256)
	return status, ToHashHits(hits), err
}

// ToHashHits converts the hits of a hash-set lookup to the record's form.
func ToHashHits(hits []hashset.Hit) []casedb.HashHit {
	if len(hits) == 0 {
		return nil
	}
	out := make([]casedb.HashHit, len(hits))
	for i, h := range hits {
		out[i] = casedb.HashHit{Set: h.Set, Category: h.Category, Algorithm: h.Algorithm.String(), Digest: h.Digest}
	}
	return out
}

// Matcher returns the scan engine's matcher, nil when there is no set.
func (hs *Hashsets) Matcher() triage.Matcher {
	if hs == nil || len(hs.sets) == 0 && len(hs.fuzzy) == 0 {
		return nil
	}
	return scanMatcher{hs}
}

// FuzzySets returns the fuzzy sets the scan matches against.
func (hs *Hashsets) FuzzySets() []*hashset.FuzzySet {
	if hs == nil {
		return nil
	}
	return hs.fuzzy
}

// onEvidence wraps next (the custody hook of the scan): once the run is
// recorded, every set used is recorded in the case and the custody log.
func (hs *Hashsets) onEvidence(e *Env, c *casedb.Case, actor string, next func(*casedb.Evidence, int64, bool) error) func(*casedb.Evidence, int64, bool) error {
	return func(ev *casedb.Evidence, runID int64, resumed bool) error {
		if next != nil {
			if err := next(ev, runID, resumed); err != nil {
				return err
			}
		}
		if hs == nil {
			return nil
		}
		for _, s := range hs.m.Sets() {
			d := UseDetails(s, hs.onFly[s.Name])
			if err := c.AddHashSetUse(context.Background(), runID, casedb.HashSetUse{Name: s.Name, Category: s.Category, Details: d}); err != nil {
				return fmt.Errorf("cannot record hash set %q in the case: %w", s.Name, err)
			}
			cd := map[string]any{"evidence": ev.ID, "run": runID, "name": s.Name, "category": s.Category,
				"counts": d["counts"], "index_sha256": s.HeaderSHA256, "file_sha256": d["file_sha256"], "sources": d["sources"], "built_in": s.BuiltIn}
			if err := e.AppendCustody(c.Dir, custody.ActionHashSetUsed, actor, cd); err != nil {
				return err
			}
		}
		for _, s := range hs.fuzzy {
			d := FuzzyUseDetails(s, hs.onFly[s.Name])
			if err := c.AddHashSetUse(context.Background(), runID, casedb.HashSetUse{Name: s.Name, Category: s.Category, Details: d}); err != nil {
				return fmt.Errorf("cannot record hash set %q in the case: %w", s.Name, err)
			}
			cd := map[string]any{"evidence": ev.ID, "run": runID, "name": s.Name, "category": s.Category,
				"counts": d["counts"], "body_sha256": s.BodySHA256, "sources": d["sources"], "fuzzy": true}
			if err := e.AppendCustody(c.Dir, custody.ActionHashSetUsed, actor, cd); err != nil {
				return err
			}
		}
		return nil
	}
}

// FuzzyUseDetails is what a case records about a fuzzy set used.
func FuzzyUseDetails(s *hashset.FuzzySet, onTheFly bool) map[string]any {
	var srcs []map[string]any
	for _, src := range s.Sources {
		srcs = append(srcs, map[string]any{"name": src.Name, "sha256": src.SHA256, "size": src.Size,
			"format": src.Format, "records": src.Records, "malformed": src.Malformed})
	}
	d := map[string]any{
		"description": s.Description, "sources": srcs, "counts": s.Counts, "body_sha256": s.BodySHA256,
		"tool": s.Tool, "fuzzy": true, "imported": s.Imported.UTC().Format(time.RFC3339),
	}
	if onTheFly {
		d["hashset_file"] = true
	} else {
		d["path"] = s.Path
	}
	return d
}

// UseDetails is what a case records about a set used; onTheFly marks a set
// imported for one scan.
func UseDetails(s *hashset.Set, onTheFly bool) map[string]any {
	var srcs []map[string]any
	for _, src := range s.Sources {
		srcs = append(srcs, map[string]any{"name": src.Name, "sha256": src.SHA256, "size": src.Size,
			"format": src.Format, "records": src.Records, "malformed": src.Malformed})
	}
	d := map[string]any{
		"description": s.Description, "sources": srcs, "counts": s.Counts, "index_sha256": s.HeaderSHA256,
		"built_in": s.BuiltIn, "tool": s.Tool, "index_format_version": s.FormatVersion,
	}
	if !s.BuiltIn {
		d["imported"] = s.Imported.UTC().Format(time.RFC3339)
	}
	if s.FileSHA256 != "" {
		// The bytes the scan matched against, checked section by section.
		d["file_sha256"] = s.FileSHA256
		d["checked_at"] = s.CheckedAt.UTC().Format(time.RFC3339)
	}
	if onTheFly {
		d["hashset_file"] = true
	} else if s.Path != "" {
		d["path"] = s.Path
	}
	return d
}
