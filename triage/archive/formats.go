package archive

import (
	"bytes"
	"strconv"
)

// HeadSize is the number of leading bytes Detect looks at (a tar header).
const HeadSize = 512

// Format is one archive format of the table.
type Format struct {
	Name string
	// Match reports whether the leading bytes (up to HeadSize, fewer for
	// a small content) are this format's.
	Match func(head []byte) bool
	// RandomAccess: the format is read through an io.ReaderAt (its
	// directory is at its end); the others are read as a stream.
	RandomAccess bool
	walk         func(w *walker, src *archiveSource) error
}

// Formats is the table of archive formats, in the order Detect tries them.
var Formats = []*Format{
	{Name: "zip", Match: isZip, RandomAccess: true, walk: walkZip},
	{Name: "7z", Match: is7z, RandomAccess: true, walk: walk7z},
	{Name: "rar", Match: isRAR, walk: walkRAR},
	{Name: "gzip", Match: isGzip, walk: walkGzip},
	{Name: "bzip2", Match: isBzip2, walk: walkBzip2},
	{Name: "xz", Match: isXz, walk: walkXz},
	{Name: "zstd", Match: isZstd, walk: walkZstd},
	{Name: "tar", Match: isTar, walk: walkTar},
}

// Detect returns the format of the archive whose leading bytes are head,
// or nil.
func Detect(head []byte) *Format {
	for _, f := range Formats {
		if f.Match(head) {
			return f
		}
	}
	return nil
}

func isZip(b []byte) bool {
	// A local file header, or the end record of an empty archive.
	return bytes.HasPrefix(b, []byte("PK\x03\x04")) || bytes.HasPrefix(b, []byte("PK\x05\x06"))
}

func is7z(b []byte) bool { return bytes.HasPrefix(b, []byte("7z\xbc\xaf\x27\x1c")) }

func isRAR(b []byte) bool {
	return bytes.HasPrefix(b, []byte("Rar!\x1a\x07\x00")) || bytes.HasPrefix(b, []byte("Rar!\x1a\x07\x01\x00"))
}

func isGzip(b []byte) bool { return len(b) >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8 }

func isBzip2(b []byte) bool {
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("BZh")) || b[3] < '1' || b[3] > '9' {
		return false
	}
	// A block header (pi) or the end of the stream (sqrt pi).
	return bytes.HasPrefix(b[4:], []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) ||
		bytes.HasPrefix(b[4:], []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})
}

func isXz(b []byte) bool { return bytes.HasPrefix(b, []byte{0xfd, '7', 'z', 'X', 'Z', 0}) }

func isZstd(b []byte) bool { return bytes.HasPrefix(b, []byte{0x28, 0xb5, 0x2f, 0xfd}) }

// isTar recognises a tar header: the POSIX or GNU magic, or for an old
// (V7) archive a valid header checksum and a name.
func isTar(b []byte) bool {
	if len(b) < HeadSize {
		return false
	}
	if bytes.Equal(b[257:263], []byte("ustar\x00")) || bytes.Equal(b[257:265], []byte("ustar  \x00")) {
		return tarChecksumOK(b)
	}
	return b[0] != 0 && tarChecksumOK(b)
}

// tarChecksumOK checks the header checksum: the sum of the header's bytes
// with the checksum field read as spaces (unsigned, or signed as some old
// tars wrote it).
func tarChecksumOK(b []byte) bool {
	field := bytes.TrimRight(bytes.TrimLeft(b[148:156], " \x00"), " \x00")
	if len(field) == 0 {
		return false
	}
	want, err := strconv.ParseInt(string(field), 8, 64)
	if err != nil {
		return false
	}
	var u, s int64
	for i, c := range b[:HeadSize] {
		if i >= 148 && i < 156 {
			c = ' '
		}
		u += int64(c)
		s += int64(int8(c))
	}
	return want == u || want == s
}
