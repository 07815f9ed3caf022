package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/mediahash"
)

func init() {
	registerCommand(newImageCommand)
	registerCommand(newVerifyImageCommand)
}

// ImageVerifyOptions are the flags of `triage image verify`.
type ImageVerifyOptions struct {
	ExpectMD5    string
	ExpectSHA1   string
	ExpectSHA256 string
	JSON         bool
	Workers      int
	Quiet        bool
	// Parents are the parents of a differencing virtual disk (--parent).
	Parents []string
}

// AddFlags registers the verify flags.
func (o *ImageVerifyOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.ExpectMD5, "expect-md5", "", "MD5 the media must have (hex), e.g. from an acquisition log")
	f.StringVar(&o.ExpectSHA1, "expect-sha1", "", "SHA-1 the media must have (hex)")
	f.StringVar(&o.ExpectSHA256, "expect-sha256", "", "SHA-256 the media must have (hex)")
	f.BoolVar(&o.JSON, "json", false, "print the result as JSON")
	f.IntVar(&o.Workers, "workers", 0, "parallel E01 chunk decoders (0: one per CPU)")
	f.BoolVarP(&o.Quiet, "quiet", "q", false, "show no progress bar")
	addParentFlag(f, &o.Parents)
}

// addParentFlag registers --parent, the parents of a differencing virtual
// disk.
func addParentFlag(f *pflag.FlagSet, parents *[]string) {
	f.StringArrayVar(parents, "parent", nil, "parent `FILE` of a differencing virtual disk (VHD, VHDX, VMDK snapshot, QCOW2 backing file) when it is not next to it under the name it records (repeatable)")
}

// validateImageVerify checks the expected digests.
func validateImageVerify(o *ImageVerifyOptions) error {
	for _, e := range []struct {
		flag string
		v    *string
		n    int
	}{{"--expect-md5", &o.ExpectMD5, 32}, {"--expect-sha1", &o.ExpectSHA1, 40}, {"--expect-sha256", &o.ExpectSHA256, 64}} {
		if *e.v == "" {
			continue
		}
		*e.v = strings.ToLower(strings.TrimSpace(*e.v))
		if _, err := hex.DecodeString(*e.v); err != nil || len(*e.v) != e.n {
			return usageErrorf("%s needs %d hex digits, got %q", e.flag, e.n, *e.v)
		}
	}
	if o.Workers < 0 {
		return usageErrorf("--workers must be 0 or more, got %d", o.Workers)
	}
	return nil
}

const imageVerifyLong = `Verify reads the whole media of IMAGE read-only and computes its MD5, SHA-1
and SHA-256, as ewfverify does for E01 images. IMAGE is an E01 (or SMART
S01) segment set, given by its first segment, a raw image, a split raw image
(name.001, name.000, nameaa), a block device, or a virtual disk (VHD, VHDX,
VMDK, QCOW2) read with its parents (found next to it by the name it
records, or given with --parent).

The computed digests are compared with the hashes an E01 stores (digest,
hash and xhash sections, the srce category of its header) and with
--expect-md5, --expect-sha1 and --expect-sha256. The SHA-256 of each segment
file of an E01 or split raw image is printed too, so the files themselves can
be checked later. The result is one of:

  verified        every stored or expected digest matches and the whole
                  media was read
  MISMATCH        a digest differs
  FAILED          nothing differs, but part of the media could not be read
                  (an E01 chunk that does not decompress or fails its
                  checksum, a read error); those bytes were hashed as zeros
  no stored hash  nothing to compare with (a raw image without --expect-*)

MISMATCH and FAILED exit with status 1.

`

