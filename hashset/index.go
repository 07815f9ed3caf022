package hashset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Index file layout (all integers little-endian; see docs/hashsets.md):
//
//	0   8  magic "TRIAGEHS"
//	8   4  format version (1)
//	12  4  flags (0)
//	16  8  file size
//	24  8  header offset
//	32  8  header length (JSON, then 32 bytes of SHA-256)
//	40  24 reserved (zero)
//	64  ... data sections: per algorithm, sorted digests then the prefix table
//	        (2^bits+1 uint32 entries: index of the first digest whose leading
//	        bits are >= i)
//	H   ... header JSON, then SHA-256 over bytes [0,40) and the JSON
const (
	magic         = "TRIAGEHS"
	formatVersion = 1
	preambleSize  = 64
	// maxHeader bounds the JSON header an index may declare.
	maxHeader = 16 << 20
	// maxPrefixBits bounds the prefix table: 2^24 entries of 4 bytes.
	maxPrefixBits = 24
)

// Category of a hash set.
const (
	KnownBad  = "known-bad"
	Notable   = "notable"
	KnownGood = "known-good"
	Unknown   = "unknown"
)

// ValidCategory reports whether c is a set category.
func ValidCategory(c string) bool {
	return c == KnownBad || c == Notable || c == KnownGood
}

// ErrNotIndex is returned for a file that does not start with the index magic.
var ErrNotIndex = errors.New("not a triage hash-set index")

// ErrCorrupt wraps every consistency failure of an index.
var ErrCorrupt = errors.New("the hash-set index is truncated or corrupted")

// FormatError reports a malformed index at an offset.
type FormatError struct {
	Off int64
	Msg string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: %s at byte %#x", ErrCorrupt, e.Msg, e.Off)
}

func (e *FormatError) Unwrap() error { return ErrCorrupt }

// Source describes one imported file.
type Source struct {
	Name      string `json:"name"` // base name
	SHA256    string `json:"sha256"`
	Size      int64  `json:"size"`
	Format    string `json:"format"`
	Records   int64  `json:"records"`   // records that gave at least one digest
	Malformed int64  `json:"malformed"` // lines or records that could not be read
}

// Section locates the digests of one algorithm.
type Section struct {
	Algorithm    string `json:"algorithm"`
	DigestSize   int    `json:"digest_size"`
	Count        int64  `json:"count"`
	DataOffset   int64  `json:"data_offset"`
	PrefixBits   int    `json:"prefix_bits"`
	PrefixOffset int64  `json:"prefix_offset"`
	SHA256       string `json:"sha256"` // of the digests and the prefix table
}

// Header is the descriptive part of an index.
type Header struct {
	FormatVersion int              `json:"format_version"`
	Name          string           `json:"name"`
	Category      string           `json:"category"`
	Description   string           `json:"description,omitempty"`
	BuiltIn       bool             `json:"built_in,omitempty"`
	Sources       []Source         `json:"sources"`
	Counts        map[string]int64 `json:"counts"` // unique digests per algorithm
	Imported      time.Time        `json:"imported"`
	Tool          string           `json:"tool"`
	Sections      []Section        `json:"sections"`
}

// Set is an open index. Lookups are safe for concurrent use.
type Set struct {
	Header
	// HeaderSHA256 is the checksum stored in the file: the SHA-256 of the
	// preamble and the header, which records the SHA-256 of every section.
	HeaderSHA256 string
	Path         string // empty for a built-in set
	Size         int64
	// FileSHA256 is the SHA-256 of the index bytes in use, set by Check
	// (or CheckCached) along with the check of every section's checksum.
	FileSHA256 string
	// CheckedAt is when the sections were checked: by Check now, or by an
	// earlier CheckCached of the same file (device, inode, size, times).
	CheckedAt time.Time

	ident string // identity of the open file (fileIdentity), "" when unknown

	sec     [numAlgorithms]section
	mem     []byte // the mapped file, or nil when read through r
	r       io.ReaderAt
	closeFn func() error
}

type section struct {
	n      int64
	size   int
	data   int64    // offset
	bits   uint     // prefix bits
	prefix []uint32 // copied to the heap when read through r
	praw   []byte   // mapped prefix table
}

