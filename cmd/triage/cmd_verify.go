package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() { registerCommand(newVerifyCommand) }

// VerifyOptions are the flags of `triage verify`.
type VerifyOptions struct {
	PubKey     string
	NoEvidence bool
	JSON       bool
}

// AddFlags registers the verify flags.
func (o *VerifyOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.PubKey, "pubkey", "p", "", "minisign public key `FILE` that must have signed the manifests (default: the key recorded in each manifest)")
	f.BoolVar(&o.NoEvidence, "no-evidence", false, "do not re-hash evidence")
	f.BoolVar(&o.JSON, "json", false, "print the checks as JSON")
}

func newVerifyCommand(g *globalOptions) *cobra.Command {
	opts := &VerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify DIR|REPORT...",
		Short: "Check a case's custody chain, report manifests, signatures and evidence hashes",
		Long: `Verify re-checks what makes a case and its reports tamper-evident and prints
each check with OK, FAILED or SKIPPED.

For a case directory DIR: the custody log's hash chain from the first line to
the last (a changed, removed, inserted or reordered line fails, naming the
line); every report manifest recorded in the log (its SHA-256 against the
log, the SHA-256 of each report file it lists, its signature, and that the log
still holds the head the report was made from); and the evidence: a disk image
(raw, split raw, E01) whose full-media hashes are recorded is read again and
its decoded media re-hashed when its path is reachable. Folders have no
full-media hash and are skipped with a note (rescan with --rescan to compare
file hashes).

For a REPORT (any report file or its BASE.manifest.json): the manifest, the
files it lists, its signature, and, when its case is reachable, the custody
checks above for that manifest.

Signatures are checked with the key given by --pubkey; without it, with the
public key recorded in the manifest, which proves the files are unchanged but
not who signed them.

Exits with status 1 when any check fails.

` + exitStatusHelp,
		Example: `  triage verify case-042
  triage verify out/case-042.pdf --pubkey examiner.pub
  triage verify case-042 --no-evidence --json`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	caseOrItemsFlag(cmd)
	return cmd
}

func runVerify(ctx context.Context, opts *VerifyOptions, g *globalOptions, args []string) error {
	vo := report.VerifyOptions{NoEvidence: opts.NoEvidence, Rehash: casework.RehashMedia}
	if opts.PubKey != "" {
		b, err := os.ReadFile(opts.PubKey)
		if err != nil {
			return fmt.Errorf("cannot read public key: %w", err)
		}
		vo.PublicKey = string(b)
	}
	var all []report.Check
	for _, a := range args {
		var cs []report.Check
		if casedb.Exists(a) {
			cs = report.VerifyCase(ctx, a, vo)
		} else if _, err := os.Stat(a); err != nil {
			cs = []report.Check{{Name: a, Status: report.Failed, Detail: err.Error()}}
		} else {
			cs = report.VerifyReport(ctx, a, vo)
		}
		all = append(all, cs...)
	}
	if err := ctx.Err(); err != nil {
		// Checks cut short by Ctrl-C failed for that reason only: the
		// verification was interrupted (exit 130), not failed.
		return fmt.Errorf("verification interrupted: %w", err)
	}
	if opts.JSON {
		e := json.NewEncoder(g.Out)
		e.SetIndent("", "  ")
		if err := e.Encode(all); err != nil {
			return err
		}
	} else {
		report.WriteChecks(g.Out, all)
	}
	for _, c := range all {
		if c.Status == report.Failed {
			return fmt.Errorf("verification FAILED: %s: %s", c.Name, c.Detail)
		}
	}
	return nil
}

// rehashMedia reads the whole media of a disk image (raw, split raw, E01:
// the decoded media) and returns its MD5, SHA-1 and SHA-256.
