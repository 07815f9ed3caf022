// Package custody keeps the chain-of-custody log of a case: DIR/custody.jsonl,
// append-only, one event per line. Each line carries the SHA-256 of the
// previous line (prev) and a hash of its own canonical JSON (hash), so an
// edit, a deletion or a reordering of any line breaks the chain from there on
// and Verify names the first broken line.
//
// Canonical JSON here means: the event object without its "hash" member,
// encoded with object keys sorted byte-wise at every level, no insignificant
// whitespace, and numbers kept exactly as written. Anyone can recompute it
// with a few lines of code (see docs/custody-log.md).
package custody

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/triagekit/triage/internal/buildinfo"
)

// FileName is the name of the log inside a case directory.
const FileName = "custody.jsonl"

// GenesisPrev is the prev value of the first event.
const GenesisPrev = "0000000000000000000000000000000000000000000000000000000000000000"

// Actions recorded by triage. Human events use ActionTransfer and ActionNote.
const (
	ActionCaseCreated     = "case created"
	ActionCaseUpdated     = "case updated"
	ActionEvidenceAdded   = "evidence added"
	ActionEvidenceUpdated = "evidence updated"
	ActionScanStarted     = "scan started"
	ActionScanFinished    = "scan finished"
	ActionScanInterrupted = "scan interrupted"
	ActionImageVerified   = "image verified"
	ActionImageMismatch   = "image MISMATCH"
	ActionImageHashed     = "image hashed" // no stored hash to compare with
	ActionImageFailed     = "image verification FAILED"
	ActionHashSetUsed     = "hash set used"
	// ActionMatchStarted opens a match of an evidence item's records
	// against hash sets (`triage match`), which reads no evidence.
	ActionMatchStarted = "match started"
	// ActionRecordsMatched closes a match of an evidence item's records
	// against hash sets (`triage match`); it carries the new seal.
	ActionRecordsMatched = "records matched"
	// ActionFilesExported records an export of files from the evidence.
	ActionFilesExported   = "files exported"
	ActionReportGenerated = "report generated"
	ActionTransfer        = "custody transfer"
	ActionNote            = "note"
	// ActionTornLineSetAside records that the log ended in a partial line
	// (a crash or a full disk during a write), moved to the file named in
	// its details before the chain went on.
	ActionTornLineSetAside = "torn line set aside"
)

// Tool identifies the binary that wrote an event.
type Tool struct {
	Version string `json:"version"`
	Commit  string `json:"commit"`
	SHA256  string `json:"sha256"`
}

// Event is one line of the log.
type Event struct {
	Seq     int64          `json:"seq"`
	Time    string         `json:"time"` // RFC 3339, UTC
	Actor   string         `json:"actor"`
	Host    string         `json:"host"`
	Tool    Tool           `json:"tool"`
	Action  string         `json:"action"`
	Details map[string]any `json:"details"`
	Prev    string         `json:"prev"`
	Hash    string         `json:"hash"`
}

// Options fill the parts of an event the caller does not set.
type Options struct {
	Now func() time.Time // time.Now when nil (a test hook)
	// Tool replaces the identity of the running binary (a test hook: the
	// SHA-256 of a test binary changes with every build).
	Tool *Tool
	// Signer, when set, signs every event appended (the torn-line event
	// included) into custody.jsonl.sig (SigFileName).
	Signer Signer
}

// Append adds an event to the log of the case in dir, filling seq, time (if
// empty), host (if empty), tool, prev and hash. The file is locked while
// appending. The line is written whole, with one write, then synced; a write
// that fails part-way is cut off again, so the log never keeps half a line.
//
// A log that ends in a partial line (a crash during a write) is repaired in
// the open: the partial line is moved to custody.jsonl.torn-N and an event
// ActionTornLineSetAside, naming that file and the SHA-256 of its bytes, is
// appended before e. A complete line that is damaged is not appended to:
// the chain is never silently repaired.
func Append(dir string, e Event, o Options) (*Event, error) {
	p := filepath.Join(dir, FileName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the custody log: %w", err)
	}
	defer f.Close()
	if err := lock(f); err != nil {
		return nil, fmt.Errorf("cannot lock the custody log: %w", err)
	}
	defer unlock(f)

	torn, err := setAsideTorn(dir, f)
	if err != nil {
		return nil, err
	}
	if torn != nil {
		te := Event{Actor: e.Actor, Host: e.Host, Action: ActionTornLineSetAside, Details: torn}
		if _, err := appendEvent(f, p, te, o); err != nil {
			return nil, err
		}
	}
	return appendEvent(f, p, e, o)
}

