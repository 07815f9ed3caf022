package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
	"github.com/triagekit/triage/triage/fs/ntfs"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

func init() { registerCommand(newLsCommand) }

// LsOptions are the flags of `triage ls`.
type LsOptions struct {
	Files bool
	Long  bool
	JSON  bool
	// Zone is the time zone of --long's times (fls -z); Volume the one
	// volume listed by --files (-1: all).
	Zone   string
	Volume int
	// FS holds the file-system options (--skip-metafiles...).
	FS fs.Options
	// Parents are the parents of a differencing virtual disk (--parent).
	Parents []string
}

// AddFlags registers the ls flags.
func (o *LsOptions) AddFlags(f *pflag.FlagSet) {
	f.BoolVar(&o.Files, "files", false, "list every file and stream of every volume (no hashing) instead of the partition table, as fls -r -p does")
	f.BoolVarP(&o.Long, "long", "l", false, "with --files: fls -l's columns (times, size, uid, gid)")
	f.BoolVar(&o.JSON, "json", false, "print JSON: the table and file systems as one object; with --files, one object per line")
	f.StringVarP(&o.Zone, "zone", "z", "UTC", "with --long: the time `ZONE` of the times (UTC, Europe/Berlin...)")
	f.IntVar(&o.Volume, "volume", -1, "with --files: list only volume `N` (v0, v1... as ls prints them)")
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
and prints it as the Sleuth Kit's mmls does, row for row: the Meta rows of
the tables (primary and extended tables, extended partitions, GPT header
and entry array), the partitions with mmls's slots (table:entry for DOS,
the entry for GPT), first and last sector, length in sectors and type (GPT:
the partition's name), and the Unallocated ranges. An image without a
partition table shows one volume covering it.
The logical volumes of LVM physical volumes follow, numbered after the
partitions, with their length in sectors, type and the image sectors of
each extent; those triage cannot read (striped, mirrored, thin...) say
"not examined".
The file system of each volume follows, with its label and what it records
of itself (serial number, FAT variant, volume GUID...).

With --files, every file, folder and data stream of every supported file
system is listed without reading content, as the Sleuth Kit's fls -r -p
lists them:

  r/r 70-128-5:	docs/ads.txt:secret
  -/r * 76-128-2:	gone-small.txt

The types are the name's and the metadata's (r/r file, d/d folder, l/l
link, V/V and v/v the Sleuth Kit's virtual entries, - a type the deleted
metadata no longer gives); * marks a deleted entry; the address is the
Sleuth Kit's: the inode (ext), the MFT entry with its attribute type and id
(NTFS), the directory entry number (FAT, exFAT), followed by "(realloc)"
when a deleted name's inode is in use again. With -l, fls -l's columns
follow: modified, accessed, changed and created times (in UTC, or the zone
of --zone), size, uid and gid. Entries come in fls's order on FAT, exFAT
and NTFS (index order; fls follows the nodes on disk in an index of several
nodes), sorted by name within a folder on ext (fls: directory order); an image with
several volumes gets a "# vN" line before each volume's entries, and
--volume N lists one. Problems found on the way are printed on standard
error and give exit status 3.

--json prints the table as one JSON object, and with --files one JSON
object per entry (docs/images.md).

` + exitStatusHelp,
		Example: `  triage ls disk.dd
  triage volumes usb.001
  triage ls --files --skip-metafiles disk.dd | grep '\*'
  triage ls --files -l --volume 1 disk.dd
  triage ls --files --source-timezone Europe/Berlin sdcard.dd
  triage ls --json usb.001`,
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
		fmt.Fprintf(g.Err, "triage: warning: %s\n", triage.Message(p))
	}
	w := bufio.NewWriter(g.Out)
	var bad int
	if opts.JSON {
		var fss []lsFS
		fss, bad = readFileSystems(g.Err, img, img.Size(), t, opts.FS)
		if err := writeTableJSON(w, t, img.Size(), fss); err != nil {
			return err
		}
	} else {
		writeTable(w, t, img.Size())
		bad = writeFileSystems(w, g.Err, img, img.Size(), t, opts.FS)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(t.Problems) > 0 || bad > 0 {
		return errPartial
	}
	return nil
}

// lsFS is the file system of a volume, as ls reports it.
type lsFS struct {
	Volume int    `json:"volume"`
	FS     string `json:"fs"`
	Label  string `json:"label"`
	// Supported is false for a file system recognised but not read;
	// Error says why one could not be opened.
	Supported bool           `json:"supported"`
	Error     string         `json:"error,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// readFileSystems opens the file system of each volume of t. A file system
// that cannot be opened is a warning on errw; it returns how many.
func readFileSystems(errw io.Writer, r io.ReaderAt, size int64, t *volume.Table, opts fs.Options) ([]lsFS, int) {
	var out []lsFS
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
			out = append(out, lsFS{Volume: p.Index, FS: f.Name})
			continue
		}
		fsys, err := f.Open(sec, p.Offset, min(p.Length, size-p.Offset), opts)
		if err != nil {
			bad++
			out = append(out, lsFS{Volume: p.Index, FS: f.Name, Supported: true, Error: err.Error()})
			fmt.Fprintf(errw, "triage: warning: volume %d at byte %#x: %v\n", p.Index, p.Offset, err)
			continue
		}
		e := lsFS{Volume: p.Index, FS: f.Name, Label: fsys.Label(), Supported: true}
		if d, ok := fsys.(fs.Detailer); ok {
			e.Details = d.Details()
		}
		out = append(out, e)
	}
	return out, bad
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
	fss, bad := readFileSystems(errw, r, size, t, opts)
	for _, f := range fss {
		switch {
		case !f.Supported:
			fmt.Fprintf(w, "v%d  %s  (not supported)\n", f.Volume, f.FS)
			continue
		case f.Error != "":
			fmt.Fprintf(w, "v%d  %s  (cannot be opened)\n", f.Volume, f.FS)
			continue
		}
		line := fmt.Sprintf("v%d  %s", f.Volume, f.FS)
		if f.Label != "" {
			line += fmt.Sprintf("  label %q", f.Label)
		}
		keys := make([]string, 0, len(f.Details))
		for k := range f.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			line += fmt.Sprintf("  %s=%v", k, f.Details[k])
		}
		fmt.Fprintln(w, line)
	}
	return bad
}

