package report

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// Check outcomes.
const (
	OK      = "OK"
	Failed  = "FAILED"
	Skipped = "SKIPPED"
)

// Check is the outcome of one verification step.
type Check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
}

// VerifyOptions control verification.
type VerifyOptions struct {
	// PublicKey is the minisign public key (file text or base64 line) that
	// must have signed manifests. Empty: the key recorded in each manifest
	// is used, which proves integrity but not who signed.
	PublicKey string
	// NoEvidence skips re-hashing evidence.
	NoEvidence bool
	// Rehash computes the full-media hashes (algorithm -> hex) of an
	// evidence source of the given type. When nil, only raw images and
	// single files are re-hashed, by reading the file as is.
	Rehash func(ctx context.Context, source, typ string) (map[string]string, error)
}

// VerifyCase checks the case in dir: the custody chain end to end, every
// manifest recorded by a "report generated" event (its SHA-256 against the
// event, then its outputs and signature), and the full-media hashes of
// evidence items whose source is reachable.
func VerifyCase(ctx context.Context, dir string, o VerifyOptions) []Check {
	var cs []Check
	events, head, err := custody.Verify(dir)
	var ce *custody.ChainError
	switch {
	case errors.As(err, &ce):
		cs = append(cs, Check{"custody log " + filepath.Join(dir, custody.FileName), Failed, fmt.Sprintf("line %d: %s", ce.Line, ce.Msg)})
	case errors.Is(err, fs.ErrNotExist):
		cs = append(cs, Check{"custody log " + filepath.Join(dir, custody.FileName), Failed, "missing"})
	case err != nil:
		cs = append(cs, Check{"custody log " + filepath.Join(dir, custody.FileName), Failed, err.Error()})
	default:
		cs = append(cs, Check{"custody log " + filepath.Join(dir, custody.FileName), OK, fmt.Sprintf("%s, chain intact, head %s", plural(int64(len(events)), "event", "events"), head)})
	}
	lineHashes := eventLineHashes(events)
	c, cerr := casedb.OpenReadOnly(dir)
	if cerr != nil {
		cs = append(cs, Check{"case " + dir, Failed, cerr.Error()})
	} else {
		defer c.Close()
		if err == nil {
			cs = append(cs, verifyAnchor(ctx, c, events, lineHashes))
		}
	}
	if err == nil {
		cs = append(cs, verifyCustodySignatures(ctx, dir, c, events, o.PublicKey))
	}
	// A manifest path written again by a later run is superseded: its
	// earlier events are not compared with the file that replaced it.
	last := map[string]int{}
	for i, e := range events {
		if mp, _ := e.Details["manifest"].(string); e.Action == custody.ActionReportGenerated && mp != "" {
			last[mp] = i
		}
	}
	for i, e := range events {
		if e.Action != custody.ActionReportGenerated {
			continue
		}
		mp, _ := e.Details["manifest"].(string)
		want, _ := e.Details["manifest_sha256"].(string)
		if mp == "" {
			continue
		}
		if j := last[mp]; j != i {
			later := events[j]
			how := "written over by a later run of the same name"
			if sup, ok := later.Details["supersedes"].(map[string]any); ok && sup["manifest_sha256"] == want {
				how = "replaced with --force, as that event records"
			}
			id, _ := e.Details["report_id"].(string)
			lid, _ := later.Details["report_id"].(string)
			cs = append(cs, Check{"manifest " + mp, OK, fmt.Sprintf("report %s (custody event %d) superseded by report %s (custody event %d): %s", id, e.Seq, lid, later.Seq, how)})
			continue
		}
		if _, err := os.Stat(mp); errors.Is(err, fs.ErrNotExist) {
			cs = append(cs, Check{"manifest " + mp, Skipped, fmt.Sprintf("not found here (recorded by custody event %d; moved or handed over?)", e.Seq)})
			continue
		}
		cs = append(cs, verifyManifest(mp, want, fmt.Sprintf("custody event %d", e.Seq), lineHashes, o)...)
	}
	if c != nil {
		cs = append(cs, verifySeals(ctx, c, events)...)
		if !o.NoEvidence {
			cs = append(cs, verifyEvidence(ctx, c, events, o.Rehash)...)
		}
	}
	return cs
}

