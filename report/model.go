package report

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
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
	// Validation names the validation record of this binary (triage
	// validate), when one is found for its SHA-256.
	Validation string `json:"validation,omitempty"`
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
	// MetadataLabel names the evidence metadata keys that container
	// formats record (image.MetadataLabel: "ewf.media.sector_count" ->
	// "E01 media: sector count"); nil, or a key it does not know: the key
	// is spelled out.
	MetadataLabel func(key string) (label string, ok bool)
	// Library lists the sets of the hash-set library when the report is
	// made (casework fills it); the report names those no scan of the case
	// used, and those that cannot be used, with the reason. nil: not known
	// (the report says nothing of unused sets).
	Library []LibrarySet
	// LibraryError says why the library could not be listed; the report
	// names it as a limitation.
	LibraryError string
}

// LibrarySet is a set of the hash-set library.
type LibrarySet struct {
	Name     string `json:"name"`
	Category string `json:"category,omitempty"`
	// Problem says why the set cannot be used (it cannot be opened, or a
	// section's checksum does not match); "" when it can.
	Problem string `json:"problem,omitempty"`
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

	// SupersededBy is the evidence item that rescanned the same source
	// later (0: none); the records of a superseded item are not counted
	// in the summary.
	SupersededBy int64 `json:"superseded_by,omitempty"`

	volumeRecords map[int]int64 // records per volume index
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

	raw map[string]any // the details as the case records them
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

	raw string // the path as recorded (Path shows invalid UTF-8 as U+FFFD)
}

// RawPath returns the path as recorded, for ShowName.
func (e ErrorRow) RawPath() string { return e.raw }

// SupersededItem is an evidence item superseded by a rescan of its source:
// its records are not counted in the summary nor listed in the findings
// tables (hits, extension mismatches, incomplete records, errors), which
// show the rescan's. The counts say what those tables leave out.
type SupersededItem struct {
	ID         int64  `json:"id"`
	Exhibit    string `json:"exhibit"`
	By         int64  `json:"superseded_by"`
	Records    int64  `json:"records"`
	Hits       int64  `json:"hits"`
	Mismatches int64  `json:"extension_mismatches"`
	Incomplete int64  `json:"incomplete"`
	Errors     int64  `json:"errors"`
}

// Note says, for one findings table, what of the superseded item it
// leaves out: "Evidence item 1 (EX-1) was superseded by evidence item 2 (a
// rescan of the same source): its 3 records of this kind are not listed
// here." n is the item's count for the table.
func (s SupersededItem) Note(n int64, what string) string {
	return fmt.Sprintf("Evidence item %d (%s) was superseded by evidence item %d (a rescan of the same source): its %s %s not listed here; the rescan's are.",
		s.ID, s.Exhibit, s.By, plural(n, what, what+"s"), plural2(n, "is", "are"))
}

// SupersededNotes returns the notes a findings table carries for the
// superseded items that have records of its kind: table is "hits",
// "mismatches", "incomplete" or "errors".
func (r *Report) SupersededNotes(table string) []string {
	var out []string
	for _, s := range r.Superseded {
		n, what := map[string]int64{"hits": s.Hits, "mismatches": s.Mismatches, "incomplete": s.Incomplete, "errors": s.Errors}[table],
			map[string]string{"hits": "known-bad or notable record", "mismatches": "extension mismatch", "incomplete": "incomplete or unreadable record", "errors": "recorded error"}[table]
		if n > 0 {
			out = append(out, s.Note(n, what))
		}
	}
	return out
}

// ListingNote says that the full listing holds the records of superseded
// items too; "" when no item was superseded.
func (r *Report) ListingNote() string {
	if len(r.Superseded) == 0 {
		return ""
	}
	var items []string
	for _, s := range r.Superseded {
		items = append(items, fmt.Sprintf("item %d, superseded by item %d", s.ID, s.By))
	}
	return "The listing holds every record of the case, those of evidence items superseded by a rescan too (" + strings.Join(items, "; ") +
		"): the Item column tells them apart."
}

