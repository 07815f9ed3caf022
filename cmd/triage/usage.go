package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// caseFlag is the one way a command takes a case: as its first argument
// or as --case DIR, as scan does:
//
//	triage report case-042 -o r.html
//	triage report --case case-042 -o r.html
//
// It is the one line a command taking a case adds after building its
// cobra.Command (with Args and RunE set, DIR counted in Args). With --case,
// DIR is put first in the arguments before Args and RunE see them. The
// usage errors are the same for every command: the case given twice with
// different directories (errCaseTwice), or not at all (errNoCase).
func caseFlag(cmd *cobra.Command) { addCaseFlag(cmd, true) }

// caseOrItemsFlag is caseFlag for a command whose arguments may hold a
// case among other items (verify DIR|REPORT...): --case DIR adds the case
// first, and no argument at all is left to Args to refuse.
func caseOrItemsFlag(cmd *cobra.Command) { addCaseFlag(cmd, false) }

// errNoCase is the usage error of a command that takes a case given none.
func errNoCase() error {
	return usageErrorf("no case given: name the case directory as the first argument or with --case DIR")
}

// errCaseTwice is the usage error of a case given both as the argument
// and with --case, differently.
func errCaseTwice(arg, flag string) error {
	return usageErrorf("the case is given twice and differently: %q and --case %q (give it once)", arg, flag)
}

func addCaseFlag(cmd *cobra.Command, caseFirst bool) {
	var dir string
	cmd.Flags().StringVar(&dir, "case", "", "the case `DIR` (the same as giving DIR as the first argument)")
	validate, run := cmd.Args, cmd.RunE
	if validate == nil {
		validate = cobra.ArbitraryArgs
	}
	resolve := func(c *cobra.Command, args []string) ([]string, error) {
		if !c.Flags().Changed("case") {
			if caseFirst && len(args) == 0 && validate(c, args) != nil {
				return nil, errNoCase()
			}
			return args, nil
		}
		if dir == "" {
			return nil, usageErrorf("--case needs a directory")
		}
		if len(args) > 0 && sameDir(args[0], dir) {
			return args, nil
		}
		with := append([]string{dir}, args...)
		if validate(c, with) == nil {
			return with, nil
		}
		if len(args) > 0 && validate(c, args) == nil {
			return nil, errCaseTwice(args[0], dir)
		}
		return with, nil
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		a, err := resolve(c, args)
		if err != nil {
			return err
		}
		return validate(c, a)
	}
	cmd.RunE = func(c *cobra.Command, args []string) error {
		a, err := resolve(c, args)
		if err != nil {
			return err
		}
		return run(c, a)
	}
}

// sameDir reports whether a and b name the same directory as written
// (after cleaning and making them absolute).
func sameDir(a, b string) bool {
	if a == b {
		return true
	}
	aa, err1 := filepath.Abs(a)
	ba, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ba
}

// groupCommand makes a command that only holds subcommands print its help
// when run alone and reject an unknown subcommand as a usage error with
// suggestions (cobra runs neither check for commands below the root).
func groupCommand(cmd *cobra.Command) {
	if cmd.Runnable() || !cmd.HasSubCommands() {
		return
	}
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[groupAnnotation] = "true"
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if len(args) == 0 {
			return c.Help()
		}
		return unknownCommand(c, args[0])
	}
}

// groupAnnotation marks the commands groupCommand changed.
const groupAnnotation = "triage-group"

// unknownCommand is the usage error for an unknown subcommand name of c.
func unknownCommand(c *cobra.Command, name string) error {
	err := usageErrorf("unknown command %q for %q", name, c.CommandPath())
	if s := c.SuggestionsFor(name); len(s) > 0 {
		return &flagError{err: err.(*flagError).err, hint: "did you mean '" + c.CommandPath() + " " + s[0] + "'?"}
	}
	return err
}

var (
	unknownFlagRe      = regexp.MustCompile(`^unknown flag: --([^ =]+)`)
	unknownShorthandRe = regexp.MustCompile(`^unknown shorthand flag: '(.)'`)
)