func newImageVerifyCommand(g *globalOptions, use string, runF func(*ImageVerifyOptions, []string) error) *cobra.Command {
	opts := &ImageVerifyOptions{}
	cmd := &cobra.Command{
		Use:   use + " IMAGE",
		Short: "Hash the whole media of an image and check it against its stored hashes",
		Long:  imageVerifyLong + exitStatusHelp,
		Example: `  triage image verify disk.E01
  triage verify-image usb.dd --expect-sha256 3f1c...e2
  triage image verify disk.E01 --json | jq .check.verdict`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validateImageVerify(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts, args)
			}
			return runImageVerify(cmd.Context(), opts, g, args[0])
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func newVerifyImageCommand(g *globalOptions) *cobra.Command {
	return newImageVerifyCommand(g, "verify-image", nil)
}

// ImageInfoOptions are the flags of `triage image info`.
type ImageInfoOptions struct {
	JSON bool
	// Parents are the parents of a differencing virtual disk (--parent).
	Parents []string
}

func newImageCommand(g *globalOptions) *cobra.Command {
	return newImageCommandWith(g, nil, nil)
}

func newImageCommandWith(g *globalOptions, infoF func(*ImageInfoOptions, []string) error, verifyF func(*ImageVerifyOptions, []string) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Inspect and verify disk images (E01, raw, split raw, virtual disks)",
		Long: `Image groups the commands that look at a disk image as acquired evidence
rather than at the files in it.

` + exitStatusHelp,
		Example: "  triage image info disk.E01\n  triage image verify disk.E01",
		Args:    noArgs,
	}
	infoOpts := &ImageInfoOptions{}
	info := &cobra.Command{
		Use:   "info IMAGE",
		Short: "Print the acquisition metadata and geometry of an image",
		Long: `Info prints what IMAGE says about itself, as ewfinfo does for E01 images:
the case metadata of its header (case and evidence number, description,
examiner, notes, acquisition date, software and operating system, media
model and serial), the media geometry, the stored hashes, the read errors
the acquisition recorded, and its segment files. For a virtual disk (VHD,
VHDX, VMDK, QCOW2) it prints the format, virtual size, allocation,
identifiers and the files of its chain. For a raw or split raw image it
prints the format, size and segment files. Nothing is hashed: use
"triage image verify" for that.

Dates from an E01 header2 section are shown in UTC; an older header section
stores local time of the acquiring machine without a zone and is shown as
written. Damage that does not stop reading (a header that does not
decompress, a table replaced by its table2 copy) is printed as a warning.

` + exitStatusHelp,
		Example: "  triage image info disk.E01\n  triage image info disk.E01 --json",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if infoF != nil {
				return infoF(infoOpts, args)
			}
			return runImageInfo(cmd.Context(), infoOpts, g, args[0])
		},
	}
	info.Flags().BoolVar(&infoOpts.JSON, "json", false, "print as JSON")
	addParentFlag(info.Flags(), &infoOpts.Parents)
	cmd.AddCommand(info, newImageVerifyCommand(g, "verify", verifyF))
	return cmd
}

func openImageDescribed(path string, parents []string) (image.Image, image.Info, error) {
	img, err := image.OpenWith(path, image.OpenOptions{Parents: parents})
	if err != nil {
		return nil, image.Info{}, err
	}
	var info image.Info
	if d, ok := img.(image.Describer); ok {
		info = d.Describe()
	}
	return img, info, nil
}

