// Package validate runs triage's built-in validation suite: reference cases
// in the style of NIST CFTT, each checking one requirement of the tool
// against small reference images embedded in the binary, whose expected
// results were recorded by peer tools (the Sleuth Kit, coreutils,
// ewfacquire) or come from the images' documentation, never from triage
// itself. The result is a Record that can be written as JSON and HTML with
// a report manifest (and a minisign signature), so that `triage verify`
// checks it like a report, and compared with an older record.
package validate

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/triagekit/triage/report"
)

//go:generate sh refdata/gen.sh

// refdata holds the reference images and their recorded expectations,
// copied from testdata/images by refdata/gen.sh.
//
//go:embed refdata
var refdata embed.FS

// RecordKind is the kind member of a validation record.
const RecordKind = "triage validation record"

// SchemaVersion is the version of the record's JSON layout.
const SchemaVersion = 1

// maxImage bounds the decompressed size of one reference image.
const maxImage = 64 << 20

// Case is the result of one reference case.
type Case struct {
	ID          string `json:"id"`
	Requirement string `json:"requirement"` // what the tool shall do, CFTT style
	Image       string `json:"image"`
	ImageSHA256 string `json:"image_sha256"`
	Expected    string `json:"expected"`
	Source      string `json:"source"` // where the expectation comes from, with the peer tool's version
	Actual      string `json:"actual"`
	Pass        bool   `json:"pass"`
	// Differences lists what did not match (empty when the case passes).
	Differences []string `json:"differences,omitempty"`
}

// Record is a validation record: who ran which binary where, and the cases.
type Record struct {
	SchemaVersion int         `json:"schema_version"`
	Kind          string      `json:"kind"`
	ID            string      `json:"id"`
	GeneratedAt   string      `json:"generated_at"`
	Tool          report.Tool `json:"tool"`
	Examiner      string      `json:"examiner"`
	Host          string      `json:"host"`
	Seconds       float64     `json:"seconds"`
	Passed        int         `json:"passed"`
	Failed        int         `json:"failed"`
	Cases         []Case      `json:"cases"`
}

// OK reports whether every case passed.
func (r *Record) OK() bool { return r.Failed == 0 && len(r.Cases) > 0 }

