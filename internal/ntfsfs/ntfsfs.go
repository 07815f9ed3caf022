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
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime/debug"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"www.velocidex.com/golang/go-ntfs/parser"
)

// Limits on what a volume may declare.
const (
	MaxMFTEntries = 1 << 26 // 64 Mi entries
	MaxPathDepth  = 1024
)

// ErrNotNTFS is returned by Open when the volume has no NTFS boot sector.
var ErrNotNTFS = errors.New("ntfs: no NTFS boot sector")

// Error is a problem found in the volume, with the volume offset of the
// bytes at fault (-1 when not known).
type Error struct {
	Off   int64
	Entry int64 // MFT entry, -1 when not tied to one
	Msg   string
	Err   error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("ntfs: ")
	if e.Entry >= 0 {
		fmt.Fprintf(&b, "MFT entry %d: ", e.Entry)
	}
	b.WriteString(e.Msg)
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.Off >= 0 {
		fmt.Fprintf(&b, " at byte %#x", e.Off)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Offset returns the volume offset of the problem.
func (e *Error) Offset() int64 { return e.Off }

// PanicError is a panic recovered from go-ntfs.
type PanicError struct {
	What  string
	Value any
	Stack string
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("ntfs parser failed while %s: %v", e.What, e.Value)
}

// guard runs fn and turns a panic into a *PanicError.
func guard(what string, fn func() error) (err error) {
	return guardEntry(what, -1, fn)
}

// guardEntry is guard for work on an MFT entry (what is completed with
// " MFT entry N" when entry >= 0): the message is only formatted on a panic.
func guardEntry(what string, entry int64, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if entry >= 0 {
				what = fmt.Sprintf("%s MFT entry %d", what, entry)
			}
			err = &PanicError{What: what, Value: r, Stack: string(debug.Stack())}
		}
	}()
	return fn()
}

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

// Entries returns the number of MFT entries.
func (fs *FS) Entries() int64 { return fs.entries }

// ClusterSize returns the cluster size in bytes.
func (fs *FS) ClusterSize() int64 { return fs.cluster }

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

// readTimes reads four FILETIMEs (created, modified, MFT changed,
// accessed) at off. go-ntfs's conversion wraps around for values before
// 1970 and turns 0 (not set) into a date; these are decoded here instead.
func readTimes(r io.ReaderAt, off int64) Times {
	b := make([]byte, 32)
	if n, _ := r.ReadAt(b, off); n < 32 {
		return Times{}
	}
	ft := func(i int) time.Time { return filetime(binary.LittleEndian.Uint64(b[8*i:])) }
	return Times{Btime: ft(0), Mtime: ft(1), Ctime: ft(2), Atime: ft(3)}
}

// filetime converts a Windows FILETIME (100 ns since 1601-01-01 UTC); 0
// means not set and gives the zero time.
func filetime(v uint64) time.Time {
	if v == 0 || v > math.MaxInt64 {
		return time.Time{}
	}
	const epochDiff = 11644473600 // seconds from 1601 to 1970
	return time.Unix(int64(v/10000000)-epochDiff, int64(v%10000000)*100).UTC()
}

// Times are the four NTFS timestamps of $STANDARD_INFORMATION or
// $FILE_NAME.
type Times struct {
	Btime, Mtime, Ctime, Atime time.Time // Ctime: MFT record change
}

// Name is one $FILE_NAME of an entry.
type Name struct {
	Parent    uint64
	ParentSeq uint16
	Name      string
	Space     string // POSIX, Win32, DOS, DOS+Win32
	Times     Times
}

// Stream is one $DATA attribute.
type Stream struct {
	Name       string // "" for the main stream
	Size       int64
	Resident   bool
	Compressed bool
	Sparse     bool
	attrID     uint16
	// Unreadable says why the content cannot be read in full ("" when it
	// can): a run outside the volume, an unsupported compression.
	Unreadable string
	// DeclaredSize is set when Size is not the attribute's declared size
	// ($BadClus:$Bad, read to its initialized size).
	DeclaredSize int64

	// What the walk already parsed, so that content is read without
	// parsing the MFT entry again: the bytes of a resident stream, or
	// the volume extents of a plain non-resident one (one attribute, not
	// compressed, not sparse) with its initialized size. Other streams
	// are opened through go-ntfs.
	resident []byte
	extents  []extent
	init     int64
	direct   bool
	nonres   int // non-resident attributes seen for this stream
}

