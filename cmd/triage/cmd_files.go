package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() {
	registerCommand(newFilesCommand)
	registerCommand(newHitsCommand)
}

// FilesOptions are the flags of `triage files` and `triage hits`.
type FilesOptions struct {
	Case  string
	Query casework.FileQuery
	JSON  bool
	JSONL bool
	CSV   bool

	hits   bool
	format string
}

// addQueryFlags registers the record filters shared by files, hits and
// export.
func addQueryFlags(f *pflag.FlagSet, q *casework.FileQuery) {
	f.StringSliceVar(&q.Status, "status", nil, "only records with `STATUS`: known-bad, notable, known-good, unknown (repeat or separate with commas)")
	f.BoolVar(&q.Mismatch, "mismatch", false, "only records whose extension contradicts their content")
	f.BoolVar(&q.Deleted, "deleted", false, "only deleted entries")
	f.BoolVar(&q.Incomplete, "incomplete", false, "only records not read completely or with an error")
	f.Int64Var(&q.Evidence, "evidence", 0, "only evidence item `N` (as numbered by 'triage case show')")
	f.StringVar(&q.Path, "path", "", "only paths matching `GLOB` (the last element when GLOB has no /, else the full path)")
	f.StringVar(&q.MIME, "mime", "", "only content of `TYPE` (application/pdf) or family (image/*)")
}

// AddFlags registers the flags.
func (o *FilesOptions) AddFlags(f *pflag.FlagSet) {
	addQueryFlags(f, &o.Query)
	f.BoolVar(&o.JSON, "json", false, "print a JSON array of records (the record form of docs/jsonl.md)")
	f.BoolVar(&o.JSONL, "jsonl", false, "print one JSON record per line (docs/jsonl.md)")
	f.BoolVar(&o.CSV, "csv", false, "print CSV (RFC 4180, safe to open in a spreadsheet)")
}

// validateFilesOptions checks flags and arguments without touching anything.
func validateFilesOptions(o *FilesOptions, args []string) error {
	o.Case = args[0]
	n := 0
	o.format = casework.ListTable
	for f, on := range map[string]bool{casework.ListJSON: o.JSON, casework.ListJSONL: o.JSONL, casework.ListCSV: o.CSV} {
		if on {
			n++
			o.format = f
		}
	}
	if n > 1 {
		return usageErrorf("--json, --jsonl and --csv exclude each other")
	}
	if o.hits && len(o.Query.Status) == 0 {
		o.Query.Status = casework.HitStatuses
	}
	if err := o.Query.Validate(); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}

func newFilesCommand(g *globalOptions) *cobra.Command {
	return newFilesCommandWith(g, false, nil)
}

func newHitsCommand(g *globalOptions) *cobra.Command {
	return newFilesCommandWith(g, true, nil)
}

func newFilesCommandWith(g *globalOptions, hits bool, runF func(*FilesOptions) error) *cobra.Command {
	opts := &FilesOptions{hits: hits}
	cmd := &cobra.Command{
		Use:   "files CASE",
		Short: "List the file records of a case, with filters",
		Long: `Files lists the records of a case (every file, folder and data stream
scanned), in evidence and walk order, without reading the evidence.

The filters combine (all must hold): --status (repeatable), --mismatch,
--deleted, --incomplete, --evidence N, --path GLOB and --mime TYPE. A GLOB
without "/" matches the last element of the path (--path '*.exe'); with "/"
it matches the whole path (--path '/Users/*/Desktop/*').

The default output is an aligned table for reading: evidence item, status,
size, flags (deleted, mismatch, incomplete) and path, a stream after a colon.
--json, --jsonl and --csv are for scripts: --json and --jsonl give the record
form of docs/jsonl.md, --csv a spreadsheet-safe listing whose name_bytes_b64
column gives the exact bytes of a name the path cell shows escaped.

` + exitStatusHelp,
		Example: `  triage files case-042 --deleted --mime 'image/*'
  triage files --case case-042 --path '*.exe' --csv > exe.csv
  triage files case-042 --status unknown --incomplete --jsonl`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateFilesOptions(opts, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runFiles(cmd.Context(), opts, g)
		},
	}
	if hits {
		cmd.Use = "hits CASE"
		cmd.Short = "List the hash-set hits of a case (known-bad and notable records)"
		cmd.Long = `Hits lists the records of a case that matched a known-bad or notable hash
set, in evidence and walk order, without reading the evidence. The MATCHED
column names each set a record matched with the digest that matched it
("bad:md5"), as recorded at match time by the scan or 'triage match'.
--status narrows or widens the statuses listed; the other filters of
'triage files' apply too.

` + exitStatusHelp
		cmd.Example = `  triage hits case-042
  triage hits --case case-042 --status known-bad --json`
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runFiles(ctx context.Context, opts *FilesOptions, g *globalOptions) error {
	c, err := casedb.OpenReadOnly(opts.Case)
	if err != nil {
		return err
	}
	defer c.Close()
	bw := bufio.NewWriterSize(g.Out, 64<<10)
	w, err := casework.NewFileWriter(bw, opts.format, opts.hits)
	if err != nil {
		return err
	}
	n := 0
	err = casework.Files(ctx, c, &opts.Query, func(r *casedb.FileRecord) error {
		n++
		return w.Write(r)
	})
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		var use *casework.UnknownStatusError
		if errors.As(err, &use) {
			return usageErrorf("%v", err)
		}
		return err
	}
	if n == 0 && opts.format == casework.ListTable {
		what := "records"
		if opts.hits {
			what = "hits"
		}
		fmt.Fprintf(g.Err, "triage: no %s match\n", what)
	}
	return nil
}
