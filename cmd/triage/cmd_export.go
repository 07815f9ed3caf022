package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/fs"
)

func init() { registerCommand(newExportCommand) }

// ExportOptions are the flags of `triage export`.
type ExportOptions struct {
	Case     string
	Query    casework.FileQuery
	Output   string
	Force    bool
	Examiner string
	FS       fs.Options
	Parents  []string
	Quiet    bool
}

// AddFlags registers the export flags.
func (o *ExportOptions) AddFlags(f *pflag.FlagSet) {
	addQueryFlags(f, &o.Query)
	f.StringVarP(&o.Output, "output", "o", "", "destination `DIR` (created; must be empty unless --force)")
	f.BoolVar(&o.Force, "force", false, "export into a folder that holds files (nothing in it is overwritten)")
	f.StringVar(&o.Examiner, "examiner", "", "examiner recorded in the custody log (default $TRIAGE_EXAMINER, else the case's examiner)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on success")
	o.FS = addFSFlags(f, "")
	addParentFlag(f, &o.Parents)
}

// validateExportOptions checks flags and arguments without touching anything.
func validateExportOptions(o *ExportOptions, args []string) error {
	o.Case = args[0]
	if o.Output == "" {
		return usageErrorf("-o is required: the folder the files are exported to")
	}
	if err := o.Query.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	if abs, err := filepath.Abs(o.Output); err == nil {
		if c, err := filepath.Abs(o.Case); err == nil && liesWithin(abs, c) {
			return usageErrorf("the destination %q lies inside the case %q", o.Output, o.Case)
		}
	}
	return nil
}

func newExportCommand(g *globalOptions) *cobra.Command {
	return newExportCommandWith(g, nil)
}

func newExportCommandWith(g *globalOptions, runF func(*ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{}
	cmd := &cobra.Command{
		Use:   "export CASE -o DIR",
		Short: "Copy the content of selected records out of the evidence, verified against the case",
		Long: `Export reads the content of the records the filters select (those of
'triage files': --status, --mismatch, --deleted, --incomplete, --evidence,
--path, --mime) from the evidence, through the same readers the scan used
(folders, disk images, containers; deleted files where their content can be
rebuilt), and writes each to DIR, one folder per evidence item (e1, e2...).
The evidence is opened read-only and never written to: a DIR that lies inside
a source of the case (or inside the case) is refused.

Each file is hashed while it is written and compared with the digests the
case records. A file whose bytes differ (MISMATCH) or that cannot be read is
removed and named on standard error; the others are kept.

Names are made safe for any destination file system (control characters,
<>:"/\|?*, invalid UTF-8, Windows device names, long names), a data stream
is written as NAME~STREAM, and a name taken gets " (2)". DIR/export-manifest.json
lists every record selected with its original path (and its exact bytes in
base64), the name written, size, digests, status and verdict. The custody
log records the export with the manifest's SHA-256.

DIR must be empty or absent; --force exports into a folder that holds files,
never writing over one.

Exits with status 1 when any file could not be exported and verified.

` + exitStatusHelp,
		Example: `  triage export case-042 --status known-bad -o /cases/042/for-malware-team
  triage export --case case-042 --deleted --mime 'image/*' -o out`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateExportOptions(opts, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runExport(cmd.Context(), opts, g)
		},
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runExport(ctx context.Context, opts *ExportOptions, g *globalOptions) error {
	c, err := casedb.OpenWriter(opts.Case)
	if err != nil {
		return err
	}
	defer c.Close()
	// Never into the evidence: the destination must lie outside every
	// source, resolved as the kernel does (links, bind mounts).
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		return err
	}
	dest, err := filepath.Abs(opts.Output)
	if err != nil {
		return err
	}
	for _, ev := range items {
		if liesWithin(dest, ev.Source) || liesWithin(opts.Output, ev.Source) {
			return usageErrorf("the destination %q lies inside the source %q of evidence item %d: triage never writes into evidence",
				opts.Output, casedb.DisplayString(ev.Source), ev.ID)
		}
	}
	res, err := g.env().Export(ctx, c, &casework.ExportOptions{
		Query: opts.Query, Dir: opts.Output, Force: opts.Force, Image: triage.ImageOptions{FS: opts.FS, Parents: opts.Parents},
		CommandLine: g.Args, Examiner: opts.Examiner,
	})
	if errors.Is(err, casework.ErrDestNotEmpty) {
		return &hintError{err, "choose an empty folder, or add --force to export into it (nothing in it is overwritten)"}
	}
	if res == nil {
		return err
	}
	for _, f := range res.Files {
		if f.Verdict == casework.ExportVerified || f.Verdict == casework.ExportUnverified {
			continue
		}
		p := f.Path
		if f.Stream != "" {
			p += ":" + f.Stream
		}
		fmt.Fprintf(g.Err, "triage: error: evidence item %d %s: %s: %s\n", f.Evidence, p, f.Verdict, f.Error)
	}
	if !opts.Quiet || res.Failed > 0 {
		fmt.Fprintf(g.Err, "triage: exported %d of %s to %s (%d verified against the case, %d with no digest recorded); manifest %s\n",
			res.Verified+res.Unverified, plural(int64(len(res.Files)), "file", "files"), opts.Output, res.Verified, res.Unverified, res.Manifest)
	}
	if err != nil {
		return err
	}
	if res.Failed > 0 {
		return fmt.Errorf("%d of %s could not be exported and verified (see the manifest)", res.Failed, plural(int64(len(res.Files)), "file", "files"))
	}
	return nil
}
