package report

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// verifyCustodySignatures checks the signatures of the custody events of
// the case in dir (custody.jsonl.sig, when the case signs its events:
// triage case set --key), with pinned, when given, as the key the log's
// first signing key must be. A case database that records a signing key
// the log does not set fails.
func verifyCustodySignatures(ctx context.Context, dir string, c *casedb.Case, events []custody.Event, pinned string) Check {
	name := "custody signatures " + filepath.Join(dir, custody.SigFileName)
	r, err := custody.VerifySignatures(dir, events, pinned)
	if err != nil {
		return Check{name, Failed, err.Error()}
	}
	if r.From == 0 {
		if c != nil {
			if id, err := c.Meta(ctx, custody.MetaKeyID); err == nil && id != "" {
				return Check{name, Failed, fmt.Sprintf("the case database records the custody signing key %s, but no event of the log sets it: the log was rebuilt", id)}
			}
		}
		return Check{name, Skipped, "the case does not sign its custody events (triage case set --key)"}
	}
	return Check{name, OK, fmt.Sprintf("events %d to %d signed by key %s (%d signatures verified)", r.From, len(events), r.KeyID, r.Signed)}
}
