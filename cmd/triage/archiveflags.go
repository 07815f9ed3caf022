package main

import (
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/archive"
)

// addArchiveFlags registers --archives and the bomb limits of the archive
// recursion (--archive-max-...), with archive.DefaultLimits as defaults.
func addArchiveFlags(f *pflag.FlagSet, on *bool, l *archive.Limits) {
	d := archive.DefaultLimits
	f.BoolVar(on, "archives", true, "open archives found in files (zip, tar, gzip, bzip2, xz, zstd, 7z, rar; by content) and record their members; --archives=false skips them")
	f.Int64Var(&l.MemberBytes, "archive-max-member-bytes", d.MemberBytes, "stop reading one archive member after `BYTES` uncompressed and record it incomplete")
	f.Int64Var(&l.ArchiveBytes, "archive-max-bytes", d.ArchiveBytes, "stop opening one archive (nested ones included) after `BYTES` uncompressed")
	f.Int64Var(&l.Ratio, "archive-max-ratio", d.Ratio, "stop reading a member or compressed stream that expands more than `N` times (past its first MiB)")
	f.Int64Var(&l.Members, "archive-max-members", d.Members, "stop opening one archive (nested ones included) after `N` members")
	f.IntVar(&l.Depth, "archive-max-depth", d.Depth, "open archives inside archives to `N` levels")
	f.DurationVar(&l.Time, "archive-timeout", d.Time, "stop opening one archive (nested ones included) after `DURATION`")
}

// validateArchiveLimits refuses limits that are not positive.
func validateArchiveLimits(l archive.Limits) error {
	if l.MemberBytes <= 0 || l.ArchiveBytes <= 0 || l.Ratio <= 0 || l.Members <= 0 || l.Depth <= 0 || l.Time <= 0 {
		return usageErrorf("--archive-max-member-bytes, --archive-max-bytes, --archive-max-ratio, --archive-max-members, --archive-max-depth and --archive-timeout must be more than 0")
	}
	return nil
}

// archiveOptions are the engine's options for --archives; nil when off.
func archiveOptions(on bool, l archive.Limits) *triage.ArchiveOptions {
	if !on {
		return nil
	}
	return &triage.ArchiveOptions{Limits: l}
}
