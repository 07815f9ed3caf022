package ntfsfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"www.velocidex.com/golang/go-ntfs/parser"
)

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

// AttrID returns the attribute id of the stream's $DATA attribute (the
// last number of the Sleuth Kit's address 36-128-4).
func (s *Stream) AttrID() uint16 { return s.attrID }

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
	// IndexID is the attribute id of a folder's $INDEX_ROOT named $I30
	// (the Sleuth Kit's address of a folder is entry-144-id), -1 when it
	// has none.
	IndexID int
	// Offset is the image offset of the MFT entry.
	Offset int64
	// Problems are impossible values found in the entry (a stream larger
	// than its allocation or the volume): the entry is still returned,
	// with the stream cut to what can hold data and marked Unreadable.
	Problems []error
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

// ReadEntry parses MFT entry i.
func (fs *FS) ReadEntry(i int64) (*File, error) {
	var f *File
	off := fs.EntryOffset(i)
	if off < 0 || off+fs.record > fs.size {
		ioff := int64(-1) // no run of the $MFT maps the entry
		if off >= 0 {
			ioff = fs.base + off
		}
		return nil, &Error{Off: ioff, Entry: i, Msg: "MFT entry lies outside the volume or image (truncated image?)"}
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
		f = &File{Entry: i, Seq: e.Sequence_value(), InUse: flags.IsSet("ALLOCATED"), IsDir: flags.IsSet("DIRECTORY"), Offset: ioff, IndexID: -1}
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
			case 0x90: // $INDEX_ROOT
				if a.Name() == "$I30" {
					f.IndexID = int(a.Attribute_id())
				}
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
					if err := fs.checkSizes(f, s, a); err != nil {
						f.Problems = append(f.Problems, err)
					}
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
						if fs.runOutside(run.Offset, run.Length) {
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

// checkSizes checks the sizes of the first attribute of non-resident
// stream s against each other and the volume: a real size beyond the
// allocated size (or an allocation beyond the volume for a stream that is
// neither sparse nor compressed) is impossible, and reading it would hash
// zeros for as long as the size says (one flipped bit: petabytes). The
// stream is cut to its allocation and marked Unreadable, the declared size
// kept in DeclaredSize.
func (fs *FS) checkSizes(f *File, s *Stream, a *parser.NTFS_ATTRIBUTE) error {
	rsize, alloc := a.Actual_size(), a.Allocated_size()
	sparse := parser.IsSparse(a.Flags()) || parser.IsCompressed(a.Flags())
	var msg string
	switch {
	case rsize > alloc:
		msg = fmt.Sprintf("real size %d exceeds allocated size %d", rsize, alloc)
	case !sparse && alloc > uint64(fs.size):
		msg = fmt.Sprintf("allocated size %d exceeds the volume (%d bytes)", alloc, fs.size)
	default:
		return nil
	}
	what := "$DATA"
	if s.Name != "" {
		what = fmt.Sprintf("$DATA stream %q", s.Name)
	}
	limit := min(rsize, alloc)
	if !sparse {
		limit = min(limit, uint64(fs.size))
	}
	if limit > math.MaxInt64 {
		limit = 0
	}
	if s.DeclaredSize == 0 {
		s.DeclaredSize = s.Size
	}
	s.Size = min(s.Size, int64(limit))
	err := &Error{Off: f.Offset, Entry: f.Entry, Msg: fmt.Sprintf("%s: %s", what, msg)}
	s.Unreadable = fmt.Sprintf("impossible size in MFT entry %d at byte %#x: %s; read up to %d bytes", f.Entry, f.Offset, msg, s.Size)
	return err
}

// runOutside tells whether the clusters a data run maps do not all lie
// within the volume.
func (fs *FS) runOutside(off, length int64) bool {
	clusters := fs.size / fs.cluster
	return off < 0 || length < 0 || off > clusters || length > clusters-off
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
