package archive

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RAR archives are built here from the format's published structure (no
// rar tool is packaged in Debian): the RAR 5.0 archive format technote
// (rarlab.com/technote.htm) and the RAR 1.5-4.x technote (technote.txt of
// RAR 2.9-4.x), with members stored (method 0 / 0x30, "no compression").
// The archives built are listed and extracted by bsdtar (libarchive, which
// reads RAR 4 and RAR 5; Debian's 7zip is built without RAR), whose bytes
// are compared with the members walked.

type rarMember struct {
	name      string
	data      []byte
	dir       bool
	encrypted bool
	badCRC    bool // the data CRC does not match the data
	split     bool // the data continues in the next volume
}

var rarTime = time.Date(2024, 5, 6, 7, 8, 10, 0, time.UTC)

func vint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// rar5Block is a RAR 5 header: CRC32 of what follows it, the header size
// (vint) and body (type, flags and fields).
func rar5Block(body []byte) []byte {
	h := vint(nil, uint64(len(body)))
	h = append(h, body...)
	return append(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(h)), h...)
}

// makeRAR5 builds a RAR 5 archive of stored members; volume makes it the
// first volume of a multi-volume archive; encHeaders puts an archive
// encryption header first (its headers are encrypted).
func makeRAR5(volume, encHeaders bool, members ...rarMember) []byte {
	out := []byte("Rar!\x1a\x07\x01\x00")
	if encHeaders {
		// Type 4: encryption version 0, flags 0, KDF count 15, salt.
		body := []byte{4, 0, 0, 0, 15}
		out = append(out, rar5Block(append(body, make([]byte, 16)...))...)
	}
	arcFlags := byte(0)
	if volume {
		arcFlags = 1
	}
	out = append(out, rar5Block([]byte{1, 0, arcFlags})...)
	for _, m := range members {
		var extra []byte
		if m.encrypted {
			// File encryption record (type 1): version 0 (AES-256),
			// flags 0, KDF count 15, salt and IV.
			rec := vint(nil, 1)
			rec = append(rec, 0, 0, 15)
			rec = append(rec, bytes.Repeat([]byte{7}, 32)...)
			extra = append(vint(nil, uint64(len(rec))), rec...)
		}
		hflags := uint64(0x0002) // data area
		if len(extra) > 0 {
			hflags |= 0x0001
		}
		if m.split {
			hflags |= 0x0010
		}
		body := vint(nil, 2) // file header
		body = vint(body, hflags)
		if len(extra) > 0 {
			body = vint(body, uint64(len(extra)))
		}
		body = vint(body, uint64(len(m.data)))
		fflags, attr := uint64(0x0002|0x0004), uint64(0o100644) // mtime and CRC32 present
		if m.dir {
			fflags, attr = 0x0001|0x0002, 0o40755
		}
		body = vint(body, fflags)
		unpacked := uint64(len(m.data))
		if m.split {
			unpacked *= 2 // the whole member's size; this volume holds its first half
		}
		body = vint(body, unpacked)
		body = vint(body, attr)
		body = binary.LittleEndian.AppendUint32(body, uint32(rarTime.Unix()))
		if !m.dir {
			crc := crc32.ChecksumIEEE(m.data)
			if m.badCRC {
				crc ^= 1
			}
			body = binary.LittleEndian.AppendUint32(body, crc)
		}
		body = vint(body, 0) // version 0, not solid, method 0 (store), dictionary 128 KiB
		body = vint(body, 1) // host OS: Unix
		body = vint(body, uint64(len(m.name)))
		body = append(body, m.name...)
		body = append(body, extra...)
		out = append(out, rar5Block(body)...)
		out = append(out, m.data...)
	}
	endFlags := byte(0)
	if volume {
		endFlags = 1 // not the last volume
	}
	return append(out, rar5Block([]byte{5, 0, endFlags})...)
}

// rar4Block is a RAR 1.5-4.x block: HEAD_CRC (the low 16 bits of the
// CRC32 of the header from HEAD_TYPE on), HEAD_TYPE, HEAD_FLAGS,
// HEAD_SIZE and the rest of the header.
func rar4Block(typ byte, flags uint16, rest []byte) []byte {
	h := []byte{typ}
	h = binary.LittleEndian.AppendUint16(h, flags)
	h = binary.LittleEndian.AppendUint16(h, uint16(7+len(rest)))
	h = append(h, rest...)
	return append(binary.LittleEndian.AppendUint16(nil, uint16(crc32.ChecksumIEEE(h))), h...)
}

