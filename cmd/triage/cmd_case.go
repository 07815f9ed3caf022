package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() { registerCommand(newCaseCommand) }

// CaseFlags are the case header flags shared by `case init`, `case set` and
// `scan`. Only flags given on the command line change the stored header.
type CaseFlags struct {
	info casedb.CaseInfo
	fs   *pflag.FlagSet
}

// AddFlags registers the case header flags, except those named in skip
// (scan has its own --examiner).
func (o *CaseFlags) AddFlags(f *pflag.FlagSet, skip ...string) {
	o.fs = f
	for _, cf := range casedb.CaseFields {
		if contains(skip, cf.Flag) {
			continue
		}
		f.Var(&caseFieldValue{o: o, f: cf}, cf.Flag, cf.Usage)
	}
}

type caseFieldValue struct {
	o *CaseFlags
	f casedb.CaseField
}

func (v *caseFieldValue) String() string {
	if v.o == nil {
		return ""
	}
	return v.f.Get(&v.o.info)
}
func (v *caseFieldValue) Set(s string) error { v.f.Set(&v.o.info, s); return nil }
func (v *caseFieldValue) Type() string       { return "string" }

// changes returns the header fields given on the command line.
func (o *CaseFlags) changes() casework.HeaderChanges {
	ch := casework.HeaderChanges{}
	if o.fs == nil {
		return ch
	}
	for _, cf := range casedb.CaseFields {
		if fl := o.fs.Lookup(cf.Flag); fl != nil && fl.Changed {
			if _, ok := fl.Value.(*caseFieldValue); ok {
				ch[cf.Flag] = cf.Get(&o.info)
			}
		}
	}
	return ch
}

func (o *CaseFlags) validate() error {
	if o.info.TimeZone != "" {
		if _, err := o.info.Location(); err != nil {
			return usageErrorf("--timezone: %v", err)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CaseOptions are the flags of the `case` subcommands.
type CaseOptions struct {
	CaseFlags
	JSON bool
	// Key and PasswordFile: case set --key (sign every later custody event).
	Key, PasswordFile string
}

// EnvCustodyPasswordFile names the environment variable holding the file
// whose first line is the password of a case's custody signing key (else
// it is asked on the terminal).
const EnvCustodyPasswordFile = "TRIAGE_CUSTODY_PASSWORD_FILE"

// custodyKeyPassword gives the password of the encrypted custody signing
// key of a case, from $TRIAGE_CUSTODY_PASSWORD_FILE or the terminal, as
// report --sign reads it from --password-file or the terminal.
func (g *globalOptions) custodyKeyPassword(keyFile string) (string, error) {
	return readPassword(g, os.Getenv(EnvCustodyPasswordFile), "Password for the case's custody key "+keyFile+": ", false)
}

func newCaseCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Create a case and record its header and evidence item details",
		Long: `The case subcommands keep the facts a report needs about the case (case
number, agency, examiner, authority) and about each evidence item (exhibit id,
make, model, serial, when and from whom it was received).

Every change is recorded in the case's custody log (custody.jsonl) with the old
and the new value, so a change after the first scan is visible in every report.
Times are stored in UTC; --timezone only changes how reports display them.

` + exitStatusHelp,
		Example: `  triage case init case-042 --case-number 2026/042 --examiner "A. Smith" --authority "warrant 26-1187"
  triage case show case-042
  triage case set case-042 --lab-case-id LAB-7
  triage case evidence case-042 1 --exhibit AS/1 --make Kingston --serial 0012AB --received 2026-11-02`,
	}
	cmd.AddCommand(newCaseInitCommand(g, nil), newCaseSetCommand(g, nil), newCaseShowCommand(g), newCaseEvidenceCommand(g, nil))
	return cmd
}

func newCaseInitCommand(g *globalOptions, runF func(*CaseOptions, string) error) *cobra.Command {
	opts := &CaseOptions{}
	cmd := &cobra.Command{
		Use:   "init DIR",
		Short: "Create an empty case with its header",
		Long: `Create the case directory DIR (which must be missing or empty) with its case
database and custody log, and record the case header given by the flags.

` + exitStatusHelp,
		Example: `  triage case init case-042 --case-number 2026/042 --agency "City Police" \
      --examiner "A. Smith" --examiner-role "Digital forensic examiner" \
      --authority "warrant 26-1187" --timezone Europe/London`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args[0])
			}
			return runCaseInit(cmd.Context(), opts, g, args[0])
		},
	}
	opts.CaseFlags.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runCaseInit(ctx context.Context, opts *CaseOptions, g *globalOptions, dir string) error {
	if casedb.Exists(dir) {
		return &hintError{fmt.Errorf("%q is already a case", dir), "change its header with 'triage case set'"}
	}
	c, _, err := g.env().OpenCase(ctx, dir, opts.CaseFlags.changes(), opts.info.Examiner)
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Fprintf(g.Err, "triage: created case %s\n", c.Dir)
	return nil
}

