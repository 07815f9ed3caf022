package ewf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// maxHeaderText bounds the decompressed size of a header or header2 section.
const maxHeaderText = 4 << 20

// Metadata is what an image says about itself: the case metadata of the
// header2/header sections, the media geometry of the volume section, the
// stored acquisition hashes and read errors.
type Metadata struct {
	// Case metadata ("" when absent).
	CaseNumber     string
	EvidenceNumber string
	Description    string
	Examiner       string
	Notes          string
	// AcquisitionDate and SystemDate as written. header2 stores POSIX
	// seconds, header "YYYY M D h m s" in the acquiring machine's local
	// time, zone unknown.
	AcquisitionDate string
	SystemDate      string
	// AcquisitionTime and SystemTime are the parsed dates; zero when
	// absent or unparsable. Dates from a header section carry no zone and
	// are returned as if UTC (see DatesLocal).
	AcquisitionTime time.Time
	SystemTime      time.Time
	DatesLocal      bool
	Software        string // acquisition software version (av)
	OS              string // acquisition platform (ov)
	Model           string // media model (md)
	SerialNumber    string // media serial number (sn)
	DeviceLabel     string // l
	Password        string // password hash, "" or "0" when none
	Compression     string // r: b best, f fastest, n none (header only)
	// Header is the section the case metadata came from: "header2",
	// "header" or "".
	Header string
	// Main holds every identifier/value pair of the main category;
	// Source those of the srce category (EnCase 5+).
	Main   map[string]string
	Source map[string]string

	// Media geometry from the volume (or disk, data) section.
	MediaType        byte // 0 removable, 1 fixed, 3 optical, 0x0e logical, 0x10 memory
	MediaFlags       byte // 1 image file, 2 physical, 4 Fastbloc, 8 Tableau
	ChunkCount       uint32
	SectorsPerChunk  uint32
	BytesPerSector   uint32
	SectorCount      uint64
	CompressionLevel byte // 0 none, 1 good/fast, 2 best
	ErrorGranularity uint32
	GUID             [16]byte
	MediaSize        int64

	// Stored hashes, lower-case hex, "" when absent: MD5 from the hash
	// section, MD5 and SHA-1 from the digest section, and the srce
	// category's ah/sh values.
	HashMD5      string
	DigestMD5    string
	DigestSHA1   string
	XHashMD5     string // EWF-X xhash section (libewf -f ewfx)
	XHashSHA1    string
	SourceMD5    string
	SourceSHA1   string
	Segments     []string // segment file paths in order
	ReadErrors   []SectorRange
	Incomplete   bool // an incomplete section is present
	SectionTypes []string
	// Problems lists damage that did not stop reading: metadata
	// sections that do not parse, checksum mismatches in optional
	// sections, table2 used in place of a damaged table.
	Problems []error
}

// SectorRange is a run of sectors, from error2: sectors the acquisition
// could not read (and stored as zeros).
type SectorRange struct {
	Start uint64
	Count uint64
}

// StoredMD5 returns the stored media MD5: the digest section's, else the
// hash section's, else the srce category's; "" when none.
func (m *Metadata) StoredMD5() string {
	for _, s := range []string{m.DigestMD5, m.HashMD5, m.XHashMD5, m.SourceMD5} {
		if s != "" {
			return s
		}
	}
	return ""
}

// StoredSHA1 returns the stored media SHA-1 (digest section, else srce).
func (m *Metadata) StoredSHA1() string {
	for _, s := range []string{m.DigestSHA1, m.XHashSHA1} {
		if s != "" {
			return s
		}
	}
	return m.SourceSHA1
}

// decodeHeaderText inflates a header/header2 section and returns its text.
func decodeHeaderText(b []byte, header2 bool) (string, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("does not decompress: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxHeaderText+1))
	if err != nil {
		return "", fmt.Errorf("does not decompress: %w", err)
	}
	if len(raw) > maxHeaderText {
		return "", fmt.Errorf("decompresses to more than %d bytes", maxHeaderText)
	}
	if !header2 {
		if utf8.Valid(raw) {
			return string(raw), nil
		}
		// Latin-1 / Windows code page: map bytes to runes.
		rs := make([]rune, len(raw))
		for i, c := range raw {
			rs[i] = rune(c)
		}
		return string(rs), nil
	}
	if len(raw) < 2 || len(raw)%2 != 0 {
		return "", errors.New("UTF-16 text has odd length")
	}
	var order binary.ByteOrder
	switch {
	case raw[0] == 0xff && raw[1] == 0xfe:
		order = binary.LittleEndian
	case raw[0] == 0xfe && raw[1] == 0xff:
		order = binary.BigEndian
	default:
		return "", fmt.Errorf("UTF-16 text has no byte order mark (starts %#x %#x)", raw[0], raw[1])
	}
	u := make([]uint16, 0, len(raw)/2-1)
	for i := 2; i+1 < len(raw); i += 2 {
		u = append(u, order.Uint16(raw[i:]))
	}
	return string(utf16.Decode(u)), nil
}

// parseHeaderText fills m from the text of a header or header2 section.
func parseHeaderText(text string, m *Metadata) error {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	main := -1
	for i, l := range lines {
		if l == "main" {
			main = i
			break
		}
	}
	if main < 0 || main+2 >= len(lines) {
		return errors.New("no main category")
	}
	ids := strings.Split(lines[main+1], "\t")
	vals := strings.Split(lines[main+2], "\t")
	if len(vals) != len(ids) {
		return fmt.Errorf("main category has %d identifiers and %d values", len(ids), len(vals))
	}
	m.Main = make(map[string]string, len(ids))
	for i, id := range ids {
		m.Main[id] = vals[i]
	}
	for i, l := range lines {
		// srce: "0 1", identifiers, "0 0", values.
		if l == "srce" && i+4 < len(lines) {
			ids := strings.Split(lines[i+2], "\t")
			vals := strings.Split(lines[i+4], "\t")
			if len(ids) == len(vals) {
				m.Source = make(map[string]string, len(ids))
				for j, id := range ids {
					m.Source[id] = vals[j]
				}
			}
		}
	}
	v := m.Main
	m.Description, m.CaseNumber, m.EvidenceNumber = v["a"], v["c"], v["n"]
	m.Examiner, m.Notes, m.Model, m.SerialNumber = v["e"], v["t"], v["md"], v["sn"]
	m.DeviceLabel, m.Software, m.OS, m.Password, m.Compression = v["l"], v["av"], v["ov"], v["p"], v["r"]
	m.AcquisitionDate, m.SystemDate = v["m"], v["u"]
	m.AcquisitionTime, m.DatesLocal = parseHeaderDate(v["m"])
	m.SystemTime, _ = parseHeaderDate(v["u"])
	if s := m.Source; s != nil {
		m.SourceMD5 = hashValue(s["ah"], 32)
		m.SourceSHA1 = hashValue(s["sh"], 40)
	}
	return nil
}

// hashValue returns s lower-cased when it is a set hash of n hex digits.
func hashValue(s string, n int) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != n || strings.Trim(s, "0") == "" {
		return ""
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return ""
		}
	}
	return s
}

