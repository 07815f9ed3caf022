package casework

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// ExportOptions control Export.
type ExportOptions struct {
	Query FileQuery
	// Dir is the destination folder. It must be empty or absent unless
	// Force; the caller checks that it lies outside every source.
	Dir   string
	Force bool
	// Image holds the file-system options the sources are read with.
	Image       triage.ImageOptions
	CommandLine []string
	Examiner    string
}

// Export verdicts of a file.
const (
	ExportVerified   = "verified"     // every digest recorded matches the bytes written
	ExportUnverified = "not verified" // no digest was recorded for it
	ExportMismatch   = "MISMATCH"     // the bytes read differ from the recorded digests: removed
	ExportFailed     = "failed"       // not found, unreadable or not written: nothing kept
)

// ExportedFile is one record exported, as the manifest lists it.
type ExportedFile struct {
	Evidence int64  `json:"evidence"`
	Source   string `json:"source"`
	Path     string `json:"path"`           // as the case shows it (invalid UTF-8 as U+FFFD)
	PathB64  string `json:"path_bytes_b64"` // the exact bytes of the path
	Stream   string `json:"stream"`
	// Name is the file written, relative to the export folder ("" when
	// nothing was kept).
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Written  int64  `json:"written"`
	MD5      string `json:"md5,omitempty"`
	SHA1     string `json:"sha1,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	Status   string `json:"status"`
	Deleted  bool   `json:"deleted"`
	Complete bool   `json:"complete"` // the record's content was read in full at scan time
	Verdict  string `json:"verdict"`
	Error    string `json:"error,omitempty"`
}

// ExportManifest is the JSON file an export writes next to the files.
type ExportManifest struct {
	Case        string         `json:"case"`
	ExportedAt  string         `json:"exported_at"`
	Tool        map[string]any `json:"tool"`
	CommandLine string         `json:"command_line"`
	Examiner    string         `json:"examiner,omitempty"`
	Files       []ExportedFile `json:"files"`
}

// ExportResult is what Export did.
type ExportResult struct {
	Manifest       string // path of the manifest
	ManifestSHA256 string
	Files          []ExportedFile
	Verified       int
	Unverified     int
	Failed         int // mismatches and failures
}

// ErrDestNotEmpty is returned when the destination holds files and Force
// is not set.
var ErrDestNotEmpty = errors.New("the destination folder is not empty")

// ExportManifestName is the file name of the manifest in the export folder.
const ExportManifestName = "export-manifest.json"

// Export copies the content of the records o.Query selects out of the
// evidence (read through the same sources a scan uses, never written to)
// into o.Dir, one folder per evidence item ("e1", "e2"...), under names
// made safe for any file system. Each file is hashed while it is written
// and compared with the digests the case records: a mismatch or a read
// error removes the partial file and is that file's verdict. A manifest
// (ExportManifestName) lists every record with its original path bytes,
// the name written, size, digests and verdict, and the custody log
// records the export with the manifest's SHA-256.
func (e *Env) Export(ctx context.Context, c *casedb.Case, o *ExportOptions) (*ExportResult, error) {
	if err := o.Query.Validate(); err != nil {
		return nil, err
	}
	if err := prepareDest(o.Dir, o.Force); err != nil {
		return nil, err
	}
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]*casedb.Evidence{}
	for _, ev := range items {
		byID[ev.ID] = ev
	}
	// The records selected, by evidence item, in walk order.
	want := map[int64]map[string]int{}
	var files []ExportedFile
	var order []int64
	err = Files(ctx, c, &o.Query, func(r *casedb.FileRecord) error {
		if r.Type != casedb.TypeFile {
			return nil
		}
		if want[r.Evidence] == nil {
			want[r.Evidence] = map[string]int{}
			order = append(order, r.Evidence)
		}
		want[r.Evidence][r.Key] = len(files)
		status := r.Status
		if status == "" {
			status = casedb.StatusUnknown
		}
		src := ""
		if ev := byID[r.Evidence]; ev != nil {
			src = casedb.DisplayString(ev.Source)
		}
		files = append(files, ExportedFile{Evidence: r.Evidence, Source: src, Path: r.DisplayPath(),
			PathB64: base64.StdEncoding.EncodeToString([]byte(r.Path)), Stream: r.Stream, Size: r.Size,
			MD5: r.MD5, SHA1: r.SHA1, SHA256: r.SHA256, Status: status, Deleted: r.Deleted,
			Complete: r.Complete && r.Error == "", Verdict: ExportFailed, Error: "not found in the evidence"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	names := newNamer(o.Dir)
	// An interrupted export still writes its manifest and custody event
	// for what it wrote: the files it left are accounted for.
	var interrupted error
	for _, id := range order {
		if interrupted = ctx.Err(); interrupted != nil {
			break
		}
		ev := byID[id]
		if ev == nil {
			for _, i := range want[id] {
				files[i].Error = "the case holds no such evidence item"
			}
			continue
		}
		if err := e.exportItem(ctx, ev, want[id], files, names, o); err != nil {
			if interrupted = ctx.Err(); interrupted != nil {
				break
			}
			for _, i := range want[id] {
				if files[i].Verdict == ExportFailed {
					files[i].Error = triage.Message(err)
				}
			}
		}
	}
	if interrupted != nil {
		for i := range files {
			if files[i].Verdict == ExportFailed && files[i].Error == "not found in the evidence" {
				files[i].Error = "the export was interrupted before it was read"
			}
		}
	}
	res := &ExportResult{Files: files}
	for _, f := range files {
		switch f.Verdict {
		case ExportVerified:
			res.Verified++
		case ExportUnverified:
			res.Unverified++
		default:
			res.Failed++
		}
	}
	ci, _ := casedb.LoadCaseInfo(ctx, c)
	actor := Actor(o.Examiner, ci)
	bi := buildinfo.Get()
	m := ExportManifest{Case: c.Dir, ExportedAt: e.Time().Format("2006-01-02T15:04:05Z"),
		Tool:        map[string]any{"version": bi.Version, "commit": bi.Commit},
		CommandLine: report.CommandLine(o.CommandLine), Examiner: actor, Files: files}
	if m.Files == nil {
		m.Files = []ExportedFile{}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	b = append(b, '\n')
	res.Manifest = names.manifest(o.Dir)
	if err := writeNew(res.Manifest, b); err != nil {
		return res, fmt.Errorf("cannot write the export manifest: %w", err)
	}
	sum := sha256.Sum256(b)
	res.ManifestSHA256 = hex.EncodeToString(sum[:])
	abs, _ := filepath.Abs(o.Dir)
	d := map[string]any{
		"destination": abs, "manifest": filepath.Base(res.Manifest), "manifest_sha256": res.ManifestSHA256,
		"records": len(files), "verified": res.Verified, "not_verified": res.Unverified, "failed": res.Failed,
		"command_line": report.CommandLine(o.CommandLine),
	}
	if interrupted != nil {
		d["interrupted"] = true
	}
	err = e.AppendCustody(c.Dir, custody.ActionFilesExported, actor, d)
	if interrupted != nil {
		return res, errors.Join(interrupted, err)
	}
	return res, err
}

// prepareDest creates dir, or checks that it is an empty folder (any
// folder with force).
func prepareDest(dir string, force bool) error {
	if dir == "" {
		return errors.New("no destination folder")
	}
	ents, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o755)
	case err != nil:
		return fmt.Errorf("destination %s: %w", dir, err)
	case len(ents) > 0 && !force:
		return fmt.Errorf("%w: %s", ErrDestNotEmpty, dir)
	}
	return nil
}

// sourceAs returns how a source of an evidence item type is opened again.
func sourceAs(typ string) string {
	switch typ {
	case "folder":
		return triage.AsAuto
	case "file":
		return triage.AsFile
	}
	return triage.AsImage
}

// exportItem walks the source of one evidence item and writes the entries
// whose keys are wanted.
func (e *Env) exportItem(ctx context.Context, ev *casedb.Evidence, want map[string]int, files []ExportedFile, names *namer, o *ExportOptions) error {
	src, err := triage.OpenSourceWith(ev.Source, triage.SourceOptions{As: sourceAs(ev.Type), Image: o.Image})
	if err != nil {
		return fmt.Errorf("cannot open the evidence: %w", err)
	}
	defer src.Close()
	left := len(want)
	v := &exportVisitor{fn: func(en *triage.Entry) error {
		i, ok := want[en.Key]
		if !ok {
			return nil
		}
		delete(want, en.Key)
		left--
		exportEntry(ctx, en, &files[i], names, o.Dir, ev.ID)
		if left == 0 {
			return errFound
		}
		return nil
	}}
	if err := guardedWalk(ctx, src, v); err != nil && !errors.Is(err, errFound) {
		return err
	}
	return nil
}

// ctxReader stops a copy once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

type exportVisitor struct{ fn func(*triage.Entry) error }

func (v *exportVisitor) Entry(e *triage.Entry) error                  { return v.fn(e) }
func (v *exportVisitor) Problem(path string, offset int64, err error) {}

// exportEntry writes the content of en as f says, hashing it on the way,
// and sets f's verdict.
func exportEntry(ctx context.Context, en *triage.Entry, f *ExportedFile, names *namer, dir string, evidence int64) {
	f.Error = ""
	fail := func(format string, a ...any) {
		f.Verdict, f.Error = ExportFailed, fmt.Sprintf(format, a...)
	}
	if en.Err != nil {
		fail("%v", en.Err)
		return
	}
	if en.Open == nil {
		fail("the entry has no content to read")
		return
	}
	rel := names.name(evidence, en.Path, en.Stream)
	full := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		fail("%v", err)
		return
	}
	// A folder of a destination given with --force may be a symbolic
	// link leading elsewhere (into the evidence): nothing is written
	// outside the destination.
	if !names.inside(filepath.Dir(full)) {
		fail("%s leads outside the destination (a symbolic link): not written", filepath.Dir(full))
		return
	}
	tmp := full + ".partial"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		fail("%v", err)
		return
	}
	// a panic in a parser while reading fails this file only
	defer func() {
		if r := recover(); r != nil {
			out.Close()
			os.Remove(tmp)
			fail("internal error while reading: %v", r)
		}
	}()
	rc, err := en.Open()
	if err != nil {
		out.Close()
		os.Remove(tmp)
		fail("cannot open it in the evidence: %v", err)
		return
	}
	hm, h1, h256 := md5.New(), sha1.New(), sha256.New()
	// never more than the size recorded: a stream that yields more is cut
	n, err := io.Copy(io.MultiWriter(out, hm, h1, h256), io.LimitReader(ctxReader{ctx, rc}, max(f.Size, 0)))
	rc.Close()
	f.Written = n
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		fail("read or write error after %d of %d bytes: %v", n, f.Size, err)
		return
	}
	got := map[string]string{"MD5": hex.EncodeToString(hm.Sum(nil)), "SHA-1": hex.EncodeToString(h1.Sum(nil)),
		"SHA-256": hex.EncodeToString(h256.Sum(nil))}
	checked := 0
	var bad []string
	for _, d := range []struct{ name, want string }{{"MD5", f.MD5}, {"SHA-1", f.SHA1}, {"SHA-256", f.SHA256}} {
		if d.want == "" {
			continue
		}
		checked++
		if !strings.EqualFold(d.want, got[d.name]) {
			bad = append(bad, fmt.Sprintf("%s %s, recorded %s", d.name, got[d.name], d.want))
		}
	}
	if len(bad) > 0 {
		os.Remove(tmp)
		f.Verdict = ExportMismatch
		f.Error = fmt.Sprintf("the %d bytes read differ from the case: %s; the file was removed", n, strings.Join(bad, "; "))
		return
	}
	if err := os.Rename(tmp, full); err != nil {
		os.Remove(tmp)
		fail("%v", err)
		return
	}
	f.Name = rel
	f.Verdict = ExportVerified
	if checked == 0 {
		f.Verdict = ExportUnverified
	}
}

// namer gives each exported file a name safe on common file systems
// (NTFS, FAT, ext, APFS), unique without regard to case.
// Names of files already in the folder (an export with --force) are taken
// too: nothing is written over.
type namer struct {
	dir  string
	real string // dir with its symbolic links resolved
	used map[string]bool
}

func newNamer(dir string) *namer {
	n := &namer{dir: dir, used: map[string]bool{}}
	if r, err := filepath.EvalSymlinks(dir); err == nil {
		n.real = r
	}
	return n
}

// inside reports whether folder d, resolved, lies in the destination.
func (n *namer) inside(d string) bool {
	r, err := filepath.EvalSymlinks(d)
	if err != nil || n.real == "" {
		return false
	}
	rel, err := filepath.Rel(n.real, r)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// maxComponent bounds one safe name component, in bytes (file systems
// allow 255).
const maxComponent = 200

// maxRenames bounds the " (N)" suffixes tried for one name.
const maxRenames = 10000

// name returns the relative slash path of the file for the record
// (evidence, path, stream): e<evidence>/<safe folders>/<safe name>, with
// a stream as "name~stream", and " (2)" before the extension when taken.
func (n *namer) name(evidence int64, p, stream string) string {
	parts := []string{"e" + strconv.FormatInt(evidence, 10)}
	elems := strings.Split(strings.Trim(p, "/"), "/")
	for i, el := range elems {
		if i == len(elems)-1 && stream != "" {
			el += "~" + stream
		}
		parts = append(parts, SafeName(el))
	}
	rel := strings.Join(parts, "/")
	dirs, base := path.Split(rel)
	// a folder name must not be a file written earlier, nor the reverse
	// bounded: a folder whose name a file took cannot be freed by
	// renaming the file below it (its write then fails)
	for i := 2; n.taken(rel) && i < maxRenames; i++ {
		ext := path.Ext(base)
		if len(ext) > 16 {
			ext = ""
		}
		rel = dirs + strings.TrimSuffix(base, ext) + " (" + strconv.Itoa(i) + ")" + ext
	}
	n.used[strings.ToLower(rel)] = true
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		n.used[strings.ToLower(d)+"/"] = true
	}
	return rel
}

func (n *namer) taken(rel string) bool {
	l := strings.ToLower(rel)
	if n.used[l] || n.used[l+"/"] {
		return true
	}
	for _, suffix := range []string{"", ".partial"} {
		if _, err := os.Lstat(filepath.Join(n.dir, filepath.FromSlash(rel)+suffix)); !errors.Is(err, os.ErrNotExist) {
			return true
		}
	}
	for d := path.Dir(l); d != "." && d != "/"; d = path.Dir(d) {
		if n.used[d] {
			return true // a file has this folder's name
		}
	}
	return false
}

// manifest returns a manifest path in dir not taken yet.
func (n *namer) manifest(dir string) string {
	p := filepath.Join(dir, ExportManifestName)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) && !n.used[strings.ToLower(filepath.Base(p))] {
			return p
		}
		p = filepath.Join(dir, fmt.Sprintf("export-manifest-%d.json", i))
	}
}

// reserved are the names Windows refuses whatever their extension.
var reserved = map[string]bool{"con": true, "prn": true, "aux": true, "nul": true,
	"com1": true, "com2": true, "com3": true, "com4": true, "com5": true, "com6": true, "com7": true, "com8": true, "com9": true,
	"lpt1": true, "lpt2": true, "lpt3": true, "lpt4": true, "lpt5": true, "lpt6": true, "lpt7": true, "lpt8": true, "lpt9": true}

// SafeName returns a name component that every common file system
// accepts: control characters, invalid UTF-8 and <>:"/\|?* become "_",
// trailing dots and spaces are dropped, Windows device names get a
// leading "_", "", "." and ".." become "_", and the name is cut to
// maxComponent bytes at a character boundary.
func SafeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r < 0x20, r == 0x7f, strings.ContainsRune(`<>:"/\|?*`, r):
			b.WriteByte('_')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	out := strings.TrimRight(b.String(), ". ")
	if out == "" || out == "." || out == ".." {
		return "_"
	}
	stem := strings.ToLower(out)
	if j := strings.IndexByte(stem, '.'); j >= 0 {
		stem = stem[:j]
	}
	if reserved[strings.TrimRight(stem, " ")] {
		out = "_" + out
	}
	if len(out) > maxComponent {
		cut := maxComponent
		for cut > 0 && !utf8.RuneStart(out[cut]) {
			cut--
		}
		ext := path.Ext(out)
		if len(ext) > 16 || len(ext) >= cut {
			ext = ""
		}
		out = out[:cut-len(ext)]
		for len(out) > 0 && !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
		// the cut may leave a dot or space at the end, which Windows
		// drops from a name
		if out = strings.TrimRight(out, ". "); out == "" {
			out = "_"
		}
		out += ext
	}
	return out
}

// writeNew writes b to a new file p (never over an existing one).
func writeNew(p string, b []byte) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
