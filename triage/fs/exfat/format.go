package exfat

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/triagekit/triage/triage/fs"
)

// Format is exFAT for the scan engine.
var Format = fs.Format{Name: "exfat", Probe: probeVolume, Open: openVolume, Options: []fs.Option{fs.SourceTimezone}}

// probeVolume recognises an exFAT volume by the "EXFAT   " name of its boot
// sector, which ends in 55AA. A volume so named whose boot sector is
// otherwise bad is opened and reported as such.
func probeVolume(b []byte) bool {
	return len(b) >= 512 && b[510] == 0x55 && b[511] == 0xaa && string(b[3:11]) == "EXFAT   "
}

func openVolume(r io.ReaderAt, base, size int64, opts fs.Options) (fs.FS, error) {
	loc, err := fs.ParseZone(opts.Text(fs.SourceTimezone))
	if err != nil {
		return nil, fmt.Errorf("exfat: %w", err)
	}
	v, err := Open(r, base, size, &Options{Location: loc})
	if errors.Is(err, ErrNotExFAT) {
		return nil, &FormatError{Off: base, Msg: "boot sector cannot be read (a volume of fewer than 512 bytes?)"}
	}
	if err != nil {
		return nil, err
	}
	return &volume{v: v, zone: loc.String()}, nil
}

type volume struct {
	v       *FS
	zone    string
	assumed bool // some time had no valid UTC offset (set by Walk)
}

func (vol *volume) Label() string { return vol.v.Label }

// Details gives the serial number, the volume GUID, the revision and, once
// walked, the zone times without a UTC offset were read in.
func (vol *volume) Details() map[string]any {
	v := vol.v
	d := map[string]any{"fs_serial": fmt.Sprintf("%04X-%04X", v.Serial>>16, v.Serial&0xffff),
		"fs_revision": fmt.Sprintf("%d.%02d", v.Revision>>8, v.Revision&0xff), "fs_cluster_size": v.ClusterSize}
	if v.HasGUID {
		d["fs_guid"] = guid(v.GUID)
	}
	if vol.assumed {
		d["fs_time_zone"] = vol.zone
	}
	return d
}

// guid formats a GUID stored as on Windows (the first three fields
// little-endian).
func guid(g [16]byte) string {
	return fmt.Sprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%x-%x", g[3], g[2], g[1], g[0], g[5], g[4], g[7], g[6], g[8:10], g[10:])
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
	for i := 0; i+1 < len(it.RawName); i += 2 {
		if it.RawName[i] >= 0x80 || it.RawName[i+1] != 0 {
			x["exfat_name_raw"] = hex.EncodeToString(it.RawName)
			break
		}
	}
	if a := it.Attr.Names(); len(a) > 0 {
		x["attributes"] = a
	}
	if it.ZoneAssumed {
		x["time_zone"] = vol.zone
		vol.assumed = true
	}
	if it.Recovered != "" {
		x["recovered"] = it.Recovered
	}
	if it.NoFatChain {
		x["exfat_no_fat_chain"] = true
	}
	if it.IsDir {
		e.Type = fs.TypeDir
		e.Size = 0
		if !it.Complete {
			x["incomplete"] = it.Incomplete
		}
		return
	}
	if it.ValidSize != it.Size {
		x["exfat_valid_size"] = it.ValidSize
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

// content is an item's reader for the engine: Incomplete says why the bytes
// do not cover the whole file.
type content struct {
	*io.SectionReader
	reason string
}

func (c *content) Close() error               { return nil }
func (c *content) Incomplete() (string, bool) { return c.reason, c.reason != "" }