// verifyAnchor compares the custody log with the head the case database
// records at every event.
func verifyAnchor(ctx context.Context, c *casedb.Case, events []custody.Event, lineHashes map[int64]string) Check {
	name := "custody head in " + c.Path(casedb.DBName)
	seq, head, ok, err := c.CustodyHead(ctx)
	n := int64(len(events))
	switch {
	case err != nil:
		return Check{name, Failed, err.Error()}
	case !ok:
		return Check{name, Skipped, "the case database records no custody head (a case made before heads were anchored)"}
	case seq > n:
		return Check{name, Failed, fmt.Sprintf("custody log truncated after event %d: the case database records event %d as its head", n, seq)}
	case lineHashes[seq] != head:
		return Check{name, Failed, fmt.Sprintf("the custody log's event %d is not the one the case database records (hash %s): the log was rewritten", seq, head)}
	case seq < n:
		return Check{name, Failed, fmt.Sprintf("the custody log has %d events after event %d, the head the case database records: they were appended outside triage", n-seq, seq)}
	}
	return Check{name, OK, fmt.Sprintf("event %d, the log's last, as the case database records", seq)}
}

// sealOf returns the seal a scan's closing custody event carries.
func sealOf(e *custody.Event) (*casedb.Seal, bool) {
	m, ok := e.Details["seal"].(map[string]any)
	if !ok {
		return nil, false
	}
	num := func(v any) int64 { f, _ := v.(float64); return int64(f) }
	s := &casedb.Seal{Records: num(m["records"]), Errors: num(m["errors"]), Statuses: map[string]int64{}}
	s.RecordsSHA256, _ = m["records_sha256"].(string)
	s.ErrorsSHA256, _ = m["errors_sha256"].(string)
	if st, ok := m["statuses"].(map[string]any); ok {
		for k, v := range st {
			s.Statuses[k] = num(v)
		}
	}
	return s, true
}

// evidenceOf returns the evidence item id an event names, 0 when none.
func evidenceOf(e *custody.Event) int64 {
	f, _ := e.Details["evidence"].(float64)
	return int64(f)
}

// verifySeals recomputes the seal of each evidence item's records and
// compares it with the last seal the custody log holds for it.
func verifySeals(ctx context.Context, c *casedb.Case, events []custody.Event) []Check {
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return []Check{{"case " + c.Dir, Failed, err.Error()}}
	}
	sealed := map[int64]int{}
	for i := range events {
		e := &events[i]
		if e.Action == custody.ActionScanFinished || e.Action == custody.ActionScanInterrupted || e.Action == custody.ActionRecordsMatched {
			if _, ok := sealOf(e); ok {
				sealed[evidenceOf(e)] = i
			}
		}
	}
	var cs []Check
	for _, ev := range items {
		name := fmt.Sprintf("records of evidence item %d %s", ev.ID, casedb.DisplayString(ev.Source))
		i, ok := sealed[ev.ID]
		if !ok {
			cs = append(cs, Check{name, Skipped, "no custody event seals them (a scan recorded before records were sealed, or one that never finished)"})
			continue
		}
		want, _ := sealOf(&events[i])
		got, err := c.SealEvidence(ctx, ev.ID)
		if err != nil {
			cs = append(cs, Check{name, Failed, err.Error()})
			continue
		}
		if d := want.Compare(got); d != "" {
			cs = append(cs, Check{name, Failed, fmt.Sprintf("case.db differs from the seal of custody event %d: %s", events[i].Seq, d)})
		} else {
			cs = append(cs, Check{name, OK, fmt.Sprintf("%s and %s as sealed by custody event %d", plural(got.Records, "record", "records"), plural(got.Errors, "error", "errors"), events[i].Seq)})
		}
	}
	ids := make([]int64, 0, len(sealed))
	for id := range sealed {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		found := false
		for _, ev := range items {
			found = found || ev.ID == id
		}
		if !found {
			cs = append(cs, Check{fmt.Sprintf("records of evidence item %d", id), Failed, fmt.Sprintf("custody event %d seals its records, but case.db has no such evidence item (deleted)", events[sealed[id]].Seq)})
		}
	}
	return cs
}

// eventLineHashes maps seq to the line hash (the prev of the next line).
func eventLineHashes(events []custody.Event) map[int64]string {
	m := map[int64]string{}
	for i := range events {
		if line, err := custody.Canonical(&events[i], true); err == nil {
			m[events[i].Seq] = custody.LineHash(line)
		}
	}
	return m
}

func maxSeq(m map[int64]string) int64 {
	var n int64
	for s := range m {
		n = max(n, s)
	}
	return n
}

