package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/archive"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/classify"
	"github.com/triagekit/triage/triage/custody"
	"github.com/triagekit/triage/triage/fs"
)

func init() { registerCommand(newScanCommand) }

// ScanOptions are the flags of `triage scan`.
type ScanOptions struct {
	Case     string
	JSONL    string
	Hash     string
	Fuzzy    bool // add ssdeep and TLSH to Hash
	Workers  int
	Quiet    bool
	Examiner string
	Rescan   bool
	// ItemTimeout and ItemMaxBytes are the watchdog's limits per item.
	ItemTimeout  time.Duration
	ItemMaxBytes int64
	// Archives opens the archives found in files (--archives), within
	// the limits of ArchiveLimits (--archive-max-...).
	Archives      bool
	ArchiveLimits archive.Limits
	// CaseFlags set the case header (case number, agency, ...) as
	// `triage case init` does.
	CaseFlags CaseFlags
	// As forces how a regular file is read: "file" or "image" ("" decides
	// from the content).
	As string
	// FS holds the file-system options (--skip-metafiles...), one flag
	// per option of the table formats.All.
	FS fs.Options
	// Parents are the parents of differencing virtual disks (--parent).
	Parents []string
	// VerifyImage hashes the whole media of a disk-image source after
	// its scan and checks it against the hashes an E01 stores.
	VerifyImage bool
	// Hashsets select the hash sets files are matched against.
	Hashsets ScanHashsetFlags
	// MismatchPolicy is a file adjusting the extension-mismatch table.
	MismatchPolicy string

	algorithms []triage.Algorithm
}

// AddFlags registers the scan flags.
func (o *ScanOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Case, "case", "c", "", "case `DIR` to record into (created when missing or empty)")
	f.StringVar(&o.JSONL, "jsonl", "", "stream one JSON object per record to `FILE`, appended to ('-' for standard output)")
	f.StringVar(&o.Hash, "hash", "md5,sha1,sha256", "digests to compute: any of md5, sha1, sha256, blake3, ssdeep, tlsh")
	f.BoolVar(&o.Fuzzy, "fuzzy", false, "also compute the similarity digests ssdeep and TLSH (slower; see docs/hashsets.md)")
	f.IntVar(&o.Workers, "workers", 0, "files read and hashed at once (0: 16, or two per CPU when more; two per CPU, at least 4, when an image is read in one pass; the hashing uses every core)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print no progress and no summary")
	f.StringVar(&o.Examiner, "examiner", os.Getenv("TRIAGE_EXAMINER"), "examiner name recorded on the evidence item (default $TRIAGE_EXAMINER)")
	f.BoolVar(&o.Rescan, "rescan", false, "scan a source again as a new evidence item when the case already holds a finished scan of it")
	f.DurationVar(&o.ItemTimeout, "item-timeout", triage.DefaultItemTimeout, "stop reading one item's content after `DURATION` and record it incomplete (0: no limit)")
	f.Int64Var(&o.ItemMaxBytes, "item-max-bytes", triage.DefaultItemBytes, "stop reading one item's content after `BYTES` and record it incomplete (0: no limit)")
	addArchiveFlags(f, &o.Archives, &o.ArchiveLimits)
	o.CaseFlags.AddFlags(f, "examiner")
	f.StringVar(&o.As, "as", "", "read each SOURCE file as `KIND`: file (one file) or image (disk image); default: decided from the content")
	o.FS = addFSFlags(f, "")
	addParentFlag(f, &o.Parents)
	f.BoolVar(&o.VerifyImage, "verify-image", true, "hash the whole media of disk images (MD5, SHA-1, SHA-256) and check E01 stored hashes; --verify-image=false skips it")
	o.Hashsets.AddFlags(f)
	f.StringVar(&o.MismatchPolicy, "mismatch-policy", "", "adjust the extension-mismatch table with policy `FILE` (format: docs/classification.md; default: the documented table)")
}

// ScanHashsetFlags are the hash-set flags of `triage scan`.
type ScanHashsetFlags struct {
	casework.HashsetOptions
}

