package fat

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/triagekit/triage/triage/fs"
)

// CodePageOption chooses the OEM code page of 8.3 names (--fat-codepage).
var CodePageOption = fs.Option{
	Name:        "fat-codepage",
	Usage:       "OEM code page of FAT 8.3 names (437, 850, 852, 866, 1252)",
	Kind:        fs.Text,
	DefaultText: "437",
	Check: func(s string) error {
		if _, ok := LookupCodePage(s); !ok {
			return fmt.Errorf("unknown code page %q (known: %v)", s, CodePages())
		}
		return nil
	},
}

// Format is FAT12, FAT16 and FAT32 for the scan engine.
var Format = fs.Format{Name: "fat", Probe: probeVolume, Open: openVolume,
	Options: []fs.Option{CodePageOption, fs.SourceTimezone}}

// probeVolume recognises a FAT volume by its boot sector: the "FAT12",
// "FAT16" or "FAT32" file-system type field of its extended BPB (at 54, or
// 82 for FAT32) in a sector ending in 55AA, or, for volumes without it
// (DOS before 4.0), a BPB within the limits Probe checks. A volume known by
// its type field whose BPB is corrupt is then opened and reported as such.
func probeVolume(b []byte) bool {
	if len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa &&
		(bytes.Equal(b[54:59], []byte("FAT12")) || bytes.Equal(b[54:59], []byte("FAT16")) || bytes.Equal(b[82:87], []byte("FAT32"))) {
		return string(b[3:11]) != "NTFS    " && string(b[3:11]) != "EXFAT   "
	}
	return Probe(b)
}

// openVolume opens the volume for the engine with the examiner's code page
// and zone (checked at flag time; checked again here for other callers).
func openVolume(r io.ReaderAt, base, size int64, opts fs.Options) (fs.FS, error) {
	cp, ok := LookupCodePage(opts.Text(CodePageOption))
	if !ok {
		return nil, fmt.Errorf("fat: unknown code page %q", opts.Text(CodePageOption))
	}
	loc, err := fs.ParseZone(opts.Text(fs.SourceTimezone))
	if err != nil {
		return nil, fmt.Errorf("fat: %w", err)
	}
	v, err := Open(r, base, size, &Options{CodePage: cp, Location: loc})
	if errors.Is(err, ErrNotFAT) {
		// Recognised by its type field, refused by the BPB check.
		return nil, &FormatError{Off: base, Msg: "bad boot sector: no jump instruction or a sector smaller than 512 bytes"}
	}
	if err != nil {
		return nil, err
	}
	return &volume{v: v, zone: loc.String()}, nil
}

type volume struct {
	v    *FS
	zone string
}

func (vol *volume) Label() string { return vol.v.Label }

// Details gives the variant, serial number, OEM name, code page and the
// zone the times were read in.
func (vol *volume) Details() map[string]any {
	v := vol.v
	d := map[string]any{"fs_type": v.Type.String(), "fs_oem_name": v.OEMName, "fs_code_page": v.CodePage().Name,
		"fs_time_zone": vol.zone, "fs_cluster_size": v.ClusterSize}
	if v.HasSerial {
		d["fs_serial"] = fmt.Sprintf("%04X-%04X", v.Serial>>16, v.Serial&0xffff)
		if v.BootLabel != "" && v.BootLabel != v.Label {
			d["fs_boot_label"] = v.BootLabel
		}
	}
	return d
}

// Walk yields the items of FS.Walk as entries; see docs/images.md for the
// extra fields.
func (vol *volume) Walk(ctx context.Context, visit func(*fs.Entry) error, problem func(error)) error {
	var e fs.Entry
	return vol.v.Walk(ctx, func(it *Item) error {
		vol.entry(&e, it)
		return visit(&e)
	}, problem)
}

func (vol *volume) entry(e *fs.Entry, it *Item) {
	v := vol.v
	*e = fs.Entry{Path: it.Path, Addr: it.Entry, Type: fs.TypeFile, Size: it.Size, Deleted: it.Deleted,
		Mtime: it.Modified, Atime: it.Accessed, Btime: it.Created, Extra: map[string]any{}}
	x := e.Extra
	x["entry_offset"] = v.base + it.Entry
	if it.LongEntry >= 0 {
		x["long_entry_offset"] = v.base + it.LongEntry
	}
	if it.ShortName != it.Name {
		x["fat_short_name"] = it.ShortName
	}
	if nonASCII(it.RawName, it.LongEntry >= 0) {
		x["fat_name_raw"] = hex.EncodeToString(it.RawName)
	}
	if a := it.Attr.Names(); len(a) > 0 {
		x["attributes"] = a
	}
	if !it.Created.IsZero() || !it.Modified.IsZero() || !it.Accessed.IsZero() {
		x["time_zone"] = vol.zone
	}
	if it.Recovered != "" {
		x["recovered"] = it.Recovered
	}
	if it.IsDir {
		e.Type = fs.TypeDir
		if !it.Complete {
			x["incomplete"] = it.Incomplete
		}
		return
	}
	reason := ""
	if !it.Complete {
		reason = it.Incomplete
	}
	rd := v.Open(it)
	e.Open = func() (io.ReadCloser, error) { return &content{SectionReader: rd, reason: reason}, nil }
	itc := *it // the walk may reuse it
	e.Extents = func() []fs.Extent {
		x := v.Extents(&itc)
		if x == nil {
			return nil
		}
		out := make([]fs.Extent, len(x))
		for i, p := range x {
			out[i] = fs.Extent{Off: p.Off, VolOff: p.VolOff, Len: p.Len}
		}
		return out
	}
}

// nonASCII reports whether a raw name holds more than ASCII: UTF-16 code
// units from 0x80, or 8.3 bytes from 0x80 (a deleted entry's 0xe5).
func nonASCII(raw []byte, utf16 bool) bool {
	if utf16 {
		for i := 0; i+1 < len(raw); i += 2 {
			if raw[i] >= 0x80 || raw[i+1] != 0 {
				return true
			}
		}
		return false
	}
	for _, c := range raw {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// content is an item's reader for the engine: Incomplete says why the bytes
// do not cover the whole file.
type content struct {
	*io.SectionReader
	reason string
}

func (c *content) Close() error               { return nil }
func (c *content) Incomplete() (string, bool) { return c.reason, c.reason != "" }