// parseHeaderDate parses POSIX seconds or "YYYY M D h m s"; local reports
// the second form, whose zone is not known.
func parseHeaderDate(s string) (t time.Time, local bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > 1<<40 {
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), false
	}
	f := strings.Fields(s)
	if len(f) != 6 {
		return time.Time{}, false
	}
	var v [6]int
	for i, x := range f {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > 9999 {
			return time.Time{}, false
		}
		v[i] = n
	}
	if v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60 {
		return time.Time{}, false
	}
	return time.Date(v[0], time.Month(v[1]), v[2], v[3], v[4], v[5], 0, time.UTC), true
}

// parseXHash reads the MD5 and SHA-1 of an EWF-X xhash section: zlib
// compressed XML <xhash><MD5>…</MD5><SHA1>…</SHA1></xhash>.
func parseXHash(b []byte, m *Metadata) error {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("does not decompress: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, maxHeaderText+1))
	if err != nil || len(raw) > maxHeaderText {
		return fmt.Errorf("does not decompress: %v", err)
	}
	var x struct {
		MD5  string `xml:"MD5"`
		SHA1 string `xml:"SHA1"`
	}
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf"))
	if err := xml.Unmarshal(raw, &x); err != nil {
		return fmt.Errorf("bad XML: %w", err)
	}
	m.XHashMD5, m.XHashSHA1 = hashValue(x.MD5, 32), hashValue(x.SHA1, 40)
	return nil
}

// parseVolume fills the geometry of m from a volume, disk or data
// section's data.
func parseVolume(b []byte, m *Metadata) (msg string, off int64) {
	le := binary.LittleEndian
	switch {
	case len(b) >= 1052:
		if want, got := le.Uint32(b[1048:1052]), adler32.Checksum(b[:1048]); want != got && want != 0 {
			return fmt.Sprintf("checksum mismatch (stored %#08x, computed %#08x)", want, got), 1048
		}
		m.MediaType = b[0]
		m.ChunkCount = le.Uint32(b[4:8])
		m.SectorsPerChunk = le.Uint32(b[8:12])
		m.BytesPerSector = le.Uint32(b[12:16])
		m.SectorCount = le.Uint64(b[16:24])
		m.MediaFlags = b[36]
		m.CompressionLevel = b[52]
		m.ErrorGranularity = le.Uint32(b[56:60])
		copy(m.GUID[:], b[64:80])
	case len(b) >= 94:
		if want, got := le.Uint32(b[90:94]), adler32.Checksum(b[:90]); want != got && want != 0 {
			return fmt.Sprintf("checksum mismatch (stored %#08x, computed %#08x)", want, got), 90
		}
		m.MediaType = 1
		m.ChunkCount = le.Uint32(b[4:8])
		m.SectorsPerChunk = le.Uint32(b[8:12])
		m.BytesPerSector = le.Uint32(b[12:16])
		m.SectorCount = uint64(le.Uint32(b[16:20]))
	default:
		return fmt.Sprintf("%d bytes, too short for a volume section", len(b)), 0
	}
	switch {
	case m.BytesPerSector == 0 || m.BytesPerSector > 1<<16:
		return fmt.Sprintf("bytes per sector %d out of range", m.BytesPerSector), 12
	case m.SectorsPerChunk == 0 || uint64(m.SectorsPerChunk)*uint64(m.BytesPerSector) > maxChunkSize:
		return fmt.Sprintf("sectors per chunk %d out of range", m.SectorsPerChunk), 8
	case m.SectorCount > 1<<62/uint64(m.BytesPerSector):
		return fmt.Sprintf("sector count %d out of range", m.SectorCount), 16
	}
	m.MediaSize = int64(m.SectorCount) * int64(m.BytesPerSector)
	return "", 0
}