// lsJSON is the --json form of ls (docs/images.md).
type lsJSON struct {
	Scheme      string      `json:"scheme"`
	SectorSize  int         `json:"sector_size"`
	DiskGUID    string      `json:"disk_guid,omitempty"`
	Rows        []lsJSONRow `json:"rows"`
	Logical     []lsJSONLV  `json:"logical"`
	FileSystems []lsFS      `json:"file_systems"`
	Problems    []string    `json:"problems"`
}

type lsJSONRow struct {
	Slot        string `json:"slot"`
	Start       int64  `json:"start"`
	End         int64  `json:"end"`
	Length      int64  `json:"length"`
	Description string `json:"description"`
	// Volume is the index of the row's partition (v0...), null for Meta
	// and unallocated rows.
	Volume *int   `json:"volume"`
	Type   string `json:"type,omitempty"`
	GUID   string `json:"guid,omitempty"`
}

type lsJSONLV struct {
	Volume      int    `json:"volume"`
	Name        string `json:"name"`
	UUID        string `json:"uuid,omitempty"`
	Type        string `json:"type"`
	Length      int64  `json:"length"`
	NotExamined string `json:"not_examined,omitempty"`
}

func writeTableJSON(w io.Writer, t *volume.Table, size int64, fss []lsFS) error {
	out := lsJSON{Scheme: t.Scheme, SectorSize: t.SectorSize, DiskGUID: t.DiskGUID, Rows: []lsJSONRow{}, Logical: []lsJSONLV{}, FileSystems: fss, Problems: []string{}}
	if out.FileSystems == nil {
		out.FileSystems = []lsFS{}
	}
	for _, r := range t.Rows(size) {
		row := lsJSONRow{Slot: r.Slot, Start: r.Start, End: r.End, Length: r.End - r.Start + 1, Description: r.Desc}
		if r.Partition >= 0 {
			p := t.Partitions[r.Partition]
			row.Volume, row.Type, row.GUID = &p.Index, p.Type, p.GUID
		}
		out.Rows = append(out.Rows, row)
	}
	for _, l := range t.Logical {
		out.Logical = append(out.Logical, lsJSONLV{Volume: l.Index, Name: l.Name, UUID: l.UUID, Type: l.Type, Length: l.Length, NotExamined: l.NotExamined})
	}
	for _, p := range t.Problems {
		out.Problems = append(out.Problems, p.Error())
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
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

func runLsFiles(ctx context.Context, opts *LsOptions, g *globalOptions, path string) error {
	zone, err := time.LoadLocation(opts.Zone)
	if err != nil {
		return usageErrorf("--zone %q: %v", opts.Zone, err)
	}
	src, err := triage.OpenSourceWith(path, triage.SourceOptions{As: triage.AsImage, Image: triage.ImageOptions{FS: opts.FS, Parents: opts.Parents}})
	if err != nil {
		return err
	}
	defer src.Close()
	v := &flsVisitor{w: bufio.NewWriterSize(g.Out, 256<<10), errw: g.Err, long: opts.Long, zone: zone, json: opts.JSON,
		geo: map[int]*flsGeometry{}, cur: -1, only: opts.Volume, headed: -1, slack: opts.FS.Bool(ntfs.IndexSlack)}
	if img := triage.SourceImage(src); img != nil {
		v.img = img
		if t, err := volume.Read(img, img.Size()); err == nil {
			v.table = t
			v.headers = opts.Volume < 0 && len(t.Partitions)+len(t.Logical) > 1
		}
	}
	werr := src.Walk(ctx, v)
	if werr == nil {
		v.endVolume()
	}
	if err := v.w.Flush(); err != nil && werr == nil {
		werr = err
	}
	switch {
	case werr != nil:
		return werr
	case v.problems > 0:
		return errPartial
	}
	return nil
}
