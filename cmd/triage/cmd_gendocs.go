package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

func init() { registerCommand(newGenDocsCommand) }

// newGenDocsCommand writes man pages (or markdown pages) for every command
// (hidden: for packagers).
func newGenDocsCommand(g *globalOptions) *cobra.Command {
	var dir, format string
	cmd := &cobra.Command{
		Use:   "gen-docs --dir DIR [--format man|markdown]",
		Short: "Write man pages (or markdown pages) for every command",
		Long: `Gen-docs writes one page per command into DIR: man pages in section 1
(triage.1, triage-scan.1, ...) or, with --format markdown, markdown pages
(triage.md, triage-scan.md, ...). The flags are listed as the help lists
them: a boolean flag plainly, a flag that takes a value with its value.`,
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErrorf("--dir is required")
			}
			if format != "man" && format != "markdown" {
				return usageErrorf("--format %q: use man or markdown", format)
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := writeDocs(cmd.Root(), dir, format); err != nil {
				return fmt.Errorf("failed to write the pages: %w", err)
			}
			what := "man pages"
			if format == "markdown" {
				what = "markdown pages"
			}
			fmt.Fprintf(g.Err, "triage: %s written to %s\n", what, dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "output `DIR`")
	cmd.Flags().StringVarP(&format, "format", "f", "man", "`FORMAT` of the pages: man or markdown")
	return cmd
}

// docCommands lists c and the commands below it that help shows, in
// depth-first order by name.
func docCommands(c *cobra.Command) []*cobra.Command {
	out := []*cobra.Command{c}
	subs := append([]*cobra.Command(nil), c.Commands()...)
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name() < subs[j].Name() })
	for _, s := range subs {
		if !s.IsAvailableCommand() || s.IsAdditionalHelpTopicCommand() {
			continue
		}
		out = append(out, docCommands(s)...)
	}
	return out
}

// docName is the page name of c: "triage-case-show".
func docName(c *cobra.Command) string {
	return strings.ReplaceAll(c.CommandPath(), " ", "-")
}

// docSeeAlso lists the parent and the children of c that have a page.
func docSeeAlso(c *cobra.Command) []*cobra.Command {
	var out []*cobra.Command
	if c.HasParent() {
		out = append(out, c.Parent())
	}
	for _, s := range docCommands(c)[1:] {
		if s.Parent() == c {
			out = append(out, s)
		}
	}
	return out
}

// docUseLine is the synopsis of c; a command that only groups
// subcommands shows "triage case [command]".
func docUseLine(c *cobra.Command) string {
	if c.Annotations[groupAnnotation] != "" || !c.Runnable() {
		return c.CommandPath() + " [command]"
	}
	return c.UseLine()
}

// writeDocs writes a page per command of root into dir.
func writeDocs(root *cobra.Command, dir, format string) error {
	root.InitDefaultHelpCmd()
	root.InitDefaultHelpFlag()
	for _, c := range docCommands(root) {
		c.InitDefaultHelpFlag()
		var b bytes.Buffer
		name := docName(c)
		if format == "markdown" {
			markdownPage(&b, c)
			name += ".md"
		} else {
			manPage(&b, c)
			name += ".1"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// roffText escapes s for roff: backslashes, hyphens (as \-, so that
// options copy and search as typed), characters outside ASCII (as
// \[uXXXX]) and control characters at the start of a line.
func roffText(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		}
	}
	s = b.String()
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}

// roffParagraphs writes text as roff paragraphs: a paragraph with an
// indented line (a list, a table, an example) is kept as written.
func roffParagraphs(b *bytes.Buffer, text string) {
	for _, p := range strings.Split(strings.TrimSpace(text), "\n\n") {
		p = strings.Trim(p, "\n")
		if p == "" {
			continue
		}
		pre := false
		for _, l := range strings.Split(p, "\n") {
			if strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t") {
				pre = true
			}
		}
		if pre {
			fmt.Fprintf(b, ".PP\n.nf\n%s\n.fi\n", roffText(p))
		} else {
			fmt.Fprintf(b, ".PP\n%s\n", roffText(p))
		}
	}
}