// File is what one MFT entry holds.
type File struct {
	Entry   int64
	Seq     uint16
	InUse   bool
	IsDir   bool
	Names   []Name // all $FILE_NAME attributes
	SI      Times
	Streams []Stream
	Reparse uint32 // reparse tag, 0 when none
	// Offset is the image offset of the MFT entry.
	Offset int64
}

// PrimaryName returns the long (non-DOS) name, or the first one.
func (f *File) PrimaryName() *Name {
	for i := range f.Names {
		if f.Names[i].Space != "DOS" {
			return &f.Names[i]
		}
	}
	if len(f.Names) > 0 {
		return &f.Names[0]
	}
	return nil
}

// ErrNoEntry is returned by ReadEntry for an entry that was never used or
// is an extension record of another entry.
var ErrNoEntry = errors.New("ntfs: no file in this MFT entry")

// ReadEntry parses MFT entry i.
func (fs *FS) ReadEntry(i int64) (*File, error) {
	var f *File
	off := fs.EntryOffset(i)
	if off < 0 || off+fs.record > fs.size {
		return nil, &Error{Off: fs.base + off, Entry: i, Msg: "MFT entry lies outside the volume or image (truncated image?)"}
	}
	ioff := fs.base + off // image offset, for messages
	err := fs.lockedEntry("parsing", i, func() error {
		magic := make([]byte, 4)
		if _, err := fs.meta.DiskReader.ReadAt(magic, off); err != nil {
			return &Error{Off: ioff, Entry: i, Msg: "failed to read MFT entry", Err: err}
		}
		switch {
		case bytes.Equal(magic, []byte("FILE")):
		case bytes.Equal(magic, []byte{0, 0, 0, 0}):
			return ErrNoEntry
		default:
			return &Error{Off: ioff, Entry: i, Msg: fmt.Sprintf("bad MFT entry signature %q", magic)}
		}
		e, err := fs.meta.GetMFT(i)
		if err != nil {
			return &Error{Off: ioff, Entry: i, Msg: "corrupt MFT entry", Err: err}
		}
		if e.Base_record_reference()&0xffffffffffff != 0 {
			return ErrNoEntry
		}
		if int64(e.Mft_entry_size()) > fs.record || int64(e.Attribute_offset()) >= fs.record {
			return &Error{Off: ioff, Entry: i, Msg: fmt.Sprintf("bad MFT entry lengths (used size %d, first attribute at %d, record %d)", e.Mft_entry_size(), e.Attribute_offset(), fs.record)}
		}
		flags := e.Flags()
		f = &File{Entry: i, Seq: e.Sequence_value(), InUse: flags.IsSet("ALLOCATED"), IsDir: flags.IsSet("DIRECTORY"), Offset: ioff}
		for _, a := range uniqueAttrs(e.EnumerateAttributes(fs.meta)) {
			switch a.Type().Value {
			case parser.ATTR_TYPE_STANDARD_INFORMATION:
				// Created, modified, MFT changed, accessed at 0.
				f.SI = readTimes(a.Data(fs.meta), 0)
			case parser.ATTR_TYPE_FILE_NAME:
				d := a.Data(fs.meta)
				fn := fs.meta.Profile.FILE_NAME(d, 0)
				// The same four times follow the parent reference.
				f.Names = append(f.Names, Name{Parent: fn.MftReference(), ParentSeq: fn.Seq_num(), Name: fn.Name(),
					Space: fn.NameType().Name, Times: readTimes(d, 8)})
			case 0xc0: // $REPARSE_POINT
				b := make([]byte, 4)
				if n, _ := a.Data(fs.meta).ReadAt(b, 0); n == 4 {
					f.Reparse = binary.LittleEndian.Uint32(b)
				}
			case parser.ATTR_TYPE_DATA:
				name := a.Name()
				j := slices.IndexFunc(f.Streams, func(s Stream) bool { return s.Name == name })
				if j < 0 {
					j = len(f.Streams)
					f.Streams = append(f.Streams, Stream{Name: name, attrID: a.Attribute_id()})
				}
				s := &f.Streams[j]
				if a.IsResident() {
					s.Resident, s.Size = true, int64(a.Content_size())
					buf := make([]byte, min(int64(a.Content_size()), parser.MAX_MFT_ENTRY_SIZE))
					n, _ := a.Reader.ReadAt(buf, a.Offset+int64(a.Content_offset()))
					s.resident = buf[:n]
					continue
				}
				s.nonres++
				var runs []*parser.Run
				if a.Runlist_vcn_start() == 0 {
					s.Size = int64(a.Actual_size())
					if i == 8 && name == "$Bad" {
						// $BadClus:$Bad spans the whole volume but maps only
						// bad clusters and is never initialized: its content
						// is its initialized part, as icat reads it, not
						// gigabytes of zeros.
						s.DeclaredSize = s.Size
						s.Size = min(s.Size, int64(a.Initialized_size()))
					}
					s.attrID = a.Attribute_id()
					fl := a.Flags()
					s.Compressed, s.Sparse = parser.IsCompressed(fl), parser.IsSparse(fl)
					if s.Compressed && (a.Compression_unit_size() != 4 || fs.cluster > 4096) {
						s.Unreadable = fmt.Sprintf("unsupported NTFS compression (unit 2^%d clusters of %d bytes)", a.Compression_unit_size(), fs.cluster)
					}
				}
				if s.Unreadable == "" {
					runs = a.RunList()
					for _, run := range runs {
						if run.RelativeUrnOffset == 0 && (s.Sparse || s.Compressed) {
							continue
						}
						if run.Offset < 0 || run.Length < 0 || (run.Offset+run.Length)*fs.cluster > fs.size {
							s.Unreadable = fmt.Sprintf("data run (cluster %d, %d clusters) lies outside the volume (%d clusters)", run.Offset, run.Length, fs.size/fs.cluster)
							break
						}
					}
				}
				if a.Runlist_vcn_start() == 0 && s.Unreadable == "" && !s.Compressed && !s.Sparse {
					s.init = int64(a.Initialized_size())
					s.extents, s.direct = fs.directExtents(runs, min(s.init, s.Size))
				}
			}
		}
		for k := range f.Streams {
			s := &f.Streams[k]
			if s.nonres != 1 || s.Unreadable != "" {
				// Several extents (an $ATTRIBUTE_LIST): go-ntfs joins them.
				s.direct, s.extents = false, nil
			}
		}
		if f.Reparse == 0x80000017 { // IO_REPARSE_TAG_WOF
			for k := range f.Streams {
				if f.Streams[k].Name == "" {
					f.Streams[k].Unreadable = "Windows WOF compression (XPRESS/LZX) is not supported: the hash covers only the unnamed stream as stored"
				}
			}
		}
		return nil
	})
	if err != nil {
		var pe *PanicError
		if errors.As(err, &pe) {
			return nil, &Error{Off: ioff, Entry: i, Msg: "corrupt MFT entry", Err: err}
		}
		return nil, err
	}
	return f, nil
}

