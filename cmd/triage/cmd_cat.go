package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

func init() { registerCommand(newCatCommand) }

// CatOptions are the flags of `triage cat`.
type CatOptions struct {
	Volume  int
	Sector  int64
	FS      fs.Options
	Parents []string

	addr casework.Address
}

// AddFlags registers the cat flags.
func (o *CatOptions) AddFlags(f *pflag.FlagSet) {
	f.IntVar(&o.Volume, "volume", -1, "read volume `N` only (as 'triage ls' numbers them)")
	f.Int64VarP(&o.Sector, "offset", "o", -1, "read the volume that starts at sector `SECTORS` only (icat's -o, in 512-byte sectors)")
	o.FS = addFSFlags(f, "")
	addParentFlag(f, &o.Parents)
}

// validateCatArgs checks flags and arguments without touching anything.
func validateCatArgs(o *CatOptions, args []string) error {
	if len(args) != 2 {
		return usageErrorf("cat needs IMAGE and ADDRESS|PATH, got %d argument(s)", len(args))
	}
	if o.Volume >= 0 && o.Sector >= 0 {
		return usageErrorf("--volume and --offset exclude each other")
	}
	if o.Volume < -1 || o.Sector < -1 {
		return usageErrorf("--volume and --offset take a number from 0")
	}
	a, err := casework.ParseAddress(args[1])
	if err != nil {
		return usageErrorf("%v", err)
	}
	o.addr = a
	return nil
}

func newCatCommand(g *globalOptions) *cobra.Command {
	return newCatCommandWith(g, nil)
}

func newCatCommandWith(g *globalOptions, runF func(*CatOptions, []string) error) *cobra.Command {
	opts := &CatOptions{}
	cmd := &cobra.Command{
		Use:   "cat IMAGE ADDRESS|PATH",
		Short: "Write the content of one file or stream of a disk image to standard output (like icat)",
		Long: `Cat reads a disk image read-only (raw, split raw, E01, virtual disks) and
writes the content of one file or data stream to standard output, as the
Sleuth Kit's icat does. Nothing is hashed or recorded.

ADDRESS is a metadata address in the Sleuth Kit's form: the INODE column of
'triage ls --files' (the MFT entry number on NTFS, the inode on ext), or for
an NTFS data stream INODE-128-ID as fls prints it (70-128-5 is the stream
whose $DATA attribute has id 5). PATH is a path inside the image
(/docs/report.txt, a stream after a colon: /docs/ads.txt:secret).

Deleted files are written where their content can be rebuilt; when what
could be read does not cover the whole file (clusters reused, a run outside
the volume), the bytes read are written, the reason is printed on standard
error and the exit status is 3.

With several volumes, --volume N or --offset SECTORS (icat's -o) chooses
one; otherwise the first match in walk order is written.

` + exitStatusHelp,
		Example: `  triage cat disk.dd 70-128-5 > secret.bin
  triage cat disk.E01 /Users/alice/Desktop/note.txt
  triage cat -o 2048 disk.dd 36 | xxd | head`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateCatArgs(opts, args); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args)
			}
			return runCat(cmd.Context(), opts, g, args)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runCat(ctx context.Context, opts *CatOptions, g *globalOptions, args []string) error {
	bw := bufio.NewWriterSize(g.Out, 256<<10)
	res, err := casework.Cat(ctx, args[0], opts.addr, &casework.CatOptions{
		Image:   triage.ImageOptions{FS: opts.FS, Parents: opts.Parents},
		Volume:  opts.Volume,
		Sector:  opts.Sector,
		Address: tskAddress(),
	}, bw, func(err error) {})
	if ferr := bw.Flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		if errors.Is(err, casework.ErrNotFound) {
			return &hintError{err, "list the addresses and paths with 'triage ls --files " + args[0] + "'"}
		}
		return err
	}
	if res.Incomplete != "" {
		fmt.Fprintf(g.Err, "triage: warning: %s: %d of %d bytes written: %s\n", res.Path, res.Written, res.Size, triage.MessageText(res.Incomplete))
		return errPartial
	}
	return nil
}

// tskAddress gives cat the Sleuth Kit's addresses of FAT and exFAT entries,
// the ones `triage ls --files` prints (the same geometry, cmd_ls_fls.go).
func tskAddress() func(img image.Image, e *triage.Entry) (uint64, bool) {
	var v *flsVisitor
	return func(img image.Image, e *triage.Entry) (uint64, bool) {
		if e.Volume == nil || e.Inode == nil {
			return 0, false
		}
		if v == nil {
			t, _ := volume.Read(img, img.Size())
			v = &flsVisitor{img: img, table: t, geo: map[int]*flsGeometry{}}
		}
		g := v.geometry(*e.Volume)
		if (g.fs == "fat" || g.fs == "exfat") && g.fatBase > 0 && int64(*e.Inode) >= g.fatBase {
			return uint64((int64(*e.Inode)-g.fatBase)/32 + 3), true
		}
		return 0, false
	}
}
