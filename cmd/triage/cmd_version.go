package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/triagekit/triage/internal/buildinfo"
)

func init() { registerCommand(newVersionCommand) }

func newVersionCommand(g *globalOptions) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, Go version and platform",
		Long: `Print the identity of this triage build: version, the commit it was built
from, the Go toolchain and OS/arch. Cases and reports record the same identity,
with the SHA-256 of the executable.

` + exitStatusHelp,
		Example: "  triage version\n  triage version --json",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			bi := buildinfo.Get()
			if !asJSON {
				fmt.Fprintln(g.Out, bi.String())
				return nil
			}
			v := struct {
				buildinfo.Info
				SHA256 string `json:"sha256,omitempty"`
			}{Info: bi}
			v.SHA256, _ = buildinfo.ExecutableSHA256()
			e := json.NewEncoder(g.Out)
			e.SetIndent("", "  ")
			return e.Encode(v)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON, with the executable's SHA-256")
	return cmd
}
