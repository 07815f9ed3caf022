package casedb

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// File types of a record.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeFIFO    = "fifo"
	TypeSocket  = "socket"
	TypeDevice  = "device"
	TypeOther   = "other"
)

// Match statuses of a record, from the hash sets it matched.
const (
	StatusKnownBad  = "known-bad"
	StatusNotable   = "notable"
	StatusKnownGood = "known-good"
	StatusUnknown   = "unknown"
)

// FileRecord is one file, folder, link or data stream of an evidence item, as
// stored in the case and streamed as a JSON line. Its JSON form is a public
// contract documented in docs/jsonl.md.
type FileRecord struct {
	Evidence int64
	// Key identifies the record within its evidence item across runs (a
	// resumed scan skips keys it already holds). It is not part of the
	// JSON form.
	Key string
	// Path is the full "/"-separated path inside the evidence. It holds
	// the raw name bytes, which may not be valid UTF-8.
	Path       string
	Type       string
	LinkTarget string
	Size       int64
	// Hex digests; "" when not computed.
	MD5, SHA1, SHA256, BLAKE3 string
	MIME                      string
	Extension                 string
	ExtensionMismatch         bool
	// Entropy in bits per byte; nil when no content was read.
	Entropy *float64
	Deleted bool
	Stream  string
	Inode   *uint64
	Volume  *int
	// Zero times are unknown.
	Mtime, Atime, Ctime, Btime time.Time
	Status                     string
	Hashsets                   []string
	Complete                   bool
	Error                      string
	// ErrorOffset is the byte offset in the evidence where the error in
	// Error was found (a bad E01 chunk, say); 0 or -1 when unknown. It goes
	// to the case's errors table; it is not part of the JSON form.
	ErrorOffset int64
	// Extra holds source-specific facts (NTFS $FILE_NAME times, metafile
	// flags, ...). Keys are snake_case; values must marshal to JSON.
	Extra map[string]any
}

// DisplayPath returns Path with invalid UTF-8 bytes replaced by U+FFFD.
func (r *FileRecord) DisplayPath() string { return DisplayString(r.Path) }

// DisplayString returns s with each invalid UTF-8 byte replaced by U+FFFD.
func DisplayString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// jsonRecord fixes the field order and null rules of the JSON contract.
type jsonRecord struct {
	Evidence          int64          `json:"evidence"`
	Path              string         `json:"path"`
	NameBytesB64      string         `json:"name_bytes_b64,omitempty"`
	Type              string         `json:"type"`
	LinkTarget        *string        `json:"link_target,omitempty"`
	Size              int64          `json:"size"`
	MD5               *string        `json:"md5"`
	SHA1              *string        `json:"sha1"`
	SHA256            *string        `json:"sha256"`
	BLAKE3            *string        `json:"blake3,omitempty"`
	MIME              *string        `json:"mime"`
	Extension         string         `json:"extension"`
	ExtensionMismatch bool           `json:"extension_mismatch"`
	Entropy           *float64       `json:"entropy"`
	Deleted           bool           `json:"deleted"`
	Stream            string         `json:"stream"`
	Inode             *uint64        `json:"inode"`
	Volume            *int           `json:"volume"`
	Mtime             *string        `json:"mtime"`
	Atime             *string        `json:"atime"`
	Ctime             *string        `json:"ctime"`
	Btime             *string        `json:"btime"`
	Status            string         `json:"status"`
	Hashsets          []string       `json:"hashsets"`
	Complete          bool           `json:"complete"`
	Error             *string        `json:"error"`
	Extra             map[string]any `json:"extra,omitempty"`
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// FormatTime renders t as RFC 3339 in UTC with the precision the source
// gave, or "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return string(appendTime(make([]byte, 0, 30), t.UTC()))
}

// MarshalJSON encodes the record in the documented JSON-lines form.
func (r *FileRecord) MarshalJSON() ([]byte, error) {
	j := jsonRecord{
		Evidence:          r.Evidence,
		Path:              r.DisplayPath(),
		Type:              r.Type,
		Size:              r.Size,
		MD5:               strOrNil(r.MD5),
		SHA1:              strOrNil(r.SHA1),
		SHA256:            strOrNil(r.SHA256),
		BLAKE3:            strOrNil(r.BLAKE3),
		MIME:              strOrNil(r.MIME),
		Extension:         r.Extension,
		ExtensionMismatch: r.ExtensionMismatch,
		Entropy:           r.Entropy,
		Deleted:           r.Deleted,
		Stream:            r.Stream,
		Inode:             r.Inode,
		Volume:            r.Volume,
		Mtime:             strOrNil(FormatTime(r.Mtime)),
		Atime:             strOrNil(FormatTime(r.Atime)),
		Ctime:             strOrNil(FormatTime(r.Ctime)),
		Btime:             strOrNil(FormatTime(r.Btime)),
		Status:            r.Status,
		Hashsets:          r.Hashsets,
		Complete:          r.Complete,
		Error:             strOrNil(r.Error),
		Extra:             r.Extra,
	}
	if !utf8.ValidString(r.Path) {
		j.NameBytesB64 = base64.StdEncoding.EncodeToString([]byte(r.Path))
	}
	if r.Type == TypeSymlink || r.LinkTarget != "" {
		t := DisplayString(r.LinkTarget)
		j.LinkTarget = &t
	}
	if j.Status == "" {
		j.Status = StatusUnknown
	}
	if j.Hashsets == nil {
		j.Hashsets = []string{}
	}
	return json.Marshal(j)
}

// ExtraHashMatch is the key of FileRecord.Extra that records, at match
// time, which digest of the record matched each hash set (a HashMatch).
const ExtraHashMatch = "hash_match"

// HashMatch records the last matching of a record against hash sets: the
// run that matched it (a scan or `triage match`), when, and for each set
// that matched, the digest that matched it.
type HashMatch struct {
	Run  int64     `json:"run"`
	At   string    `json:"at"` // RFC 3339, UTC
	Hits []HashHit `json:"hits"`
}

// HashHit is one hash set a record matched and the digest that matched.
type HashHit struct {
	Set       string `json:"set"`
	Category  string `json:"category"`
	Algorithm string `json:"algorithm"` // md5, sha1, sha256
	Digest    string `json:"digest"`    // lowercase hex
}

// HashMatch returns the match recorded in the record's Extra, nil when
// none is (a record never matched, or one of a case made before matches
// were recorded).
func (r *FileRecord) HashMatch() *HashMatch {
	switch v := r.Extra[ExtraHashMatch].(type) {
	case nil:
		return nil
	case *HashMatch:
		return v
	case HashMatch:
		return &v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil
		}
		var m HashMatch
		if json.Unmarshal(b, &m) != nil {
			return nil
		}
		return &m
	}
}

// SetHashMatch records m in the record's Extra (a copy of the map, which
// may be shared with the source), or removes the key when m is nil.
func (r *FileRecord) SetHashMatch(m *HashMatch) {
	extra := make(map[string]any, len(r.Extra)+1)
	for k, v := range r.Extra {
		extra[k] = v
	}
	if m == nil {
		delete(extra, ExtraHashMatch)
	} else {
		extra[ExtraHashMatch] = m
	}
	if len(extra) == 0 {
		extra = nil
	}
	r.Extra = extra
}