// AddFlags registers the hash-set flags of scan.
func (o *ScanHashsetFlags) AddFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&o.Names, "hashset", nil, "match against set `NAME` of the library only (repeatable; default: every set)")
	f.StringArrayVar(&o.Files, "hashset-file", nil, "also match against hash-set `FILE`, imported for this scan only (repeatable)")
	f.StringVar(&o.FileCategory, "hashset-file-category", hashset.KnownBad, "category of the --hashset-file sets: known-bad, known-good or notable")
	f.StringVar(&o.Dir, "hashset-dir", "", "hash-set library `DIR` (default $"+hashset.EnvDir+", else $XDG_DATA_HOME/triage/hashsets)")
	f.BoolVar(&o.None, "no-hashsets", false, "match against no set of the library (only --hashset-file sets, if any)")
	f.IntVar(&o.SSDeepThreshold, "ssdeep-threshold", casework.DefaultSSDeepThreshold, "near match: an ssdeep `SCORE` (1-100) at least this against a fuzzy set makes a file notable (-1: off)")
	f.IntVar(&o.TLSHThreshold, "tlsh-threshold", casework.DefaultTLSHThreshold, "near match: a TLSH `DISTANCE` at most this against a fuzzy set makes a file notable (lower is closer; -1: off)")
}

// jsonlHook, when set, wraps the JSON-lines stream of a scan. Only the
// tests' build of the command sets it, to hold a scan at a known state
// (main_test.go).
var jsonlHook func(io.Writer) io.Writer

func newScanCommand(g *globalOptions) *cobra.Command {
	return newScanCommandWith(g, nil)
}

