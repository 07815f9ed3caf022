package report

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Formats lists the output formats in the order they are written.
var Formats = []string{"html", "pdf", "json", "csv", "dfxml"}

// Extension returns the file extension of a format.
func Extension(format string) string {
	if format == "dfxml" {
		return ".dfxml.xml"
	}
	return "." + format
}

// Output is one file a report run writes.
type Output struct {
	Format string
	Path   string
}

// aliases are the other usual extensions of a format: an output named with
// one is written under that name (html) or under the base name with the
// format's extension (dfxml: r.xml and r.dfxml become r.dfxml.xml).
var aliases = map[string][]string{"html": {".htm"}, "dfxml": {".dfxml", ".xml"}}

// keepAlias reports whether an output named with an alias keeps its name.
func keepAlias(format string) bool { return format == "html" }

// Plan decides the output file names of a report run. With one format, out
// is used as given when it already ends in that format's extension (or has
// no extension: then the extension is added). With several, out is a base
// name and each format gets its extension. The manifest is BASE.manifest.json
// and its signature BASE.manifest.json.minisig. Each format's usual
// extensions are accepted (.htm for HTML, .xml and .dfxml for DFXML).
func Plan(formats []string, out string) (outs []Output, manifest string, err error) {
	if out == "" {
		return nil, "", errors.New("no output file given")
	}
	seen := map[string]bool{}
	base := out
	kept := map[string]string{}
	for _, f := range formats {
		if !contains(Formats, f) {
			return nil, "", fmt.Errorf("unknown format %q (want one of %s)", f, strings.Join(Formats, ", "))
		}
		if seen[f] {
			continue
		}
		seen[f] = true
		if strings.HasSuffix(out, Extension(f)) {
			base = strings.TrimSuffix(out, Extension(f))
			continue
		}
		for _, a := range aliases[f] {
			if strings.HasSuffix(out, a) {
				base = strings.TrimSuffix(out, a)
				if keepAlias(f) {
					kept[f] = out
				}
				break
			}
		}
	}
	for _, f := range Formats {
		if seen[f] {
			p := base + Extension(f)
			if k, ok := kept[f]; ok && len(seen) == 1 {
				p = k
			}
			outs = append(outs, Output{f, p})
		}
	}
	if len(outs) == 0 {
		return nil, "", errors.New("no format given")
	}
	return outs, base + ".manifest.json", nil
}

// ExistsError is returned by Write for outputs that exist already: a report
// run never replaces another run's files unless told to (WriteOptions.Force).
type ExistsError struct{ Paths []string }

func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists (written by an earlier report run)", strings.Join(e.Paths, ", "))
}

// Superseded describes the earlier report run whose manifest a forced run
// replaced.
type Superseded struct {
	Manifest string // its path
	SHA256   string // the SHA-256 of the replaced manifest
	ReportID string // its report id, "" when the manifest was unreadable
}

