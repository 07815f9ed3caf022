package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() { registerCommand(newMatchCommand) }

// MatchOptions are the flags of `triage match`.
type MatchOptions struct {
	Case     string
	Names    []string
	Dir      string
	Examiner string
	Quiet    bool
}

// AddFlags registers the match flags.
func (o *MatchOptions) AddFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&o.Names, "hashset", nil, "match against set `NAME` of the library only (repeatable; default: every set)")
	f.StringVar(&o.Dir, "hashset-dir", "", "hash-set library `DIR` (default $"+hashset.EnvDir+", else $XDG_DATA_HOME/triage/hashsets)")
	f.StringVar(&o.Examiner, "examiner", "", "examiner recorded on the runs and in the custody log (default $TRIAGE_EXAMINER, else the case's examiner)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on success")
}

func newMatchCommand(g *globalOptions) *cobra.Command {
	return newMatchCommandWith(g, nil)
}

func newMatchCommandWith(g *globalOptions, runF func(*MatchOptions) error) *cobra.Command {
	opts := &MatchOptions{}
	cmd := &cobra.Command{
		Use:   "match CASE",
		Short: "Match the records of a case against the hash-set library again, without reading the evidence",
		Long: `Match looks up the digests recorded in a case in the current hash-set library
(every set, or the sets named with --hashset): after 'triage hashset import'
of a new set, the case learns which of its files the set lists, without
reading the evidence again.

Each evidence item gets a new run, recorded with its command line and the
sets used with their provenance (as a scan records them), and the custody
log gets "match started", "hash set used" and "records matched"; the last
carries the new seal of the item's records, so 'triage verify' checks the
records as the match left them. Each record that matched a set records the
set, the digest that matched (algorithm and value) and when.

A hit a record holds from a set this match does not use (a set left out
with --hashset, removed from the library, or a --hashset-file of the scan)
is kept: a match never forgets a hit it did not look up again. As in a scan,
a known-good match of an incomplete record or of content rebuilt from free
clusters gives "unknown".

` + exitStatusHelp,
		Example: `  triage hashset import vic.json --name vic --category known-bad
  triage match case-042 --hashset vic
  triage hits case-042`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Case = args[0]
			if runF != nil {
				return runF(opts)
			}
			return runMatch(cmd.Context(), opts, g)
		},
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runMatch(ctx context.Context, opts *MatchOptions, g *globalOptions) error {
	c, err := casedb.OpenWriter(opts.Case)
	if err != nil {
		return err
	}
	defer c.Close()
	res, err := g.env().Match(ctx, c, &casework.MatchOptions{
		Hashsets:    casework.HashsetOptions{Names: opts.Names, Dir: opts.Dir},
		CommandLine: g.Args,
		Examiner:    opts.Examiner,
		Host:        g.Host,
	})
	if !opts.Quiet {
		for _, r := range res {
			var st []string
			for _, s := range casework.Statuses {
				if n := r.After[s]; n > 0 {
					st = append(st, fmt.Sprintf("%d %s", n, s))
				}
			}
			fmt.Fprintf(g.Err, "triage: evidence item %d %s: %s looked up, %s changed (run %d); now %s\n",
				r.EvidenceID, r.Source, plural(r.Records, "record", "records"), plural(r.Changed, "record", "records"), r.RunID, strings.Join(st, ", "))
		}
	}
	if err != nil {
		return hashsetHint(err)
	}
	return nil
}