// directExtents maps the runs of a plain non-resident attribute to volume
// byte extents. It reports false when the runs do not cover need bytes or
// hold a run go-ntfs would read differently (no offset change).
func (fs *FS) directExtents(runs []*parser.Run, need int64) ([]extent, bool) {
	out := make([]extent, 0, len(runs))
	var vcn int64
	for _, run := range runs {
		if run.Length == 0 {
			continue
		}
		if run.RelativeUrnOffset == 0 || run.Offset < 0 || run.Length < 0 || run.Length > fs.size/fs.cluster {
			return nil, false
		}
		l := run.Length * fs.cluster
		out = append(out, extent{vcnOff: vcn, lcnOff: run.Offset * fs.cluster, length: l})
		vcn += l
		if vcn >= need {
			return out, true
		}
	}
	return out, vcn >= need
}

// extentReader reads a plain non-resident stream from its volume extents:
// bytes past the initialized size read as zeros, as NTFS defines them.
type extentReader struct {
	r       io.ReaderAt
	extents []extent // in stream order, contiguous from 0
	init    int64
}

func (x *extentReader) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= x.init {
			clear(p[n:])
			return len(p), nil
		}
		i := sort.Search(len(x.extents), func(i int) bool { return pos < x.extents[i].vcnOff+x.extents[i].length })
		if i == len(x.extents) {
			return n, io.EOF
		}
		e := x.extents[i]
		want := min(int64(len(p)-n), e.vcnOff+e.length-pos, x.init-pos)
		m, err := x.r.ReadAt(p[n:n+int(want)], e.lcnOff+pos-e.vcnOff)
		n += m
		if m < int(want) {
			if err == nil || errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		if err != nil && !errors.Is(err, io.EOF) {
			// A read error with the buffer filled anyway (an E01 bad
			// chunk reads as zeros): those bytes were not read, and
			// the digests cover only what came before this read.
			return n - m, err
		}
	}
	return n, nil
}