func runImageInfo(ctx context.Context, opts *ImageInfoOptions, g *globalOptions, path string) error {
	img, info, err := openImageDescribed(path, opts.Parents)
	if err != nil {
		return err
	}
	defer img.Close()
	acq, _ := img.(container.AcquisitionReporter)
	if opts.JSON {
		out := map[string]any{"path": path, "format": info.Format, "size": img.Size(), "segments": info.Segments}
		if acq != nil {
			out["metadata"] = acq.AcquisitionMetadata()
		}
		enc := json.NewEncoder(g.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(g.Out, 0, 8, 2, ' ', 0)
	row := func(k, v string) {
		if v != "" {
			fmt.Fprintf(tw, "  %s:\t%s\n", k, v)
		}
	}
	fmt.Fprintf(tw, "Image\n")
	row("Path", path)
	row("Format", info.Format)
	row("Media size", report.HumanBytes(img.Size()))
	if acq != nil {
		for _, sec := range acq.AcquisitionReport() {
			fmt.Fprintf(tw, "\n%s\n", sec.Title)
			for _, r := range sec.Rows {
				row(r.Label, r.Value)
			}
		}
	}
	fmt.Fprintf(tw, "\nSegment files\n")
	for _, s := range info.Segments {
		fmt.Fprintf(tw, "  %s\t%d bytes\n", s.Path, s.Size)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	printImageProblems(g.Err, img)
	return nil
}

// printImageProblems prints the damage an image found in its own structure
// that did not stop reading, as warnings.
func printImageProblems(w io.Writer, img image.Image) {
	if p, ok := img.(container.ProblemReporter); ok {
		for _, err := range p.Problems() {
			fmt.Fprintf(w, "triage: warning: %s\n", triage.Message(err))
		}
	}
}

// segmentHash is the SHA-256 of one segment file of an image.
type segmentHash = casework.SegmentHash

// mediaProgress returns a progress callback drawing a bar on w (nil when w
// is not a terminal or quiet is set) and the function that removes it.
func mediaProgress(w io.Writer, quiet bool, total int64) (func(int64), func()) {
	if quiet || !isTerminal(w) {
		return nil, func() {}
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("hashing media"),
	)
	return func(n int64) { _ = bar.Set64(n) }, func() { _ = bar.Finish() }
}

// imageVerification is what `triage image verify --json` prints.
type imageVerification struct {
	Path     string            `json:"path"`
	Format   string            `json:"format"`
	Size     int64             `json:"size"`
	Segments []image.Segment   `json:"segments"`
	Hashes   *mediahash.Result `json:"computed"`
	Files    []segmentHash     `json:"segment_files,omitempty"`
	// ReadErrors are the sectors the acquisition could not read (E01
	// error2 section), stored as zeros and covered by the stored hashes.
	ReadErrors []sectorRange   `json:"acquisition_read_errors,omitempty"`
	Check      mediahash.Check `json:"check"`
	Seconds    float64         `json:"seconds"`
}

// sectorRange is a run of sectors a container records as not acquired.
type sectorRange struct {
	Start uint64
	Count uint64
}

// recordedDamage returns the regions img records as not acquired (see
// container.DamageRecorder).
func recordedDamage(img image.Image) []container.Damage {
	if d, ok := img.(container.DamageRecorder); ok {
		return d.RecordedDamage()
	}
	return nil
}

func runImageVerify(ctx context.Context, opts *ImageVerifyOptions, g *globalOptions, path string) error {
	img, info, err := openImageDescribed(path, opts.Parents)
	if err != nil {
		return err
	}
	defer img.Close()
	printImageProblems(g.Err, img)
	expect := []mediahash.Reference{
		{Algorithm: "md5", Value: opts.ExpectMD5, Source: "--expect-md5"},
		{Algorithm: "sha1", Value: opts.ExpectSHA1, Source: "--expect-sha1"},
		{Algorithm: "sha256", Value: opts.ExpectSHA256, Source: "--expect-sha256"},
	}
	progress, stop := mediaProgress(g.Err, opts.Quiet || opts.JSON, img.Size())
	res, check, err := casework.VerifyImage(ctx, img, opts.Workers, expect, progress)
	stop()
	if err != nil {
		return err
	}
	files, err := casework.HashSegments(ctx, img, info, res)
	if err != nil {
		return err
	}
	damage := recordedDamage(img)
	if opts.JSON {
		enc := json.NewEncoder(g.Out)
		enc.SetIndent("", "  ")
		v := imageVerification{Path: path, Format: info.Format, Size: img.Size(), Segments: info.Segments,
			Hashes: res, Files: files, Check: check, Seconds: res.Elapsed.Seconds()}
		for _, d := range damage {
			v.ReadErrors = append(v.ReadErrors, sectorRange{Start: d.Sector, Count: d.Sectors})
		}
		if err := enc.Encode(v); err != nil {
			return err
		}
	} else {
		printVerification(g.Out, path, info, res, check)
		if len(damage) > 0 {
			fmt.Fprintf(g.Out, "Note: the acquisition could not read %d sector range(s); they are stored as zeros (see triage image info)\n", len(damage))
		}
		if len(files) > 0 {
			tw := tabwriter.NewWriter(g.Out, 0, 8, 2, ' ', 0)
			fmt.Fprintf(tw, "\nSegment file\tSize\tSHA256\n")
			for _, f := range files {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", f.Path, f.Size, f.SHA256)
			}
			tw.Flush()
		}
	}
	switch check.Verdict {
	case mediahash.Mismatch, mediahash.Failed:
		return fmt.Errorf("verification of %s: %s (%s)", filepath.Base(path), check.Verdict, check.Reason)
	}
	if p, ok := img.(container.ProblemReporter); ok && len(p.Problems()) > 0 {
		// The media verified, but the container's own structure is
		// damaged (the warnings above): not a clean result.
		return errPartial
	}
	return nil
}

func printVerification(w io.Writer, path string, info image.Info, res *mediahash.Result, check mediahash.Check) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintf(tw, "Image:\t%s\n", path)
	fmt.Fprintf(tw, "Format:\t%s, %d segment file(s)\n", info.Format, len(info.Segments))
	fmt.Fprintf(tw, "Media size:\t%s\n", report.HumanBytes(res.Size))
	fmt.Fprintln(tw)
	for _, c := range check.Comparisons {
		fmt.Fprintf(tw, "%s hash stored (%s):\t%s\n", algName(c.Algorithm), c.Source, c.Value)
	}
	fmt.Fprintf(tw, "MD5 hash calculated over data:\t%s\n", res.MD5)
	fmt.Fprintf(tw, "SHA1 hash calculated over data:\t%s\n", res.SHA1)
	fmt.Fprintf(tw, "SHA256 hash calculated over data:\t%s\n", res.SHA256)
	for _, b := range res.Bad {
		fmt.Fprintf(tw, "Unreadable:\tbytes %#x-%#x: %s\n", b.Offset, b.Offset+b.Length-1, b.Error)
	}
	fmt.Fprintln(tw)
	for _, c := range check.Comparisons {
		r := "match"
		if !c.Match {
			r = "MISMATCH"
		}
		fmt.Fprintf(tw, "%s (%s):\t%s\n", algName(c.Algorithm), c.Source, r)
	}
	fmt.Fprintf(tw, "Result:\t%s\n", check.Verdict)
	tw.Flush()
}

func algName(a string) string { return strings.ToUpper(a) }
