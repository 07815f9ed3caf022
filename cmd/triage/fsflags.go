package main

import (
	"strconv"

	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
)

// addFSFlags registers one boolean flag per option of the file systems of
// the table formats.All (--skip-metafiles, --ntfs-index-slack...), with the
// option's usage after prefix, and returns the set the flags fill.
func addFSFlags(f *pflag.FlagSet, prefix string) fs.Options {
	opts := fs.Options{}
	for _, o := range formats.Options() {
		f.Var(&fsFlag{opts: opts, opt: o}, o.Name, prefix+o.Usage)
		f.Lookup(o.Name).NoOptDefVal = "true"
	}
	return opts
}

// fsFlag is a file-system option as a boolean flag.
type fsFlag struct {
	opts fs.Options
	opt  fs.Option
}

func (v *fsFlag) String() string   { return strconv.FormatBool(v.opts.Bool(v.opt)) }
func (v *fsFlag) Type() string     { return "bool" }
func (v *fsFlag) IsBoolFlag() bool { return true }

func (v *fsFlag) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	v.opts[v.opt.Name] = b
	return nil
}