// ManifestFor returns the manifest file of a report output or manifest path.
func ManifestFor(path string) string {
	if strings.HasSuffix(path, ".manifest.json") {
		return path
	}
	if strings.HasSuffix(path, ".manifest.json.minisig") {
		return strings.TrimSuffix(path, ".minisig")
	}
	for _, f := range Formats {
		if strings.HasSuffix(path, Extension(f)) {
			return strings.TrimSuffix(path, Extension(f)) + ".manifest.json"
		}
	}
	for _, f := range Formats {
		for _, a := range aliases[f] {
			if strings.HasSuffix(path, a) {
				return strings.TrimSuffix(path, a) + ".manifest.json"
			}
		}
	}
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".manifest.json"
}

// VerifyReport checks a report output or manifest: the manifest's outputs,
// its signature, and, when its case is reachable, that the custody log still
// holds the head the report was made from and records the manifest.
func VerifyReport(ctx context.Context, path string, o VerifyOptions) []Check {
	mp := ManifestFor(path)
	var lineHashes map[int64]string
	want, recorded := "", ""
	if m, err := readManifest(mp); err == nil && casedb.Exists(m.Case.Dir) {
		events, _, err := custody.Verify(m.Case.Dir)
		if err == nil {
			lineHashes = eventLineHashes(events)
			abs, _ := filepath.Abs(mp)
			for _, e := range events {
				if e.Action == custody.ActionReportGenerated && e.Details["manifest"] == abs {
					want, _ = e.Details["manifest_sha256"].(string)
					recorded = fmt.Sprintf("custody event %d", e.Seq)
				}
			}
		}
	}
	cs := verifyManifest(mp, want, recorded, lineHashes, o)
	if path != mp && path != mp+".minisig" {
		cs = append(cs, listedCheck(path, mp))
	}
	return cs
}

// listedCheck checks that the report file path is one of the outputs of
// the manifest mp: a file that no manifest lists is not vouched for, even
// when a manifest of that name verifies.
func listedCheck(path, mp string) Check {
	name := "report " + path
	m, err := readManifest(mp)
	if err != nil {
		return Check{name, Failed, "no manifest covers it: " + err.Error()}
	}
	pa, _ := filepath.Abs(path)
	for _, out := range m.Outputs {
		if oa, err := filepath.Abs(filepath.Join(filepath.Dir(mp), filepath.FromSlash(out.File))); err == nil && oa == pa {
			return Check{name, OK, fmt.Sprintf("listed in %s (report %s)", mp, m.ReportID)}
		}
	}
	return Check{name, Failed, fmt.Sprintf("not listed in %s (report %s): the file is not part of that report run (left by a superseded run, or not a triage report)", mp, m.ReportID)}
}

// maxManifest bounds the size of a manifest read for verification.
const maxManifest = 64 << 20

// readLimited reads a regular file of at most max bytes.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, max)
	}
	return b, nil
}

func readManifest(path string) (*Manifest, error) {
	b, err := readLimited(path, maxManifest)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	if m.Kind != ManifestKind {
		return nil, fmt.Errorf("not a triage report manifest (kind %q)", m.Kind)
	}
	return &m, nil
}

