package main

import (
	"io"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casework"
)

// globalOptions are shared by every command: the I/O streams, the process
// arguments (recorded in cases and reports), and what tests fix to make
// custody logs and reports deterministic.
type globalOptions struct {
	In   io.Reader
	Out  io.Writer
	Err  io.Writer
	Args []string

	// Now is the clock of custody events and reports (nil: time.Now);
	// Host the host name they record ("": the system's).
	Now  func() time.Time
	Host string
	// ReportID and ReportTool fix the id and the tool identity of
	// reports ("" and nil: a fresh id and the running binary).
	ReportID   string
	ReportTool *report.Tool
}

// env returns the environment of the case workflows.
func (g *globalOptions) env() *casework.Env {
	return &casework.Env{Now: g.Now, Host: g.Host, KeyPassword: g.custodyKeyPassword}
}

// commandFactories lists the subcommands; each cmd_*.go file registers its
// own in an init function so that adding a command touches one file.
var commandFactories []func(*globalOptions) *cobra.Command

func registerCommand(f func(*globalOptions) *cobra.Command) {
	commandFactories = append(commandFactories, f)
}

func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:   "triage",
		Short: "Hash and classify evidence against hash sets, and report it",
		Long: `triage opens a folder or a disk image read-only, hashes and classifies every
file in it, matches the digests against known-bad and known-good hash sets,
and records everything in a case that reports are made from.

` + exitStatusHelp,
		Version:       buildinfo.Get().Version,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetVersionTemplate(buildinfo.Get().String() + "\n")
	// A hidden CPU profile, for benchmarking the tool on real evidence.
	var cpuprofile string
	var stopProfile func()
	root.PersistentFlags().StringVar(&cpuprofile, "cpuprofile", "", "write a CPU profile to `FILE`")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentPreRunE = func(cmd *cobra.Command, args []string) error {
		if err := applyConfig(cmd); err != nil {
			return err
		}
		if cpuprofile == "" {
			return nil
		}
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(cmd *cobra.Command, args []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	root.SetFlagErrorFunc(flagUsageError)
	cmds := make([]*cobra.Command, 0, len(commandFactories))
	for _, f := range commandFactories {
		cmds = append(cmds, f(g))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	root.AddCommand(cmds...)
	// Help lists flags without Go syntax (see flagUsages); commands
	// that only group subcommands reject unknown ones as usage errors.
	cobra.AddTemplateFunc("flagUsages", flagUsages)
	root.SetUsageTemplate(strings.NewReplacer(
		".LocalFlags.FlagUsages", "flagUsages .LocalFlags",
		".InheritedFlags.FlagUsages", "flagUsages .InheritedFlags",
		// A group is runnable only to reject unknown subcommands: its
		// usage is "triage case [command]" alone.
		"{{if .Runnable}}", `{{if and .Runnable (not (index .Annotations "`+groupAnnotation+`"))}}`,
	).Replace(root.UsageTemplate()))
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.SuggestionsMinimumDistance = 2
		groupCommand(c)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return root
}

// exactArgs and friends return usage errors for wrong argument counts.
func minArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return usageErrorf("%s needs at least %s, got %d", cmd.CommandPath(), plural(int64(n), "argument", "arguments"), len(args))
		}
		return nil
	}
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usageErrorf("%s needs %s, got %d", cmd.CommandPath(), plural(int64(n), "argument", "arguments"), len(args))
		}
		return nil
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) != 0 && cmd.HasSubCommands() {
		return unknownCommand(cmd, args[0])
	}
	if len(args) != 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}