// newScanCommandWith lets tests capture the parsed options instead of
// running the scan.
func newScanCommandWith(g *globalOptions, runF func(*ScanOptions, []string) error) *cobra.Command {
	opts := &ScanOptions{}
	cmd := &cobra.Command{
		Annotations: map[string]string{resumableAnnotation: "true"},
		Use:         "scan SOURCE... --case DIR",
		Short:       "Hash and classify every file of folders, files or images into a case",
		Long: `Scan walks each SOURCE read-only and records every file, folder, link and
special file in the case: its MD5, SHA-1 and SHA-256 (from one read), its type
by magic bytes, whether its name and that type disagree (in both directions:
a JPEG named .dat, an executable named .jpg; --mismatch-policy adjusts the
table, see docs/classification.md), and the Shannon entropy of its content.

Evidence is never written: files are opened read-only (with O_NOATIME where
the OS allows), symbolic links are recorded with their target and not
followed, FIFOs, sockets and devices are recorded without being opened.
A file that cannot be read is recorded with its error and the scan goes on.

Each SOURCE becomes an evidence item of the case. Running the same scan again
on a case whose scan was interrupted resumes it; a source the case already
holds a finished scan of is skipped unless --rescan is given.

Every file is matched against every hash set of the library (see 'triage
hashset --help'), or the sets named with --hashset; --hashset-file adds a
file for this scan only. Its status is known-bad if any known-bad set
matches, else notable, else known-good, else unknown. The case and the
custody log record every set used, with its sources' SHA-256.

With --jsonl, every record is streamed as one JSON object per line (the
format is documented in docs/jsonl.md). The file is appended to, never
truncated: a resumed scan streams the records it adds after those of the
interrupted run.

` + exitStatusHelp,
		Example: `  triage scan /mnt/evidence --case case-042
  triage scan usb.dd --case case-042 --jsonl records.jsonl
  triage scan ./folder --case /tmp/c --hash sha256 --jsonl - -q | jq .path`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateScanOptions(opts, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args)
			}
			return runScan(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

// validateScanOptions checks flags and arguments without touching anything.
func validateScanOptions(o *ScanOptions, sources []string) error {
	if o.Case == "" {
		return usageErrorf("--case is required: the case directory to record into")
	}
	if err := o.Hashsets.Validate(); err != nil {
		return &flagError{err: err}
	}
	algs, err := triage.ParseAlgorithms(o.Hash)
	if err != nil {
		return usageErrorf("--hash: %v", err)
	}
	if o.Fuzzy {
		for _, a := range triage.FuzzyAlgorithms {
			if !slices.Contains(algs, a) {
				algs = append(algs, a)
			}
		}
	}
	if o.Hashsets.SSDeepThreshold == 0 || o.Hashsets.SSDeepThreshold < -1 || o.Hashsets.SSDeepThreshold > 100 {
		return usageErrorf("--ssdeep-threshold must be 1 to 100, or -1 for off, got %d", o.Hashsets.SSDeepThreshold)
	}
	if o.Hashsets.TLSHThreshold == 0 || o.Hashsets.TLSHThreshold < -1 {
		return usageErrorf("--tlsh-threshold must be 1 or more, or -1 for off, got %d", o.Hashsets.TLSHThreshold)
	}
	o.algorithms = algs
	if o.As != "" && o.As != triage.AsFile && o.As != triage.AsImage {
		return usageErrorf("--as must be file or image, got %q", o.As)
	}
	if o.Workers < 0 {
		return usageErrorf("--workers must be 0 or more, got %d", o.Workers)
	}
	if o.MismatchPolicy != "" {
		// Checked before the case is created; the scan loads it again.
		if _, err := classify.LoadPolicy(o.MismatchPolicy); err != nil {
			return usageErrorf("--mismatch-policy: %v", err)
		}
	}
	if o.ItemTimeout < 0 || o.ItemMaxBytes < 0 {
		return usageErrorf("--item-timeout and --item-max-bytes must be 0 (no limit) or more")
	}
	if err := validateArchiveLimits(o.ArchiveLimits); err != nil {
		return err
	}
	if err := o.CaseFlags.validate(); err != nil {
		return err
	}
	caseAbs, err := filepath.Abs(o.Case)
	if err != nil {
		return err
	}
	for _, s := range sources {
		if s == "" {
			return usageErrorf("empty SOURCE argument")
		}
		abs, err := filepath.Abs(s)
		if err != nil {
			return err
		}
		if liesWithin(caseAbs, abs) || liesWithin(o.Case, abs) {
			return usageErrorf("the case directory %q lies inside the source %q: triage never writes into evidence", o.Case, s)
		}
		if o.JSONL != "" && o.JSONL != "-" {
			if j, err := filepath.Abs(o.JSONL); err == nil && (liesWithin(j, abs) || liesWithin(o.JSONL, abs)) {
				return usageErrorf("--jsonl %q lies inside the source %q: triage never writes into evidence", o.JSONL, s)
			}
		}
	}
	return nil
}

// within reports whether p is root or lies below it.
func within(p, root string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && (rel == "." || !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && rel != "..")
}

// liesWithin reports whether the path p (which need not exist yet) is root
// or lies below it on disk, whatever the path text says: symbolic links
// and ".." are resolved, and a folder of p that is root itself (the same
// device and inode: a bind mount, a hard-linked path) counts too.
func liesWithin(p, root string) bool {
	if within(p, root) {
		return true
	}
	rootReal, err := filepath.EvalSymlinks(root)
	if err != nil {
		rootReal = root
	}
	real := resolvePhysical(p)
	if within(real, rootReal) {
		return true
	}
	ri, err := os.Stat(rootReal)
	if err != nil || !ri.IsDir() {
		return false
	}
	for dir := real; ; dir = filepath.Dir(dir) {
		if fi, err := os.Stat(dir); err == nil && os.SameFile(fi, ri) {
			return true
		}
		if parent := filepath.Dir(dir); parent == dir {
			return false
		}
	}
}

// resolvePhysical resolves path p (relative to the working directory,
// which need not exist in full) as the kernel walks it: each symbolic link
// is followed where it appears and ".." goes to the parent of the folder
// reached, not of the text before it. What does not exist is appended as
// written.
func resolvePhysical(p string) string {
	cur := string(filepath.Separator)
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return filepath.Clean(p)
		}
		if cur, err = filepath.EvalSymlinks(wd); err != nil {
			cur = wd
		}
	}
	parts := strings.Split(filepath.ToSlash(p), "/")
	missing := false
	for _, part := range parts {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		if !missing {
			if real, err := filepath.EvalSymlinks(next); err == nil {
				cur = real
				continue
			}
			missing = true
		}
		cur = next
	}
	return cur
}