// verifyManifest checks one manifest. want is its SHA-256 as recorded by
// the custody event named by recorded ("" when unknown).
func verifyManifest(mp, want, recorded string, lineHashes map[int64]string, o VerifyOptions) []Check {
	var cs []Check
	name := "manifest " + mp
	b, err := readLimited(mp, maxManifest)
	if err != nil {
		return append(cs, Check{name, Failed, err.Error()})
	}
	sum := sha256.Sum256(b)
	got := hex.EncodeToString(sum[:])
	if want != "" {
		if got != want {
			cs = append(cs, Check{name, Failed, fmt.Sprintf("SHA-256 %s, but %s recorded %s: the manifest was changed", got, recorded, want)})
		} else {
			cs = append(cs, Check{name, OK, fmt.Sprintf("SHA-256 matches %s", recorded)})
		}
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Kind != ManifestKind {
		if err == nil {
			err = fmt.Errorf("kind %q", m.Kind)
		}
		return append(cs, Check{name, Failed, "not a triage report manifest: " + err.Error()})
	}
	dir := filepath.Dir(mp)
	for _, out := range m.Outputs {
		p := filepath.Join(dir, filepath.FromSlash(out.File))
		if !filepath.IsLocal(filepath.FromSlash(out.File)) {
			cs = append(cs, Check{"report " + out.File, Failed, "the manifest names a file outside its folder"})
			continue
		}
		if st, err := os.Stat(p); err == nil && !st.Mode().IsRegular() {
			cs = append(cs, Check{"report " + p, Failed, "not a regular file"})
			continue
		}
		n, s, err := FileSHA256(p)
		switch {
		case err != nil:
			cs = append(cs, Check{"report " + p, Failed, err.Error()})
		case s != out.SHA256 || n != out.Size:
			cs = append(cs, Check{"report " + p, Failed, fmt.Sprintf("SHA-256 %s (%d bytes), manifest says %s (%d bytes): the file was changed", s, n, out.SHA256, out.Size)})
		default:
			cs = append(cs, Check{"report " + p, OK, "SHA-256 " + s})
		}
	}
	sigPath := mp + ".minisig"
	sig, serr := readLimited(sigPath, 4096)
	switch {
	case serr != nil && m.Signature != nil:
		cs = append(cs, Check{"signature " + sigPath, Failed, "the manifest says it is signed, but: " + serr.Error()})
	case serr != nil:
		cs = append(cs, Check{"signature " + sigPath, Skipped, "the report is not signed"})
	default:
		pub, pinned := o.PublicKey, true
		if pub == "" && m.Signature != nil {
			pub, pinned = m.Signature.PublicKey, false
		}
		if pub == "" {
			cs = append(cs, Check{"signature " + sigPath, Failed, "no public key: give one with --pubkey"})
			break
		}
		tc, err := VerifySignature(pub, b, sig)
		switch {
		case err != nil:
			cs = append(cs, Check{"signature " + sigPath, Failed, err.Error()})
		case pinned:
			cs = append(cs, Check{"signature " + sigPath, OK, "valid, by the given public key; trusted comment: " + tc})
		default:
			cs = append(cs, Check{"signature " + sigPath, OK, "valid, by the key recorded in the manifest (give --pubkey to check who signed); trusted comment: " + tc})
		}
	}
	if lineHashes != nil && m.Custody.Head != "" {
		if h, ok := lineHashes[m.Custody.HeadSeq]; ok && h == m.Custody.Head {
			cs = append(cs, Check{"custody head of " + mp, OK, fmt.Sprintf("event %d of the case's custody log", m.Custody.HeadSeq)})
		} else if n := maxSeq(lineHashes); m.Custody.HeadSeq > n {
			cs = append(cs, Check{"custody head of " + mp, Failed, fmt.Sprintf("custody log truncated after event %d: the report was made at event %d", n, m.Custody.HeadSeq)})
		} else {
			cs = append(cs, Check{"custody head of " + mp, Failed, fmt.Sprintf("the case's custody log has no event %d with hash %s: the log was rewritten", m.Custody.HeadSeq, m.Custody.Head)})
		}
	}
	return cs
}

// verifyEvidence re-hashes evidence items whose metadata holds full-media
// hashes and whose source is a single file that is the media (raw images).
// Folders have no full-media hash and are skipped with a note; container
// formats (E01, split raw) are skipped too: their media hash covers the
// decoded media, which ewfverify or a rescan checks.
func verifyEvidence(ctx context.Context, c *casedb.Case, events []custody.Event, rehash func(context.Context, string, string) (map[string]string, error)) []Check {
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return []Check{{"case " + c.Dir, Failed, err.Error()}}
	}
	var cs []Check
	for _, e := range items {
		name := fmt.Sprintf("evidence %d %s", e.ID, casedb.DisplayString(e.Source))
		if e.State == casedb.StateMediaHashPending {
			cs = append(cs, Check{name, Failed, "the media hash was interrupted before it finished: the item is not complete; run the same scan command again to finish it"})
			continue
		}
		want := expectedMediaHashes(e.Metadata)
		vouched := ""
		if seq, logged := loggedMediaHashes(events, e.ID); logged != nil {
			if d := diffHashes(logged, e.Metadata["media_hashes"]); d != "" {
				cs = append(cs, Check{name, Failed, fmt.Sprintf("media_hashes in case.db differ from those custody event %d records (%s): case.db was edited", seq, d)})
				continue
			}
			want, vouched = logged, fmt.Sprintf(" (as custody event %d records)", seq)
		} else if len(want) > 0 {
			vouched = " (recorded in case.db only: no custody event records them)"
		}
		switch {
		case e.Type == "folder":
			cs = append(cs, Check{name, Skipped, "a folder has no full-media hash; its files' hashes are in the case (rescan with --rescan to compare)"})
			continue
		case len(want) == 0:
			cs = append(cs, Check{name, Skipped, "no full-media hash recorded"})
			continue
		case rehash == nil && e.Type != "raw" && e.Type != "file":
			cs = append(cs, Check{name, Skipped, fmt.Sprintf("%s media hashes cover the decoded media; check with ewfverify or a rescan", e.Type)})
			continue
		}
		if _, err := os.Stat(e.Source); err != nil {
			cs = append(cs, Check{name, Skipped, "source not reachable: " + err.Error()})
			continue
		}
		if rehash == nil {
			rehash = hashFile
		}
		got, err := rehash(ctx, e.Source, e.Type)
		if err != nil {
			cs = append(cs, Check{name, Failed, "cannot re-hash: " + err.Error()})
			continue
		}
		algs := make([]string, 0, len(want))
		for a := range want {
			if _, ok := got[a]; ok {
				algs = append(algs, a)
			}
		}
		sort.Strings(algs)
		if len(algs) == 0 {
			cs = append(cs, Check{name, Skipped, "no recorded hash algorithm could be recomputed"})
			continue
		}
		var bad, good []string
		for _, a := range algs {
			if !strings.EqualFold(got[a], want[a]) {
				bad = append(bad, fmt.Sprintf("%s %s, recorded %s", a, got[a], want[a]))
			} else {
				good = append(good, a+" "+got[a])
			}
		}
		if len(bad) > 0 {
			cs = append(cs, Check{name, Failed, "MISMATCH: " + strings.Join(bad, "; ") + vouched})
		} else {
			cs = append(cs, Check{name, OK, "re-hashed: " + strings.Join(good, ", ") + vouched})
		}
	}
	return cs
}