// roffFlags writes the flags of rows as a roff tagged list.
func roffFlags(b *bytes.Buffer, rows []flagRow) {
	for _, r := range rows {
		b.WriteString(".TP\n")
		if r.short != "" {
			fmt.Fprintf(b, `\fB\-%s\fR, `, roffText(r.short))
		}
		fmt.Fprintf(b, `\fB\-\-%s\fR`, roffText(r.long))
		if r.varname != "" {
			fmt.Fprintf(b, ` \fI%s\fR`, roffText(r.varname))
		}
		fmt.Fprintf(b, "\n%s\n", roffText(r.usage))
	}
}

// manPage writes the man page of c.
func manPage(b *bytes.Buffer, c *cobra.Command) {
	name := docName(c)
	fmt.Fprintf(b, ".TH \"%s\" \"1\" \"\" \"triage\" \"triage manual\"\n", strings.ToUpper(name))
	fmt.Fprintf(b, ".SH NAME\n%s \\- %s\n", roffText(name), roffText(c.Short))
	fmt.Fprintf(b, ".SH SYNOPSIS\n.nf\n\\fB%s\\fR\n.fi\n", roffText(docUseLine(c)))
	b.WriteString(".SH DESCRIPTION\n")
	desc := c.Long
	if desc == "" {
		desc = c.Short
	}
	roffParagraphs(b, desc)
	if rows := flagRows(c.NonInheritedFlags()); len(rows) > 0 {
		b.WriteString(".SH OPTIONS\n")
		roffFlags(b, rows)
	}
	if rows := flagRows(c.InheritedFlags()); len(rows) > 0 {
		b.WriteString(".SH OPTIONS INHERITED FROM PARENT COMMANDS\n")
		roffFlags(b, rows)
	}
	if c.Example != "" {
		fmt.Fprintf(b, ".SH EXAMPLES\n.PP\n.nf\n%s\n.fi\n", roffText(c.Example))
	}
	if see := docSeeAlso(c); len(see) > 0 {
		b.WriteString(".SH SEE ALSO\n")
		for i, s := range see {
			sep := ","
			if i == len(see)-1 {
				sep = ""
			}
			fmt.Fprintf(b, ".BR %s (1)%s\n", roffText(docName(s)), sep)
		}
	}
}

// markdownPage writes the markdown page of c: the help text, its flags
// listed as help lists them.
func markdownPage(b *bytes.Buffer, c *cobra.Command) {
	fmt.Fprintf(b, "# %s\n\n%s\n\n", c.CommandPath(), c.Short)
	fmt.Fprintf(b, "## Synopsis\n\n```\n%s\n```\n\n", docUseLine(c))
	if c.Long != "" {
		fmt.Fprintf(b, "```\n%s\n```\n\n", strings.TrimSpace(c.Long))
	}
	if fs := c.NonInheritedFlags(); len(flagRows(fs)) > 0 {
		fmt.Fprintf(b, "## Options\n\n```\n%s```\n\n", flagUsages(fs))
	}
	if fs := c.InheritedFlags(); len(flagRows(fs)) > 0 {
		fmt.Fprintf(b, "## Options inherited from parent commands\n\n```\n%s```\n\n", flagUsages(fs))
	}
	if c.Example != "" {
		fmt.Fprintf(b, "## Examples\n\n```\n%s\n```\n\n", c.Example)
	}
	if see := docSeeAlso(c); len(see) > 0 {
		b.WriteString("## See also\n\n")
		for _, s := range see {
			fmt.Fprintf(b, "- [%s](%s.md): %s\n", s.CommandPath(), docName(s), s.Short)
		}
	}
}
