package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() { registerCommand(newReportCommand) }

// ReportOptions are the flags of `triage report`.
type ReportOptions struct {
	Formats          []string
	Output           string
	NoListing        bool
	Sign             string
	PasswordFile     string
	AllowBrokenChain bool
	Font             string
	Examiner         string
	Force            bool
	HashsetDir       string

	outputs  []report.Output
	manifest string
}

// AddFlags registers the report flags.
func (o *ReportOptions) AddFlags(f *pflag.FlagSet) {
	f.StringSliceVarP(&o.Formats, "format", "f", []string{"html"}, "output `FORMATS`: html, pdf, json, csv, dfxml (repeat or separate with commas)")
	f.StringVarP(&o.Output, "output", "o", "", "output `FILE`; with several formats a base name that gets each format's extension")
	f.BoolVar(&o.NoListing, "no-listing", false, "leave the full file listing out of HTML and PDF (CSV, JSON and DFXML always hold it)")
	f.StringVar(&o.Sign, "sign", "", "sign the manifest with the minisign secret key in `KEYFILE`")
	f.StringVar(&o.PasswordFile, "password-file", "", "read the secret key's password from the first line of `FILE` (default: ask on the terminal)")
	f.BoolVar(&o.AllowBrokenChain, "allow-broken-chain", false, "report over a broken custody log; the report says so on its first page")
	f.StringVar(&o.Font, "font", "", "TrueType `FONT` for PDF names the built-in font cannot show (CJK); default: search the system fonts")
	f.StringVar(&o.HashsetDir, "hashset-dir", "", "hash-set library `DIR` whose sets no scan used the report names (default $"+hashset.EnvDir+", else $XDG_DATA_HOME/triage/hashsets)")
	f.BoolVar(&o.Force, "force", false, "replace the files of an earlier report run with the same names; the custody log records the run replaced")
	f.StringVar(&o.Examiner, "examiner", "", "examiner recorded in the custody log (default $TRIAGE_EXAMINER, else the case's examiner)")
}

// validateReportOptions checks flags and arguments without touching anything.
func validateReportOptions(o *ReportOptions) error {
	var fs []string
	for _, f := range o.Formats {
		for _, x := range strings.Split(f, ",") {
			if x = strings.ToLower(strings.TrimSpace(x)); x != "" {
				fs = append(fs, x)
			}
		}
	}
	o.Formats = fs
	if o.Output == "" {
		return usageErrorf("-o is required: the report file (or base name with several formats)")
	}
	outs, man, err := report.Plan(fs, o.Output)
	if err != nil {
		return usageErrorf("%v", err)
	}
	o.outputs, o.manifest = outs, man
	if o.PasswordFile != "" && o.Sign == "" {
		return usageErrorf("--password-file needs --sign")
	}
	return nil
}

func newReportCommand(g *globalOptions) *cobra.Command {
	return newReportCommandWith(g, nil)
}

func newReportCommandWith(g *globalOptions, runF func(*ReportOptions, string) error) *cobra.Command {
	opts := &ReportOptions{}
	cmd := &cobra.Command{
		Use:   "report DIR -o FILE [--format html,pdf,json,csv,dfxml]",
		Short: "Write the examination report of a case (HTML, PDF, JSON, CSV, DFXML) with a manifest",
		Long: `Report writes the examination report of the case in DIR: case header, evidence
items with their acquisition details and media hashes, the tools and exact
command lines used, the hash sets used and what a match in each means, summary
counts, the known-bad and notable files, extension mismatches, errors and
limitations, the custody log, a scope statement and a signature block.

Formats: html (one self-contained file, no scripts), pdf, json (the whole
report as data), csv (the full listing, RFC 4180, formula-safe) and dfxml (the
full listing as Digital Forensics XML). HTML and PDF carry the full listing as
an appendix unless --no-listing is given.

Output names: with one format, -o is the file (its extension is added when
missing). With several, -o is a base name: -o out/rep --format html,pdf writes
out/rep.html and out/rep.pdf. Each run also writes BASE.manifest.json, listing
the SHA-256 of every output and the custody log head, and with --sign KEYFILE
the minisign signature BASE.manifest.json.minisig, which 'minisign -V' and
'triage verify' check. Every file is written to a temporary file and renamed
into place when all are complete. Existing files are never replaced unless
--force is given; the custody log then records the run replaced as
superseded. Each format's usual extensions are accepted (.htm, .xml and
.dfxml for DFXML). The run is recorded in the custody log
("report generated", with the manifest's SHA-256).

A case whose custody log is broken is not reported on unless
--allow-broken-chain is given; the report then says so on its first page.
The format is described in docs/report.md.

` + exitStatusHelp,
		Example: `  triage report case-042 -o case-042-report.html
  triage report case-042 --format html,pdf,json,csv,dfxml -o out/case-042
  triage report case-042 -f pdf -o report.pdf --sign ~/.triage/examiner.key --password-file pw.txt`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateReportOptions(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args[0])
			}
			return runReport(cmd.Context(), opts, g, args[0])
		},
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

