package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

func init() { registerCommand(newLsCommand) }

// LsOptions are the flags of `triage ls`.
type LsOptions struct {
	Files bool
	// FS holds the file-system options (--skip-metafiles...).
	FS fs.Options
	// Parents are the parents of a differencing virtual disk (--parent).
	Parents []string
}

// AddFlags registers the ls flags.
func (o *LsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Files, "files", false, "list every file and stream of every volume (no hashing) instead of the partition table")
	o.FS = addFSFlags(f, "with --files: ")
	addParentFlag(f, &o.Parents)
}

func newLsCommand(g *globalOptions) *cobra.Command {
	return newLsCommandWith(g, nil)
}

func newLsCommandWith(g *globalOptions, runF func(*LsOptions, []string) error) *cobra.Command {
	opts := &LsOptions{}
	cmd := &cobra.Command{
		Use:     "ls IMAGE",
		Aliases: []string{"volumes"},
		Short:   "Print the partition table of a disk image, or list its files",
		Long: `Ls reads the volume system of IMAGE (raw, split raw or a block device) read-only
and prints it as the Sleuth Kit's mmls does: one row per partition with its
slot, first and last sector, length in sectors and type. GPT partitions show
their name. An image without a partition table shows one volume covering it.

With --files, every file, folder and data stream of every supported file
system is listed without reading content, in the order a scan records them:

  VOLUME TYPE [*] INODE[:STREAM] SIZE PATH

TYPE is r/r for a file or stream and d/d for a folder; * marks a deleted
entry; INODE is the MFT entry number, or "slack" for a name carved from a
folder index with --ntfs-index-slack. Problems found on the way are printed on standard error and give
exit status 3.

` + exitStatusHelp,
		Example: `  triage ls disk.dd
  triage volumes usb.001
  triage ls --files --skip-metafiles disk.dd | grep '\*'`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts, args)
			}
			return runLs(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runLs(ctx context.Context, opts *LsOptions, g *globalOptions, args []string) error {
	if opts.Files {
		return runLsFiles(ctx, opts, g, args[0])
	}
	img, err := image.OpenWith(args[0], image.OpenOptions{Parents: opts.Parents})
	if err != nil {
		return err
	}
	defer img.Close()
	t, err := volume.Read(img, img.Size())
	if err != nil {
		return err
	}
	for _, p := range t.Problems {
		fmt.Fprintf(g.Err, "triage: warning: %v\n", p)
	}
	w := bufio.NewWriter(g.Out)
	writeTable(w, t)
	if err := w.Flush(); err != nil {
		return err
	}
	if len(t.Problems) > 0 {
		return errPartial
	}
	return nil
}

// writeTable prints t in the layout of mmls.
func writeTable(w io.Writer, t *volume.Table) {
	switch t.Scheme {
	case volume.SchemeMBR:
		fmt.Fprintln(w, "DOS Partition Table")
	case volume.SchemeGPT:
		fmt.Fprintln(w, "GUID Partition Table (EFI)")
	default:
		fmt.Fprintln(w, "No partition table (one volume covers the image)")
	}
	fmt.Fprintf(w, "Offset Sector: 0\nUnits are in %d-byte sectors\n\n", t.SectorSize)
	fmt.Fprintln(w, "      Slot      Start        End          Length       Description")
	for _, p := range t.Partitions {
		desc := p.Type
		if t.Scheme == volume.SchemeGPT && p.Label != "" {
			desc = p.Label
		}
		fmt.Fprintf(w, "%03d:  %-8s  %010d   %010d   %010d   %s\n", p.Index, p.Slot, p.Start, p.End, p.End-p.Start+1, desc)
	}
}

// lsVisitor prints entries as a listing.
type lsVisitor struct {
	w        *bufio.Writer
	errw     io.Writer
	problems int
}

func (v *lsVisitor) Entry(e *triage.Entry) error {
	vol := "-"
	if e.Volume != nil {
		vol = fmt.Sprintf("v%d", *e.Volume)
	}
	typ := "r/r"
	if e.Type == casedb.TypeDir {
		typ = "d/d"
	}
	del := ""
	if e.Deleted {
		del = "* "
	}
	ino := "-"
	if e.Extra["ntfs_index_slack"] == true {
		ino = "slack"
	}
	if e.Inode != nil {
		ino = fmt.Sprint(*e.Inode)
	}
	p := casedb.DisplayString(e.Path)
	if e.Stream != "" {
		ino += ":" + e.Stream
		p += ":" + e.Stream
	}
	_, err := fmt.Fprintf(v.w, "%s %s %s%s\t%d\t%s\n", vol, typ, del, ino, e.Size, p)
	return err
}

func (v *lsVisitor) Problem(path string, offset int64, err error) {
	v.problems++
	fmt.Fprintf(v.errw, "triage: warning: %v\n", err)
}

func runLsFiles(ctx context.Context, opts *LsOptions, g *globalOptions, path string) error {
	src, err := triage.OpenSourceWith(path, triage.SourceOptions{As: triage.AsImage, Image: triage.ImageOptions{FS: opts.FS, Parents: opts.Parents}})
	if err != nil {
		return err
	}
	defer src.Close()
	v := &lsVisitor{w: bufio.NewWriterSize(g.Out, 256<<10), errw: g.Err}
	werr := src.Walk(ctx, v)
	if err := v.w.Flush(); err != nil && werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		if errors.Is(werr, context.Canceled) {
			return werr
		}
		return werr
	case v.problems > 0:
		return errPartial
	}
	return nil
}