func newCaseSetCommand(g *globalOptions, runF func(*CaseOptions, string) error) *cobra.Command {
	opts := &CaseOptions{}
	cmd := &cobra.Command{
		Use:   "set DIR",
		Short: "Change the case header",
		Long: `Change the fields of the case header given by the flags. Each change is
recorded in the custody log with the old and new value, and whether it was
made after the first scan.

--key KEYFILE (a minisign secret key, as made by 'triage key generate')
makes every later custody event of the case signed, into
custody.jsonl.sig beside the log, so that 'triage verify' catches events
forged or cut from the log's tail. The case records the key's public key
and the path of KEYFILE; later commands read it from there (or from
$TRIAGE_CUSTODY_KEY), with its password from $TRIAGE_CUSTODY_PASSWORD_FILE
or the terminal. A command that cannot sign records no event and fails.
Setting another key later is signed by the earlier key.

` + exitStatusHelp,
		Example: `  triage case set case-042 --lab-case-id LAB-7 --timezone America/New_York
  triage case set case-042 --key ~/.triage/examiner.key --password-file pw.txt`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := opts.validate(); err != nil {
				return err
			}
			if cmd.Flags().NFlag() == 0 {
				return usageErrorf("nothing to change: give at least one field flag")
			}
			if opts.PasswordFile != "" && opts.Key == "" {
				return usageErrorf("--password-file needs --key")
			}
			if runF != nil {
				return runF(opts, args[0])
			}
			return runCaseSet(cmd.Context(), opts, g, args[0])
		},
	}
	opts.CaseFlags.AddFlags(cmd.Flags())
	cmd.Flags().StringVar(&opts.Key, "key", "", "sign every later custody event with the minisign secret key in `KEYFILE`")
	cmd.Flags().StringVar(&opts.PasswordFile, "password-file", "", "read the password of --key from the first line of `FILE` (default: ask on the terminal)")
	caseFlag(cmd)
	return cmd
}

