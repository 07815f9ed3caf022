package casework

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// Env is what the workflows take from their surroundings. The zero value
// uses the system clock and host name.
type Env struct {
	// Now is the clock of custody events (and of reports made with the
	// same Env); nil means time.Now.
	Now func() time.Time
	// Host is the host name recorded in custody events; "" means the
	// system's.
	Host string
	// KeyPassword gives the password of the encrypted secret key file of a
	// case whose custody events are signed (case set --key); nil: such a
	// key cannot be used.
	KeyPassword func(keyFile string) (string, error)
}

// Time returns the current time of the Env's clock, in UTC.
func (e *Env) Time() time.Time {
	if e != nil && e.Now != nil {
		return e.Now().UTC()
	}
	return time.Now().UTC()
}

// HostName returns the host name of the Env.
func (e *Env) HostName() string {
	if e != nil && e.Host != "" {
		return e.Host
	}
	h, _ := os.Hostname()
	return h
}

// AppendCustody records one event in the custody log of the case in dir,
// and anchors the log's new head in the case database (AnchorCustody).
//
// When the case signs its custody events (SetCustodyKey), the event is
// signed; an event that cannot be signed (the key or its password missing)
// is not recorded.
func (e *Env) AppendCustody(dir, action, actor string, details map[string]any) error {
	signer, err := e.custodySigner(dir)
	if err != nil {
		return fmt.Errorf("failed to record %q in the custody log: %w", action, err)
	}
	o := custody.Options{Now: e.Time}
	if signer != nil {
		o.Signer = signer
	}
	ev, err := custody.Append(dir, custody.Event{Action: action, Actor: actor, Host: e.HostName(), Details: details}, o)
	if err != nil {
		return fmt.Errorf("failed to record %q in the custody log: %w", action, err)
	}
	return AnchorCustody(dir, ev)
}

// AnchorCustody records ev, just appended to the custody log of the case in
// dir, as the log's head in the case database: a copy of the head outside
// the log, so that verify can tell a log whose tail was cut off.
func AnchorCustody(dir string, ev *custody.Event) error {
	if !casedb.Exists(dir) {
		return nil
	}
	line, err := custody.Canonical(ev, true)
	if err != nil {
		return err
	}
	c, err := casedb.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot anchor the custody head: %w", err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.SetCustodyHead(ctx, ev.Seq, custody.LineHash(line)); err != nil {
		return fmt.Errorf("cannot anchor the custody head in the case database: %w", err)
	}
	return nil
}

// EnvExaminer names the environment variable holding the default examiner.
const EnvExaminer = "TRIAGE_EXAMINER"

// Actor returns who a custody event is recorded for: examiner when given,
// else $TRIAGE_EXAMINER, else the case's examiner, else "" (the custody
// package then uses the login name).
func Actor(examiner string, ci casedb.CaseInfo) string {
	if examiner != "" {
		return examiner
	}
	if v := os.Getenv(EnvExaminer); v != "" {
		return v
	}
	return ci.Examiner
}
