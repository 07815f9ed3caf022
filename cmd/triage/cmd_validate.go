package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/validate"
)

func init() { registerCommand(newValidateCommand) }

// ValidateOptions are the flags of `triage validate`.
type ValidateOptions struct {
	Output       string
	Formats      []string
	Sign         string
	PasswordFile string
	Compare      string
	Examiner     string
	Case         string
	NoStore      bool
	JSON         bool
	Force        bool
}

// AddFlags registers the validate flags.
func (o *ValidateOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Output, "output", "o", "", "write the validation record to `FILE` (its extension is replaced by each format's)")
	f.StringSliceVar(&o.Formats, "format", []string{"json", "html"}, "record formats: json, html, pdf")
	f.StringVar(&o.Sign, "sign", "", "sign the record's manifest with the minisign secret key in `KEYFILE`")
	f.StringVar(&o.PasswordFile, "password-file", "", "read the secret key's password from the first line of `FILE` (default: ask on the terminal)")
	f.StringVar(&o.Compare, "compare", "", "compare with the older validation record `OLD.json`: cases added, removed, results changed")
	f.StringVar(&o.Examiner, "examiner", os.Getenv("TRIAGE_EXAMINER"), "examiner name recorded in the record (default $TRIAGE_EXAMINER)")
	f.StringVar(&o.Case, "case", "", "also keep a copy of the record in the case folder `DIR` (DIR/validation), where its reports find it")
	f.BoolVar(&o.Force, "force", false, "replace the files of an earlier record written to the same -o")
	f.BoolVar(&o.NoStore, "no-store", false, "do not keep a copy of the record in the user's data folder")
	f.BoolVar(&o.JSON, "json", false, "print the record (or with --compare the changes) as JSON")
}

func newValidateCommand(g *globalOptions) *cobra.Command {
	opts := &ValidateOptions{}
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Run the built-in validation suite and write a validation record",
		Long: `Validate runs the built-in suite of reference cases against the reference
images embedded in this binary, and prints each case with PASS or FAIL.

Each case states the requirement it tests (in the style of NIST CFTT), the
image and its SHA-256, the expected result and where it comes from (the
Sleuth Kit's fls, icat and mmls or coreutils' md5sum, recorded with their
versions when the images were made, or the format's specification: never
triage itself), and the actual result.

With -o the record is written as JSON and HTML with a report manifest (and
a minisign signature with --sign) that 'triage verify' checks like a report.
A copy of the JSON record is kept in the user's data folder
($TRIAGE_VALIDATION_DIR, else $XDG_DATA_HOME/triage/validation, else
~/.local/share/triage/validation), and with --case in the case folder, under
the binary's SHA-256, where the reports of later scans find it and name it.

With --compare OLD.json it also lists what changed since an older record:
cases added, removed, and results changed.

Exits with status 0 only when every case passes.

` + exitStatusHelp,
		Example: `  triage validate
  triage validate -o validation/triage-1.4.json --sign examiner.key
  triage validate --compare validation/triage-1.3.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(cmd.Context(), opts, g)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runValidate(ctx context.Context, opts *ValidateOptions, g *globalOptions) error {
	if opts.Sign != "" && opts.Output == "" {
		return usageErrorf("--sign needs -o")
	}
	if opts.PasswordFile != "" && opts.Sign == "" {
		return usageErrorf("--password-file needs --sign")
	}
	for _, f := range opts.Formats {
		if !slices.Contains(validate.Formats, f) {
			return usageErrorf("unknown format %q (%s)", f, strings.Join(validate.Formats, ", "))
		}
	}
	var old *validate.Record
	if opts.Compare != "" {
		var err error
		if old, err = validate.Load(opts.Compare); err != nil {
			return err
		}
	}
	var signer *report.Signer
	if opts.Sign != "" {
		pw, err := "", error(nil)
		if report.KeyIsEncrypted(opts.Sign) {
			if pw, err = readPassword(g, opts.PasswordFile, "Password for "+opts.Sign+": ", false); err != nil {
				return err
			}
		}
		if signer, err = report.LoadSigner(opts.Sign, pw); err != nil {
			return err
		}
	}
	rec, err := validate.Run(ctx, validate.Options{Examiner: opts.Examiner, Host: g.Host, Now: g.Now, Tool: g.ReportTool})
	if err != nil {
		return err
	}
	var changes []validate.Change
	if old != nil {
		changes = validate.Compare(old, rec)
	}
	switch {
	case opts.JSON && old != nil:
		e := json.NewEncoder(g.Out)
		e.SetIndent("", "  ")
		if changes == nil {
			changes = []validate.Change{}
		}
		if err := e.Encode(changes); err != nil {
			return err
		}
	case opts.JSON:
		e := json.NewEncoder(g.Out)
		e.SetIndent("", "  ")
		if err := e.Encode(rec); err != nil {
			return err
		}
	default:
		for _, c := range rec.Cases {
			v := "PASS"
			if !c.Pass {
				v = "FAIL"
			}
			fmt.Fprintf(g.Out, "%-4s %-8s %s\n", v, c.ID, c.Actual)
			for _, d := range c.Differences {
				fmt.Fprintf(g.Out, "              %s\n", d)
			}
		}
		fmt.Fprintf(g.Out, "%d passed, %d failed in %.1f s (record %s)\n", rec.Passed, rec.Failed, rec.Seconds, rec.ID)
		if old != nil {
			fmt.Fprintf(g.Out, "compared with %s (%s %s):", opts.Compare, old.ID, old.Tool.Version)
			if len(changes) == 0 {
				fmt.Fprint(g.Out, " no change")
			}
			fmt.Fprintln(g.Out)
			for _, c := range changes {
				fmt.Fprintf(g.Out, "  %-8s %s", c.ID, c.What)
				if c.Old != "" {
					fmt.Fprintf(g.Out, "; was %s", c.Old)
				}
				if c.New != "" {
					fmt.Fprintf(g.Out, "; now %s", c.New)
				}
				fmt.Fprintln(g.Out)
			}
		}
	}
	if opts.Output != "" {
		w, err := validate.Write(rec, opts.Output, opts.Formats, signer, opts.Force)
		var ee *validate.ExistsError
		if errors.As(err, &ee) {
			return &hintError{err, "every validation keeps its own record: choose another -o, or give --force to replace it"}
		}
		if err != nil {
			return err
		}
		if !opts.JSON {
			fmt.Fprintf(g.Err, "wrote %s and %s\n", strings.Join(w.Files, ", "), w.Manifest)
		}
	}
	if opts.Case != "" {
		if _, err := validate.Store(rec, validate.CaseDir(opts.Case)); err != nil {
			return fmt.Errorf("cannot keep the record in the case: %w", err)
		}
	}
	if !opts.NoStore {
		if d, err := validate.DataDir(); err == nil {
			if _, err := validate.Store(rec, d); err != nil && rec.Tool.SHA256 != "" {
				fmt.Fprintf(g.Err, "triage: warning: cannot keep the record in %s: %v\n", d, err)
			}
		}
	}
	if !rec.OK() {
		return fmt.Errorf("validation FAILED: %s", strings.Join(rec.FailedCases(), ", "))
	}
	return nil
}