func runCaseSet(ctx context.Context, opts *CaseOptions, g *globalOptions, dir string) error {
	c, err := casedb.OpenWriter(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	env := g.env()
	if opts.Key != "" {
		key, err := filepath.Abs(opts.Key)
		if err != nil {
			return err
		}
		env.KeyPassword = func(f string) (string, error) {
			if f == key {
				return readPassword(g, opts.PasswordFile, "Password for "+opts.Key+": ", false)
			}
			return g.custodyKeyPassword(f)
		}
	}
	if err := env.ApplyCaseHeader(ctx, c, false, opts.CaseFlags.changes(), ""); err != nil {
		return err
	}
	if opts.Key == "" {
		return nil
	}
	s, err := env.SetCustodyKey(ctx, c, opts.Key, "")
	if err != nil {
		return err
	}
	fmt.Fprintf(g.Err, "triage: every later custody event of %s is signed with key %s\n", c.Dir, s.KeyID())
	return nil
}

func newCaseShowCommand(g *globalOptions) *cobra.Command {
	opts := &CaseOptions{}
	cmd := &cobra.Command{
		Use:   "show DIR",
		Short: "Print the case header and evidence items",
		Long: `Print the case header, the evidence items with their exhibit details, and
the state of the custody log.

` + exitStatusHelp,
		Example: `  triage case show case-042
  triage case show case-042 --json | jq .case`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCaseShow(cmd.Context(), opts, g, args[0])
		},
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	caseFlag(cmd)
	return cmd
}

type evidenceView struct {
	ID       int64          `json:"id"`
	Source   string         `json:"source"`
	Type     string         `json:"type"`
	State    string         `json:"state"`
	Files    int64          `json:"files"`
	Metadata map[string]any `json:"metadata"`
}

func runCaseShow(ctx context.Context, opts *CaseOptions, g *globalOptions, dir string) error {
	c, err := casedb.Open(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	cv, err := casework.ReadCustody(ctx, c)
	if err != nil {
		return err
	}
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return err
	}
	var ev []evidenceView
	for _, e := range items {
		ev = append(ev, evidenceView{e.ID, casedb.DisplayString(e.Source), e.Type, e.State, e.Files, e.Metadata})
	}
	ci, events, head, cerr := cv.Info, cv.Events, cv.Head, cv.Err
	if opts.JSON {
		v := struct {
			Dir      string          `json:"dir"`
			Case     casedb.CaseInfo `json:"case"`
			Evidence []evidenceView  `json:"evidence"`
			Custody  map[string]any  `json:"custody"`
		}{c.Dir, ci, ev, map[string]any{"events": len(events), "head": head, "ok": cerr == nil}}
		if cerr != nil {
			v.Custody["error"] = cerr.Error()
		}
		e := json.NewEncoder(g.Out)
		e.SetIndent("", "  ")
		return e.Encode(v)
	}
	fmt.Fprintf(g.Out, "Case %s\n", c.Dir)
	for _, f := range casedb.CaseFields {
		fmt.Fprintf(g.Out, "  %-20s %s\n", f.Label+":", f.Get(&ci))
	}
	if len(ev) == 0 {
		fmt.Fprintln(g.Out, "Evidence items: none (the case has not been scanned)")
	}
	for _, e := range ev {
		fmt.Fprintf(g.Out, "Evidence item %d: %s (%s, %s, %s)\n", e.ID, e.Source, e.Type, e.State, plural(e.Files, "record", "records"))
		for _, f := range casedb.ExhibitFields {
			if v, ok := e.Metadata[f.Key]; ok {
				fmt.Fprintf(g.Out, "  %-20s %v\n", f.Label+":", v)
			}
		}
	}
	switch {
	case cerr != nil:
		fmt.Fprintf(g.Out, "Custody log: BROKEN: %v\n", cerr)
	default:
		fmt.Fprintf(g.Out, "Custody log: %s, chain intact, head %s\n", plural(int64(len(events)), "event", "events"), head)
	}
	return nil
}

// EvidenceOptions are the flags of `case evidence`.
type EvidenceOptions struct {
	Values   map[string]string
	Examiner string
}

func newCaseEvidenceCommand(g *globalOptions, runF func(*EvidenceOptions, string, int64) error) *cobra.Command {
	opts := &EvidenceOptions{Values: map[string]string{}}
	ptrs := map[string]*string{}
	cmd := &cobra.Command{
		Use:   "evidence DIR ID",
		Short: "Record exhibit details of an evidence item",
		Long: `Record the exhibit details of evidence item ID (the number 'triage case show'
prints): exhibit id, description, make, model, serial, when it was received and
from whom. Each change is recorded in the custody log with old and new value.

` + exitStatusHelp,
		Example: `  triage case evidence case-042 1 --exhibit AS/1 --description "USB stick, blue" \
      --make Kingston --model DataTraveler --serial 0012AB --received 2026-11-02T09:30:00Z \
      --received-from "DC J. Brown"`,
		Args: exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[1], 10, 64)
			if err != nil || id <= 0 {
				return usageErrorf("evidence ID must be a positive number, got %q", args[1])
			}
			for _, f := range casedb.ExhibitFields {
				if cmd.Flags().Changed(f.Flag) {
					opts.Values[f.Key] = *ptrs[f.Flag]
				}
			}
			if len(opts.Values) == 0 {
				return usageErrorf("nothing to change: give at least one field flag")
			}
			if v, ok := opts.Values[casedb.MetaReceivedAt]; ok {
				if _, err := casedb.NormalizeReceived(v, time.UTC); err != nil {
					return usageErrorf("--received: %v", err)
				}
			}
			if runF != nil {
				return runF(opts, args[0], id)
			}
			return runCaseEvidence(cmd.Context(), opts, g, args[0], id)
		},
	}
	for _, f := range casedb.ExhibitFields {
		ptrs[f.Flag] = cmd.Flags().String(f.Flag, "", f.Usage)
	}
	cmd.Flags().StringVar(&opts.Examiner, "examiner", "", "examiner recorded in the custody log (default $TRIAGE_EXAMINER, else the case's examiner)")
	caseFlag(cmd)
	return cmd
}

func runCaseEvidence(ctx context.Context, opts *EvidenceOptions, g *globalOptions, dir string, id int64) error {
	c, err := casedb.OpenWriter(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	err = g.env().UpdateExhibit(ctx, c, dir, id, opts.Values, opts.Examiner)
	var noEv *casework.NoEvidenceError
	if errors.As(err, &noEv) {
		return &hintError{err, "'triage case show' lists the evidence items"}
	}
	return err
}