// appendEvent appends e to the locked log f at path p.
func appendEvent(f *os.File, p string, e Event, o Options) (*Event, error) {
	last, err := lastLine(f)
	if err != nil {
		return nil, err
	}
	e.Seq, e.Prev = 1, GenesisPrev
	if last != nil {
		var prev Event
		if err := json.Unmarshal(last, &prev); err != nil {
			return nil, fmt.Errorf("the last line of the custody log %s is damaged (%v); refusing to append", p, err)
		}
		e.Seq = prev.Seq + 1
		e.Prev = LineHash(last)
	}
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	if e.Time == "" {
		e.Time = now().UTC().Format(time.RFC3339Nano)
	}
	if e.Host == "" {
		e.Host, _ = os.Hostname()
	}
	if e.Actor == "" {
		e.Actor = defaultActor()
	}
	bi := buildinfo.Get()
	exe, _ := buildinfo.ExecutableSHA256()
	e.Tool = Tool{Version: bi.Version, Commit: bi.Commit, SHA256: exe}
	if o.Tool != nil {
		e.Tool = *o.Tool
	}
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	h, err := EventHash(&e)
	if err != nil {
		return nil, err
	}
	e.Hash = h
	line, err := Canonical(&e, true)
	if err != nil {
		return nil, err
	}
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		// A full disk may take part of the line: cut it off again.
		_ = f.Truncate(end)
		_ = f.Sync()
		return nil, fmt.Errorf("cannot append to the custody log: %w", err)
	}
	if err := f.Sync(); err != nil {
		_ = f.Truncate(end)
		return nil, fmt.Errorf("cannot sync the custody log: %w", err)
	}
	if o.Signer != nil {
		if err := appendSignature(filepath.Dir(p), e.Seq, line, o.Signer); err != nil {
			return &e, fmt.Errorf("custody: event %d recorded but not signed: %w", e.Seq, err)
		}
	}
	return &e, nil
}

// MaxTornFiles bounds the numbering of custody.jsonl.torn-N files.
const MaxTornFiles = 10000

// setAsideTorn moves the bytes after the last newline of the locked log f
// (a line whose write never completed) to DIR/custody.jsonl.torn-N, synced,
// and cuts them from the log. It returns the details of the event that
// records it, nil when the log ends in a newline.
func setAsideTorn(dir string, f *os.File) (map[string]any, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil
	}
	var one [1]byte
	if _, err := f.ReadAt(one[:], size-1); err != nil {
		return nil, fmt.Errorf("cannot read the custody log: %w", err)
	}
	if one[0] == '\n' {
		return nil, nil
	}
	// Find the end of the last complete line.
	const chunk = 64 << 10
	start := int64(0)
	for off := size; off > 0 && start == 0; {
		n := min(int64(chunk), off)
		off -= n
		b := make([]byte, n)
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("cannot read the custody log: %w", err)
		}
		if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
			start = off + int64(i) + 1
		}
	}
	torn := make([]byte, size-start)
	if _, err := f.ReadAt(torn, start); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("cannot read the custody log: %w", err)
	}
	var name string
	for n := 1; ; n++ {
		if n > MaxTornFiles {
			return nil, fmt.Errorf("%d torn-line files of the custody log already in %s", MaxTornFiles, dir)
		}
		name = fmt.Sprintf("%s.torn-%d", FileName, n)
		t, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o444)
		if errors.Is(err, os.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cannot set aside the torn last line of the custody log: %w", err)
		}
		_, err = t.Write(torn)
		if err == nil {
			err = t.Sync()
		}
		if cerr := t.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(filepath.Join(dir, name))
			return nil, fmt.Errorf("cannot set aside the torn last line of the custody log: %w", err)
		}
		break
	}
	if err := f.Truncate(start); err != nil {
		return nil, fmt.Errorf("cannot cut the torn last line of the custody log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("cannot sync the custody log: %w", err)
	}
	s := sha256.Sum256(torn)
	return map[string]any{"file": name, "offset": start, "bytes": len(torn), "sha256": hex.EncodeToString(s[:])}, nil
}