// OpenStream returns a reader of the content of stream s of f. The reader
// reads the image directly and may be used concurrently with other streams.
func (fs *FS) OpenStream(f *File, s *Stream) (*StreamReader, error) {
	switch {
	case s.Resident && s.resident != nil:
		return &StreamReader{rr: bytes.NewReader(s.resident), direct: true, size: s.Size, reason: s.Unreadable, entry: f.Entry, name: s.Name}, nil
	case s.direct:
		return &StreamReader{rr: &extentReader{r: fs.raw, extents: s.extents, init: s.init}, direct: true, size: s.Size,
			reason: s.Unreadable, entry: f.Entry, name: s.Name}, nil
	}
	var rr parser.RangeReaderAt
	err := fs.locked(fmt.Sprintf("opening stream %q of MFT entry %d", s.Name, f.Entry), func() error {
		e, err := fs.data.GetMFT(f.Entry)
		if err != nil {
			return err
		}
		rr, err = parser.OpenStream(fs.data, e, parser.ATTR_TYPE_DATA, parser.WILDCARD_STREAM_ID, s.Name)
		return err
	})
	if err != nil {
		return nil, &Error{Off: f.Offset, Entry: f.Entry, Msg: fmt.Sprintf("failed to open stream %q", s.Name), Err: err}
	}
	return &StreamReader{rr: rr, size: s.Size, reason: s.Unreadable, entry: f.Entry, name: s.Name}, nil
}

// StreamReader reads a stream sequentially. Reads end at the stream's
// declared size; a stream that yields fewer bytes fails with an error naming
// the offset.
type StreamReader struct {
	rr     io.ReaderAt
	direct bool // rr is our own reader, not go-ntfs: no panic guard needed
	size   int64
	off    int64
	entry  int64
	name   string
	reason string
}

// Read implements io.Reader.
func (r *StreamReader) Read(p []byte) (n int, err error) {
	if r.off >= r.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), r.size-r.off))
	read := func() error {
		var rerr error
		n, rerr = r.rr.ReadAt(p[:want], r.off)
		if n > want || n < 0 {
			n = 0
			return fmt.Errorf("reader returned %d bytes for %d", n, want)
		}
		if n < want && (rerr == nil || errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF)) {
			what := "data"
			if r.name != "" {
				what = fmt.Sprintf("stream %q", r.name)
			}
			rerr = fmt.Errorf("MFT entry %d: %s ends early at offset %d of %d (truncated image or bad run list): %w", r.entry, what, r.off+int64(n), r.size, io.ErrUnexpectedEOF)
		}
		return rerr
	}
	if r.direct {
		err = read()
	} else {
		err = guardEntry("reading", r.entry, read)
	}
	r.off += int64(n)
	return n, err
}

// ReadAt implements io.ReaderAt over the declared size.
func (r *StreamReader) ReadAt(p []byte, off int64) (n int, err error) {
	if off >= r.size {
		return 0, io.EOF
	}
	want := int(min(int64(len(p)), r.size-off))
	read := func() error {
		var rerr error
		n, rerr = r.rr.ReadAt(p[:want], off)
		if n > want || n < 0 {
			n = 0
		}
		return rerr
	}
	if r.direct {
		err = read()
	} else {
		err = guardEntry("reading", r.entry, read)
	}
	if err == nil && n < len(p) {
		err = io.EOF
	}
	return n, err
}

// Incomplete reports why the content read does not cover the stream.
func (r *StreamReader) Incomplete() (string, bool) { return r.reason, r.reason != "" }

// Close releases nothing; it exists for io.ReadCloser.
func (r *StreamReader) Close() error { return nil }

// Item is one file, folder or stream found by Walk.
type Item struct {
	File    *File
	Stream  *Stream // nil for a folder, or a file without $DATA
	Path    string  // full path from the volume root, "/"-separated
	Deleted bool
	Orphan  bool
	// Metafile marks NTFS system files ($MFT, $LogFile, $Extend/...).
	Metafile bool
	// Links are the full paths of the entry's other (hard link) names.
	Links []string
	// Slack is set for a name found only in a folder index's slack; File
	// is then the folder's.
	Slack *SlackName
}

// SlackName is a $FILE_NAME carved from the slack of a folder index.
type SlackName struct {
	Name  string
	Ref   uint64 // the MFT reference it holds (entry number)
	Size  int64  // the file size it records
	Times Times
}

