package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { registerCommand(newGenDocsCommand) }

// newGenDocsCommand writes man pages for every command (hidden: for
// packagers).
func newGenDocsCommand(g *globalOptions) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:    "gen-docs --dir DIR",
		Short:  "Write man pages for every command",
		Hidden: true,
		Args:   noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if dir == "" {
				return usageErrorf("--dir is required")
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			hdr := &doc.GenManHeader{Title: "TRIAGE", Section: "1", Source: "triage"}
			if err := doc.GenManTree(cmd.Root(), hdr, dir); err != nil {
				return fmt.Errorf("failed to write man pages: %w", err)
			}
			fmt.Fprintf(g.Err, "triage: man pages written to %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "output `DIR`")
	return cmd
}
