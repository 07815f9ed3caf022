package hashset

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// DamagedError is the error of a set whose sections do not match their
// checksums.
type DamagedError struct {
	Name string
	Path string
	Err  error
}

func (e *DamagedError) Error() string {
	where := ""
	if e.Path != "" {
		where = " (" + e.Path + ")"
	}
	return fmt.Sprintf("hash set %q%s is damaged: %v; import it again ('triage hashset info --verify %s' checks it)", e.Name, where, e.Err, e.Name)
}

func (e *DamagedError) Unwrap() error { return e.Err }

// Check verifies the SHA-256 of every section and the order of the digests
// (Verify), and sets FileSHA256 to the SHA-256 of the index bytes in use
// and CheckedAt. A mismatch is a *DamagedError naming the set.
func (s *Set) Check() error {
	if err := s.Verify(); err != nil {
		return &DamagedError{Name: s.Name, Path: s.Path, Err: err}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(s.r, 0, s.Size)); err != nil {
		return &DamagedError{Name: s.Name, Path: s.Path, Err: err}
	}
	s.FileSHA256 = hex.EncodeToString(h.Sum(nil))
	s.CheckedAt = time.Now().UTC().Truncate(time.Second)
	return nil
}

// checkRecord is what CheckCached keeps of a check, next to the index.
type checkRecord struct {
	Identity   string    `json:"identity"`
	FileSHA256 string    `json:"file_sha256"`
	CheckedAt  time.Time `json:"checked_at"`
}

// checkPath is the record of the last good check of set name.
func (l *Library) checkPath(name string) string {
	return filepath.Join(l.Dir, "."+name+".checked")
}

// CheckCached is Check done once per file identity (device, inode, size,
// modification and change times): a set whose file has not changed since
// its last good check takes that check's results. It reports whether the
// results came from the earlier check. Sets without a file identity
// (built-in, or read through a reader) are checked every time.
func (l *Library) CheckCached(s *Set) (cached bool, err error) {
	if s.ident != "" && s.Path == l.path(s.Name) {
		if b, err := os.ReadFile(l.checkPath(s.Name)); err == nil {
			var r checkRecord
			if json.Unmarshal(b, &r) == nil && r.Identity == s.ident && len(r.FileSHA256) == 64 {
				s.FileSHA256, s.CheckedAt = r.FileSHA256, r.CheckedAt
				return true, nil
			}
		}
	}
	if err := s.Check(); err != nil {
		return false, err
	}
	if s.ident != "" && s.Path == l.path(s.Name) {
		b, _ := json.Marshal(checkRecord{Identity: s.ident, FileSHA256: s.FileSHA256, CheckedAt: s.CheckedAt})
		// A library on read-only media keeps no record: checked each time.
		tmp := l.checkPath(s.Name) + ".tmp"
		if os.WriteFile(tmp, b, 0o644) == nil {
			os.Rename(tmp, l.checkPath(s.Name))
		}
	}
	return false, nil
}