// Walk visits every file and stream of the volume, allocated and deleted,
// in MFT entry order (the main stream first, then the named streams sorted
// by name), except entries whose folder lies further on in the $MFT, which
// come after all others; the virtual /$OrphanFiles folder is last. Problems (corrupt entries, directory
// loops) go to problem and the walk goes on.
func (fs *FS) Walk(ctx context.Context, visit func(*Item) error, problem func(error)) error {
	files := make(map[int64]*File)
	r := &resolver{fs: fs, files: files, memo: map[int64]string{5: ""}, problem: problem, maxRead: -1}
	orphans := false
	emit := func(it *Item) error {
		if it.Orphan {
			orphans = true
		}
		f := it.File
		var main *Stream
		var ads []*Stream
		for k := range f.Streams {
			if f.Streams[k].Name == "" {
				main = &f.Streams[k]
			} else {
				ads = append(ads, &f.Streams[k])
			}
		}
		sort.Slice(ads, func(a, b int) bool { return ads[a].Name < ads[b].Name })
		first := *it
		if !f.IsDir {
			first.Stream = main
		}
		if err := visit(&first); err != nil {
			return err
		}
		for _, s := range ads {
			x := *it
			x.Stream = s
			if err := visit(&x); err != nil {
				return err
			}
		}
		return nil
	}
	// Entries are emitted as they are read, so that content is hashed
	// while the $MFT is still being parsed; an entry whose folder lies
	// further on in the $MFT waits until the end.
	var pending []*File
	for i := int64(0); i < fs.entries; i++ {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f, err := fs.ReadEntry(i)
		r.maxRead = i
		if err != nil {
			if !errors.Is(err, ErrNoEntry) {
				problem(err)
			}
			continue
		}
		if len(f.Names) == 0 {
			continue // no name: nothing to place in the tree
		}
		// Only folders are kept for placing what lies below them (and
		// every entry when the index slack is carved, whose live names it
		// needs): memory grows with the folders, not the files.
		if f.IsDir || fs.IndexSlack {
			files[i] = f
		}
		if i == 5 {
			continue // the root folder itself
		}
		it, ok := r.item(f)
		if !ok {
			pending = append(pending, f)
			continue
		}
		if err := emit(it); err != nil {
			return err
		}
	}
	r.maxRead = math.MaxInt64 // every entry is read: nothing is pending now
	for _, f := range pending {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, _ := r.item(f)
		if err := emit(it); err != nil {
			return err
		}
	}
	if orphans {
		if err := visit(&Item{Path: "/$OrphanFiles", File: &File{Entry: -1, IsDir: true, InUse: true}}); err != nil {
			return err
		}
	}
	if fs.IndexSlack {
		return fs.walkSlack(ctx, r, visit, problem)
	}
	return nil
}

