package custody

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"aead.dev/minisign"
)

// SigFileName is the log of event signatures beside the custody log, one
// JSON line per signed event (see docs/custody-log.md).
const SigFileName = "custody.jsonl.sig"

// ActionSigningKeySet records that the case signs every custody event from
// this one on with a minisign key: details hold key_id and public_key.
const ActionSigningKeySet = "custody signing key set"

// The case database's meta keys of a case whose custody events are signed
// (triage case set --key): the key's id, its public key and the path of
// its secret key file.
const (
	MetaKeyID     = "custody_signing_key_id"
	MetaPublicKey = "custody_signing_public_key"
	MetaKeyFile   = "custody_signing_key_file"
)

// Signer signs a custody line (report.Signer is one: a minisign secret key).
type Signer interface {
	// Sign returns a minisign signature of msg with the trusted comment.
	Sign(msg []byte, trustedComment string) []byte
	KeyID() string
}

// Signature is one line of custody.jsonl.sig: the minisign signature of
// the custody line of event Seq, whose SHA-256 is LineSHA256.
type Signature struct {
	Seq        int64  `json:"seq"`
	LineSHA256 string `json:"line_sha256"`
	KeyID      string `json:"key_id"`
	Signature  string `json:"signature"` // the .minisig text
}

// maxSigLine bounds one line of the signature log.
const maxSigLine = 64 << 10

// appendSignature signs line (the custody line of event seq) and appends
// the signature to dir's signature log, written whole and synced.
func appendSignature(dir string, seq int64, line []byte, s Signer) error {
	h := LineHash(line)
	tc := fmt.Sprintf("triage custody event %d line_sha256 %s", seq, h)
	b, err := json.Marshal(Signature{Seq: seq, LineSHA256: h, KeyID: s.KeyID(), Signature: string(s.Sign(line, tc))})
	if err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, SigFileName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("custody: cannot open the signature log: %w", err)
	}
	defer f.Close()
	end, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		_ = f.Truncate(end)
		return fmt.Errorf("custody: cannot append to the signature log: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("custody: cannot sync the signature log: %w", err)
	}
	return nil
}

// ReadSignatures reads dir's signature log by event: the last signature
// of each seq wins (a signature written again after a failed append). A
// missing log is no signatures.
func ReadSignatures(dir string) (map[int64]Signature, error) {
	f, err := os.Open(filepath.Join(dir, SigFileName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[int64]Signature{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 4096), maxSigLine)
	n := 0
	for sc.Scan() {
		n++
		var s Signature
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil || s.Seq < 1 {
			return out, fmt.Errorf("%s line %d: not a signature line", SigFileName, n)
		}
		out[s.Seq] = s
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s line %d: %w", SigFileName, n+1, err)
	}
	return out, nil
}

// SignatureReport is what VerifySignatures found.
type SignatureReport struct {
	KeyID     string // the key the log names (ActionSigningKeySet)
	PublicKey string
	From      int64 // the first event that must be signed (0: none)
	Signed    int   // events whose signature verified
}

// VerifySignatures checks the signatures of the events of a verified log
// (events, as Verify returns them) of the case in dir: every event from
// the first ActionSigningKeySet on must carry a valid signature by the
// key in force (the first such event is signed by the key it sets, a
// later one by the key it replaces), and
// no signature may name an event past the log's end (its tail was cut).
// pinned, when not empty, is the public key the caller trusts: the log's
// first key must be it. It returns what was checked and the first problem.
func VerifySignatures(dir string, events []Event, pinned string) (*SignatureReport, error) {
	sigs, err := ReadSignatures(dir)
	if err != nil {
		return nil, err
	}
	r := &SignatureReport{}
	var pub minisign.PublicKey
	n := int64(len(events))
	for i := range events {
		e := &events[i]
		var next *minisign.PublicKey
		if e.Action == ActionSigningKeySet {
			text, _ := e.Details["public_key"].(string)
			var k minisign.PublicKey
			if err := k.UnmarshalText([]byte(strings.TrimSpace(text))); err != nil {
				return r, fmt.Errorf("event %d sets a signing key that is not a minisign public key: %v", e.Seq, err)
			}
			if r.From == 0 {
				if pinned != "" {
					var p minisign.PublicKey
					if err := p.UnmarshalText([]byte(strings.TrimSpace(lastLineOf(pinned)))); err != nil {
						return r, fmt.Errorf("the public key given is not a minisign public key: %v", err)
					}
					if !p.Equal(k) {
						return r, fmt.Errorf("event %d sets the signing key %s, not the key given (%s)", e.Seq, keyID(k.ID()), keyID(p.ID()))
					}
				}
				// The first key signs the event that sets it.
				r.From, pub, r.KeyID, r.PublicKey = e.Seq, k, keyID(k.ID()), text
			} else {
				// A later key is set by an event the key in force signs.
				next = &k
			}
		}
		if r.From == 0 {
			continue
		}
		line, err := Canonical(e, true)
		if err != nil {
			return r, err
		}
		s, ok := sigs[e.Seq]
		switch {
		case !ok:
			return r, fmt.Errorf("event %d (%s) is not signed: the log was appended to without the case's key", e.Seq, e.Action)
		case s.LineSHA256 != LineHash(line):
			return r, fmt.Errorf("the signature of event %d is for another line (SHA-256 %s): the event was changed", e.Seq, s.LineSHA256)
		case !minisign.Verify(pub, line, []byte(s.Signature)):
			return r, fmt.Errorf("the signature of event %d does not verify with key %s: the event or its signature was forged", e.Seq, r.KeyID)
		}
		r.Signed++
		if next != nil {
			pub, r.KeyID, r.PublicKey = *next, keyID(next.ID()), e.Details["public_key"].(string)
		}
	}
	for seq := range sigs {
		if seq > n {
			return r, fmt.Errorf("the signature log holds a signature of event %d, but the custody log ends at event %d: its tail was cut", maxKey(sigs), n)
		}
	}
	return r, nil
}

func maxKey(m map[int64]Signature) int64 {
	var k int64
	for s := range m {
		k = max(k, s)
	}
	return k
}

// lastLineOf returns the last non-empty line of a key file's text (the
// base64 line after minisign's "untrusted comment").
func lastLineOf(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	return ls[len(ls)-1]
}

func keyID(id uint64) string { return strings.ToUpper(strconv.FormatUint(id, 16)) }