func runScan(ctx context.Context, opts *ScanOptions, g *globalOptions, sources []string) error {
	env := g.env()
	// A case this scan creates in a missing or empty folder is removed
	// again when nothing could be scanned into it.
	ents, statErr := os.ReadDir(opts.Case)
	madeDir := errors.Is(statErr, iofs.ErrNotExist)
	pristine := madeDir || statErr == nil && len(ents) == 0
	c, created, err := env.OpenCase(ctx, opts.Case, opts.CaseFlags.changes(), opts.Examiner)
	if err != nil {
		if created && pristine {
			removeNewCase(opts.Case, madeDir)
		}
		return err
	}
	closed := false
	defer func() {
		if !closed {
			c.Close()
		}
	}()
	if created && pristine {
		defer func() {
			if ctx.Err() != nil {
				return // interrupted: the case stays, as a resumable one
			}
			if has, herr := c.HasRuns(context.WithoutCancel(ctx)); herr != nil || has {
				return
			}
			closed = true
			c.Close()
			if removeNewCase(c.Dir, madeDir) == nil && !opts.Quiet {
				fmt.Fprintf(g.Err, "triage: nothing was scanned: the new case %s was removed\n", c.Dir)
			}
		}()
	}
	if created && !opts.Quiet {
		fmt.Fprintf(g.Err, "triage: created case %s\n", c.Dir)
	}

	var jsonl io.Writer
	switch opts.JSONL {
	case "":
	case "-":
		jsonl = g.Out
	default:
		// Appended to, never truncated: a resumed scan adds its records
		// to those its first run streamed.
		f, err := os.OpenFile(opts.JSONL, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("cannot write JSON lines: %w", err)
		}
		defer f.Close()
		jsonl = f
	}
	if jsonl != nil && jsonlHook != nil {
		jsonl = jsonlHook(jsonl)
	}

	var failed, partial bool
	var mismatch []string
	_, err = env.Scan(ctx, c, sources, &casework.ScanOptions{
		Algorithms:  opts.algorithms,
		Workers:     opts.Workers,
		JSONL:       jsonl,
		CommandLine: g.Args,
		Examiner:    opts.Examiner,
		Rescan:      opts.Rescan,
		Watchdog:    watchdog(opts.ItemTimeout, opts.ItemMaxBytes),
		Archives:    archiveOptions(opts.Archives, opts.ArchiveLimits),
		As:          opts.As,
		Image:       triage.ImageOptions{FS: opts.FS, Parents: opts.Parents},
		VerifyImage: opts.VerifyImage,
		Hashsets:    opts.Hashsets.HashsetOptions,

		MismatchPolicy: opts.MismatchPolicy,
		OnHashsetFile: func(file string, res *hashset.ImportResult, s *hashset.Set) {
			printImportProblems(g.Err, res)
			if s != nil && !opts.Quiet {
				fmt.Fprintf(g.Err, "triage: using %s as set %q (%s): %s\n", file, s.Name, s.Category, countsString(s.Counts))
			} else if res != nil && strings.HasSuffix(res.Path, hashset.FuzzyExt) && !opts.Quiet {
				h := res.Header
				fmt.Fprintf(g.Err, "triage: using %s as fuzzy set %q (%s): %s\n", file, h.Name, h.Category, countsString(h.Counts))
			}
		},
		Progress: func(src triage.Source, p *triage.Progress) func() {
			return startProgress(ctx, g.Err, opts.Quiet, src, p)
		},
		MediaProgress: func(path string, size int64) (func(int64), func()) {
			// On a terminal the source's one bar shows the media pass.
			if !opts.Quiet && !isTerminal(g.Err) {
				fmt.Fprintf(g.Err, "triage: %s: hashing the whole media (%s) to verify the image; --verify-image=false skips this\n", filepath.Base(path), report.HumanBytes(size))
			}
			return nil, nil
		},
		OnSource: func(r *casework.SourceResult) {
			if r.OpenErr != nil {
				fmt.Fprintf(g.Err, "triage: error: %v\n", r.OpenErr)
				failed = true
				return
			}
			if r.Image != nil {
				printImageCheck(g.Err, opts.Quiet, r.Image)
			}
			switch {
			case r.MediaHashResumed && !opts.Quiet:
				fmt.Fprintf(g.Err, "triage: %s: evidence %d: the interrupted media hash was resumed; state %s\n", r.Path, r.Result.EvidenceID, r.Result.State)
			case r.Result != nil:
				printSummary(ctx, g.Err, c, r.Path, r.Result, opts.Quiet)
			}
			switch {
			case errors.Is(r.Err, context.Canceled) && ctx.Err() != nil:
			case r.Err != nil:
				fmt.Fprintf(g.Err, "triage: error: %s: %v\n", r.Path, r.Err)
				failed = true
			case r.Partial():
				partial = true
			}
			if r.Mismatch() {
				mismatch = append(mismatch, r.Path)
			}
		},
	})
	if err != nil {
		return hashsetHint(err)
	}
	switch {
	case len(mismatch) > 0:
		return fmt.Errorf("image verification MISMATCH for %s: the media does not match its stored hashes", strings.Join(mismatch, ", "))
	case failed:
		return errors.New("some sources could not be scanned")
	case partial:
		return errPartial
	}
	return nil
}