func dosTime(t time.Time) uint32 {
	return uint32(t.Year()-1980)<<25 | uint32(t.Month())<<21 | uint32(t.Day())<<16 |
		uint32(t.Hour())<<11 | uint32(t.Minute())<<5 | uint32(t.Second()/2)
}

// makeRAR4 builds a RAR 2.9-4.x archive of stored members.
func makeRAR4(members ...rarMember) []byte {
	out := []byte("Rar!\x1a\x07\x00")                         // the marker block
	out = append(out, rar4Block(0x73, 0, make([]byte, 6))...) // MAIN_HEAD: reserved fields
	for _, m := range members {
		flags := uint16(0x8000) // ADD_SIZE (PACK_SIZE) present
		attr := uint32(0o100644)
		if m.dir {
			flags |= 0x00e0
			attr = 0o40755
		}
		if m.encrypted {
			flags |= 0x0004
		}
		crc := crc32.ChecksumIEEE(m.data)
		if m.badCRC {
			crc ^= 1
		}
		rest := binary.LittleEndian.AppendUint32(nil, uint32(len(m.data))) // PACK_SIZE
		rest = binary.LittleEndian.AppendUint32(rest, uint32(len(m.data))) // UNP_SIZE
		rest = append(rest, 3)                                             // HOST_OS: Unix
		rest = binary.LittleEndian.AppendUint32(rest, crc)                 // FILE_CRC
		rest = binary.LittleEndian.AppendUint32(rest, dosTime(rarTime))    // FTIME
		rest = append(rest, 29, 0x30)                                      // UNP_VER 2.9, METHOD store
		rest = binary.LittleEndian.AppendUint16(rest, uint16(len(m.name))) // NAME_SIZE
		rest = binary.LittleEndian.AppendUint32(rest, attr)                // ATTR
		rest = append(rest, m.name...)
		out = append(out, rar4Block(0x74, flags, rest)...)
		out = append(out, m.data...)
	}
	return append(out, rar4Block(0x7b, 0x4000, nil)...) // ENDARC_HEAD
}