// Open opens and checks the index at path. Structure, sizes and the header
// checksum are verified; the digests themselves are checked by Verify.
func Open(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	s, err := openFile(f, fi.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path = path
	s.ident = fileIdentity(fi)
	return s, nil
}

// NewReader reads an index through r, whose size is size. The digests are
// read on demand; r must stay valid while the set is used and must be safe
// for concurrent ReadAt calls if lookups are concurrent.
func NewReader(r io.ReaderAt, size int64) (*Set, error) {
	s, err := parse(r, size, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openBytes opens an index held in memory.
func openBytes(b []byte) (*Set, error) {
	return parse(bytes.NewReader(b), int64(len(b)), b)
}

func parse(r io.ReaderAt, size int64, mem []byte) (*Set, error) {
	var pre [preambleSize]byte
	if size < preambleSize {
		if size >= int64(len(magic)) {
			if n, _ := r.ReadAt(pre[:len(magic)], 0); n == len(magic) && string(pre[:len(magic)]) != magic {
				return nil, ErrNotIndex
			}
		}
		return nil, &FormatError{size, "file too short for the preamble"}
	}
	if _, err := r.ReadAt(pre[:], 0); err != nil {
		return nil, fmt.Errorf("cannot read preamble: %w", err)
	}
	if string(pre[:8]) != magic {
		return nil, ErrNotIndex
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != formatVersion {
		return nil, fmt.Errorf("hash-set index format version %d is not supported (this build reads version %d)", v, formatVersion)
	}
	declared := int64(binary.LittleEndian.Uint64(pre[16:]))
	if declared != size {
		return nil, &FormatError{16, fmt.Sprintf("file is %d bytes, header declares %d", size, declared)}
	}
	hoff := int64(binary.LittleEndian.Uint64(pre[24:]))
	hlen := int64(binary.LittleEndian.Uint64(pre[32:]))
	if hlen < sha256.Size || hlen > maxHeader || hoff < preambleSize || hoff > size || hlen != size-hoff {
		return nil, &FormatError{24, fmt.Sprintf("header at %d length %d does not end the %d-byte file", hoff, hlen, size)}
	}
	hb := make([]byte, hlen)
	if _, err := r.ReadAt(hb, hoff); err != nil {
		return nil, fmt.Errorf("cannot read header: %w", err)
	}
	js, sum := hb[:hlen-sha256.Size], hb[hlen-sha256.Size:]
	h := sha256.New()
	h.Write(pre[:40])
	h.Write(js)
	if got := h.Sum(nil); !bytes.Equal(got, sum) {
		return nil, &FormatError{hoff + hlen - sha256.Size, "header checksum mismatch"}
	}
	s := &Set{HeaderSHA256: hex.EncodeToString(sum), Size: size, mem: mem, r: r}
	if err := json.Unmarshal(js, &s.Header); err != nil {
		return nil, &FormatError{hoff, fmt.Sprintf("bad header JSON: %v", err)}
	}
	if s.FormatVersion != formatVersion {
		return nil, &FormatError{hoff, fmt.Sprintf("header format version %d", s.FormatVersion)}
	}
	if !ValidCategory(s.Category) {
		return nil, &FormatError{hoff, fmt.Sprintf("unknown category %q", s.Category)}
	}
	seen := [numAlgorithms]bool{}
	for _, sc := range s.Sections {
		a, ok := ParseAlgorithm(sc.Algorithm)
		if !ok || seen[a] {
			return nil, &FormatError{hoff, fmt.Sprintf("bad or repeated section algorithm %q", sc.Algorithm)}
		}
		seen[a] = true
		if err := s.loadSection(a, sc, hoff); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Set) loadSection(a Algorithm, sc Section, end int64) error {
	sz := int64(a.Size())
	if sc.DigestSize != a.Size() {
		return &FormatError{sc.DataOffset, fmt.Sprintf("%s digest size %d", a, sc.DigestSize)}
	}
	if sc.Count < 0 || sc.Count > 1<<32-1 || sc.DataOffset < preambleSize || sc.DataOffset > end || sc.Count > (end-sc.DataOffset)/sz {
		return &FormatError{sc.DataOffset, fmt.Sprintf("%s section of %d digests does not fit the file", a, sc.Count)}
	}
	if sc.PrefixBits < 0 || sc.PrefixBits > maxPrefixBits {
		return &FormatError{sc.PrefixOffset, fmt.Sprintf("%s prefix table of %d bits", a, sc.PrefixBits)}
	}
	plen := (int64(1)<<sc.PrefixBits + 1) * 4
	if sc.PrefixOffset < sc.DataOffset+sc.Count*sz || sc.PrefixOffset > end || plen > end-sc.PrefixOffset {
		return &FormatError{sc.PrefixOffset, fmt.Sprintf("%s prefix table does not fit the file", a)}
	}
	if s.Counts[a.String()] != sc.Count {
		return &FormatError{sc.DataOffset, fmt.Sprintf("%s count %d differs from section count %d", a, s.Counts[a.String()], sc.Count)}
	}
	var raw []byte
	if s.mem != nil {
		raw = s.mem[sc.PrefixOffset : sc.PrefixOffset+plen]
	} else {
		raw = make([]byte, plen)
		if _, err := s.r.ReadAt(raw, sc.PrefixOffset); err != nil {
			return fmt.Errorf("cannot read %s prefix table: %w", a, err)
		}
	}
	// The table must run from 0 to count without decreasing: then every
	// bucket lies inside the section and a lookup cannot go astray.
	prev := uint32(0)
	for i := 0; i < len(raw); i += 4 {
		v := binary.LittleEndian.Uint32(raw[i:])
		if v < prev || int64(v) > sc.Count || (i == 0 && v != 0) {
			return &FormatError{sc.PrefixOffset + int64(i), fmt.Sprintf("%s prefix table is not monotonic", a)}
		}
		prev = v
	}
	if int64(prev) != sc.Count {
		return &FormatError{sc.PrefixOffset + plen - 4, fmt.Sprintf("%s prefix table ends at %d, not the count %d", a, prev, sc.Count)}
	}
	x := section{n: sc.Count, size: a.Size(), data: sc.DataOffset, bits: uint(sc.PrefixBits)}
	if s.mem != nil {
		x.praw = raw
	} else {
		x.prefix = make([]uint32, len(raw)/4)
		for i := range x.prefix {
			x.prefix[i] = binary.LittleEndian.Uint32(raw[4*i:])
		}
	}
	s.sec[a] = x
	return nil
}

// Count returns the number of unique digests of algorithm a.
func (s *Set) Count(a Algorithm) int64 { return s.sec[a].n }

// Close releases the index.
func (s *Set) Close() error {
	if s.closeFn != nil {
		f := s.closeFn
		s.closeFn = nil
		s.mem = nil
		return f()
	}
	return nil
}

// bucket returns the index range [lo, hi) of the digests sharing d's
// leading bits.
func (x *section) bucket(d []byte) (lo, hi int64) {
	p := uint64(binary.BigEndian.Uint32(d[:4]))
	i := p >> (32 - x.bits)
	if x.bits == 0 {
		i = 0
	}
	if x.praw != nil {
		return int64(binary.LittleEndian.Uint32(x.praw[4*i:])), int64(binary.LittleEndian.Uint32(x.praw[4*i+4:]))
	}
	return int64(x.prefix[i]), int64(x.prefix[i+1])
}

// Contains reports whether the set holds digest d of algorithm a. A digest
// of the wrong size is never found. A set read through ReadAt (see
// NewReader) that fails to read answers false: use Find to tell a read
// failure from a digest not in the set.
func (s *Set) Contains(a Algorithm, d []byte) bool {
	found, _ := s.Find(a, d)
	return found
}

// Find reports whether the set holds digest d of algorithm a, like
// Contains, and returns the error of a set read through ReadAt that cannot
// be read. A memory-mapped set never fails.
func (s *Set) Find(a Algorithm, d []byte) (bool, error) {
	if a >= numAlgorithms || len(d) != a.Size() {
		return false, nil
	}
	x := &s.sec[a]
	if x.n == 0 {
		return false, nil
	}
	lo, hi := x.bucket(d)
	if s.mem != nil {
		return x.containsMem(s.mem, lo, hi, d), nil
	}
	return s.containsAt(a, x, lo, hi, d)
}

// containsMem searches a bucket of the mapped file.
func (x *section) containsMem(mem []byte, lo, hi int64, d []byte) bool {
	size := int64(x.size)
	base := mem[x.data+lo*size : x.data+hi*size]
	n := hi - lo
	if n == 0 {
		return false
	}
	if n <= 64 {
		// digests are uniform: interpolate on the bits after the
		// prefix, then step to the digest (usually one cache line)
		v := binary.BigEndian.Uint64(d) << x.bits >> 32
		g := int64(v * uint64(n) >> 32)
		c := bytes.Compare(base[g*size:g*size+size], d)
		switch {
		case c == 0:
			return true
		case c < 0:
			for g++; g < n; g++ {
				if c = bytes.Compare(base[g*size:g*size+size], d); c >= 0 {
					return c == 0
				}
			}
		default:
			for g--; g >= 0; g-- {
				if c = bytes.Compare(base[g*size:g*size+size], d); c <= 0 {
					return c == 0
				}
			}
		}
		return false
	}
	// binary search in a large bucket
	l, h := int64(0), n
	for l < h {
		m := int64(uint64(l+h) >> 1)
		if bytes.Compare(base[m*size:m*size+size], d) < 0 {
			l = m + 1
		} else {
			h = m
		}
	}
	return l < n && bytes.Equal(base[l*size:l*size+size], d)
}

// containsAt searches a bucket read through ReadAt, in bounded chunks. A
// read that fails is an error, not a digest missing from the set.
func (s *Set) containsAt(a Algorithm, x *section, lo, hi int64, d []byte) (bool, error) {
	const chunk = 4096
	size := int64(x.size)
	buf := make([]byte, 0, chunk*size)
	for lo < hi {
		n := min(hi-lo, chunk)
		buf = buf[:n*size]
		off := x.data + lo*size
		if m, err := s.r.ReadAt(buf, off); m < len(buf) {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return false, fmt.Errorf("hash set %s: cannot read the %s digests at byte %#x: %w", s.Name, a, off+int64(m), err)
		}
		last := buf[(n-1)*size:]
		if c := bytes.Compare(last, d); c >= 0 {
			for i := int64(0); i < n; i++ {
				if bytes.Equal(buf[i*size:i*size+size], d) {
					return true, nil
				}
			}
			return false, nil
		}
		lo += n
	}
	return false, nil
}

// Digests calls fn with every digest of algorithm a in ascending order
// until fn returns false. The slice is only valid during the call.
func (s *Set) Digests(a Algorithm, fn func(d []byte) bool) error {
	x := &s.sec[a]
	size := int64(a.Size())
	buf := make([]byte, 4096*size)
	for off, end := x.data, x.data+x.n*size; off < end; {
		n := min(int64(len(buf)), end-off)
		var b []byte
		if s.mem != nil {
			b = s.mem[off : off+n]
		} else {
			b = buf[:n]
			if _, err := s.r.ReadAt(b, off); err != nil {
				return err
			}
		}
		for i := int64(0); i < n; i += size {
			if !fn(b[i : i+size]) {
				return nil
			}
		}
		off += n
	}
	return nil
}

// Verify recomputes the SHA-256 of every section and checks that the
// digests are strictly ascending.
func (s *Set) Verify() error {
	for _, sc := range s.Sections {
		a, _ := ParseAlgorithm(sc.Algorithm)
		h := sha256.New()
		var prev []byte
		bad := int64(-1)
		var i int64
		err := s.Digests(a, func(d []byte) bool {
			h.Write(d)
			if prev != nil && bytes.Compare(prev, d) >= 0 && bad < 0 {
				bad = i
			}
			prev = append(prev[:0], d...)
			i++
			return true
		})
		if err != nil {
			return err
		}
		if bad >= 0 {
			return &FormatError{sc.DataOffset + bad*int64(sc.DigestSize), fmt.Sprintf("%s digests out of order", a)}
		}
		plen := (int64(1)<<sc.PrefixBits + 1) * 4
		pt := make([]byte, plen)
		if _, err := s.r.ReadAt(pt, sc.PrefixOffset); err != nil {
			return err
		}
		h.Write(pt)
		if hex.EncodeToString(h.Sum(nil)) != sc.SHA256 {
			return &FormatError{sc.DataOffset, fmt.Sprintf("%s section checksum mismatch", a)}
		}
	}
	return nil
}