// flagUsageError turns a flag parsing error of c into a usage error, with
// the nearest flag names of c as suggestions for an unknown flag.
func flagUsageError(c *cobra.Command, err error) error {
	if c.Annotations[groupAnnotation] != "" && c.Flags().NArg() > 0 {
		// "triage scna --case c": the flag belongs to the command
		// mistyped, which is the error to report.
		return unknownCommand(c, c.Flags().Arg(0))
	}
	msg := err.Error()
	var typed string
	if m := unknownFlagRe.FindStringSubmatch(msg); m != nil {
		typed = m[1]
	} else if m := unknownShorthandRe.FindStringSubmatch(msg); m != nil {
		typed = m[1]
	}
	if typed != "" {
		if s := suggestFlags(c.Flags(), typed); len(s) > 0 {
			return &flagError{err: err, hint: "did you mean " + strings.Join(s, " or ") + "?"}
		}
	}
	return &flagError{err: err, hint: "see '" + c.CommandPath() + " --help'"}
}

// suggestFlags returns the flags of fs (as --name) nearest to typed:
// within an edit distance of 2, or starting with it; only those at the
// smallest distance found, at most three.
func suggestFlags(fs *pflag.FlagSet, typed string) []string {
	type cand struct {
		name string
		d    int
	}
	var cs []cand
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := levenshtein(strings.ToLower(typed), f.Name)
		if len(typed) > 1 && strings.HasPrefix(f.Name, typed) && d > 1 {
			d = 1
		}
		if f.Shorthand != "" && len(typed) == 1 && strings.EqualFold(typed, f.Shorthand) {
			d = 0
		}
		if d <= 2 && d < len(f.Name) {
			cs = append(cs, cand{f.Name, d})
		}
	})
	sort.SliceStable(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i, c := range cs {
		if i == 3 || c.d > cs[0].d {
			break
		}
		out = append(out, "--"+c.name)
	}
	return out
}

// levenshtein is the edit distance between a and b (insertions,
// deletions, substitutions of bytes).
func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// flagUsages lists the flags of fs as pflag does, without Go syntax:
// boolean flags plainly (no [=true|false]), list defaults as they are
// typed on the command line ((default html), not (default [html])), and
// string defaults unquoted unless they hold spaces.
func flagUsages(fs *pflag.FlagSet) string {
	rows := flagRows(fs)
	width := 0
	for _, r := range rows {
		width = max(width, len(r.left()))
	}
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "%-*s   %s\n", width, r.left(), r.usage)
	}
	return b.String()
}

// flagRow is one flag as help and the man pages show it.
type flagRow struct {
	short, long string // "o" (or ""), "output"
	varname     string // "FILE", "" for a boolean flag
	usage       string // with its default and deprecation notes
}

// left is the flag as the help lists it: "  -o, --output FILE".
func (r flagRow) left() string {
	left := "      --" + r.long
	if r.short != "" {
		left = "  -" + r.short + ", --" + r.long
	}
	if r.varname != "" {
		left += " " + r.varname
	}
	return left
}

// flagRows lists the visible flags of fs in pflag's order, booleans
// without a value.
func flagRows(fs *pflag.FlagSet) []flagRow {
	var rows []flagRow
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		r := flagRow{long: f.Name}
		if f.Shorthand != "" && f.ShorthandDeprecated == "" {
			r.short = f.Shorthand
		}
		varname, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() != "bool" {
			r.varname = varname
		}
		if def := flagDefault(f); def != "" {
			usage += " (default " + def + ")"
		}
		if f.Deprecated != "" {
			usage += " (deprecated: " + f.Deprecated + ")"
		}
		r.usage = usage
		rows = append(rows, r)
	})
	return rows
}

// flagDefault is the default of f as typed on the command line, or ""
// when it is the zero value (or already stated in the usage text).
func flagDefault(f *pflag.Flag) string {
	def := f.DefValue
	switch typ := f.Value.Type(); {
	case typ == "bool":
		if def == "true" {
			return "true"
		}
		return ""
	case strings.HasSuffix(typ, "Slice") || strings.HasSuffix(typ, "Array"):
		def = strings.TrimSuffix(strings.TrimPrefix(def, "["), "]")
	case typ == "duration" && def == "0s", def == "0":
		return ""
	}
	if def == "" || strings.Contains(f.Usage, "(default") {
		return ""
	}
	if strings.ContainsAny(def, " \t") {
		return fmt.Sprintf("%q", def)
	}
	return def
}

// plural returns "1 one" or "n many".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// isUnknownCommand reports whether err is cobra's unknown-command error.
func isUnknownCommand(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "unknown command ") && !errors.As(err, new(*flagError))
}
