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
		cs = append(cs, Check{"custody log " + filepath.Join(dir, custody.FileName), OK, fmt.Sprintf("%d events, chain intact, head %s", len(events), head)})
	}
	lineHashes := eventLineHashes(events)
	for _, e := range events {
		if e.Action != custody.ActionReportGenerated {
			continue
		}
		mp, _ := e.Details["manifest"].(string)
		want, _ := e.Details["manifest_sha256"].(string)
		if mp == "" {
			continue
		}
		if _, err := os.Stat(mp); errors.Is(err, fs.ErrNotExist) {
			cs = append(cs, Check{"manifest " + mp, Skipped, fmt.Sprintf("not found here (recorded by custody event %d; moved or handed over?)", e.Seq)})
			continue
		}
		cs = append(cs, verifyManifest(mp, want, fmt.Sprintf("custody event %d", e.Seq), lineHashes, o)...)
	}
	if !o.NoEvidence {
		cs = append(cs, verifyEvidence(ctx, dir, o.Rehash)...)
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
	return verifyManifest(mp, want, recorded, lineHashes, o)
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
func verifyEvidence(ctx context.Context, dir string, rehash func(context.Context, string, string) (map[string]string, error)) []Check {
	c, err := casedb.OpenReadOnly(dir)
	if err != nil {
		return []Check{{"case " + dir, Failed, err.Error()}}
	}
	defer c.Close()
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return []Check{{"case " + dir, Failed, err.Error()}}
	}
	var cs []Check
	for _, e := range items {
		name := fmt.Sprintf("evidence %d %s", e.ID, casedb.DisplayString(e.Source))
		want := expectedMediaHashes(e.Metadata)
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
			cs = append(cs, Check{name, Failed, "MISMATCH: " + strings.Join(bad, "; ")})
		} else {
			cs = append(cs, Check{name, OK, "re-hashed: " + strings.Join(good, ", ")})
		}
	}
	return cs
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