// mediaHashActions are the custody events that record a media hash.
var mediaHashActions = []string{custody.ActionImageVerified, custody.ActionImageMismatch, custody.ActionImageHashed, custody.ActionImageFailed}

// loggedMediaHashes returns the media hashes (algorithm -> hex) the last
// custody event of evidence item id that computed them records, with that
// event's sequence number; nil when no event does.
func loggedMediaHashes(events []custody.Event, id int64) (int64, map[string]string) {
	for i := len(events) - 1; i >= 0; i-- {
		e := &events[i]
		if !contains(mediaHashActions, e.Action) || evidenceOf(e) != id {
			continue
		}
		out := map[string]string{}
		for k, v := range e.Details {
			if a, ok := strings.CutPrefix(k, "computed_"); ok && isHashName(a) {
				if s, ok := v.(string); ok && s != "" {
					out[a] = strings.ToLower(s)
				}
			}
		}
		if len(out) > 0 {
			return e.Seq, out
		}
	}
	return 0, nil
}

// diffHashes names the digests of the case.db media_hashes value that
// differ from logged (or are missing), "" when all match.
func diffHashes(logged map[string]string, recorded any) string {
	m, _ := recorded.(map[string]any)
	var d []string
	algs := make([]string, 0, len(logged))
	for a := range logged {
		algs = append(algs, a)
	}
	sort.Strings(algs)
	for _, a := range algs {
		got, _ := m[a].(string)
		if !strings.EqualFold(got, logged[a]) {
			if got == "" {
				got = "missing"
			}
			d = append(d, fmt.Sprintf("%s %s, logged %s", a, got, logged[a]))
		}
	}
	return strings.Join(d, "; ")
}

// hashFile computes MD5, SHA-1 and SHA-256 of a file read as is.
func hashFile(ctx context.Context, path, _ string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hs := map[string]hash.Hash{"md5": md5.New(), "sha1": sha1.New(), "sha256": sha256.New()}
	if _, err := io.Copy(io.MultiWriter(hs["md5"], hs["sha1"], hs["sha256"]), f); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, h := range hs {
		out[k] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}

// expectedMediaHashes returns the full-media hashes recorded for an item:
// media_hashes (computed by triage over the whole media) or else
// acquisition_hashes (recorded at acquisition), as algorithm -> hex.
func expectedMediaHashes(m map[string]any) map[string]string {
	for _, k := range MediaHashKeys {
		if v, ok := m[k].(map[string]any); ok {
			out := map[string]string{}
			for a, h := range v {
				if s, ok := h.(string); ok && isHashName(a) {
					out[strings.ToLower(a)] = s
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}

// WriteChecks prints checks one per line: STATUS  name: detail.
func WriteChecks(w io.Writer, cs []Check) {
	var b bytes.Buffer
	for _, c := range cs {
		fmt.Fprintf(&b, "%-7s %s: %s\n", c.Status, c.Name, c.Detail)
	}
	w.Write(b.Bytes())
}
