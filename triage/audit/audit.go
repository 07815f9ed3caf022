package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
)

// Status is what the audit found for one file.
type Status int

// Statuses of a file, with the words hashdeep prints for them.
const (
	// Matched: the digests and the name are those of a known file.
	Matched Status = iota
	// Moved: the digests are those of a known file of another name.
	Moved
	// Partial: some digests of a known file match, others do not.
	Partial
	// NoMatch: no digest is in the list (a new file).
	NoMatch
)

// Result is the audit of one file.
type Result struct {
	Name   string
	Status Status
	// Known is the known file matched (Moved, Partial, Matched).
	Known *Known
}

// String is the line hashdeep prints for the result.
func (r Result) String() string {
	switch r.Status {
	case Matched:
		return r.Name + ": Ok"
	case Moved:
		return r.Name + ": Moved from " + r.Known.Name
	case Partial:
		return r.Name + ": Hash collision with " + r.Known.Name
	}
	return r.Name + ": No match"
}

// Summary holds the counts hashdeep prints.
type Summary struct {
	Examined, Expecting                    int
	Matched, Partial, Moved, New, NotFound int
}

// Passed tells whether the audit passed: every known file found where the
// list puts it and no other file (a partial match does not fail an audit,
// as in hashdeep).
func (s Summary) Passed() bool { return s.Moved == 0 && s.New == 0 && s.NotFound == 0 }

// Auditor matches files against a list.
type Auditor struct {
	list   *List
	byHash map[string]map[string][]int
	used   []bool
	sum    Summary
}

// New returns an Auditor for l.
func New(l *List) *Auditor {
	a := &Auditor{list: l, byHash: map[string]map[string][]int{}, used: make([]bool, len(l.Files))}
	for i, k := range l.Files {
		for alg, d := range k.Hashes {
			m := a.byHash[alg]
			if m == nil {
				m = map[string][]int{}
				a.byHash[alg] = m
			}
			m[d] = append(m[d], i)
		}
	}
	a.sum.Expecting = len(l.Files)
	return a
}

// Check audits one file of the given name and digests (lowercase hex by
// algorithm).
func (a *Auditor) Check(name string, hashes map[string]string) Result {
	a.sum.Examined++
	var cands []int
	seen := map[int]bool{}
	for _, alg := range a.list.Algorithms {
		for _, i := range a.byHash[alg][hashes[alg]] {
			if !seen[i] {
				seen[i] = true
				cands = append(cands, i)
			}
		}
	}
	full := func(i int) bool {
		for alg, d := range a.list.Files[i].Hashes {
			if h, ok := hashes[alg]; ok && h != d {
				return false
			}
		}
		return true
	}
	res := Result{Name: name, Status: NoMatch}
	best := -1
	for _, i := range cands {
		switch {
		case full(i) && a.list.Files[i].Name == name:
			best, res.Status = i, Matched
		case full(i) && (best < 0 || res.Status == Partial):
			best, res.Status = i, Moved
		case best < 0:
			best, res.Status = i, Partial
		}
		if res.Status == Matched {
			break
		}
	}
	if best >= 0 {
		a.used[best] = true
		res.Known = &a.list.Files[best]
	}
	switch res.Status {
	case Matched:
		a.sum.Matched++
	case Moved:
		a.sum.Moved++
	case Partial:
		a.sum.Partial++
	default:
		a.sum.New++
	}
	return res
}

// NotFound returns the known files no file matched, in list order.
func (a *Auditor) NotFound() []Known {
	var out []Known
	for i, u := range a.used {
		if !u {
			out = append(out, a.list.Files[i])
		}
	}
	return out
}

// Summary returns the counts so far, with the known files not found.
func (a *Auditor) Summary() Summary {
	s := a.sum
	s.NotFound = len(a.NotFound())
	return s
}

// Options of Run.
type Options struct {
	// Relative names files by the source as given joined with their path
	// in it (hashdeep -l); otherwise by their absolute path, as hashdeep
	// does by default.
	Relative bool
	// Result is called for every file audited, in walk order.
	Result func(Result)
	// Problem is called for a file or folder that cannot be read.
	Problem func(path string, err error)
}

// Run walks the sources (folders or files, read-only, through the scan's
// folder walk) and audits every regular file against the Auditor's list.
func (a *Auditor) Run(ctx context.Context, sources []string, opts Options) error {
	for _, s := range sources {
		if err := a.runSource(ctx, s, opts); err != nil {
			return err
		}
	}
	return nil
}

func (a *Auditor) runSource(ctx context.Context, source string, opts Options) error {
	fi, err := os.Stat(source)
	if err != nil {
		return fmt.Errorf("cannot open source: %w", err)
	}
	so := triage.SourceOptions{}
	if !fi.IsDir() {
		so.As = triage.AsFile
	}
	src, err := triage.OpenSourceWith(source, so)
	if err != nil {
		return err
	}
	defer src.Close()
	base := strings.TrimSuffix(source, "/")
	if !opts.Relative {
		if base, err = filepath.Abs(source); err != nil {
			return err
		}
	}
	algs := make([]triage.Algorithm, 0, len(a.list.Algorithms))
	for _, alg := range a.list.Algorithms {
		algs = append(algs, triage.Algorithm(alg))
	}
	h := triage.NewContentHasher(algs)
	defer h.Close()
	v := &visitor{a: a, opts: opts, base: base, single: !fi.IsDir(), h: h}
	return src.Walk(ctx, v)
}

type visitor struct {
	h      *triage.ContentHasher
	a      *Auditor
	opts   Options
	base   string
	single bool
}

func (v *visitor) name(p string) string {
	if v.single {
		return v.base
	}
	return v.base + p
}

func (v *visitor) Problem(path string, offset int64, err error) {
	if v.opts.Problem != nil {
		v.opts.Problem(v.name(path), err)
	}
}

func (v *visitor) Entry(e *triage.Entry) error {
	if e.Type != casedb.TypeFile || e.Open == nil || e.Stream != "" {
		return nil
	}
	name := v.name(e.Path)
	if e.Err != nil {
		v.Problem(e.Path, -1, e.Err)
		return nil
	}
	hashes, err := v.digest(e)
	if err != nil {
		v.Problem(e.Path, -1, err)
		return nil
	}
	r := v.a.Check(name, hashes)
	if v.opts.Result != nil {
		v.opts.Result(r)
	}
	return nil
}

// digest hashes the content of e with the list's algorithms in one read,
// through the scan's hashing pipeline.
func (v *visitor) digest(e *triage.Entry) (map[string]string, error) {
	rc, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d, _, err := v.h.Sum(rc, e.Size)
	if err != nil {
		return nil, err
	}
	if p, ok := rc.(triage.PartialReader); ok {
		if why, bad := p.Incomplete(); bad {
			return nil, fmt.Errorf("content incomplete: %s", why)
		}
	}
	out := map[string]string{}
	for alg, x := range map[string]string{MD5: d.MD5, SHA1: d.SHA1, SHA256: d.SHA256} {
		if x != "" {
			out[alg] = x
		}
	}
	return out, nil
}
