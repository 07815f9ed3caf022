package main

import (
	"strconv"

	"github.com/spf13/pflag"

	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/formats"
)

// addFSFlags registers one flag per option of the file systems of the table
// formats.All: a boolean flag per switch (--skip-metafiles,
// --ntfs-index-slack...), a string flag per Text option (--fat-codepage,
// --source-timezone), with the option's usage after prefix, and returns the
// set the flags fill. A value the option's Check rejects is a flag error
// (exit status 2).
func addFSFlags(f *pflag.FlagSet, prefix string) fs.Options {
	opts := fs.Options{}
	for _, o := range formats.Options() {
		f.Var(&fsFlag{opts: opts, opt: o}, o.Name, prefix+o.Usage)
		if o.Kind == fs.Switch {
			f.Lookup(o.Name).NoOptDefVal = "true"
		}
	}
	return opts
}

// fsFlag is a file-system option as a flag.
type fsFlag struct {
	opts fs.Options
	opt  fs.Option
}

func (v *fsFlag) String() string {
	if v.opt.Kind == fs.Text {
		return v.opts.Text(v.opt)
	}
	return strconv.FormatBool(v.opts.Bool(v.opt))
}

func (v *fsFlag) Type() string {
	if v.opt.Kind == fs.Text {
		return "string"
	}
	return "bool"
}

func (v *fsFlag) IsBoolFlag() bool { return v.opt.Kind == fs.Switch }

func (v *fsFlag) Set(s string) error {
	if v.opt.Kind == fs.Text {
		if v.opt.Check != nil {
			if err := v.opt.Check(s); err != nil {
				return err
			}
		}
		v.opts[v.opt.Name] = s
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	v.opts[v.opt.Name] = b
	return nil
}
