package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/hashset"
	_ "github.com/triagekit/triage/hashset/nsrlsqlite" // the nsrl-sqlite import format
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

func init() { registerCommand(newHashsetCommand) }

// HashsetOptions are the flags shared by every `triage hashset` command.
type HashsetOptions struct {
	Dir string
}

// AddFlags registers the shared flags.
func (o *HashsetOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Dir, "hashset-dir", "", "hash-set library `DIR` (default $"+hashset.EnvDir+", else $XDG_DATA_HOME/triage/hashsets)")
}

func (o *HashsetOptions) library() (*hashset.Library, error) {
	return casework.Library(o.Dir)
}

const hashsetLibraryHelp = `The library is a folder of index files, one per set: --hashset-dir, else
$TRIAGE_HASHSET_DIR, else $XDG_DATA_HOME/triage/hashsets
(~/.local/share/triage/hashsets). The built-in set "eicar" (the EICAR
anti-virus test file, known-bad) is always there.`

func newHashsetCommand(g *globalOptions) *cobra.Command {
	common := &HashsetOptions{}
	cmd := &cobra.Command{
		Use:   "hashset",
		Short: "Import, list, look up and export hash sets",
		Long: `Hash sets flag known-bad files and remove known-good noise from a scan.

` + hashsetLibraryHelp + `

Formats read on import (detected, or named with --format): md5sum, sha1sum,
sha256sum and BSD tag lines, hashdeep, plain one-hash-per-line lists
(VirusShare, X-Ways), CSV with a header naming md5/sha1/sha256 columns,
NIST NSRL RDSv3 SQLite and RDS 2.x NSRLFile.txt, HashKeeper .hsh, Project VIC
/ CAID JSON. See docs/hashsets.md.

` + exitStatusHelp,
		Example: `  triage hashset import VirusShare_00000.md5 --name virusshare-0 --category known-bad
  triage hashset import RDS_2025.03.1_modern_minimal.db --name nsrl --category known-good
  triage hashset list
  triage hashset lookup 44d88612fea8a8f36de82e1278abb02f`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	common.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		newHashsetImportCommand(g, common, nil),
		newHashsetListCommand(g, common),
		newHashsetInfoCommand(g, common),
		newHashsetLookupCommand(g, common),
		newHashsetRemoveCommand(g, common),
		newHashsetExportCommand(g, common),
	)
	return cmd
}

// ---- import ----

// HashsetImportOptions are the flags of `triage hashset import`.
type HashsetImportOptions struct {
	*HashsetOptions
	Name        string
	Category    string
	Format      string
	Description string
	Replace     bool
	Quiet       bool
	Workers     int
}

// AddFlags registers the import flags.
func (o *HashsetImportOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Name, "name", "", "`NAME` of the set (letters, digits, '.', '_', '+', '-')")
	f.StringVar(&o.Category, "category", "", "known-bad, known-good or notable")
	f.StringVar(&o.Format, "format", "auto", "input format: auto, "+strings.Join(hashset.Formats, ", ")+", or ssdeep, tlsh (similarity digests: a fuzzy set)")
	f.StringVar(&o.Description, "description", "", "free text recorded with the set")
	f.BoolVar(&o.Replace, "replace", false, "replace an existing set of the same name")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "print nothing on success")
	f.IntVar(&o.Workers, "workers", 0, "parallel parsers (0: one per CPU)")
}

func validateHashsetImport(o *HashsetImportOptions, args []string) error {
	if o.Name == "" {
		return usageErrorf("--name is required")
	}
	if err := hashset.ValidName(o.Name); err != nil {
		return usageErrorf("--name: %v", err)
	}
	if !hashset.ValidCategory(o.Category) {
		if o.Category == "" {
			return usageErrorf("--category is required: known-bad, known-good or notable")
		}
		return usageErrorf("--category %q: use known-bad, known-good or notable", o.Category)
	}
	f, ok := hashset.NormalizeFormat(o.Format)
	if !ok {
		return usageErrorf("--format %q: use auto or one of %s", o.Format, strings.Join(hashset.Formats, ", "))
	}
	o.Format = f
	if o.Workers < 0 {
		return usageErrorf("--workers must be 0 or more, got %d", o.Workers)
	}
	for _, a := range args {
		if a == "" {
			return usageErrorf("empty FILE argument")
		}
	}
	return nil
}