// Section is a list of file records capped at MaxSectionRows.
type Section struct {
	Total   int64                `json:"total"`
	Records []*casedb.FileRecord `json:"records"`
	// Matched says, for each record of the hits section, which digest
	// matched each set: "VIC sample (matched on MD5)".
	Matched []string `json:"matched,omitempty"`
	// LatestMatch tells, in the hits section, the latest match of the
	// case's records against hash sets without a scan (`triage match`)
	// and when it was made; "" when there was none.
	LatestMatch string `json:"latest_match,omitempty"`
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
	SchemaVersion int             `json:"schema_version"`
	ID            string          `json:"report_id"`
	Title         string          `json:"title"`
	GeneratedAt   string          `json:"generated_at"`
	TimeZone      string          `json:"display_time_zone"`
	CaseDir       string          `json:"case_dir"`
	CaseCreatedAt string          `json:"case_created_at"`
	Case          casedb.CaseInfo `json:"case"`
	Tool          Tool            `json:"tool"`
	CommandLine   []string        `json:"command_line"`
	Host          string          `json:"host"`
	NoScans       bool            `json:"no_scans"`
	Evidence      []EvidenceItem  `json:"evidence"`
	Runs          []Run           `json:"runs"`
	HashSets      []HashSet       `json:"hash_sets"`
	Summary       Summary         `json:"summary"`
	Hits          Section         `json:"hits"`
	// KnownBadHours is the busiest hours of the known-bad files' time
	// stamps, shown after the hits.
	KnownBadHours KnownBadHours `json:"known_bad_hours"`
	Mismatches    Section       `json:"extension_mismatches"`
	Incomplete    Section       `json:"incomplete"`
	Errors        []ErrorRow    `json:"errors"`
	ErrorsTotal   int64         `json:"errors_total"`
	// Superseded lists the evidence items a rescan of the same source
	// superseded, with what of theirs the findings tables leave out.
	Superseded  []SupersededItem `json:"superseded"`
	Custody     CustodyLog       `json:"custody"`
	Limitations []string         `json:"limitations"`
	// NotExamined says what was not examined and why: volumes not read,
	// unallocated space, archives, media not hashed... It is the head of
	// Limitations and stands on the first page.
	NotExamined []string `json:"not_examined"`
	// HashSetsNotUsed are the sets of the hash-set library that no scan
	// of the case used, and those that cannot be used (Problem).
	HashSetsNotUsed []LibrarySet `json:"hash_sets_not_used"`
	// Findings is the summary on the first page, in plain sentences.
	Findings  Findings `json:"findings"`
	Statement string   `json:"statement"`
	Listing   bool     `json:"-"`

	library    []LibrarySet
	libraryErr string
	loc        *time.Location
	c          *casedb.Case
	// metaLabel is Options.MetadataLabel.
	metaLabel func(string) (string, bool)
}

// ErrBrokenChain is returned by Build when the custody log is broken and
// Options.AllowBrokenChain is not set.
var ErrBrokenChain = errors.New("the custody log is broken")

// Statement is the scope statement every report carries.
const Statement = "The results in this report relate only to the items examined, as identified above, " +
	"and to the data that could be read from them at the time of examination. A file reported as " +
	"\"known-good\" matched a reference hash set of known software (such as the NSRL); this shows it " +
	"is known, not that it is benign. A file reported as \"unknown\" matched no hash set used."

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

// FormatTime formats an RFC 3339 time in the report's one time format:
// ISO 8601 in UTC ("2026-11-30T14:05:09Z", with sub-seconds only when the
// time has them), followed, when loc is not UTC, by the same instant in loc
// with its offset and zone name in brackets, as RFC 9557 writes it:
// "2026-11-30T14:05:09Z (2026-11-30T15:05:09+01:00[Europe/Berlin])".
// Unparseable input is returned as is.
func FormatTime(s string, loc *time.Location) string {
	if s == "" {
		return ""
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	out := t.UTC().Format(time.RFC3339Nano)
	if loc != nil && loc != time.UTC && loc.String() != "UTC" {
		out += " (" + t.In(loc).Format(time.RFC3339Nano) + "[" + loc.String() + "])"
	}
	return out
}

// UTCTime formats t in the one time format without the display zone
// (tables of file times, whose column says UTC); "" for the zero time.
func UTCTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func fmtTS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
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

// Findings is the first-page summary: what was examined, what was found,
// and what was not examined (Report.NotExamined).
type Findings struct {
	Examined []string `json:"examined"`
	Found    []string `json:"found"`
}

// Verdict returns the image verification verdict recorded for the item,
// "" when there is none.
func (e *EvidenceItem) Verdict() string {
	if v, ok := e.Metadata["image_verification"].(map[string]any); ok {
		s, _ := v["verdict"].(string)
		return s
	}
	return ""
}