// bsdtar runs bsdtar (Debian package libarchive-tools) with args[0] (-tf,
// -xOf), the archive b and the rest of args; it skips the test when bsdtar is not installed.
func bsdtar(t *testing.T, b []byte, args ...string) []byte {
	t.Helper()
	if _, err := exec.LookPath("bsdtar"); err != nil {
		t.Skip("bsdtar (Debian package libarchive-tools) not installed")
	}
	// From a pipe: on a file, libarchive's seeking zip reader would take
	// a zip member for the archive. Reading these archives from a pipe,
	// bsdtar 3.6 now and then writes warnings without end (its RAR 5
	// reader, after a short read), so what it writes is capped far above what the
	// archives hold and the run is tried again.
	const tries, limit = 5, 64 << 20
	for range tries {
		out, stderr := &cappedBuffer{limit: limit}, &cappedBuffer{limit: limit}
		cmd := exec.Command("bsdtar", append([]string{args[0], "-"}, args[1:]...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(b), out, stderr
		err := cmd.Run()
		if out.over || stderr.over {
			continue
		}
		if err != nil {
			t.Fatalf("bsdtar %q: %v %s", args, err, stderr.Bytes())
		}
		return out.Bytes()
	}
	t.Skipf("bsdtar %q wrote more than %d bytes in each of %d runs: its output cannot be compared", args, limit, tries)
	return nil
}

// cappedBuffer keeps what is written up to limit and refuses the rest. It
// has no ReadFrom (an embedded bytes.Buffer's would grow without the cap).
type cappedBuffer struct {
	buf   bytes.Buffer
	limit int
	over  bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.limit {
		c.over = true
		return 0, errors.New("output over its limit")
	}
	return c.buf.Write(p)
}

func (c *cappedBuffer) Bytes() []byte { return c.buf.Bytes() }

func TestRARStored(t *testing.T) {
	text := []byte(strings.Repeat("a stored rar member\n", 300))
	exe := append([]byte("MZ"), bytes.Repeat([]byte{0x90, 1, 2}, 4000)...)
	inner := makeZip(t, file{"x.txt", []byte("inside a zip inside a rar\n"), zip.Deflate})
	members := []rarMember{
		{name: "docs", dir: true},
		{name: "docs/readme.txt", data: text},
		{name: "docs/tool.exe", data: exe},
		{name: "in.zip", data: inner},
		{name: "empty.txt"},
	}
	for _, c := range []struct {
		version string
		b       []byte
	}{{"rar5", makeRAR5(false, false, members...)}, {"rar4", makeRAR4(members...)}} {
		t.Run(c.version, func(t *testing.T) {
			g, sum := walkBytes(t, c.b, "a.rar", Options{})
			if sum.Format != "rar" || sum.Members != 6 || sum.Nested != 1 || sum.NotOpened != 0 || sum.Err != nil || len(g.problems) != 0 {
				t.Fatalf("summary %+v, problems %q", sum, g.problems)
			}
			if d := g.byPath(t, "docs"); d.Type != TypeDir || d.Key != "0" {
				t.Errorf("docs: %+v", d.Member)
			}
			for i, m := range members[1:] {
				s := g.byPath(t, m.name)
				if s.sha != sha(m.data) || s.err != nil || s.Size != int64(len(m.data)) || s.Key != string(rune('1'+i)) {
					t.Errorf("%s: sha %s err %v size %d key %s", m.name, s.sha, s.err, s.Size, s.Key)
				}
				if !s.Mtime.Equal(rarTime) {
					t.Errorf("%s: mtime %v, want %v", m.name, s.Mtime, rarTime)
				}
			}
			if x := g.byPath(t, "in.zip!/x.txt"); x.sha != sha([]byte("inside a zip inside a rar\n")) || x.Container != "in.zip" || x.Key != "3!0" {
				t.Errorf("nested: %+v", x.Member)
			}
			// bsdtar reads the archive built: it lists the same members
			// and extracts the same bytes.
			var names []string
			for _, m := range members {
				names = append(names, m.name)
			}
			if list := strings.Fields(string(bsdtar(t, c.b, "-tf"))); strings.Join(list, " ") != "docs/ "+strings.Join(names[1:], " ") &&
				strings.Join(list, " ") != strings.Join(names, " ") {
				t.Errorf("bsdtar -t lists %q, want %q", list, names)
			}
			for _, m := range members[1:] {
				if x := bsdtar(t, c.b, "-xOf", m.name); sha(x) != g.byPath(t, m.name).sha {
					t.Errorf("%s: bsdtar extracts %d bytes of another content", m.name, len(x))
				}
			}
		})
	}
}

func TestRAREncryptedMember(t *testing.T) {
	secret := bytes.Repeat([]byte{0xaa}, 32) // stands for AES blocks
	plain := []byte("not encrypted\n")
	for _, c := range []struct {
		version string
		b       []byte
	}{
		{"rar5", makeRAR5(false, false, rarMember{name: "secret.bin", data: secret, encrypted: true}, rarMember{name: "plain.txt", data: plain})},
		{"rar4", makeRAR4(rarMember{name: "secret.bin", data: secret, encrypted: true}, rarMember{name: "plain.txt", data: plain})},
	} {
		t.Run(c.version, func(t *testing.T) {
			g, sum := walkBytes(t, c.b, "e.rar", Options{})
			m := g.byPath(t, "secret.bin")
			if !m.Encrypted || !errors.Is(m.Err, ErrEncrypted) || m.sha != "" {
				t.Errorf("secret.bin: %+v", m.Member)
			}
			if p := g.byPath(t, "plain.txt"); p.sha != sha(plain) {
				t.Errorf("plain.txt: %s %v", p.sha, p.err)
			}
			if sum.NotOpened != 1 || sum.Err != nil {
				t.Errorf("summary %+v", sum)
			}
			// bsdtar reads the archive built (it does not tell encrypted
			// members).
			if list := string(bsdtar(t, c.b, "-tf")); list != "secret.bin\nplain.txt\n" {
				t.Errorf("bsdtar -t: %q", list)
			}
		})
	}
}

func TestRAREncryptedHeaders(t *testing.T) {
	b := makeRAR5(false, true, rarMember{name: "a.txt", data: []byte("a")})
	g, sum := walkBytes(t, b, "h.rar", Options{})
	if !errors.Is(sum.Err, ErrEncrypted) || len(g.members) != 0 || len(g.problems) != 1 {
		t.Errorf("summary %+v, members %d, problems %q", sum, len(g.members), g.problems)
	}
}

// TestRARBadMember: a member whose CRC is wrong gives its error; the
// member after it is read.
func TestRARBadMember(t *testing.T) {
	one, two := []byte("first member\n"), []byte("second member\n")
	for _, b := range [][]byte{
		makeRAR5(false, false, rarMember{name: "one.txt", data: one, badCRC: true}, rarMember{name: "two.txt", data: two}),
		makeRAR4(rarMember{name: "one.txt", data: one, badCRC: true}, rarMember{name: "two.txt", data: two}),
	} {
		g, sum := walkBytes(t, b, "bad.rar", Options{})
		if m := g.byPath(t, "one.txt"); m.err == nil || !strings.Contains(m.err.Error(), "checksum") {
			t.Errorf("one.txt: err %v", m.err)
		}
		if m := g.byPath(t, "two.txt"); m.sha != sha(two) || m.err != nil {
			t.Errorf("two.txt: err %v sha %s", m.err, m.sha)
		}
		if sum.NotOpened != 1 || sum.Err != nil {
			t.Errorf("summary %+v", sum)
		}
	}
}

// TestRARCorruptHeader: a header whose CRC is wrong ends the walk with a
// problem naming the member; the members before it are recorded.
func TestRARCorruptHeader(t *testing.T) {
	one := []byte("first member\n")
	b := makeRAR5(false, false, rarMember{name: "one.txt", data: one}, rarMember{name: "two.txt", data: []byte("two\n")})
	i := bytes.Index(b, []byte("two.txt"))
	b[i] = 'T'
	g, sum := walkBytes(t, b, "bad.rar", Options{})
	if len(g.members) != 1 || g.members[0].sha != sha(one) {
		t.Errorf("members %d", len(g.members))
	}
	var fe *FormatError
	if !errors.As(sum.Err, &fe) || !strings.Contains(sum.Err.Error(), "header of member 1") || !strings.Contains(sum.Err.Error(), "crc") {
		t.Errorf("summary %+v", sum)
	}
	// Not a RAR archive after its signature.
	g, sum = walkBytes(t, append([]byte("Rar!\x1a\x07\x01\x00"), make([]byte, 100)...), "x.rar", Options{})
	if sum.Format != "rar" || sum.Err == nil || len(g.problems) != 1 || len(g.members) != 0 {
		t.Errorf("summary %+v problems %q", sum, g.problems)
	}
}

// TestRARMultiVolume: of the first volume of a multi-volume archive, the
// member it holds whole is read; the one continuing in the next volume is
// recorded with that reason, and the archive as not read completely.
func TestRARMultiVolume(t *testing.T) {
	whole, part := []byte("whole in the first volume\n"), []byte("first part of a member")
	b := makeRAR5(true, false, rarMember{name: "whole.txt", data: whole}, rarMember{name: "split.bin", data: part, split: true})
	g, sum := walkBytes(t, b, "x.part1.rar", Options{})
	if m := g.byPath(t, "whole.txt"); m.sha != sha(whole) {
		t.Errorf("whole.txt: %v", m.err)
	}
	if m := g.byPath(t, "split.bin"); !errors.Is(m.err, ErrRARNextVolume) {
		t.Errorf("split.bin: err %v", m.err)
	}
	if !errors.Is(sum.Err, ErrRARNextVolume) || sum.NotOpened != 2 {
		t.Errorf("summary %+v", sum)
	}
}

func TestRARLimits(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	b := makeRAR5(false, false, rarMember{name: "a", data: data}, rarMember{name: "b", data: data}, rarMember{name: "c", data: data})
	g, _ := walkBytes(t, b, "l.rar", Options{Limits: Limits{MemberBytes: 1000}})
	var le *LimitError
	if m := g.byPath(t, "b"); !errors.As(m.err, &le) || le.Limit != LimitMemberBytes || m.n != 1000 {
		t.Errorf("b: %v after %d", m.err, m.n)
	}
	g, sum := walkBytes(t, b, "l.rar", Options{Limits: Limits{Members: 2}})
	if len(g.members) != 2 || !errors.As(sum.Err, &le) || le.Limit != LimitMembers {
		t.Errorf("members %d, summary %+v", len(g.members), sum)
	}
}