// removeNewCase removes the files a new case holds before its first scan,
// and its folder when the scan made it.
func removeNewCase(dir string, madeDir bool) error {
	for _, n := range []string{casedb.DBName, casedb.DBName + "-wal", casedb.DBName + "-shm", casedb.DBName + "-journal", casedb.LockName, custody.FileName} {
		if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return err
		}
	}
	if madeDir {
		return os.Remove(dir)
	}
	return nil
}

// maxListedProblems is how many problems the closing summary of a scan
// lists; the rest are counted, with the command that lists them.
const maxListedProblems = 10

// printSummary prints the closing summary of one source: its counts, its
// hits per status and its problems (the first ten). quiet leaves out a
// summary with neither hits nor problems.
func printSummary(ctx context.Context, w io.Writer, c *casedb.Case, src string, r *triage.Result, quiet bool) {
	if r.Skipped {
		if !quiet {
			fmt.Fprintf(w, "triage: %s: already scanned as evidence item %d (%s); use --rescan to scan it again\n", src, r.EvidenceID, r.State)
		}
		return
	}
	ctx = context.WithoutCancel(ctx)
	var hits []string
	for _, st := range []string{casedb.StatusKnownBad, casedb.StatusNotable} {
		n, err := c.CountMatching(ctx, casedb.FileFilter{EvidenceID: r.EvidenceID, Status: []string{st}})
		if err == nil && n > 0 {
			hits = append(hits, fmt.Sprintf("%d %s", n, st))
		}
	}
	nerr, _ := c.CountErrors(ctx, r.EvidenceID)
	if quiet && len(hits) == 0 && nerr == 0 {
		return
	}
	d := r.Finished.Sub(r.Started)
	rate := ""
	if s := d.Seconds(); s > 0 {
		rate = fmt.Sprintf(", %s per second", report.HumanBytes(int64(float64(r.Bytes)/s)))
	}
	resumed := ""
	if r.Resumed {
		resumed = fmt.Sprintf(" (resumed; %s already in the case)", plural(r.Existing, "record was", "records were"))
	}
	found := "no hits"
	if len(hits) > 0 {
		found = strings.Join(hits, ", ")
	}
	fmt.Fprintf(w, "triage: %s: evidence %d %s: %s, %s in %s%s, %s, %s%s\n",
		src, r.EvidenceID, r.State, plural(r.Files, "record", "records"), report.HumanBytes(r.Bytes), d.Round(time.Millisecond), rate,
		found, plural(nerr, "problem", "problems"), resumed)
	if nerr == 0 {
		return
	}
	errs, err := c.FirstErrors(ctx, r.EvidenceID, maxListedProblems)
	if err != nil {
		return
	}
	for _, e := range errs {
		fmt.Fprintf(w, "triage: %s: problem: %s\n", src, problemText(e))
	}
	if more := nerr - int64(len(errs)); more > 0 {
		fmt.Fprintf(w, "triage: %s: and %d more: triage files %s --incomplete --evidence %d lists them all\n", src, more, shellWord(c.Dir), r.EvidenceID)
	}
}

// problemText is one recorded problem as a line: its path (quoted when it
// holds control characters or invalid UTF-8), its offset, its message.
func problemText(e casedb.ErrorRecord) string {
	var b strings.Builder
	if e.Path != "" {
		b.WriteString(printablePath(e.Path))
		if e.Offset != nil && !strings.Contains(e.Message, "at byte") {
			fmt.Fprintf(&b, " at byte %#x", *e.Offset)
		}
		b.WriteString(": ")
	} else if e.Offset != nil && !strings.Contains(e.Message, "at byte") {
		fmt.Fprintf(&b, "at byte %#x: ", *e.Offset)
	}
	b.WriteString(strings.Join(strings.Fields(printablePath(e.Message)), " "))
	return b.String()
}

// printablePath returns p, or p Go-quoted when it holds invalid UTF-8 or
// control characters a terminal would act on.
func printablePath(p string) string {
	if !utf8.ValidString(p) || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return strconv.Quote(p)
	}
	return p
}

// shellWord returns s quoted for a POSIX shell when it needs it.
func shellWord(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == '+' || r == ':' || r == ',' || unicode.IsLetter(r) || unicode.IsDigit(r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// watchdog turns the flags' limits into the engine's, where 0 is no limit.
func watchdog(timeout time.Duration, maxBytes int64) triage.Watchdog {
	w := triage.Watchdog{Timeout: timeout, MaxBytes: maxBytes}
	if w.Timeout == 0 {
		w.Timeout = -1
	}
	if w.MaxBytes == 0 {
		w.MaxBytes = -1
	}
	return w
}
