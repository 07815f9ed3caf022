package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/timeline"
)

func init() { registerCommand(newTimelineCommand) }

// TimelineOptions are the flags of `triage timeline`.
type TimelineOptions struct {
	Case     string
	Format   string
	Output   string
	From, To string
	Force    bool

	from, to time.Time
}

// AddFlags registers the timeline flags.
func (o *TimelineOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Format, "format", "f", "bodyfile", "`FORMAT`: bodyfile (the Sleuth Kit's, for mactime) or csv (sorted by time)")
	f.StringVarP(&o.Output, "output", "o", "-", "write to `FILE` (- for standard output)")
	f.StringVar(&o.From, "from", "", "only times at or after `TIME` (2026-11-30 or 2026-11-30T08:00:00Z; UTC unless an offset is given)")
	f.StringVar(&o.To, "to", "", "only times before `TIME`")
	f.BoolVar(&o.Force, "force", false, "overwrite an existing output file")
}

// parseTimeFlag reads a --from or --to value: a date or an RFC 3339 time,
// in UTC unless it gives an offset.
func parseTimeFlag(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageErrorf("--%s %q: not a date (2026-11-30) or time (2026-11-30T08:00:00Z)", name, s)
}

// validateTimelineArgs finishes opts from the arguments: the case (the
// one argument, --case put there by caseFlag), the format and the time
// range.
func validateTimelineArgs(opts *TimelineOptions, args []string) error {
	opts.Case = args[0]
	if opts.Format != "bodyfile" && opts.Format != "csv" {
		return usageErrorf("--format %q: use bodyfile or csv", opts.Format)
	}
	var err error
	if opts.from, err = parseTimeFlag("from", opts.From); err != nil {
		return err
	}
	if opts.to, err = parseTimeFlag("to", opts.To); err != nil {
		return err
	}
	if !opts.from.IsZero() && !opts.to.IsZero() && !opts.from.Before(opts.to) {
		return usageErrorf("--from %s is not before --to %s", opts.From, opts.To)
	}
	return nil
}

func newTimelineCommand(g *globalOptions) *cobra.Command {
	opts := &TimelineOptions{}
	cmd := &cobra.Command{
		Use:   "timeline CASE",
		Short: "Write the time stamps of a case as a body file (mactime) or a sorted CSV",
		Long: `Timeline writes every time stamp the case holds: the modification, access,
change and birth times (M, A, C, B) of each record as its file system gives
them (FAT and exFAT: write, access and creation times; ext: also the
inode change time; NTFS: $STANDARD_INFORMATION), and for NTFS the times of
the file's $FILE_NAME attribute as rows of their own.

--format bodyfile (the default) writes the Sleuth Kit's body file, which
mactime reads ("mactime -b FILE -d -y"): one line per record and
attribute, names as fls -m gives them prefixed with the evidence item and
volume ("E1/v0/docs/report.txt"), " ($FILE_NAME)" and " (deleted)" marks,
times in seconds with their fraction. A "|" in a name is written %7C, and
line breaks as \n, so that mactime never splits a name.

--format csv writes one row per distinct time of each record, sorted by
time, with the kinds of time it is (macb, as mactime shows them), the
evidence item, volume, inode, path, size, deleted flag and hash-set status.
Times are RFC 3339 in UTC with the file system's precision.

--from and --to keep the times in a range (--to excluded). The case is
opened read-only.

` + exitStatusHelp,
		Example: `  triage timeline case-042 -o case-042.body
  mactime -b case-042.body -d -y > case-042-mactime.csv
  triage timeline --case case-042 --format csv --from 2026-11-01 --to 2026-12-01 -o nov.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateTimelineArgs(opts, args); err != nil {
				return err
			}
			return runTimeline(cmd.Context(), opts, g)
		},
	}
	opts.AddFlags(cmd.Flags())
	caseFlag(cmd)
	return cmd
}

func runTimeline(ctx context.Context, opts *TimelineOptions, g *globalOptions) error {
	c, err := casedb.OpenReadOnly(opts.Case)
	if err != nil {
		return err
	}
	defer c.Close()
	var w io.Writer = g.Out
	var f *os.File
	if opts.Output != "-" {
		flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if opts.Force {
			flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err = os.OpenFile(opts.Output, flag, 0o644)
		if errors.Is(err, os.ErrExist) {
			return &hintError{fmt.Errorf("%s exists", opts.Output), "add --force to overwrite it"}
		}
		if err != nil {
			return err
		}
		w = f
	}
	to := timeline.Options{From: opts.from, To: opts.to}
	var n int
	if opts.Format == "csv" {
		n, err = timeline.WriteCSV(ctx, c, w, to)
	} else {
		n, err = timeline.WriteBodyfile(ctx, c, w, to)
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(opts.Output)
		}
	}
	if err != nil {
		return err
	}
	if f != nil {
		unit := "lines"
		if opts.Format == "csv" {
			unit = "rows"
		}
		if n == 1 {
			unit = unit[:len(unit)-1]
		}
		fmt.Fprintf(g.Err, "triage: wrote %d %s to %s\n", n, unit, opts.Output)
	}
	return nil
}
