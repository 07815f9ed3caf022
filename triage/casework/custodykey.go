package casework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// EnvCustodyKey names the environment variable that gives the secret key
// file of a case's custody signing key when it is no longer where the case
// records it (the same key: its id must match).
const EnvCustodyKey = "TRIAGE_CUSTODY_KEY"

// signers caches the secret keys loaded in this process (decrypting one
// costs a second and a GiB of memory), by file and key id.
var signers sync.Map // string -> *report.Signer

// custodySigner returns the signer of the case in dir when its custody
// events are signed, nil when they are not. The secret key is read from
// $TRIAGE_CUSTODY_KEY or the file the case records, with the password
// e.KeyPassword gives for an encrypted key.
func (e *Env) custodySigner(dir string) (*report.Signer, error) {
	if !casedb.Exists(dir) {
		return nil, nil
	}
	c, err := casedb.OpenReadOnly(dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	id, err := c.Meta(ctx, custody.MetaKeyID)
	var file string
	if err == nil {
		file, err = c.Meta(ctx, custody.MetaKeyFile)
	}
	c.Close()
	if err != nil || id == "" {
		return nil, err
	}
	if v := os.Getenv(EnvCustodyKey); v != "" {
		file = v
	}
	return e.loadSigner(file, id)
}

// loadSigner loads the secret key in file (cached), checking its id when
// wantID is not empty.
func (e *Env) loadSigner(file, wantID string) (*report.Signer, error) {
	// The cache is keyed by the file's identity too: a key file replaced or
	// removed is read again.
	fi, err := os.Stat(file)
	if err != nil && wantID == "" {
		return nil, fmt.Errorf("cannot read secret key: %w", err)
	}
	if err != nil {
		return nil, fmt.Errorf("the case signs its custody events with key %s: cannot read its secret key: %w (give its file in $%s)", wantID, err, EnvCustodyKey)
	}
	ck := fmt.Sprintf("%s\x00%d\x00%d\x00", file, fi.Size(), fi.ModTime().UnixNano())
	if s, ok := signers.Load(ck + wantID); ok {
		return s.(*report.Signer), nil
	}
	pw := ""
	if report.KeyIsEncrypted(file) {
		if e == nil || e.KeyPassword == nil {
			return nil, fmt.Errorf("the custody key %s is encrypted and no password can be asked for", file)
		}
		var err error
		if pw, err = e.KeyPassword(file); err != nil {
			return nil, err
		}
	}
	s, err := report.LoadSigner(file, pw)
	if err != nil {
		if wantID != "" {
			return nil, fmt.Errorf("the case signs its custody events with key %s: %w (give its secret key file in $%s)", wantID, err, EnvCustodyKey)
		}
		return nil, err
	}
	if wantID != "" && s.KeyID() != wantID {
		return nil, fmt.Errorf("the case signs its custody events with key %s, and %s holds key %s", wantID, file, s.KeyID())
	}
	signers.Store(ck+s.KeyID(), s)
	return s, nil
}

// SetCustodyKey makes every later custody event of the case signed with
// the minisign secret key in keyFile: the case records the key (its id,
// public key and file) and the custody log an event ActionSigningKeySet
// with the public key. That event is signed by the key it sets, or, when
// the case already had a key, by that earlier key, so that only its holder
// can change it.
func (e *Env) SetCustodyKey(ctx context.Context, c *casedb.Case, keyFile, examiner string) (*report.Signer, error) {
	abs, err := filepath.Abs(keyFile)
	if err != nil {
		return nil, err
	}
	s, err := e.loadSigner(abs, "")
	if err != nil {
		return nil, err
	}
	old, err := e.custodySigner(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("cannot change the custody key: %w", err)
	}
	by := s
	if old != nil {
		by = old
	}
	for _, kv := range [][2]string{{custody.MetaKeyID, s.KeyID()}, {custody.MetaPublicKey, s.PublicKey()}, {custody.MetaKeyFile, abs}} {
		if err := c.SetMeta(ctx, kv[0], kv[1]); err != nil {
			return nil, err
		}
	}
	ci, err := casedb.LoadCaseInfo(ctx, c)
	if err != nil {
		return nil, err
	}
	d := map[string]any{"key_id": s.KeyID(), "public_key": s.PublicKey(), "key_file": abs}
	if old != nil {
		d["previous_key_id"] = old.KeyID()
	}
	ev, err := custody.Append(c.Dir, custody.Event{Action: custody.ActionSigningKeySet, Actor: Actor(examiner, ci), Host: e.HostName(), Details: d},
		custody.Options{Now: e.Time, Signer: by})
	if err != nil {
		return nil, fmt.Errorf("failed to record %q in the custody log: %w", custody.ActionSigningKeySet, err)
	}
	return s, AnchorCustody(c.Dir, ev)
}
