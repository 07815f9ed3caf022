package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/custody"
)

func init() { registerCommand(newCustodyCommand) }

// CustodyAddOptions are the flags of `custody add`.
type CustodyAddOptions struct {
	Action   string
	From     string
	To       string
	Reason   string
	Seal     string
	Location string
	Text     string
	Examiner string
}

// AddFlags registers the flags of `custody add`.
func (o *CustodyAddOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Action, "action", "", "`KIND` of event: transfer or note")
	f.StringVar(&o.From, "from", "", "transfer: `PERSON` releasing the item")
	f.StringVar(&o.To, "to", "", "transfer: `PERSON` receiving the item")
	f.StringVar(&o.Reason, "reason", "", "transfer: purpose (intake, examination, transport, storage, court, return, destruction)")
	f.StringVar(&o.Seal, "seal", "", "seal numbers and whether they were intact")
	f.StringVar(&o.Location, "location", "", "storage or destination location")
	f.StringVar(&o.Text, "text", "", "note: the text of the note")
	f.StringVar(&o.Examiner, "examiner", "", "who records the event (default $TRIAGE_EXAMINER, else the case's examiner, else the login name)")
}

// validateCustodyAdd checks the flags of `custody add` without touching anything.
func validateCustodyAdd(o *CustodyAddOptions) error {
	switch o.Action {
	case "transfer":
		if o.From == "" || o.To == "" || o.Reason == "" {
			return usageErrorf("--action transfer needs --from, --to and --reason")
		}
	case "note":
		if o.Text == "" {
			return usageErrorf("--action note needs --text")
		}
	case "":
		return usageErrorf("--action is required: transfer or note")
	default:
		return usageErrorf("--action must be transfer or note, got %q", o.Action)
	}
	return nil
}

func (o *CustodyAddOptions) event() (string, map[string]any) {
	d := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	set("from", o.From)
	set("to", o.To)
	set("reason", o.Reason)
	set("seal", o.Seal)
	set("location", o.Location)
	set("text", o.Text)
	if o.Action == "transfer" {
		return custody.ActionTransfer, d
	}
	return custody.ActionNote, d
}

func newCustodyCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "custody",
		Short: "Record and show the chain-of-custody log of a case",
		Long: `Every case keeps a chain-of-custody log, DIR/custody.jsonl: one event per line,
each chained to the previous one by its SHA-256, so any edit, deletion or
reordering is detected by 'triage verify'. triage records its own actions
(case created, evidence added, scans, reports); 'custody add' records the human
ones: transfers of the item between people, seals, storage, notes.

The format is documented in docs/custody-log.md.

` + exitStatusHelp,
		Example: `  triage custody add case-042 --action transfer --from "DC J. Brown" --to "A. Smith" \
      --reason examination --seal "S-1187 intact"
  triage custody add case-042 --action note --text "item returned to locker 4"
  triage custody show case-042`,
	}
	cmd.AddCommand(newCustodyAddCommand(g, nil), newCustodyShowCommand(g))
	return cmd
}

func newCustodyAddCommand(g *globalOptions, runF func(*CustodyAddOptions, string) error) *cobra.Command {
	opts := &CustodyAddOptions{}
	cmd := &cobra.Command{
		Use:   "add DIR --action transfer|note",
		Short: "Append a custody transfer or a note to the custody log",
		Long: `Append a human event to the custody log of the case in DIR: a transfer of
custody (--from, --to, --reason, optionally --seal and --location) or a note
(--text). A log whose chain is broken is not appended to.

` + exitStatusHelp,
		Example: `  triage custody add case-042 --action transfer --from "DC J. Brown" --to "A. Smith" --reason examination
  triage custody add case-042 --action note --text "seal S-1187 intact on receipt"`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateCustodyAdd(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args[0])
			}
			return runCustodyAdd(cmd.Context(), opts, g, args[0])
		},
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runCustodyAdd(ctx context.Context, opts *CustodyAddOptions, g *globalOptions, dir string) error {
	c, err := casedb.OpenWriter(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	action, d := opts.event()
	err = g.env().AddCustodyEvent(ctx, c, action, opts.Examiner, d)
	var broken *casework.BrokenChainError
	if errors.As(err, &broken) {
		return &hintError{broken.Err, "a broken custody log is never repaired; run 'triage verify' to see where it breaks"}
	}
	return err
}

func newCustodyShowCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show DIR",
		Short: "Print the custody log and check its chain",
		Long: `Print the events of the custody log of the case in DIR, oldest first, in the
display time zone of the case, and check the hash chain. A broken chain is
reported with the first broken line, and the command exits with status 1.

` + exitStatusHelp,
		Example: `  triage custody show case-042
  triage custody show case-042 --json | jq -c '.[] | [.seq, .action]'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCustodyShow(cmd.Context(), asJSON, g, args[0])
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the events as a JSON array")
	caseFlag(cmd)
	return cmd
}

func runCustodyShow(ctx context.Context, asJSON bool, g *globalOptions, dir string) error {
	c, err := casedb.OpenReadOnly(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	cv, err := casework.ReadCustody(ctx, c)
	if err != nil {
		return err
	}
	loc, events, head, verr := cv.Location, cv.Events, cv.Head, cv.Err
	if asJSON {
		if events == nil {
			events = []custody.Event{}
		}
		e := json.NewEncoder(g.Out)
		e.SetIndent("", "  ")
		if err := e.Encode(events); err != nil {
			return err
		}
	} else {
		for i := range events {
			ev := &events[i]
			fmt.Fprintf(g.Out, "#%d  %s  %s  %s\n", ev.Seq, report.FormatTime(ev.Time, loc), ev.Actor, ev.Action)
			for _, kv := range flattenDetails(ev.Details) {
				fmt.Fprintf(g.Out, "      %s: %s\n", kv.Key, kv.Value)
			}
		}
		if verr == nil {
			fmt.Fprintf(g.Out, "chain OK: %s, head %s\n", plural(int64(len(events)), "event", "events"), head)
		}
	}
	if verr != nil {
		return fmt.Errorf("%w", verr)
	}
	return nil
}

// flattenDetails renders event details as sorted key/value lines.
func flattenDetails(d map[string]any) []report.KV {
	out := report.FlattenDetails(d)
	sort.SliceStable(out, func(i, j int) bool { return strings.Compare(out[i].Key, out[j].Key) < 0 })
	return out
}
