package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
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
The logical volumes of LVM physical volumes follow, numbered after the
partitions, with their length in sectors, type and the image sectors of
each extent; those triage cannot read (striped, mirrored, thin...) say
"not examined".
The file system of each volume follows, with its label and what it records
of itself (serial number, FAT variant, volume GUID...).

With --files, every file, folder and data stream of every supported file
system is listed without reading content, in the order a scan records them:

  VOLUME TYPE [*] INODE[:STREAM] SIZE PATH

TYPE is r/r for a file or stream and d/d for a folder; * marks a deleted
entry; INODE is the MFT entry number (NTFS), the byte offset of the
directory record in the volume (ISO 9660), the byte offset of the
directory entry in its volume (FAT, exFAT), or "slack" for a name carved
from a folder index with --ntfs-index-slack. Problems found on the way are printed on standard error and give
exit status 3.

` + exitStatusHelp,
		Example: `  triage ls disk.dd
  triage volumes usb.001
  triage ls --files --skip-metafiles disk.dd | grep '\*'
  triage ls --files --source-timezone Europe/Berlin sdcard.dd`,
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
	writeTable(w, t, img.Size())
	bad := writeFileSystems(w, g.Err, img, img.Size(), t, opts.FS)
	if err := w.Flush(); err != nil {
		return err
	}
	if len(t.Problems) > 0 || bad > 0 {
		return errPartial
	}
	return nil
}

// writeFileSystems prints the file system of each volume, with its label
// and the details it gives (serial number...), after the table:
//
//	v0  fat  label "USBSTICK"  fs_serial=1234-ABCD fs_type=FAT32 ...
//
// A file system that cannot be opened is a warning on errw; it returns
// how many.
func writeFileSystems(w io.Writer, errw io.Writer, r io.ReaderAt, size int64, t *volume.Table, opts fs.Options) int {
	fmt.Fprintln(w, "\nFile systems:")
	bad := 0
	for _, p := range t.Partitions {
		if p.Offset >= size {
			continue
		}
		sec := io.NewSectionReader(r, p.Offset, p.Length)
		f := formats.DetectAt(sec, 0)
		switch {
		case f == nil:
			continue
		case f.Open == nil:
			fmt.Fprintf(w, "v%d  %s  (not supported)\n", p.Index, f.Name)
			continue
		}
		fsys, err := f.Open(sec, p.Offset, min(p.Length, size-p.Offset), opts)
		if err != nil {
			bad++
			fmt.Fprintf(w, "v%d  %s  (cannot be opened)\n", p.Index, f.Name)
			fmt.Fprintf(errw, "triage: warning: volume %d at byte %#x: %v\n", p.Index, p.Offset, err)
			continue
		}
		line := fmt.Sprintf("v%d  %s", p.Index, f.Name)
		if l := fsys.Label(); l != "" {
			line += fmt.Sprintf("  label %q", l)
		}
		if d, ok := fsys.(fs.Detailer); ok {
			det := d.Details()
			keys := make([]string, 0, len(det))
			for k := range det {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				line += fmt.Sprintf("  %s=%v", k, det[k])
			}
		}
		fmt.Fprintln(w, line)
	}
	return bad
}

// writeTable prints t as mmls does, row for row: its header, the Meta
// rows of the tables, the partitions with their table and entry slots, and
// the unallocated ranges. An image without a partition table shows one
// volume covering it (mmls reports no table).
func writeTable(w io.Writer, t *volume.Table, size int64) {
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
	for i, r := range t.Rows(size) {
		fmt.Fprintf(w, "%03d:  %-8s  %010d   %010d   %010d   %s\n", i, r.Slot, r.Start, r.End, r.End-r.Start+1, r.Desc)
	}
	if len(t.Logical) == 0 {
		return
	}
	// The volumes that volume managers (LVM) assemble from partitions:
	// their length, and where each extent lies in the image.
	fmt.Fprintf(w, "\nLogical volumes\n      Name                  Length       Description\n")
	for _, l := range t.Logical {
		desc := l.Type
		if l.NotExamined != "" {
			desc += ": not examined (" + l.NotExamined + ")"
		}
		if l.UUID != "" {
			desc += ", UUID " + l.UUID
		}
		fmt.Fprintf(w, "%03d:  %-20s  %010d   %s\n", l.Index, l.Name, l.Length/512, desc)
		for _, e := range l.Extents {
			fmt.Fprintf(w, "      extent at %010d: image sectors %010d-%010d\n", e.Offset/512, e.Image/512, (e.Image+e.Length)/512-1)
		}
	}
}

// lsVisitor prints entries as a listing.
type lsVisitor struct {
	buf      []byte
	w        *bufio.Writer
	errw     io.Writer
	problems int
}

func (v *lsVisitor) Entry(e *triage.Entry) error {
	b := v.buf[:0]
	if e.Volume != nil {
		b = append(b, 'v')
		b = strconv.AppendInt(b, int64(*e.Volume), 10)
	} else {
		b = append(b, '-')
	}
	switch e.Type {
	case casedb.TypeDir:
		b = append(b, " d/d "...)
	case casedb.TypeSymlink:
		b = append(b, " l/l "...)
	default:
		b = append(b, " r/r "...)
	}
	if e.Deleted {
		b = append(b, "* "...)
	}
	switch {
	case e.Inode != nil:
		b = strconv.AppendUint(b, *e.Inode, 10)
	case e.Extra["ntfs_index_slack"] == true:
		b = append(b, "slack"...)
	default:
		b = append(b, '-')
	}
	if e.Stream != "" {
		b = append(b, ':')
		b = append(b, e.Stream...)
	}
	b = append(b, '\t')
	b = strconv.AppendInt(b, e.Size, 10)
	b = append(b, '\t')
	b = append(b, casedb.DisplayString(e.Path)...)
	if e.Stream != "" {
		b = append(b, ':')
		b = append(b, e.Stream...)
	}
	b = append(b, '\n')
	v.buf = b
	_, err := v.w.Write(b)
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
