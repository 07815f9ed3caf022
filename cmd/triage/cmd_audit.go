package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/audit"
)

func init() { registerCommand(newAuditCommand) }

// AuditOptions are the flags of `triage audit`.
type AuditOptions struct {
	Known     []string
	Audit     bool
	NotInList bool
	Verbose   int
	Relative  bool
}

// AddFlags registers the audit flags.
func (o *AuditOptions) AddFlags(f *pflag.FlagSet) {
	f.StringArrayVarP(&o.Known, "known", "k", nil, "list of known files `LIST` (md5sum/sha*sum output, hashdeep or DFXML; repeatable)")
	f.BoolVarP(&o.Audit, "audit", "a", false, "audit mode (the default): pass or fail, with the counts at -v")
	f.BoolVarP(&o.NotInList, "not-in-list", "x", false, "print the files whose digests are not in the list instead")
	f.CountVarP(&o.Verbose, "verbose", "v", "-v: the counts; -vv: each file that is not a match, and the known files not found; -vvv: every file")
	f.BoolVarP(&o.Relative, "relative", "l", false, "name files by the source as given, not by their absolute path")
}

func newAuditCommand(g *globalOptions) *cobra.Command {
	opts := &AuditOptions{}
	cmd := &cobra.Command{
		Use:   "audit --known LIST SOURCE...",
		Short: "Check folders against a list of known files, as hashdeep's audit does",
		Long: `Audit hashes every file of each SOURCE (a folder, walked read-only as a scan
walks it, or a file) with the algorithms of LIST and compares them with the
known files of LIST, as hashdeep -a -k LIST does:

  Files matched            digests and name as in the list
  Files partially matched  some digests match, others not
  Files moved              digests of a known file under another name
  New files found          digests not in the list
  Known files not found    known files that no file matched

The audit passes when no file is moved or new and every known file is
found. LIST may be md5sum, sha1sum or sha256sum output, a hashdeep file or
DFXML; its format is recognised from its content. Files are named by their
absolute path, as hashdeep names them, or with -l by the source as given.

With -x, the files whose digests are not in the list are printed, one a
line (hashdeep -x); a file only some of whose digests match a known file is
printed too, and named on standard error.

The exit status is hashdeep's: with -a (the default), 0 when the audit
passes and 1 when it fails; with -x, 1 when a known file of the list was
not found (its content is in no file audited), else 0, whether or not files
were printed. A list in an unknown format is a usage error (status 2); a
file that cannot be read is named on standard error and, when the audit
would otherwise succeed, gives status 3 (hashdeep would exit 0).

` + exitStatusHelp,
		Example: `  hashdeep -r -l evidence > known.txt
  triage audit -k known.txt -l evidence
  triage audit -vv --known SHA256SUMS /mnt/usb
  triage audit -x -k known.txt /mnt/usb > new-files.txt`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.Known) == 0 {
				return usageErrorf("audit needs a list of known files (--known LIST)")
			}
			if opts.Audit && opts.NotInList {
				return usageErrorf("-a and -x cannot be used together")
			}
			return runAudit(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// errAuditFailed is a completed audit that failed: exit status 1.
var errAuditFailed = errors.New("audit failed")

func readKnownLists(paths []string) (*audit.List, error) {
	var all *audit.List
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("cannot read list of known files: %w", err)
		}
		l, err := audit.Parse(f)
		f.Close()
		if errors.Is(err, audit.ErrUnknownFormat) {
			return nil, usageErrorf("%s: list format not recognised (expected md5sum/sha*sum output, a hashdeep file or DFXML)", p)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if all == nil {
			all = l
			continue
		}
		all.Files = append(all.Files, l.Files...)
		for _, a := range l.Algorithms {
			found := false
			for _, b := range all.Algorithms {
				found = found || a == b
			}
			if !found {
				all.Algorithms = append(all.Algorithms, a)
			}
		}
	}
	return all, nil
}

func runAudit(ctx context.Context, opts *AuditOptions, g *globalOptions, sources []string) error {
	l, err := readKnownLists(opts.Known)
	if err != nil {
		return err
	}
	if len(l.Files) == 0 {
		return fmt.Errorf("%s: no known files in the list", opts.Known[0])
	}
	a := audit.New(l)
	w := bufio.NewWriter(g.Out)
	defer w.Flush()
	problems := 0
	ao := audit.Options{
		Relative: opts.Relative,
		Problem: func(path string, err error) {
			problems++
			w.Flush()
			fmt.Fprintf(g.Err, "triage: warning: %s: %s\n", path, triage.Message(err))
		},
		Result: func(r audit.Result) {
			switch {
			case opts.NotInList:
				if r.Status == audit.Partial {
					w.Flush()
					fmt.Fprintf(g.Err, "triage: warning: %s: partial hash match with %s\n", r.Name, r.Known.Name)
				}
				if r.Status == audit.NoMatch || r.Status == audit.Partial {
					fmt.Fprintln(w, r.Name)
				}
			// A partial match is printed at every level, as hashdeep
			// prints it.
			case opts.Verbose >= 3 || (opts.Verbose == 2 && r.Status != audit.Matched) || r.Status == audit.Partial:
				fmt.Fprintln(w, r)
			}
		},
	}
	if err := a.Run(ctx, sources, ao); err != nil {
		return err
	}
	if opts.NotInList {
		if err := w.Flush(); err != nil {
			return err
		}
		// hashdeep -x: status 1 when a known file is not found, the
		// files printed (not in the list) do not count.
		if a.Summary().NotFound > 0 {
			return errAuditFailed
		}
		if problems > 0 {
			return errPartial
		}
		return nil
	}
	if opts.Verbose >= 2 {
		for _, k := range a.NotFound() {
			fmt.Fprintf(w, "%s: Known file not used\n", k.Name)
		}
	}
	s := a.Summary()
	if s.Passed() {
		fmt.Fprintln(w, "Audit passed")
	} else {
		fmt.Fprintln(w, "Audit failed")
	}
	if opts.Verbose >= 2 {
		fmt.Fprintf(w, "%23s: %d\n%23s: %d\n", "Input files examined", s.Examined, "Known files expecting", s.Expecting)
	}
	if opts.Verbose >= 1 {
		fmt.Fprintf(w, "%23s: %d\n%23s: %d\n%23s: %d\n%23s: %d\n%23s: %d\n",
			"Files matched", s.Matched, "Files partially matched", s.Partial, "Files moved", s.Moved,
			"New files found", s.New, "Known files not found", s.NotFound)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	switch {
	case !s.Passed():
		return errAuditFailed
	case problems > 0:
		return errPartial
	}
	return nil
}