// ManifestOutput is one file listed in a manifest.
type ManifestOutput struct {
	File   string `json:"file"` // name relative to the manifest's folder
	Format string `json:"format"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Manifest lists the files of one report run with their SHA-256, and the
// custody log head the report was made from.
type Manifest struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	ReportID      string `json:"report_id"`
	GeneratedAt   string `json:"generated_at"`
	Case          struct {
		Dir        string `json:"dir"`
		CaseNumber string `json:"case_number"`
		LabCaseID  string `json:"lab_case_id"`
	} `json:"case"`
	Tool    Tool `json:"tool"`
	Custody struct {
		Events  int    `json:"events"`
		HeadSeq int64  `json:"head_seq"`
		Head    string `json:"head"`
		Intact  bool   `json:"intact"`
		Problem string `json:"problem,omitempty"`
	} `json:"custody"`
	Outputs   []ManifestOutput `json:"outputs"`
	Signature *struct {
		File      string `json:"file"`
		KeyID     string `json:"key_id"`
		PublicKey string `json:"public_key"`
	} `json:"signature,omitempty"`
}

// ManifestKind is the kind member of a report manifest.
const ManifestKind = "triage report manifest"

// Result is what a report run wrote.
type Result struct {
	Outputs        []ManifestOutput
	ManifestPath   string
	ManifestSHA256 string
	SignaturePath  string
	Manifest       *Manifest
	Superseded     *Superseded // the run this one replaced (WriteOptions.Force)
}

// WriteOptions control Write.
type WriteOptions struct {
	Signer *Signer
	PDF    PDFOptions
	// Force replaces existing outputs, manifest and signature. The
	// replaced manifest is returned in Result.Superseded, and a signature
	// of the replaced run that this run does not rewrite is removed (it
	// would sign a manifest that no longer exists).
	Force bool
}

// Renderer writes one format.
type Renderer func(ctx context.Context, w io.Writer, r *Report) error

// Write renders every output, the manifest and (with a signer) the manifest
// signature. Each file is written to a temporary file beside its target and
// renamed into place only once every file is complete, so a failure leaves
// nothing half-written.
func Write(ctx context.Context, r *Report, outs []Output, manifestPath string, o WriteOptions) (*Result, error) {
	var temps []string
	var targets []string
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	res := &Result{ManifestPath: manifestPath}
	for _, p := range append(outputPaths(outs), manifestPath) {
		d := filepath.Dir(p)
		st, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			// A new output folder is made, like the case folder.
			if err = os.MkdirAll(d, 0o755); err == nil {
				st, err = os.Stat(d)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: output folder %q: %w", p, d, err)
		} else if !st.IsDir() {
			return nil, fmt.Errorf("cannot write %s: %q is not a folder", p, d)
		}
	}
	var exist []string
	for _, p := range append(outputPaths(outs), manifestPath, manifestPath+".minisig") {
		if _, err := os.Lstat(p); err == nil {
			exist = append(exist, p)
		}
	}
	if len(exist) > 0 && !o.Force {
		return nil, &ExistsError{exist}
	}
	if b, err := readLimited(manifestPath, maxManifest); err == nil && o.Force {
		sum := sha256.Sum256(b)
		res.Superseded = &Superseded{Manifest: manifestPath, SHA256: hex.EncodeToString(sum[:])}
		var m Manifest
		if json.Unmarshal(b, &m) == nil {
			res.Superseded.ReportID = m.ReportID
		}
	}
	mdir := filepath.Dir(manifestPath)
	for _, out := range outs {
		render, err := rendererFor(out.Format, o)
		if err != nil {
			cleanup()
			return nil, err
		}
		tmp, n, sum, err := writeTemp(out.Path, func(w io.Writer) error { return render(ctx, w, r) })
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("cannot write %s report %s: %w", out.Format, out.Path, err)
		}
		targets = append(targets, out.Path)
		rel, err := filepath.Rel(mdir, out.Path)
		if err != nil {
			rel = filepath.Base(out.Path)
		}
		res.Outputs = append(res.Outputs, ManifestOutput{File: filepath.ToSlash(rel), Format: out.Format, Size: n, SHA256: sum})
	}
	m := r.Manifest(res.Outputs)
	sigPath := manifestPath + ".minisig"
	if o.Signer != nil {
		m.Signature = &struct {
			File      string `json:"file"`
			KeyID     string `json:"key_id"`
			PublicKey string `json:"public_key"`
		}{filepath.Base(sigPath), o.Signer.KeyID(), o.Signer.PublicKey()}
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		cleanup()
		return nil, err
	}
	mb = append(mb, '\n')
	tmp, _, msum, err := writeTemp(manifestPath, func(w io.Writer) error { _, err := w.Write(mb); return err })
	if tmp != "" {
		temps = append(temps, tmp)
	}
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("cannot write manifest %s: %w", manifestPath, err)
	}
	targets = append(targets, manifestPath)
	res.ManifestSHA256, res.Manifest = msum, m
	if o.Signer != nil {
		tc := fmt.Sprintf("triage report %s manifest %s sha256:%s", r.ID, filepath.Base(manifestPath), msum)
		sig := o.Signer.Sign(mb, tc)
		tmp, _, _, err := writeTemp(sigPath, func(w io.Writer) error { _, err := w.Write(sig); return err })
		if tmp != "" {
			temps = append(temps, tmp)
		}
		if err != nil {
			cleanup()
			return nil, fmt.Errorf("cannot write signature %s: %w", sigPath, err)
		}
		targets = append(targets, sigPath)
		res.SignaturePath = sigPath
	}
	for i, t := range temps {
		if err := os.Rename(t, targets[i]); err != nil {
			cleanup()
			return nil, fmt.Errorf("cannot put %s in place: %w", targets[i], err)
		}
	}
	if o.Signer == nil && o.Force {
		if err := os.Remove(sigPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return res, fmt.Errorf("cannot remove the superseded signature %s: %w", sigPath, err)
		}
	}
	return res, nil
}

func outputPaths(outs []Output) []string {
	var p []string
	for _, o := range outs {
		p = append(p, o.Path)
	}
	return p
}

// Manifest returns the manifest of this report for the given outputs.
func (r *Report) Manifest(outs []ManifestOutput) *Manifest {
	m := &Manifest{SchemaVersion: SchemaVersion, Kind: ManifestKind, ReportID: r.ID, GeneratedAt: r.GeneratedAt, Tool: r.Tool, Outputs: outs}
	m.Case.Dir, m.Case.CaseNumber, m.Case.LabCaseID = r.CaseDir, r.Case.CaseNumber, r.Case.LabCaseID
	m.Custody.Events = len(r.Custody.Events)
	m.Custody.Head = r.Custody.Head
	if n := len(r.Custody.Events); n > 0 {
		m.Custody.HeadSeq = r.Custody.Events[n-1].Seq
	}
	m.Custody.Intact, m.Custody.Problem = r.Custody.Intact, r.Custody.Problem
	return m
}

func rendererFor(format string, o WriteOptions) (Renderer, error) {
	switch format {
	case "html":
		return WriteHTML, nil
	case "json":
		return WriteJSON, nil
	case "csv":
		return WriteCSV, nil
	case "dfxml":
		return WriteDFXML, nil
	case "pdf":
		return func(ctx context.Context, w io.Writer, r *Report) error { return WritePDF(ctx, w, r, o.PDF) }, nil
	}
	return nil, fmt.Errorf("unknown format %q", format)
}

// writeTemp writes a temporary file beside path with fn, syncs and closes
// it, and returns its name, size and SHA-256. The temporary file is locked
// while it is written; the temporary files of path that nobody holds (left
// by a killed report) are removed first.
func writeTemp(path string, fn func(io.Writer) error) (tmp string, n int64, sum string, err error) {
	removeStaleTemps(path)
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", 0, "", err
	}
	lockTemp(f)
	tmp = f.Name()
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, h)}
	if err = fn(cw); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	return tmp, cw.n, hex.EncodeToString(h.Sum(nil)), err
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// FileSHA256 returns the size and hex SHA-256 of a file.
func FileSHA256(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return n, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

var _ = time.RFC3339

// removeStaleTemps removes the temporary files of output path that no
// running report holds locked: a report killed while writing leaves them.
func removeStaleTemps(path string) {
	olds, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".tmp-*"))
	for _, o := range olds {
		f, err := os.Open(o)
		if err != nil {
			continue
		}
		if tryLockTemp(f) {
			os.Remove(o)
		}
		f.Close()
	}
}

// globEscape escapes the pattern characters of a file name for filepath.Glob.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