func newHashsetImportCommand(g *globalOptions, common *HashsetOptions, runF func(*HashsetImportOptions, []string) error) *cobra.Command {
	opts := &HashsetImportOptions{HashsetOptions: common}
	cmd := &cobra.Command{
		Use:   "import FILE... --name NAME --category known-bad|known-good|notable",
		Short: "Import hash-set files into the library as one set",
		Long: `Import reads every FILE into one new set of the library: the digests are
sorted, duplicates merged, and written to a compact index that scans look up
without loading it into memory. Upper and lower case hex are both read.

The format of each FILE is detected (--format auto) or named: md5sum (also
sha1sum, sha256sum and BSD tag lines), hashdeep, plain, csv, nsrl-sqlite
(NIST RDSv3, minimal or full), nsrl-txt (RDS 2.x NSRLFile.txt), hashkeeper,
vics (Project VIC / CAID JSON). Lines that cannot be read are counted and
the first few reported with their file and line number; they do not stop
the import. A file without a single hash record is an error.

A set of the same name is only replaced with --replace. The index is written
to a temporary file and renamed, so an interrupted import leaves no partial
set.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset import VirusShare_00000.md5 --name virusshare-0 --category known-bad
  triage hashset import RDS_2025.03.1_modern_minimal.db --name nsrl-2025.03 --category known-good
  triage hashset import a.csv b.csv --name agency --category notable --format csv --description "agency list 2026-11"`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateHashsetImport(opts, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args)
			}
			return runHashsetImport(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runHashsetImport(ctx context.Context, opts *HashsetImportOptions, g *globalOptions, files []string) error {
	lib, err := opts.library()
	if err != nil {
		return err
	}
	start := time.Now()
	res, err := lib.Import(ctx, files, hashset.ImportOptions{
		Name: opts.Name, Category: opts.Category, Description: opts.Description,
		Format: opts.Format, Replace: opts.Replace, Workers: opts.Workers,
	})
	if errors.Is(err, hashset.ErrExists) {
		return &hintError{err, fmt.Sprintf("add --replace to replace set %q, or choose another --name", opts.Name)}
	}
	if err != nil {
		return err
	}
	printImportProblems(g.Err, res)
	if !opts.Quiet {
		printImportSummary(g.Err, res, time.Since(start))
	}
	return nil
}

func printImportProblems(w io.Writer, res *hashset.ImportResult) {
	for _, s := range res.Sources {
		if s.Malformed == 0 {
			continue
		}
		for _, p := range s.Problems {
			fmt.Fprintf(w, "triage: warning: %s\n", p)
		}
		if more := s.Malformed - int64(len(s.Problems)); more > 0 {
			fmt.Fprintf(w, "triage: warning: %s: %d more malformed lines (%d in all) not shown\n", s.Name, more, s.Malformed)
		}
	}
}

func printImportSummary(w io.Writer, res *hashset.ImportResult, d time.Duration) {
	h := res.Header
	var recs, bad int64
	for _, s := range res.Sources {
		recs += s.Records
		bad += s.Malformed
	}
	fmt.Fprintf(w, "triage: imported %s (%s) from %s in %s: %s, %d malformed; unique digests: %s\n",
		h.Name, h.Category, plural(int64(len(res.Sources)), "file", "files"), d.Round(time.Millisecond), plural(recs, "record", "records"), bad, countsString(h.Counts))
}

func countsString(c map[string]int64) string {
	var parts []string
	for _, a := range hashset.Algorithms {
		if n := c[a.String()]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", a, n))
		}
	}
	for _, a := range []string{hashset.FormatSSDeep, hashset.FormatTLSH} {
		if n := c[a]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", a, n))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// ---- list ----

func newHashsetListCommand(g *globalOptions, common *HashsetOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the sets of the library",
		Long: `List prints one line per set: name, category, unique digests per algorithm,
import time (or "built-in") and the number of source files. A set whose
index is damaged is reported on standard error and the exit status is 1.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset list
  triage hashset list --json | jq '.[].name'`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := common.library()
			if err != nil {
				return err
			}
			return runHashsetList(lib, g, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print a JSON array of set headers")
	return cmd
}

func runHashsetList(lib *hashset.Library, g *globalOptions, asJSON bool) error {
	sets, errs, err := lib.OpenAll()
	if err != nil {
		return err
	}
	defer casework.CloseSets(sets)
	// Fuzzy sets (ssdeep, TLSH) follow the exact ones.
	var fsets []*hashset.FuzzySet
	fnames, err := lib.FuzzyNames()
	if err != nil {
		return err
	}
	for _, n := range fnames {
		f, err := lib.OpenFuzzy(n)
		if err != nil {
			errs = append(errs, fmt.Errorf("set %q: %w", n, err))
			continue
		}
		fsets = append(fsets, f)
	}
	if asJSON {
		out := make([]setJSON, 0, len(sets)+len(fsets))
		for _, s := range sets {
			out = append(out, newSetJSON(s))
		}
		for _, f := range fsets {
			out = append(out, setJSON{Header: f.Header, Path: f.Path, Fuzzy: true, BodySHA256: f.BodySHA256})
		}
		enc := json.NewEncoder(g.Out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(g.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCATEGORY\tMD5\tSHA1\tSHA256\tIMPORTED\tSOURCES")
		for _, s := range sets {
			imp := s.Imported.UTC().Format(time.RFC3339)
			if s.BuiltIn {
				imp = "built-in"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%d\n", s.Name, s.Category,
				s.Counts["md5"], s.Counts["sha1"], s.Counts["sha256"], imp, len(s.Sources))
		}
		tw.Flush()
		if len(fsets) > 0 {
			fmt.Fprintln(g.Out)
			tw = tabwriter.NewWriter(g.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "FUZZY SET\tCATEGORY\tSSDEEP\tTLSH\tIMPORTED\tSOURCES")
			for _, f := range fsets {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d\n", f.Name, f.Category, f.Counts["ssdeep"], f.Counts["tlsh"],
					f.Imported.UTC().Format(time.RFC3339), len(f.Sources))
			}
			tw.Flush()
		}
	}
	for _, e := range errs {
		fmt.Fprintf(g.Err, "triage: error: %v\n", e)
	}
	if len(errs) > 0 {
		return &hintError{fmt.Errorf("%s could not be read", plural(int64(len(errs)), "set", "sets")), "import the damaged set again with --replace, or remove it"}
	}
	return nil
}

// setJSON is the JSON form of a set for list, info and case records.
type setJSON struct {
	hashset.Header
	Path         string `json:"path,omitempty"`
	Size         int64  `json:"size"`
	HeaderSHA256 string `json:"index_sha256,omitempty"`
	// A fuzzy set (ssdeep, TLSH) and the SHA-256 of its digest lines.
	Fuzzy      bool   `json:"fuzzy,omitempty"`
	BodySHA256 string `json:"body_sha256,omitempty"`
}

func newSetJSON(s *hashset.Set) setJSON {
	return setJSON{Header: s.Header, Path: s.Path, Size: s.Size, HeaderSHA256: s.HeaderSHA256}
}

// ---- info ----

func newHashsetInfoCommand(g *globalOptions, common *HashsetOptions) *cobra.Command {
	var asJSON, verify bool
	cmd := &cobra.Command{
		Use:   "info NAME",
		Short: "Show the header of a set: sources, counts, checksums",
		Long: `Info prints what a set was made from: category, description, every source
file with its SHA-256, format, record and malformed counts, the unique digests
per algorithm, the import time, the tool version and the index checksum
(index_sha256, the SHA-256 of the index header, which records the SHA-256 of
every data section). With --verify every data section is read again and
checked against its recorded SHA-256.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset info nsrl
  triage hashset info virusshare-0 --verify --json`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := common.library()
			if err != nil {
				return err
			}
			s, err := lib.Open(args[0])
			if errors.Is(err, hashset.ErrNotFound) {
				// A fuzzy set (ssdeep, TLSH): opening it checks its
				// digests against the header's SHA-256.
				if f, ferr := lib.OpenFuzzy(args[0]); ferr == nil {
					return printFuzzySetInfo(g.Out, f, asJSON)
				}
			}
			if err != nil {
				return err
			}
			defer casework.CloseSets([]*hashset.Set{s})
			if verify {
				if err := s.Verify(); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(g.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(newSetJSON(s))
			}
			printSetInfo(g.Out, s, verify)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the header as JSON")
	cmd.Flags().BoolVar(&verify, "verify", false, "re-read the index and check every section checksum")
	return cmd
}

func printSetInfo(w io.Writer, s *hashset.Set, verified bool) {
	fmt.Fprintf(w, "name:         %s\n", s.Name)
	fmt.Fprintf(w, "category:     %s\n", s.Category)
	if s.Description != "" {
		fmt.Fprintf(w, "description:  %s\n", s.Description)
	}
	if s.BuiltIn {
		fmt.Fprintf(w, "built in:     yes\n")
	} else {
		fmt.Fprintf(w, "imported:     %s\n", s.Imported.UTC().Format(time.RFC3339))
		fmt.Fprintf(w, "index:        %s (%d bytes)\n", s.Path, s.Size)
	}
	fmt.Fprintf(w, "tool:         %s\n", s.Tool)
	fmt.Fprintf(w, "index sha256: %s\n", s.HeaderSHA256)
	if verified {
		fmt.Fprintf(w, "verified:     every section matches its checksum\n")
	}
	fmt.Fprintf(w, "digests:      %s\n", countsString(s.Counts))
	for _, src := range s.Sources {
		fmt.Fprintf(w, "source:       %s  %s  format %s, %s, %s, %d malformed\n",
			src.SHA256, src.Name, src.Format, plural(src.Size, "byte", "bytes"), plural(src.Records, "record", "records"), src.Malformed)
	}
}

func printFuzzySetInfo(w io.Writer, f *hashset.FuzzySet, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(setJSON{Header: f.Header, Path: f.Path, Fuzzy: true, BodySHA256: f.BodySHA256})
	}
	fmt.Fprintf(w, "name:         %s\n", f.Name)
	fmt.Fprintf(w, "category:     %s\n", f.Category)
	if f.Description != "" {
		fmt.Fprintf(w, "description:  %s\n", f.Description)
	}
	fmt.Fprintf(w, "imported:     %s\n", f.Imported.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "fuzzy set:    %s\n", f.Path)
	fmt.Fprintf(w, "tool:         %s\n", f.Tool)
	fmt.Fprintf(w, "body sha256:  %s (checked)\n", f.BodySHA256)
	fmt.Fprintf(w, "digests:      %s\n", countsString(f.Counts))
	for _, src := range f.Sources {
		fmt.Fprintf(w, "source:       %s  %s  format %s, %d bytes, %d records, %d malformed\n",
			src.SHA256, src.Name, src.Format, src.Size, src.Records, src.Malformed)
	}
	return nil
}

// ---- lookup ----

// fuzzyLookupOptions are the near-match settings of lookup.
type fuzzyLookupOptions struct {
	ssdeepMin, tlshMax, limit int
}

func newHashsetLookupCommand(g *globalOptions, common *HashsetOptions) *cobra.Command {
	var names []string
	var asJSON bool
	var fz fuzzyLookupOptions
	cmd := &cobra.Command{
		Use:   "lookup HASH... | lookup -",
		Short: "Look digests up in the sets of the library",
		Long: `Lookup answers one line per digest: the digest (lower case), its status
(known-bad, notable, known-good or unknown, in that precedence) and the
matching sets separated by commas ("-" when none). The algorithm follows
from the length (32, 40 or 64 hex digits) or an explicit md5:, sha1: or
sha256: prefix; case does not matter. With "-" the digests are read from
standard input, one per line. A digest that cannot be read is answered with
status "invalid" and the reason, and the exit status is 1.

With --json, each answer is a JSON object on its own line:
{"query":"…","algorithm":"md5","digest":"…","status":"known-bad","hashsets":["eicar"]},
or for a digest that cannot be read {"query":"…","status":"invalid","error":"…"}.

A similarity digest (ssdeep "blocksize:part1:part2", or TLSH: "T1" and 70 hex
digits, or the 70 digits alone) is looked up in the fuzzy sets: the near
matches, an ssdeep score at least --ssdeep-threshold or a TLSH distance at
most --tlsh-threshold (the scan's defaults), closest first, at most --limit.
One line per near match: the digest, the status (notable when a match is in
a known-bad or notable set, as a scan records it; else unknown), the set, its
category, score=N (ssdeep, 100 identical) or distance=N (TLSH, 0 identical),
the set's digest and its file name in the set ("-" when none); a digest with
no near match gets one line "DIGEST  unknown  -". With --json the answer has
"algorithm" ssdeep or tlsh, "hashsets" [] (exact matches only) and
"near_matches": [{"set","category","algorithm","digest","name","score",
"imported","sources":[{"name","sha256"}]}], the set's provenance as
'hashset info' shows it.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset lookup 44d88612fea8a8f36de82e1278abb02f
  triage hashset lookup sha1:3395856CE81F2B7382DEE72602F798B642F14140
  cut -d' ' -f1 files.md5 | triage hashset lookup - --hashset nsrl
  triage hashset lookup '3072:Nh3s1rvuRqd8e4xM:Nh3+rbjx' --ssdeep-threshold 60`,
		Args: minArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if fz.ssdeepMin == 0 || fz.ssdeepMin < -1 || fz.ssdeepMin > 100 {
				return usageErrorf("--ssdeep-threshold must be 1 to 100, or -1 for off, got %d", fz.ssdeepMin)
			}
			if fz.tlshMax == 0 || fz.tlshMax < -1 {
				return usageErrorf("--tlsh-threshold must be 1 or more, or -1 for off, got %d", fz.tlshMax)
			}
			if fz.limit < 1 {
				return usageErrorf("--limit must be 1 or more, got %d", fz.limit)
			}
			lib, err := common.library()
			if err != nil {
				return err
			}
			return runHashsetLookup(lib, names, asJSON, fz, g, args)
		},
	}
	cmd.Flags().StringArrayVar(&names, "hashset", nil, "look up in set `NAME` only, exact or fuzzy (repeatable; default: every set)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "answer with one JSON object per line")
	cmd.Flags().IntVar(&fz.ssdeepMin, "ssdeep-threshold", casework.DefaultSSDeepThreshold, "near match: an ssdeep `SCORE` (1-100) at least this (-1: off)")
	cmd.Flags().IntVar(&fz.tlshMax, "tlsh-threshold", casework.DefaultTLSHThreshold, "near match: a TLSH `DISTANCE` at most this (lower is closer; -1: off)")
	cmd.Flags().IntVar(&fz.limit, "limit", 10, "answer at most `N` near matches per similarity digest")
	return cmd
}

// hashsetHint adds the hint for an error opening the sets of the library.
func hashsetHint(err error) error {
	var damaged *casework.DamagedSetsError
	switch {
	case errors.As(err, &damaged):
		return &hintError{err, "import the damaged set again with --replace, remove it, or name the sets to use with --hashset"}
	case errors.Is(err, hashset.ErrNotFound):
		return &hintError{err, "see 'triage hashset list'"}
	}
	return err
}

// lookupAnswer is the --json form of a lookup answer.
type lookupAnswer struct {
	Query     string   `json:"query"`
	Algorithm string   `json:"algorithm,omitempty"`
	Digest    string   `json:"digest,omitempty"`
	Status    string   `json:"status"`
	Hashsets  []string `json:"hashsets"`
	Error     string   `json:"error,omitempty"`
}

// nearMatchJSON is a near match in the --json form of a lookup answer.
type nearMatchJSON struct {
	Set       string           `json:"set"`
	Category  string           `json:"category"`
	Algorithm string           `json:"algorithm"`
	Digest    string           `json:"digest"`
	Name      string           `json:"name,omitempty"`
	Score     int              `json:"score"`
	Imported  string           `json:"imported"`
	Sources   []nearSourceJSON `json:"sources"`
}

type nearSourceJSON struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// fuzzyLookup answers similarity digests from the fuzzy sets, opened on
// the first such digest.
type fuzzyLookup struct {
	lib   *hashset.Library
	names []string // the fuzzy sets to use; nil: every one
	opts  fuzzyLookupOptions
	sets  []*hashset.FuzzySet
	open  bool
}

func (f *fuzzyLookup) near(q string) (alg, digest string, near []hashset.NearMatch, err error) {
	if !f.open {
		names := f.names
		if names == nil {
			if names, err = f.lib.FuzzyNames(); err != nil {
				return "", "", nil, &hintError{err, "check the hash-set library folder"}
			}
		}
		for _, n := range names {
			s, err := f.lib.OpenFuzzy(n)
			if err != nil {
				if errors.Is(err, hashset.ErrNotFound) {
					return "", "", nil, &hintError{err, "see 'triage hashset list'"}
				}
				return "", "", nil, &hintError{err, "import the set again with --replace, remove it, or name the sets to use with --hashset"}
			}
			f.sets = append(f.sets, s)
		}
		f.open = true
	}
	return hashset.NearMatches(f.sets, q, f.opts.ssdeepMin, f.opts.tlshMax, f.opts.limit)
}

// splitSetNames splits the names of --hashset into exact and fuzzy sets of
// the library; with no names, every set of both (nil).
func splitSetNames(lib *hashset.Library, names []string) (exact, fz []string, err error) {
	if len(names) == 0 {
		return nil, nil, nil
	}
	all, err := lib.FuzzyNames()
	if err != nil {
		return nil, nil, err
	}
	exact, fz = []string{}, []string{}
	for _, n := range names {
		if slices.Contains(all, n) {
			if !slices.Contains(fz, n) {
				fz = append(fz, n)
			}
		} else {
			exact = append(exact, n)
		}
	}
	return exact, fz, nil
}

func runHashsetLookup(lib *hashset.Library, names []string, asJSON bool, fz fuzzyLookupOptions, g *globalOptions, args []string) error {
	exactNames, fuzzyNames, err := splitSetNames(lib, names)
	if err != nil {
		return err
	}
	var sets []*hashset.Set
	if exactNames == nil || len(exactNames) > 0 {
		if sets, err = casework.OpenSets(lib, exactNames); err != nil {
			return hashsetHint(err)
		}
	}
	defer casework.CloseSets(sets)
	m := hashset.NewMatcher(sets)
	fl := &fuzzyLookup{lib: lib, names: fuzzyNames, opts: fz}
	out := bufio.NewWriterSize(g.Out, 64<<10)
	defer out.Flush()
	bad := 0
	var readErr error // a set that cannot be read
	invalid := func(q string, err error) {
		bad++
		if asJSON {
			b, _ := json.Marshal(lookupAnswer{Query: q, Status: "invalid", Hashsets: []string{}, Error: err.Error()})
			fmt.Fprintf(out, "%s\n", b)
			return
		}
		fmt.Fprintf(out, "%s  invalid  %v\n", q, err)
	}
	answerFuzzy := func(q string) {
		alg, d, near, err := fl.near(q)
		var he *hintError
		if errors.As(err, &he) {
			readErr = err
			return
		}
		if err != nil {
			invalid(q, err)
			return
		}
		st := casedb.StatusUnknown
		for _, n := range near {
			if n.Category != casedb.StatusKnownGood {
				st = casedb.StatusNotable
			}
		}
		if asJSON {
			nj := make([]nearMatchJSON, len(near))
			for i, n := range near {
				nj[i] = nearMatchJSON{Set: n.Set.Name, Category: n.Category, Algorithm: n.Algorithm, Digest: n.Digest, Name: n.Name,
					Score: n.Score, Imported: n.Set.Imported.UTC().Format(time.RFC3339), Sources: []nearSourceJSON{}}
				for _, src := range n.Set.Sources {
					nj[i].Sources = append(nj[i].Sources, nearSourceJSON{src.Name, src.SHA256})
				}
			}
			b, _ := json.Marshal(struct {
				lookupAnswer
				Near []nearMatchJSON `json:"near_matches"`
			}{lookupAnswer{Query: q, Algorithm: alg, Digest: d, Status: st, Hashsets: []string{}}, nj})
			fmt.Fprintf(out, "%s\n", b)
			return
		}
		if len(near) == 0 {
			fmt.Fprintf(out, "%s  %s  -\n", d, st)
		}
		for _, n := range near {
			score := fmt.Sprintf("score=%d", n.Score)
			if alg == hashset.FormatTLSH {
				score = fmt.Sprintf("distance=%d", n.Score)
			}
			name := n.Name
			if name == "" {
				name = "-"
			}
			fmt.Fprintf(out, "%s  %s  %s  %s  %s  %s  %s\n", d, st, n.Set.Name, n.Category, score, n.Digest, name)
		}
	}
	answer := func(q string) {
		if hashset.IsFuzzyDigest(q) {
			answerFuzzy(q)
			return
		}
		a, d, err := hashset.ParseDigest(q)
		if err != nil {
			invalid(q, err)
			return
		}
		st, hits, err := m.FindDigest(a, d)
		if err != nil {
			readErr = err
			return
		}
		if asJSON {
			if hits == nil {
				hits = []string{}
			}
			b, _ := json.Marshal(lookupAnswer{Query: q, Algorithm: fmt.Sprint(a), Digest: fmt.Sprintf("%x", d), Status: fmt.Sprint(st), Hashsets: hits})
			fmt.Fprintf(out, "%s\n", b)
			return
		}
		list := "-"
		if len(hits) > 0 {
			list = strings.Join(hits, ",")
		}
		fmt.Fprintf(out, "%x  %s  %s\n", d, st, list)
	}
	for _, q := range args {
		if q != "-" {
			if answer(q); readErr != nil {
				return readErr
			}
			continue
		}
		if err := lookupStream(g.In, out, m, func(q string) error { answer(q); return readErr }); err != nil {
			return err
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	if bad > 0 {
		return fmt.Errorf("%s could not be read", plural(int64(bad), "digest", "digests"))
	}
	return nil
}

// lookupStream answers the digests of in, one a line. Bare hex digests, the
// usual input, are decoded and answered without allocating (a million
// lookups read from a pipe were bound by the per-line allocations and the
// formatting); any other line goes through answer. Lookups in batches
// sorted by digest were measured slower: the sort costs more than the
// locality gives. Batches in input order whose memory is read first
// (Matcher.Warm), all at once, are faster: a lookup in a large set waits
// for memory, and the processor waits for a batch's reads together.
func lookupStream(in io.Reader, out *bufio.Writer, m *hashset.Matcher, answer func(string) error) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 256<<10), 1<<20)
	type query struct {
		a    hashset.Algorithm
		d    []byte
		dig  [32]byte
		line string // a line that is not a bare hex digest
	}
	const batch = 32
	var qs [batch]query
	var hexd [64]byte
	sets := make([]string, 0, 8)
	var sink byte
	var as [batch]hashset.Algorithm
	var ds [batch][]byte
	flush := func(qs []query) error {
		for i := range qs {
			as[i], ds[i] = qs[i].a, qs[i].d
		}
		sink ^= m.WarmBatch(as[:len(qs)], ds[:len(qs)])
		for i := range qs {
			q := &qs[i]
			if q.d == nil {
				if err := answer(q.line); err != nil {
					return err
				}
				continue
			}
			st, hits, err := m.FindDigestInto(q.a, q.d, sets)
			if err != nil {
				return err
			}
			sets = hits[:0]
			n := hex.Encode(hexd[:], q.d)
			out.Write(hexd[:n])
			out.WriteString("  ")
			out.WriteString(st)
			out.WriteString("  ")
			if len(hits) == 0 {
				out.WriteByte('-')
			}
			for i, h := range hits {
				if i > 0 {
					out.WriteByte(',')
				}
				out.WriteString(h)
			}
			if err := out.WriteByte('\n'); err != nil {
				return err
			}
		}
		return nil
	}
	n := 0
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) == 0 {
			continue
		}
		q := &qs[n]
		var ok bool
		q.a, q.d, ok = hashset.DecodeDigest(&q.dig, l)
		if !ok {
			q.d, q.line = nil, string(l)
		}
		if n++; n == batch {
			if err := flush(qs[:n]); err != nil {
				return err
			}
			n = 0
		}
	}
	if err := flush(qs[:n]); err != nil {
		return err
	}
	if sink == 1<<7+1 {
		out.Flush() // never: keeps the warming reads
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("cannot read standard input: %w", err)
	}
	return nil
}

// ---- remove ----

func newHashsetRemoveCommand(g *globalOptions, common *HashsetOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "remove NAME",
		Short: "Remove a set from the library",
		Long: `Remove deletes the index of set NAME. Built-in sets cannot be removed.
Cases that used the set keep their record of it.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset remove virusshare-0`,
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			lib, err := common.library()
			if err != nil {
				return err
			}
			if err := lib.Remove(args[0]); err != nil {
				if errors.Is(err, hashset.ErrNotFound) {
					return &hintError{err, "see 'triage hashset list'"}
				}
				return err
			}
			fmt.Fprintf(g.Err, "triage: removed %s\n", args[0])
			return nil
		},
	}
}

// ---- export ----

func newHashsetExportCommand(g *globalOptions, common *HashsetOptions) *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "export NAME --format md5sum|sha1sum|sha256sum|plain|hashdeep|stix|misp|ssdeep|tlsh",
		Short: "Write the digests of a set in a sharing format",
		Long: `Export writes every digest of set NAME, in ascending order, to standard
output or -o FILE:

  md5sum, sha1sum, sha256sum  coreutils lines "HASH  NAME" (the set name stands
                              for the file name, which an index does not keep)
  plain                       one digest per line, every algorithm
  hashdeep                    HASHDEEP-1.0 with the strongest algorithm held
                              (the size column is empty: sizes are not kept,
                              so hashdeep -m reports "Hash collision")
  stix                        a STIX 2.1 bundle of one indicator per digest
  misp                        a MISP event with one attribute per digest

Identifiers in STIX and MISP output are name-based UUIDs, so exporting the
same set twice gives the same file.

A fuzzy set is written back in its own format, its digests in the order
they were imported (duplicates and malformed lines left out):

  ssdeep                      ssdeep's CSV: its header line, then
                              digest,"file name" (as ssdeep -b prints it)
  tlsh                        one TLSH digest a line, "T1" and 70 hex digits,
                              a tab and the file name when the source gave one
                              (tlsh -r's list with TLSH 4.x's prefix)

--format may be left out for a fuzzy set of one algorithm.

` + hashsetLibraryHelp + `

` + exitStatusHelp,
		Example: `  triage hashset export agency --format stix -o agency.stix.json
  triage hashset export eicar --format md5sum
  triage hashset export near-ssdeep -o near.csv`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			all := append(slices.Clone(hashset.ExportFormats), hashset.FuzzyExportFormats...)
			if format != "" && !slices.Contains(all, format) {
				return usageErrorf("--format %q: use one of %s", format, strings.Join(all, ", "))
			}
			lib, err := common.library()
			if err != nil {
				return err
			}
			fz, err := lib.FuzzyNames()
			if err != nil {
				return err
			}
			if slices.Contains(fz, args[0]) {
				return runFuzzyExport(lib, args[0], format, output, g)
			}
			if !slices.Contains(hashset.ExportFormats, format) {
				if format == "" {
					return usageErrorf("--format is required for an exact set: use one of %s", strings.Join(hashset.ExportFormats, ", "))
				}
				return usageErrorf("--format %s is for fuzzy sets; %s is not one: use one of %s", format, args[0], strings.Join(hashset.ExportFormats, ", "))
			}
			return runHashsetExport(lib, args[0], format, output, g)
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "md5sum, sha1sum, sha256sum, plain, hashdeep, stix or misp; ssdeep or tlsh for a fuzzy set")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

func runHashsetExport(lib *hashset.Library, name, format, output string, g *globalOptions) error {
	s, err := lib.Open(name)
	if err != nil {
		if errors.Is(err, hashset.ErrNotFound) {
			return &hintError{err, "see 'triage hashset list'"}
		}
		return err
	}
	defer casework.CloseSets([]*hashset.Set{s})
	return writeExport(output, g, func(w io.Writer) error { return s.Export(w, format) })
}

func runFuzzyExport(lib *hashset.Library, name, format, output string, g *globalOptions) error {
	s, err := lib.OpenFuzzy(name)
	if err != nil {
		return err
	}
	return writeExport(output, g, func(w io.Writer) error { return s.ExportFuzzy(w, format) })
}

// writeExport runs write on standard output, or on a temporary file
// renamed to output once complete.
func writeExport(output string, g *globalOptions, write func(io.Writer) error) error {
	if output == "" {
		return write(g.Out)
	}
	f, err := os.CreateTemp(filepath.Dir(output), ".export-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), output)
}
