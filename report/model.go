package report

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// SchemaVersion is the version of the JSON report and manifest layout.
const SchemaVersion = 1

// Title is printed at the top of every report and on every page.
const Title = "Digital Evidence Triage Report"

// MaxSectionRows caps the rows kept in memory for each findings section
// (hits, extension mismatches, incomplete items, errors). The full listing is
// streamed from the case and holds everything.
const MaxSectionRows = 5000

// Tool is the identity of a triage binary.
type Tool struct {
	Program   string `json:"program"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	SHA256    string `json:"sha256"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// CurrentTool returns the identity of the running binary.
func CurrentTool() Tool {
	bi := buildinfo.Get()
	sum, _ := buildinfo.ExecutableSHA256()
	commit := bi.Commit
	if bi.Modified {
		commit += "+modified"
	}
	return Tool{Program: bi.Program, Version: bi.Version, Commit: commit, SHA256: sum, GoVersion: bi.GoVersion,
		Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

// NewID returns a fresh report id: TR-YYYYMMDD-XXXXXXXX (8 random hex digits).
func NewID(t time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "TR-" + t.UTC().Format("20060102") + "-" + strings.ToUpper(hex.EncodeToString(b[:]))
}

// Options control how a report is built.
type Options struct {
	ID               string    // report id; NewID when empty
	Now              time.Time // generation time; time.Now when zero (a test hook)
	Tool             *Tool     // identity of the generating tool; CurrentTool when nil (a test hook)
	CommandLine      []string  // the command that generated the report
	Host             string
	NoListing        bool // leave the full listing out of HTML and PDF
	AllowBrokenChain bool // report over a broken custody log (the report says so)
}

// EvidenceItem is an evidence item of the case with what the report shows.
type EvidenceItem struct {
	ID             int64           `json:"id"`
	Source         string          `json:"source"`
	Type           string          `json:"type"`
	Size           int64           `json:"size"`
	State          string          `json:"state"`
	StartedAt      string          `json:"started_at"`
	FinishedAt     string          `json:"finished_at,omitempty"`
	Tool           Tool            `json:"tool"`
	CommandLine    []string        `json:"command_line"`
	Host           string          `json:"host"`
	Examiner       string          `json:"examiner"`
	HashAlgorithms []string        `json:"hash_algorithms"`
	Files          int64           `json:"records"`
	Bytes          int64           `json:"bytes"`
	Errors         int64           `json:"errors"`
	Exhibit        []KV            `json:"exhibit"`
	MediaHashes    []KV            `json:"media_hashes"`
	Verification   []KV            `json:"verification"`
	OtherMetadata  []KV            `json:"other_metadata"`
	Volumes        []casedb.Volume `json:"volumes"`
	Metadata       map[string]any  `json:"metadata"`
}

// ExhibitID returns the exhibit id, or "item N" when none was recorded.
func (e *EvidenceItem) ExhibitID() string {
	for _, kv := range e.Exhibit {
		if kv.Key == "Exhibit ID" {
			return kv.Value
		}
	}
	return fmt.Sprintf("item %d", e.ID)
}

// Run is one scan run of an evidence item.
type Run struct {
	ID          int64    `json:"id"`
	EvidenceID  int64    `json:"evidence"`
	StartedAt   string   `json:"started_at"`
	FinishedAt  string   `json:"finished_at,omitempty"`
	State       string   `json:"state"`
	CommandLine []string `json:"command_line"`
	ToolVersion string   `json:"tool_version"`
	ToolCommit  string   `json:"tool_commit"`
	Host        string   `json:"host"`
	Examiner    string   `json:"examiner"`
	Files       int64    `json:"records"`
	Bytes       int64    `json:"bytes"`
	Errors      int64    `json:"errors"`
}

// HashSet is a hash set used by a run, with what a match means.
type HashSet struct {
	Name     string  `json:"name"`
	Category string  `json:"category"`
	Runs     []int64 `json:"runs"`
	Details  []KV    `json:"details"`
	Meaning  string  `json:"meaning"`
}

// Summary holds the counts of the case.
type Summary struct {
	Records           int64 `json:"records"`
	Files             int64 `json:"files"`
	Bytes             int64 `json:"bytes"`
	KnownBad          int64 `json:"known_bad"`
	Notable           int64 `json:"notable"`
	KnownGood         int64 `json:"known_good"`
	Unknown           int64 `json:"unknown"`
	ExtensionMismatch int64 `json:"extension_mismatches"`
	Deleted           int64 `json:"deleted"`
	Incomplete        int64 `json:"incomplete"`
	Errors            int64 `json:"errors"`
}

// ErrorRow is a problem recorded during a scan.
type ErrorRow struct {
	EvidenceID int64  `json:"evidence"`
	RunID      int64  `json:"run"`
	Path       string `json:"path"`
	Offset     *int64 `json:"offset"`
	Message    string `json:"message"`
	At         string `json:"at"`
}

// Section is a list of file records capped at MaxSectionRows.
type Section struct {
	Total   int64                `json:"total"`
	Records []*casedb.FileRecord `json:"records"`
}

// Truncated reports whether records were left out of the section.
func (s *Section) Truncated() bool { return s.Total > int64(len(s.Records)) }

// CustodyLog is the custody log and the result of checking its chain.
type CustodyLog struct {
	Events  []custody.Event `json:"events"`
	Head    string          `json:"head"`
	Intact  bool            `json:"intact"`
	Problem string          `json:"problem,omitempty"`
}

// Report is everything a report shows except the full listing, which
// renderers stream from the case.
type Report struct {
	SchemaVersion int            `json:"schema_version"`
	ID            string         `json:"report_id"`
	Title         string         `json:"title"`
	GeneratedAt   string         `json:"generated_at"`
	TimeZone      string         `json:"display_time_zone"`
	CaseDir       string         `json:"case_dir"`
	CaseCreatedAt string         `json:"case_created_at"`
	Case          CaseInfo       `json:"case"`
	Tool          Tool           `json:"tool"`
	CommandLine   []string       `json:"command_line"`
	Host          string         `json:"host"`
	NoScans       bool           `json:"no_scans"`
	Evidence      []EvidenceItem `json:"evidence"`
	Runs          []Run          `json:"runs"`
	HashSets      []HashSet      `json:"hash_sets"`
	Summary       Summary        `json:"summary"`
	Hits          Section        `json:"hits"`
	Mismatches    Section        `json:"extension_mismatches"`
	Incomplete    Section        `json:"incomplete"`
	Errors        []ErrorRow     `json:"errors"`
	ErrorsTotal   int64          `json:"errors_total"`
	Custody       CustodyLog     `json:"custody"`
	Limitations   []string       `json:"limitations"`
	Statement     string         `json:"statement"`
	Listing       bool           `json:"-"`

	loc *time.Location
	c   *casedb.Case
}

// ErrBrokenChain is returned by Build when the custody log is broken and
// Options.AllowBrokenChain is not set.
var ErrBrokenChain = errors.New("report: the custody log is broken")

// Statement is the scope statement every report carries.
const Statement = "The results in this report relate only to the items examined, as identified above, " +
	"and to the data that could be read from them at the time of examination. A file reported as " +
	"\"known-good\" matched a reference hash set of known software (such as the NSRL); this shows it " +
	"is known, not that it is benign. A file reported as \"unknown\" matched no hash set used."

// Build reads the case and assembles the report. The case must stay open
// while the report is rendered: the listing is streamed from it.
func Build(ctx context.Context, c *casedb.Case, o Options) (*Report, error) {
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	tool := CurrentTool()
	if o.Tool != nil {
		tool = *o.Tool
	}
	r := &Report{SchemaVersion: SchemaVersion, ID: o.ID, Title: Title, GeneratedAt: now.UTC().Format(time.RFC3339),
		CaseDir: c.Dir, Tool: tool, CommandLine: o.CommandLine, Host: o.Host, Statement: Statement,
		Listing: !o.NoListing, c: c}
	if r.ID == "" {
		r.ID = NewID(now)
	}
	if r.CommandLine == nil {
		r.CommandLine = []string{}
	}
	var err error
	if r.Case, err = LoadCaseInfo(ctx, c); err != nil {
		return nil, err
	}
	if r.loc, err = r.Case.Location(); err != nil {
		return nil, err
	}
	r.TimeZone = r.loc.String()
	r.CaseCreatedAt, _ = c.Meta(ctx, "created_at")

	events, head, cerr := custody.Verify(c.Dir)
	r.Custody = CustodyLog{Events: events, Head: head, Intact: cerr == nil}
	switch {
	case errors.Is(cerr, fs.ErrNotExist):
		r.Custody.Problem = "the case has no custody log (custody.jsonl is missing)"
	case cerr != nil:
		r.Custody.Problem = cerr.Error()
	}
	if r.Custody.Events == nil {
		r.Custody.Events = []custody.Event{}
	}
	if !r.Custody.Intact && !o.AllowBrokenChain {
		return nil, fmt.Errorf("%w: %s", ErrBrokenChain, r.Custody.Problem)
	}

	if err := r.loadEvidence(ctx); err != nil {
		return nil, err
	}
	if err := r.loadRuns(ctx); err != nil {
		return nil, err
	}
	if err := r.loadHashSets(ctx); err != nil {
		return nil, err
	}
	if err := r.loadSummary(ctx); err != nil {
		return nil, err
	}
	if err := r.loadSections(ctx); err != nil {
		return nil, err
	}
	r.NoScans = len(r.Runs) == 0
	r.Limitations = r.limitations()
	return r, nil
}

func (r *Report) loadEvidence(ctx context.Context) error {
	items, err := r.c.EvidenceItems(ctx)
	if err != nil {
		return fmt.Errorf("failed to read evidence items: %w", err)
	}
	r.Evidence = []EvidenceItem{}
	for _, e := range items {
		it := EvidenceItem{ID: e.ID, Source: casedb.DisplayString(e.Source), Type: e.Type, Size: e.Size, State: e.State,
			StartedAt: fmtTS(e.StartedAt), FinishedAt: fmtTS(e.FinishedAt),
			Tool:        Tool{Program: "triage", Version: e.ToolVersion, Commit: e.ToolCommit, SHA256: e.ToolSHA256, GoVersion: e.GoVersion, Platform: e.Platform},
			CommandLine: e.CommandLine, Host: e.Host, Examiner: e.Examiner, HashAlgorithms: e.HashAlgorithms,
			Files: e.Files, Bytes: e.Bytes, Errors: e.Errors, Metadata: e.Metadata}
		if it.CommandLine == nil {
			it.CommandLine = []string{}
		}
		for _, f := range ExhibitFields {
			if v, ok := e.Metadata[f.Key]; ok && metaString(v) != "" {
				it.Exhibit = append(it.Exhibit, KV{f.Label, metaString(v)})
			}
		}
		it.MediaHashes, it.Verification, it.OtherMetadata = splitMetadata(e.Metadata)
		if it.Volumes, err = r.c.Volumes(ctx, e.ID); err != nil {
			return err
		}
		if it.Volumes == nil {
			it.Volumes = []casedb.Volume{}
		}
		r.Evidence = append(r.Evidence, it)
	}
	return nil
}

// MediaHashKeys are the evidence metadata keys that hold full-media hashes
// (objects of algorithm to hex digest). The image readers store the hashes
// recorded at acquisition and those computed over what was read.
var MediaHashKeys = []string{"media_hashes", "acquisition_hashes", "stored_hashes", "computed_hashes"}

// splitMetadata sorts evidence metadata into full-media hashes, verification
// results and the rest, each as labelled key/value pairs in a fixed order
// (labels a reader understands, not storage keys; see metaLabel).
func splitMetadata(m map[string]any) (hashes, verification, other []KV) {
	for _, kv := range otherMetadata(m) {
		k := kv.Key
		switch {
		case contains(MediaHashKeys, k) || strings.HasPrefix(k, "media_") && isHashName(strings.TrimPrefix(k, "media_")):
			hashes = append(hashes, labelled(flattenValue(k, m[k]))...)
		case k == "image_verification":
			verification = append(verification, verificationKVs(m[k])...)
		case strings.Contains(k, "verif"):
			verification = append(verification, labelled(flattenValue(k, m[k]))...)
		default:
			other = append(other, labelled(flattenValue(k, m[k]))...)
		}
	}
	// The digests first, then what they cover.
	rank := func(k string) int {
		for i, p := range []string{"Media MD5", "Media SHA-1", "Media SHA-256", "Media BLAKE3", "Media bytes", "Media hashes computed"} {
			if strings.HasPrefix(k, p) {
				return i
			}
		}
		return 10
	}
	sort.SliceStable(hashes, func(i, j int) bool { return rank(hashes[i].Key) < rank(hashes[j].Key) })
	return hashes, verification, other
}

// verificationKVs renders an image verification: the verdict, then one line
// per stored or expected digest with the computed one beside it.
func verificationKVs(v any) []KV {
	m, ok := v.(map[string]any)
	if !ok {
		return labelled(flattenValue("image_verification", v))
	}
	out := []KV{{"Image verification", metaString(m["verdict"])}}
	cmps, _ := m["comparisons"].([]any)
	for _, c := range cmps {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		alg := hashLabel(metaString(cm["algorithm"]))
		verdict := "MISMATCH"
		if b, _ := cm["match"].(bool); b {
			verdict = "match"
		}
		out = append(out, KV{fmt.Sprintf("%s stored (%s) / computed", alg, metaString(cm["source"])),
			fmt.Sprintf("%s / %s: %s", metaString(cm["value"]), metaString(cm["computed"]), verdict)})
	}
	if r := metaString(m["reason"]); r != "" {
		out = append(out, KV{"Verification note", r})
	}
	if at := metaString(m["at"]); at != "" {
		out = append(out, KV{"Verified at", at})
	}
	for _, kv := range FlattenDetails(m) {
		switch strings.SplitN(kv.Key, ".", 2)[0] {
		case "verdict", "comparisons", "reason", "at":
		default:
			out = append(out, KV{metaLabel("image_verification." + kv.Key), kv.Value})
		}
	}
	return out
}

func labelled(kvs []KV) []KV {
	for i := range kvs {
		kvs[i].Key = metaLabel(kvs[i].Key)
	}
	return kvs
}

// metaLabels names the evidence metadata keys the image readers record.
var metaLabels = map[string]string{
	"media_hashes.md5":                  "Media MD5 (computed)",
	"media_hashes.sha1":                 "Media SHA-1 (computed)",
	"media_hashes.sha256":               "Media SHA-256 (computed)",
	"media_hashes.blake3":               "Media BLAKE3 (computed)",
	"media_hashes.size":                 "Media bytes hashed",
	"media_hashes.computed_at":          "Media hashes computed at",
	"media_hashes.segment_files.path":   "Image file",
	"media_hashes.segment_files.size":   "Image file size (bytes)",
	"media_hashes.segment_files.sha256": "Image file SHA-256",
	"media_hashes.unreadable":           "Unreadable media regions",
	"image_format":                      "Image format",
	"segments.path":                     "Image segment",
	"segments.size":                     "Image segment size (bytes)",
	"segments.offset":                   "Image segment media offset",
}

// FormatLabel names the metadata keys a disk-image container format
// records on the evidence item (an E01's header fields under "ewf."); the
// command sets it to the image package's lookup (image.MetadataLabel), so
// that this package names no format. nil, or a key it does not know: the
// key is spelled out.
var FormatLabel func(key string) (label string, ok bool)

// metaLabel turns a flattened metadata key ("ewf.media.sector_count",
// "segments[1].path") into a label ("E01 media: sector count", "Image
// segment 2"): from metaLabels or FormatLabel where listed, else spelled
// out.
func metaLabel(key string) string {
	// Take the array indexes out: "segments[1].path" -> "segments.path", 2.
	base, nth := key, 0
	for {
		i := strings.IndexByte(base, '[')
		j := strings.IndexByte(base, ']')
		if i < 0 || j < i {
			break
		}
		if n, err := strconv.Atoi(base[i+1 : j]); err == nil && nth == 0 {
			nth = n + 1
		}
		base = base[:i] + base[j+1:]
	}
	label, ok := metaLabels[base]
	if !ok && FormatLabel != nil {
		label, ok = FormatLabel(base)
	}
	if !ok {
		label = base
		if strings.HasSuffix(label, "_raw") {
			label = strings.TrimSuffix(label, "_raw") + " (as stored)"
		}
		label = strings.ReplaceAll(strings.ReplaceAll(label, ".", ": "), "_", " ")
		if label != "" {
			label = strings.ToUpper(label[:1]) + label[1:]
		}
	}
	if nth > 0 {
		label += fmt.Sprintf(" %d", nth)
	}
	return label
}

func hashLabel(alg string) string {
	switch strings.ToLower(alg) {
	case "md5":
		return "MD5"
	case "sha1":
		return "SHA-1"
	case "sha256":
		return "SHA-256"
	}
	return alg
}

func isHashName(s string) bool {
	switch strings.ToLower(s) {
	case "md5", "sha1", "sha256", "sha512", "blake3":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FlattenDetails renders a details map as sorted key/value pairs, nested
// objects as dotted keys.
func FlattenDetails(d map[string]any) []KV {
	var out []KV
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, flattenValue(k, d[k])...)
	}
	return out
}

func flattenValue(prefix string, v any) []KV {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		var out []KV
		for _, kv := range FlattenDetails(m) {
			out = append(out, KV{prefix + "." + kv.Key, kv.Value})
		}
		return out
	}
	if a, ok := v.([]any); ok {
		if len(a) > 0 {
			if _, isObj := a[0].(map[string]any); isObj {
				var out []KV
				for i, x := range a {
					if len(a) == 1 {
						out = append(out, flattenValue(prefix, x)...)
					} else {
						out = append(out, flattenValue(fmt.Sprintf("%s[%d]", prefix, i), x)...)
					}
				}
				return out
			}
		}
		var parts []string
		for _, x := range a {
			parts = append(parts, metaString(x))
		}
		return []KV{{prefix, strings.Join(parts, " ")}}
	}
	return []KV{{prefix, metaString(v)}}
}

func (r *Report) loadRuns(ctx context.Context) error {
	rows, err := r.c.DB().QueryContext(ctx, `SELECT id, evidence_id, started_at, finished_at, state, command_line,
	  tool_version, tool_commit, host, examiner, files, bytes, errors FROM runs ORDER BY id`)
	if err != nil {
		return fmt.Errorf("failed to read runs: %w", err)
	}
	defer rows.Close()
	r.Runs = []Run{}
	for rows.Next() {
		var u Run
		var fin sql.NullString
		var cl string
		if err := rows.Scan(&u.ID, &u.EvidenceID, &u.StartedAt, &fin, &u.State, &cl, &u.ToolVersion, &u.ToolCommit,
			&u.Host, &u.Examiner, &u.Files, &u.Bytes, &u.Errors); err != nil {
			return err
		}
		u.StartedAt = normTS(u.StartedAt)
		u.FinishedAt = normTS(fin.String)
		_ = json.Unmarshal([]byte(cl), &u.CommandLine)
		if u.CommandLine == nil {
			u.CommandLine = []string{}
		}
		r.Runs = append(r.Runs, u)
	}
	return rows.Err()
}

// Meaning returns what a match in a hash set of the given category means.
func Meaning(name, category string) string {
	lc := strings.ToLower(category + " " + name)
	switch {
	case strings.Contains(lc, "nsrl") || strings.Contains(lc, "rds"):
		return "NSRL reference data: a match means the file is known (published software), not that it is benign or irrelevant."
	case strings.Contains(lc, "bad") || strings.Contains(lc, "alert") || strings.Contains(lc, "malware") || strings.Contains(lc, "contraband"):
		return "Known-bad: a match means the file's hash equals that of a file listed as illicit or malicious; the listing's own accuracy is the provider's."
	case strings.Contains(lc, "notable") || strings.Contains(lc, "interest"):
		return "Notable: a match means the file's hash is on a list of files of interest; it requires review, not a conclusion."
	case strings.Contains(lc, "good") || strings.Contains(lc, "known") || strings.Contains(lc, "ignore"):
		return "Known: a match means the file's hash is in a reference set of known files; this is not proof that it is benign."
	}
	return "A match means the file's hash equals a hash in this set."
}

func (r *Report) loadHashSets(ctx context.Context) error {
	rows, err := r.c.DB().QueryContext(ctx, `SELECT run_id, name, category, details FROM hashsets_used ORDER BY name, run_id`)
	if err != nil {
		return fmt.Errorf("failed to read hash sets: %w", err)
	}
	defer rows.Close()
	r.HashSets = []HashSet{}
	idx := map[string]int{}
	for rows.Next() {
		var run int64
		var name, cat, det string
		if err := rows.Scan(&run, &name, &cat, &det); err != nil {
			return err
		}
		if i, ok := idx[name+"\x00"+cat+"\x00"+det]; ok {
			r.HashSets[i].Runs = append(r.HashSets[i].Runs, run)
			continue
		}
		d := map[string]any{}
		_ = json.Unmarshal([]byte(det), &d)
		idx[name+"\x00"+cat+"\x00"+det] = len(r.HashSets)
		r.HashSets = append(r.HashSets, HashSet{Name: name, Category: cat, Runs: []int64{run}, Details: FlattenDetails(d), Meaning: Meaning(name, cat)})
	}
	return rows.Err()
}

func (r *Report) loadSummary(ctx context.Context) error {
	db := r.c.DB()
	s := &r.Summary
	err := db.QueryRowContext(ctx, `SELECT count(*),
	    coalesce(sum(type = 'file'), 0),
	    coalesce(sum(CASE WHEN type = 'file' THEN size ELSE 0 END), 0),
	    coalesce(sum(type = 'file' AND status = 'known-bad'), 0), coalesce(sum(type = 'file' AND status = 'notable'), 0),
	    coalesce(sum(type = 'file' AND status = 'known-good'), 0), coalesce(sum(type = 'file' AND status = 'unknown'), 0),
	    coalesce(sum(extension_mismatch), 0), coalesce(sum(deleted), 0),
	    coalesce(sum(complete = 0 OR error IS NOT NULL), 0)
	  FROM files`).Scan(&s.Records, &s.Files, &s.Bytes, &s.KnownBad, &s.Notable, &s.KnownGood, &s.Unknown,
		&s.ExtensionMismatch, &s.Deleted, &s.Incomplete)
	if err != nil {
		return fmt.Errorf("failed to count records: %w", err)
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM errors`).Scan(&s.Errors); err != nil {
		return err
	}
	r.ErrorsTotal = s.Errors
	return nil
}

const (
	whereHits       = `status IN ('known-bad', 'notable')`
	whereMismatch   = `extension_mismatch != 0`
	whereIncomplete = `complete = 0 OR error IS NOT NULL`
)

func (r *Report) loadSection(ctx context.Context, where string, s *Section) error {
	s.Records = []*casedb.FileRecord{}
	err := r.c.Files(ctx, casedb.FileFilter{Where: where}, func(f *casedb.FileRecord) error {
		s.Total++
		if len(s.Records) < MaxSectionRows {
			s.Records = append(s.Records, f)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to read records: %w", err)
	}
	return nil
}

func (r *Report) loadSections(ctx context.Context) error {
	if err := r.loadSection(ctx, whereHits, &r.Hits); err != nil {
		return err
	}
	// known-bad before notable, each in evidence and walk order
	sort.SliceStable(r.Hits.Records, func(i, j int) bool {
		return r.Hits.Records[i].Status == casedb.StatusKnownBad && r.Hits.Records[j].Status != casedb.StatusKnownBad
	})
	if err := r.loadSection(ctx, whereMismatch, &r.Mismatches); err != nil {
		return err
	}
	if err := r.loadSection(ctx, whereIncomplete, &r.Incomplete); err != nil {
		return err
	}
	errs, err := r.c.Errors(ctx, 0)
	if err != nil {
		return fmt.Errorf("failed to read errors: %w", err)
	}
	r.Errors = []ErrorRow{}
	for i, e := range errs {
		if i >= MaxSectionRows {
			break
		}
		r.Errors = append(r.Errors, ErrorRow{e.EvidenceID, e.RunID, casedb.DisplayString(e.Path), e.Offset, e.Message, fmtTS(e.At)})
	}
	return nil
}

func (r *Report) limitations() []string {
	var l []string
	if !r.Custody.Intact {
		l = append(l, "THE CUSTODY LOG IS BROKEN: "+r.Custody.Problem+". The report was produced over a broken chain at the examiner's request (--allow-broken-chain).")
	}
	if r.NoScans {
		l = append(l, "No evidence has been scanned in this case: the report holds no findings.")
	}
	if len(r.HashSets) == 0 && !r.NoScans {
		l = append(l, "No hash sets were used: no file could be classified as known-bad, notable or known-good; every file is \"unknown\".")
	}
	for _, e := range r.Evidence {
		switch e.State {
		case casedb.StateInterrupted, casedb.StateRunning:
			l = append(l, fmt.Sprintf("The scan of evidence item %d (%s) did not finish (%s): records of the unscanned part are missing.", e.ID, e.ExhibitID(), e.State))
		case casedb.StateFailed:
			l = append(l, fmt.Sprintf("The scan of evidence item %d (%s) failed.", e.ID, e.ExhibitID()))
		}
	}
	if r.Summary.Incomplete > 0 {
		l = append(l, fmt.Sprintf("%s incomplete or unreadable: %s hashes do not cover the whole content (see the tables below).",
			plural(r.Summary.Incomplete, "record is", "records are"), plural2(r.Summary.Incomplete, "its", "their")))
	}
	if r.Summary.Errors > 0 {
		l = append(l, fmt.Sprintf("%s recorded while reading the evidence.", plural(r.Summary.Errors, "problem was", "problems were")))
	}
	if !r.Listing {
		l = append(l, "The full file listing was left out of this document (--no-listing); the CSV, JSON and DFXML outputs hold it.")
	}
	for _, s := range []*Section{&r.Hits, &r.Mismatches, &r.Incomplete} {
		if s.Truncated() {
			l = append(l, fmt.Sprintf("A findings table shows the first %d of %d rows; the full listing holds all.", len(s.Records), s.Total))
			break
		}
	}
	return l
}

// Files streams the full listing in evidence and walk order.
func (r *Report) Files(ctx context.Context, fn func(*casedb.FileRecord) error) error {
	return r.c.Files(ctx, casedb.FileFilter{}, fn)
}

// Time formats an RFC 3339 time for display: UTC, plus the display time
// zone when one is set.
func (r *Report) Time(s string) string { return FormatTime(s, r.loc) }

// TimeOf formats a time for display like Time.
func (r *Report) TimeOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t.UTC().Format(time.RFC3339Nano), r.loc)
}

// FormatTime formats an RFC 3339 time as "2006-01-02 15:04:05 UTC", followed
// by the time in loc when loc is not UTC. Unparseable input is returned as is.
func FormatTime(s string, loc *time.Location) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	out := t.UTC().Format("2006-01-02 15:04:05 UTC")
	if loc != nil && loc != time.UTC && loc.String() != "UTC" {
		out += " (" + t.In(loc).Format("2006-01-02 15:04:05 MST") + ")"
	}
	return out
}

func fmtTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func normTS(s string) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return fmtTS(t)
}

// plural returns "1 one" or "n many".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// plural2 picks a word by count.
func plural2(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
