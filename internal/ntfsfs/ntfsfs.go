// Package ntfsfs lists and reads an NTFS volume through go-ntfs
// (www.velocidex.com/golang/go-ntfs), behind a panic boundary.
//
// Every call into go-ntfs goes through guard: a panic inside the parser
// becomes an error that names what was being parsed, so one corrupt entry
// costs that entry, not the scan. go-ntfs is not safe for concurrent use;
// FS serialises its own calls into it with a mutex, while stream content is
// read concurrently straight from the image.
//
// The walk covers every MFT entry, allocated or not. Paths are rebuilt
// from the parent references of $FILE_NAME; a deleted entry whose parent no
// longer exists (or was reused) is placed under /$OrphanFiles, as the Sleuth
// Kit does.
package ntfsfs

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"

	"www.velocidex.com/golang/go-ntfs/parser"
)

// Limits on what a volume may declare.
const (
	MaxMFTEntries = 1 << 26 // 64 Mi entries
	MaxPathDepth  = 1024
)

// FS is an opened NTFS volume.
type FS struct {
	mu      sync.Mutex
	meta    *parser.NTFSContext // reads metadata through a page cache
	data    *parser.NTFSContext // reads content straight from the volume
	raw     io.ReaderAt
	size    int64
	cluster int64
	record  int64
	// mftRuns maps the $MFT stream to volume offsets (bytes).
	mftRuns []extent
	entries int64
	base    int64
	Label   string
	// IndexSlack makes Walk also report names carved from the slack of
	// folder indexes ($I30) that no MFT entry holds any more.
	IndexSlack bool
}

type extent struct{ vcnOff, lcnOff, length int64 } // bytes

// Open opens the NTFS volume held in r (size bytes, offset 0 = boot sector).
// r must be safe for concurrent ReadAt. base is the offset of the volume in
// its image: error offsets are image offsets (base + volume offset).
func Open(r io.ReaderAt, base, size int64) (*FS, error) {
	boot := make([]byte, 512)
	if n, _ := r.ReadAt(boot, 0); n < 512 || !bytes.Equal(boot[3:11], []byte("NTFS    ")) {
		return nil, ErrNotNTFS
	}
	fs := &FS{raw: r, size: size, base: base}
	err := guard("opening the volume", func() error {
		paged, err := parser.NewPagedReader(r, 64*1024, 256)
		if err != nil {
			return err
		}
		ctx, err := parser.GetNTFSContext(paged, 0)
		if err != nil {
			return &Error{Off: base, Entry: -1, Msg: "failed to read boot sector and $MFT", Err: err}
		}
		fs.meta = ctx
		fs.cluster = ctx.ClusterSize
		fs.record = ctx.GetRecordSize()
		if fs.record < 256 || fs.record > 64*1024 || fs.cluster <= 0 {
			return &Error{Off: base + 0x40, Entry: -1, Msg: fmt.Sprintf("impossible MFT record size %d", fs.record)}
		}
		d := ctx.Copy()
		d.DiskReader = r
		fs.data = d
		mft0, err := ctx.GetMFT(0)
		if err != nil {
			return &Error{Off: base + int64(binary.LittleEndian.Uint64(boot[0x30:]))*fs.cluster, Entry: 0, Msg: "failed to read $MFT record", Err: err}
		}
		var total int64
		for _, a := range uniqueAttrs(mft0.EnumerateAttributes(ctx)) {
			if a.Type().Value != parser.ATTR_TYPE_DATA || a.Name() != "" || a.IsResident() {
				continue
			}
			if a.Runlist_vcn_start() == 0 {
				total = int64(a.Actual_size())
			}
			vcn := int64(a.Runlist_vcn_start()) * fs.cluster
			for _, run := range a.RunList() {
				l := run.Length * fs.cluster
				fs.mftRuns = append(fs.mftRuns, extent{vcnOff: vcn, lcnOff: run.Offset * fs.cluster, length: l})
				vcn += l
			}
		}
		sort.Slice(fs.mftRuns, func(i, j int) bool { return fs.mftRuns[i].vcnOff < fs.mftRuns[j].vcnOff })
		var mapped int64
		for _, e := range fs.mftRuns {
			if e.lcnOff >= 0 && e.lcnOff+e.length <= size {
				mapped = max(mapped, e.vcnOff+e.length)
			}
		}
		fs.entries = min(total, mapped, size) / fs.record
		fs.entries = min(fs.entries, MaxMFTEntries)
		if fs.entries <= 0 {
			return &Error{Off: -1, Entry: 0, Msg: "empty $MFT"}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	fs.Label = fs.volumeLabel()
	return fs, nil
}

// EntryOffset returns the volume offset of MFT entry i, or -1.
func (fs *FS) EntryOffset(i int64) int64 {
	off := i * fs.record
	for _, e := range fs.mftRuns {
		if off >= e.vcnOff && off < e.vcnOff+e.length {
			return e.lcnOff + off - e.vcnOff
		}
	}
	return -1
}

func (fs *FS) volumeLabel() string {
	var label string
	_ = fs.locked("reading the volume label", func() error {
		e, err := fs.meta.GetMFT(3)
		if err != nil {
			return err
		}
		for _, a := range e.EnumerateAttributes(fs.meta) {
			if a.Type().Value == 0x60 && a.IsResident() {
				b := make([]byte, min(a.Content_size(), 512))
				n, _ := a.Data(fs.meta).ReadAt(b, 0)
				label = utf16le(b[:n])
			}
		}
		return nil
	})
	return label
}

// purge lets go of what go-ntfs caches (pages of the $MFT, parsed
// entries): once a walk has read every entry, the contents are read
// from the image, and the scan that reads them after the walk would
// otherwise hold 16 MiB of pages it does not need. Later reads fill the
// cache again.
func (fs *FS) purge() {
	_ = fs.locked("releasing the caches", func() error {
		fs.meta.Purge()
		return nil
	})
}

func (fs *FS) locked(what string, fn func() error) error {
	return fs.lockedEntry(what, -1, fn)
}

func (fs *FS) lockedEntry(what string, entry int64, fn func() error) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return guardEntry(what, entry, fn)
}

// uniqueAttrs drops the duplicates that go-ntfs yields when an
// $ATTRIBUTE_LIST lists attributes of the base record too.
func uniqueAttrs(in []*parser.NTFS_ATTRIBUTE) []*parser.NTFS_ATTRIBUTE {
	type key struct {
		typ  uint64
		id   uint16
		name string
		vcn  uint64
	}
	// Entries hold a handful of attributes: a linear search beats a map.
	seen := make([]key, 0, len(in))
	out := in[:0:0]
	for _, a := range in {
		k := key{a.Type().Value, a.Attribute_id(), a.Name(), a.Runlist_vcn_start()}
		if a.IsResident() {
			k.vcn = 0
		}
		if slices.Contains(seen, k) {
			continue
		}
		seen = append(seen, k)
		out = append(out, a)
	}
	return out
}

func utf16le(b []byte) string {
	u := make([]rune, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u = append(u, rune(binary.LittleEndian.Uint16(b[i:])))
	}
	// Surrogate pairs are rare in labels; decode them properly anyway.
	var s strings.Builder
	for i := 0; i < len(u); i++ {
		r := u[i]
		if r >= 0xd800 && r < 0xdc00 && i+1 < len(u) && u[i+1] >= 0xdc00 && u[i+1] < 0xe000 {
			r = 0x10000 + (r-0xd800)<<10 + (u[i+1] - 0xdc00)
			i++
		}
		s.WriteRune(r)
	}
	return s.String()
}