// walkSlack reports the names in folder index slack that no MFT entry of
// the folder holds any more (stale copies of live names are left out).
func (fs *FS) walkSlack(ctx context.Context, r *resolver, visit func(*Item) error, problem func(error)) error {
	// live[folder][name]: the names MFT entries hold. Slack copies of
	// them (left by index node splits and re-sorts) are not deleted files
	// and are not reported; the Sleuth Kit reports those whose reference
	// differs from the live entry's.
	live := map[int64]map[string]bool{}
	var dirs []int64
	for id, f := range r.files {
		for _, n := range f.Names {
			p := int64(n.Parent & 0xffffffffffff)
			if live[p] == nil {
				live[p] = map[string]bool{}
			}
			live[p][n.Name] = true
		}
		if f.IsDir && f.InUse {
			dirs = append(dirs, id)
		}
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := ctx.Err(); err != nil {
			return err
		}
		dir := ""
		if d != 5 {
			p, st := r.folder(d, r.files[d].Seq, d)
			if st != found {
				continue
			}
			dir = p
		}
		var names []SlackName
		err := fs.locked(fmt.Sprintf("carving the index slack of MFT entry %d", d), func() error {
			e, err := fs.meta.GetMFT(d)
			if err != nil {
				return err
			}
			for _, fi := range parser.ExtractI30List(fs.meta, e) {
				// Carving tries every byte offset; a real index entry is
				// 8-byte aligned and holds a clean name.
				ref, _ := strconv.ParseUint(fi.MFTId, 10, 64)
				ref &= 0xffffffffffff
				if !fi.IsSlack || fi.SlackOffset%8 != 0 || !plausibleName(fi.Name) || live[d][fi.Name] {
					continue
				}
				switch fi.NameType {
				case "POSIX", "Win32", "DOS", "DOS+Win32":
				default:
					continue
				}
				// go-ntfs's FileInfo fields hold, in order: MFT change,
				// access, creation and modification times.
				names = append(names, SlackName{Name: fi.Name, Ref: ref, Size: fi.Size,
					Times: Times{Ctime: fi.Mtime.UTC(), Atime: fi.Atime.UTC(), Btime: fi.Ctime.UTC(), Mtime: fi.Btime.UTC()}})
			}
			return nil
		})
		if err != nil {
			problem(&Error{Off: r.files[d].Offset, Entry: d, Msg: "failed to carve the folder index slack", Err: err})
			continue
		}
		seen := map[string]bool{}
		for k := range names {
			if seen[names[k].Name] {
				continue
			}
			seen[names[k].Name] = true
			if err := visit(&Item{File: r.files[d], Path: dir + "/" + names[k].Name, Deleted: true, Slack: &names[k]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// item places f in the tree; false when a folder on its path has not been
// read yet.
func (r *resolver) item(f *File) (*Item, bool) {
	n := f.PrimaryName()
	dir, st := r.folder(int64(n.Parent&0xffffffffffff), n.ParentSeq, f.Entry)
	if st == pending {
		return nil, false
	}
	it := &Item{File: f, Deleted: !f.InUse, Path: dir + "/" + n.Name}
	if st == orphan {
		it.Orphan = true
		it.Path = "/$OrphanFiles/" + n.Name
	}
	it.Metafile = f.Entry < 16 || strings.HasPrefix(it.Path, "/$Extend/")
	for k := range f.Names {
		o := &f.Names[k]
		if o == n || o.Space == "DOS" {
			continue
		}
		d, st := r.folder(int64(o.Parent&0xffffffffffff), o.ParentSeq, f.Entry)
		switch st {
		case pending:
			return nil, false
		case found:
			if p := d + "/" + o.Name; p != it.Path {
				it.Links = append(it.Links, p)
			}
		}
	}
	return it, true
}

// resolver rebuilds folder paths from parent references.
type resolver struct {
	fs      *FS
	files   map[int64]*File
	memo    map[int64]string // folder entry -> its path ("" for the root)
	bad     map[int64]bool   // folders that cannot be placed
	problem func(error)
	maxRead int64 // entries above this one are not read yet
}

// Results of resolver.folder.
const (
	found   = iota
	orphan  // the folder no longer exists, or its entry was reused
	pending // a folder on the path is further on in the $MFT
)

// folder returns the path of folder entry id, referenced with sequence
// number seq by child.
func (r *resolver) folder(id int64, seq uint16, child int64) (string, int) {
	var chain []int64
	cur, curSeq := id, seq
	for {
		var base string
		known := false
		if cur == 5 {
			base, known = "", true
		} else {
			if r.bad[cur] {
				r.markBad(chain)
				return "", orphan
			}
			pf := r.files[cur]
			if pf == nil && cur > r.maxRead {
				return "", pending
			}
			// The sequence number tells whether the entry still holds the
			// folder the reference names (a freed entry's is one more).
			if pf == nil || !pf.IsDir || !(pf.Seq == curSeq || (!pf.InUse && pf.Seq == curSeq+1)) {
				r.markBad(chain)
				return "", orphan
			}
			base, known = r.memo[cur]
			if !known {
				if slices.Contains(chain, cur) || len(chain) >= MaxPathDepth {
					r.problem(&Error{Off: pf.Offset, Entry: cur, Msg: fmt.Sprintf("directory loop or excessive depth reached from entry %d; files below are listed under /$OrphanFiles", child)})
					r.markBad(chain)
					return "", orphan
				}
				chain = append(chain, cur)
				pn := pf.PrimaryName()
				cur, curSeq = int64(pn.Parent&0xffffffffffff), pn.ParentSeq
				continue
			}
		}
		// Unwind: memoise the path of every folder on the chain.
		for k := len(chain) - 1; k >= 0; k-- {
			base = base + "/" + r.files[chain[k]].PrimaryName().Name
			r.memo[chain[k]] = base
		}
		return base, found
	}
}

func (r *resolver) markBad(chain []int64) {
	if r.bad == nil {
		r.bad = map[int64]bool{}
	}
	for _, c := range chain {
		r.bad[c] = true
	}
}

// plausibleName rejects carved names that cannot be NTFS file names: empty,
// with control characters, "/", or undecodable UTF-16.
func plausibleName(n string) bool {
	if n == "" || n == "." || n == ".." {
		return false
	}
	for _, c := range n {
		if c < 0x20 || c == '/' || c == 0x7f || c == utf8.RuneError {
			return false
		}
	}
	return true
}