// readPassword reads a password from the first line of file, or from the
// terminal when file is "" and standard input is a terminal. It never
// prompts when there is no terminal.
func readPassword(g *globalOptions, file, prompt string, confirm bool) (string, error) {
	if file != "" {
		f, err := os.Open(file)
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, 4096))
		f.Close()
		if err != nil {
			return "", fmt.Errorf("cannot read password file: %w", err)
		}
		pw, _, _ := strings.Cut(string(b), "\n")
		pw = strings.TrimSuffix(pw, "\r")
		if pw == "" {
			return "", fmt.Errorf("password file %s is empty", file)
		}
		return pw, nil
	}
	f, ok := g.In.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", &hintError{errors.New("a password is needed and standard input is not a terminal"), "give it with --password-file FILE"}
	}
	fmt.Fprint(g.Err, prompt)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(g.Err)
	if err != nil {
		return "", fmt.Errorf("cannot read password: %w", err)
	}
	if confirm {
		fmt.Fprint(g.Err, "Repeat the password: ")
		c, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.Err)
		if err != nil {
			return "", fmt.Errorf("cannot read password: %w", err)
		}
		if string(c) != string(b) {
			return "", errors.New("the passwords do not match")
		}
	}
	if len(b) == 0 {
		return "", errors.New("an empty password is not allowed")
	}
	return string(b), nil
}

func runReport(ctx context.Context, opts *ReportOptions, g *globalOptions, dir string) error {
	c, err := casedb.OpenReadOnly(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	var signer *report.Signer
	if opts.Sign != "" {
		pw := ""
		if report.KeyIsEncrypted(opts.Sign) {
			if pw, err = readPassword(g, opts.PasswordFile, "Password for "+opts.Sign+": ", false); err != nil {
				return err
			}
		}
		if signer, err = report.LoadSigner(opts.Sign, pw); err != nil {
			return err
		}
	}
	r, res, err := g.env().WriteReport(ctx, c, &casework.ReportOptions{
		Build: report.Options{ID: g.ReportID, Tool: g.ReportTool, CommandLine: g.Args,
			NoListing: opts.NoListing, AllowBrokenChain: opts.AllowBrokenChain},
		Outputs:    opts.outputs,
		Manifest:   opts.manifest,
		Write:      report.WriteOptions{Signer: signer, Force: opts.Force, PDF: report.PDFOptions{FontPath: opts.Font}},
		Examiner:   opts.Examiner,
		HashsetDir: opts.HashsetDir,
		Check: func(r *report.Report) error {
			for _, o := range opts.outputs {
				if abs, err := filepath.Abs(o.Path); err == nil && within(abs, c.Dir) {
					return usageErrorf("the report %q would be written inside the case directory", o.Path)
				}
			}
			for _, o := range opts.outputs {
				if o.Format == "pdf" && !opts.NoListing && r.Summary.Records > pdfListingWarn {
					fmt.Fprintf(g.Err, "triage: warning: the PDF listing of %d records runs to thousands of pages; --no-listing leaves it to the CSV, JSON and DFXML outputs\n", r.Summary.Records)
				}
			}
			return nil
		},
	})
	if errors.Is(err, report.ErrBrokenChain) {
		return &hintError{err, "a broken custody log is never repaired; 'triage verify " + dir + "' shows where it breaks; --allow-broken-chain reports anyway and says so on the first page"}
	}
	var ee *report.ExistsError
	if errors.As(err, &ee) {
		return &hintError{err, "every report run keeps its own files: choose another -o, or give --force to replace that run (the custody log records it as superseded)"}
	}
	if err != nil {
		return err
	}
	if c.ReadOnly() {
		fmt.Fprintf(g.Err, "triage: warning: the case is on read-only storage; the report was not recorded in its custody log\n")
	} else if !r.Custody.Intact {
		// a broken log is never appended to
		fmt.Fprintf(g.Err, "triage: warning: custody log is broken; the report was not recorded in it\n")
	}
	for _, o := range res.Outputs {
		fmt.Fprintf(g.Out, "%s  %s\n", o.SHA256, filepath.Join(filepath.Dir(res.ManifestPath), filepath.FromSlash(o.File)))
	}
	fmt.Fprintf(g.Out, "%s  %s\n", res.ManifestSHA256, res.ManifestPath)
	if res.SignaturePath != "" {
		fmt.Fprintf(g.Err, "triage: manifest signed with key %s: %s\n", signer.KeyID(), res.SignaturePath)
	}
	fmt.Fprintf(g.Err, "triage: report %s written\n", r.ID)
	return nil
}

// pdfListingWarn is the record count above which a PDF listing is warned
// about: its memory does not grow with it (the listing is streamed), but a
// reader hardly pages through it.
const pdfListingWarn = 200000