// FailedCases returns the ids of the cases that failed.
func (r *Record) FailedCases() []string {
	var ids []string
	for _, c := range r.Cases {
		if !c.Pass {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// Options control Run.
type Options struct {
	Examiner string
	Host     string           // "": the system's host name
	Now      func() time.Time // nil: time.Now
	Tool     *report.Tool     // nil: report.CurrentTool()
	// Data replaces the embedded reference data (a test hook: a suite
	// with a deliberately wrong expectation must fail).
	Data iofs.FS
	// Only runs the cases whose id has one of these prefixes (all when
	// empty).
	Only []string
}

// env is what the cases share: the reference data, a scratch folder, and
// the scans already made (several cases check one scan).
type env struct {
	ctx   context.Context
	data  iofs.FS
	tmp   string
	scans map[string]*scanResult
}

// Run runs the suite and returns its record.
func Run(ctx context.Context, o Options) (*Record, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	start := time.Now()
	data := o.Data
	if data == nil {
		sub, err := iofs.Sub(refdata, "refdata")
		if err != nil {
			return nil, err
		}
		data = sub
	}
	tmp, err := os.MkdirTemp("", "triage-validate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	e := &env{ctx: ctx, data: data, tmp: tmp, scans: map[string]*scanResult{}}
	tool := report.CurrentTool()
	if o.Tool != nil {
		tool = *o.Tool
	}
	host := o.Host
	if host == "" {
		host, _ = os.Hostname()
	}
	t := now()
	rec := &Record{SchemaVersion: SchemaVersion, Kind: RecordKind, ID: strings.Replace(report.NewID(t), "TR-", "TV-", 1),
		GeneratedAt: t.UTC().Format(time.RFC3339), Tool: tool, Examiner: o.Examiner, Host: host}
	if rec.Tool.Platform == "" {
		rec.Tool.Platform = runtime.GOOS + "/" + runtime.GOARCH
	}
	for _, s := range suite {
		if !selected(s.id, o.Only) {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c := e.run(s)
		if c.Pass {
			rec.Passed++
		} else {
			rec.Failed++
		}
		rec.Cases = append(rec.Cases, c)
	}
	rec.Seconds = time.Since(start).Round(time.Millisecond).Seconds()
	return rec, nil
}

func selected(id string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// spec is one reference case of the suite.
type spec struct {
	id, requirement string
	image           string // reference image in refdata ("" when made by the case)
	source          string // where the expectation comes from; {peer} names a tool in peer-versions.txt
	// check returns the expected and actual results and the differences.
	check func(e *env, s *spec) (expected, actual string, diffs []string, err error)
}

func (e *env) run(s spec) (c Case) {
	c = Case{ID: s.id, Requirement: s.requirement, Image: s.image, Source: e.expandSource(s.source)}
	defer func() {
		if p := recover(); p != nil {
			c.Pass = false
			c.Actual = fmt.Sprintf("the case panicked: %v", p)
			c.Differences = append(c.Differences, c.Actual)
		}
	}()
	if s.image != "" {
		sum, err := e.imageSHA256(s.image)
		if err != nil {
			c.Actual = "reference image unusable: " + err.Error()
			c.Differences = []string{c.Actual}
			return c
		}
		c.ImageSHA256 = sum
	}
	exp, act, diffs, err := s.check(e, &s)
	c.Expected, c.Actual = exp, act
	if err != nil {
		c.Actual = "error: " + err.Error()
		diffs = append(diffs, c.Actual)
	}
	c.Differences = diffs
	c.Pass = len(diffs) == 0
	return c
}

// expandSource replaces {tool} with the version recorded in
// peer-versions.txt when the expectation was made.
func (e *env) expandSource(s string) string {
	b, err := iofs.ReadFile(e.data, "peer-versions.txt")
	if err != nil {
		return s
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, ver, ok := strings.Cut(line, "\t")
		if ok {
			s = strings.ReplaceAll(s, "{"+name+"}", ver)
		}
	}
	return s
}

// imagePath writes the reference image (gunzipped when stored .gz) to the
// scratch folder once and returns its path.
func (e *env) imagePath(name string) (string, error) {
	p := filepath.Join(e.tmp, "images", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	b, err := e.imageBytes(name)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", err
	}
	return p, os.WriteFile(p, b, 0o444)
}

// imageBytes returns the content of a reference image.
func (e *env) imageBytes(name string) ([]byte, error) {
	if b, err := iofs.ReadFile(e.data, name); err == nil {
		return b, nil
	}
	f, err := e.data.Open(name + ".gz")
	if err != nil {
		return nil, fmt.Errorf("no reference image %s", name)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", name, err)
	}
	b, err := io.ReadAll(io.LimitReader(z, maxImage+1))
	if err != nil {
		return nil, fmt.Errorf("%s.gz: %w", name, err)
	}
	if len(b) > maxImage {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxImage)
	}
	return b, nil
}

// imageSHA256 returns the SHA-256 of a reference image, and an error when
// it differs from the one make.sh recorded with sha256sum beside it.
func (e *env) imageSHA256(name string) (string, error) {
	b, err := e.imageBytes(name)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(b)
	sum := hex.EncodeToString(h[:])
	if rec, err := iofs.ReadFile(e.data, name+".sha256"); err == nil {
		want, _, _ := strings.Cut(string(rec), " ")
		if want != sum {
			return sum, fmt.Errorf("SHA-256 %s, but %s.sha256 records %s", sum, name, want)
		}
	}
	return sum, nil
}

// maxDiffs bounds the differences listed per case.
const maxDiffs = 50

// capDiffs keeps at most maxDiffs differences, and says how many more.
func capDiffs(d []string) []string {
	if len(d) > maxDiffs {
		return append(d[:maxDiffs:maxDiffs], fmt.Sprintf("… and %d more", len(d)-maxDiffs))
	}
	return d
}

func lines(b []byte) []string {
	return strings.Split(strings.TrimRight(string(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))), "\n"), "\n")
}