func defaultActor() string {
	if v := os.Getenv("TRIAGE_EXAMINER"); v != "" {
		return v
	}
	for _, k := range []string{"USER", "USERNAME", "LOGNAME"} {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return "unknown"
}

// lastLine returns the last non-empty line of f, nil for an empty file.
func lastLine(f *os.File) ([]byte, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size := st.Size()
	if size == 0 {
		return nil, nil
	}
	const chunk = 64 << 10
	var buf []byte
	for off := size; off > 0; {
		n := int64(chunk)
		if off < n {
			n = off
		}
		off -= n
		b := make([]byte, n)
		if _, err := f.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		buf = append(b, buf...)
		trimmed := bytes.TrimRight(buf, "\n")
		if i := bytes.LastIndexByte(trimmed, '\n'); i >= 0 || off == 0 {
			return trimmed[i+1:], nil
		}
	}
	return nil, nil
}

// LineHash is the prev value that follows a line: the hex SHA-256 of the
// line's bytes without its newline.
func LineHash(line []byte) string {
	s := sha256.Sum256(line)
	return hex.EncodeToString(s[:])
}

// EventHash computes the hash member of an event: the hex SHA-256 of its
// canonical JSON without the hash member.
func EventHash(e *Event) (string, error) {
	b, err := Canonical(e, false)
	if err != nil {
		return "", err
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:]), nil
}

// Canonical encodes an event as canonical JSON, with or without its hash.
func Canonical(e *Event, withHash bool) ([]byte, error) {
	raw, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("cannot encode the custody event: %w", err)
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if !withHash {
		delete(m, "hash")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil { // maps encode with sorted keys
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ChainError names the first line where the chain is broken.
type ChainError struct {
	Line int // 1-based line number
	Msg  string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("custody log broken at line %d: %s", e.Line, e.Msg)
}

// Verify checks the whole chain of the log of the case in dir. It returns
// the events read and the head hash (the LineHash of the last line), or a
// *ChainError naming the first broken line.
func Verify(dir string) (events []Event, head string, err error) {
	f, err := os.Open(filepath.Join(dir, FileName))
	if err != nil {
		return nil, "", fmt.Errorf("cannot open the custody log: %w", err)
	}
	defer f.Close()
	return VerifyReader(f)
}

// VerifyReader checks a custody log read from r.
func VerifyReader(r io.Reader) (events []Event, head string, err error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	prev := GenesisPrev
	n := 0
	for sc.Scan() {
		n++
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			return events, "", &ChainError{n, "empty line"}
		}
		var e Event
		d := json.NewDecoder(bytes.NewReader(line))
		d.DisallowUnknownFields()
		if err := d.Decode(&e); err != nil {
			return events, "", &ChainError{n, fmt.Sprintf("not a custody event: %v", err)}
		}
		if e.Seq != int64(n) {
			return events, "", &ChainError{n, fmt.Sprintf("sequence number %d, expected %d", e.Seq, n)}
		}
		if e.Prev != prev {
			return events, "", &ChainError{n, "prev does not match the hash of the previous line (a line was changed, removed or inserted before this one)"}
		}
		h, err := EventHash(&e)
		if err != nil {
			return events, "", &ChainError{n, err.Error()}
		}
		if h != e.Hash {
			return events, "", &ChainError{n, "hash does not match the line's content (the line was changed)"}
		}
		canon, err := Canonical(&e, true)
		if err != nil || !bytes.Equal(canon, line) {
			return events, "", &ChainError{n, "line is not in canonical form (it was re-encoded or changed)"}
		}
		prev = LineHash(line)
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		return events, "", fmt.Errorf("cannot read the custody log: %w", err)
	}
	if n == 0 {
		return nil, "", nil
	}
	return events, prev, nil
}
