package volume

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unicode/utf16"
)

var gptSignature = []byte("EFI PART")

type gptHeader struct {
	off                     int64 // byte offset of the header
	myLBA, altLBA           uint64
	firstUsable, lastUsable uint64
	diskGUID                [16]byte
	entriesLBA              uint64
	numEntries, entrySize   uint32
	entriesCRC              uint32
}

// readGPT reads the GPT of r into t, trying 512- and 4096-byte sectors, the
// primary header first and the backup header when the primary is bad.
func readGPT(r io.ReaderAt, size int64, t *Table) error {
	var firstErr error
	for _, ss := range []int64{512, 4096} {
		if 2*ss > size {
			continue
		}
		h, err := readGPTHeader(r, size, ss, ss)
		var entries []byte
		if err == nil {
			entries, err = readGPTEntries(r, size, ss, h)
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			// The backup header: where the primary says, else the last sector.
			alt := size/ss*ss - ss
			if h != nil && h.altLBA > 1 && int64(h.altLBA) < size/ss {
				alt = int64(h.altLBA) * ss
			}
			bh, berr := readGPTHeader(r, size, ss, alt)
			if berr != nil {
				continue
			}
			be, berr := readGPTEntries(r, size, ss, bh)
			if berr != nil {
				continue
			}
			t.Problems = append(t.Problems, fmt.Errorf("primary GPT unusable, using the backup header at byte %#x: %w", alt, err))
			h, entries = bh, be
		} else if p := checkBackupGPT(r, size, ss, h); p != nil {
			t.Problems = append(t.Problems, p)
		}
		t.Scheme = SchemeGPT
		t.SectorSize = int(ss)
		t.DiskGUID = guidString(h.diskGUID[:])
		t.Partitions = nil
		t.Meta = []Meta{{0, 0, "Safety Table"}, {int64(h.myLBA), int64(h.myLBA), "GPT Header"},
			{int64(h.entriesLBA), int64(h.entriesLBA) + (int64(h.numEntries)*int64(h.entrySize)+ss-1)/ss - 1, "Partition Table"}}
		for i := uint32(0); i < h.numEntries; i++ {
			e := entries[int(i)*int(h.entrySize):][:128]
			if allZero(e[0:16]) {
				continue
			}
			first := binary.LittleEndian.Uint64(e[32:])
			last := binary.LittleEndian.Uint64(e[40:])
			eoff := int64(h.entriesLBA)*ss + int64(i)*int64(h.entrySize)
			if last < first || first > uint64(size) || last-first >= uint64(size) {
				t.Problems = append(t.Problems, &FormatError{eoff, fmt.Sprintf("GPT entry %d has an impossible range (LBA %d-%d)", i, first, last)})
				continue
			}
			typ := guidString(e[0:16])
			p := Partition{Slot: fmt.Sprint(i), TableNum: -1, EntryNum: int(i), Offset: int64(first) * ss, Length: int64(last-first+1) * ss,
				Start: int64(first), End: int64(last), TypeID: typ, Type: gptTypeName(typ),
				GUID: guidString(e[16:32]), Label: utf16Name(e[56:128])}
			if p.Offset+p.Length > size {
				t.Problems = append(t.Problems, &FormatError{eoff, fmt.Sprintf("GPT entry %d (LBA %d-%d) runs past the end of the image (%d sectors)", i, first, last, size/ss)})
			}
			t.Partitions = append(t.Partitions, p)
		}
		sortPartitions(t)
		return nil
	}
	if firstErr == nil {
		firstErr = &FormatError{512, "no GPT header"}
	}
	return firstErr
}

// checkBackupGPT checks that the backup header the good primary header h
// points to is in the image and sound: a truncated image (or one smaller
// than the disk) has lost it.
func checkBackupGPT(r io.ReaderAt, size, ss int64, h *gptHeader) error {
	if h.altLBA >= uint64(size/ss) {
		return &FormatError{h.off + 32, fmt.Sprintf("the backup GPT header at LBA %d lies past the end of the image (%d sectors): the image is truncated or smaller than the disk", h.altLBA, size/ss)}
	}
	if h.altLBA <= 1 {
		return &FormatError{h.off + 32, fmt.Sprintf("impossible backup GPT header LBA %d", h.altLBA)}
	}
	if _, err := readGPTHeader(r, size, ss, int64(h.altLBA)*ss); err != nil {
		return fmt.Errorf("backup GPT header unusable: %w", err)
	}
	return nil
}

func readGPTHeader(r io.ReaderAt, size, ss, off int64) (*gptHeader, error) {
	b := make([]byte, ss)
	if _, err := r.ReadAt(b, off); err != nil {
		return nil, &FormatError{off, fmt.Sprintf("failed to read GPT header: %v", err)}
	}
	if !bytes.Equal(b[:8], gptSignature) {
		return nil, &FormatError{off, "no GPT header signature"}
	}
	hsize := binary.LittleEndian.Uint32(b[12:])
	if hsize < 92 || int64(hsize) > ss {
		return nil, &FormatError{off + 12, fmt.Sprintf("bad GPT header size %d", hsize)}
	}
	want := binary.LittleEndian.Uint32(b[16:])
	hb := append([]byte(nil), b[:hsize]...)
	binary.LittleEndian.PutUint32(hb[16:], 0)
	if got := crc32.ChecksumIEEE(hb); got != want {
		return nil, &FormatError{off + 16, fmt.Sprintf("GPT header CRC32 mismatch (stored %#08x, computed %#08x)", want, got)}
	}
	h := &gptHeader{off: off,
		myLBA: binary.LittleEndian.Uint64(b[24:]), altLBA: binary.LittleEndian.Uint64(b[32:]),
		firstUsable: binary.LittleEndian.Uint64(b[40:]), lastUsable: binary.LittleEndian.Uint64(b[48:]),
		entriesLBA: binary.LittleEndian.Uint64(b[72:]), numEntries: binary.LittleEndian.Uint32(b[80:]),
		entrySize: binary.LittleEndian.Uint32(b[84:]), entriesCRC: binary.LittleEndian.Uint32(b[88:])}
	copy(h.diskGUID[:], b[56:72])
	if h.entrySize < 128 || h.entrySize%8 != 0 || h.entrySize > MaxGPTEntrySize {
		return h, &FormatError{off + 84, fmt.Sprintf("bad GPT entry size %d", h.entrySize)}
	}
	if h.numEntries > MaxGPTEntries {
		return h, &FormatError{off + 80, fmt.Sprintf("GPT declares %d entries, more than the %d supported", h.numEntries, MaxGPTEntries)}
	}
	return h, nil
}

func readGPTEntries(r io.ReaderAt, size, ss int64, h *gptHeader) ([]byte, error) {
	n := int64(h.numEntries) * int64(h.entrySize)
	if h.entriesLBA == 0 || h.entriesLBA > uint64(size/ss) || int64(h.entriesLBA)*ss+n > size {
		return nil, &FormatError{h.off + 72, fmt.Sprintf("GPT entry array at LBA %d lies outside the image", h.entriesLBA)}
	}
	b := make([]byte, n)
	if _, err := r.ReadAt(b, int64(h.entriesLBA)*ss); err != nil && !(errors.Is(err, io.EOF) && len(b) == int(n)) {
		return nil, &FormatError{int64(h.entriesLBA) * ss, fmt.Sprintf("failed to read GPT entries: %v", err)}
	}
	if got := crc32.ChecksumIEEE(b); got != h.entriesCRC {
		return nil, &FormatError{int64(h.entriesLBA) * ss, fmt.Sprintf("GPT entry array CRC32 mismatch (stored %#08x, computed %#08x)", h.entriesCRC, got)}
	}
	return b, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// guidString formats a mixed-endian GUID as 8-4-4-4-12 upper-case hex.
func guidString(b []byte) string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint16(b[4:]),
		binary.LittleEndian.Uint16(b[6:]), b[8:10], b[10:16])
}

func utf16Name(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

var gptTypes = map[string]string{
	"C12A7328-F81F-11D2-BA4B-00A0C93EC93B": "EFI System",
	"E3C9E316-0B5C-4DB8-817D-F92DF00215AE": "Microsoft reserved",
	"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": "Microsoft basic data",
	"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC": "Windows recovery environment",
	"5808C8AA-7E8F-42E0-85D2-E1E90434CFB3": "Windows LDM metadata",
	"AF9B60A0-1431-4F62-BC68-3311714A69AD": "Windows LDM data",
	"0FC63DAF-8483-4772-8E79-3D69D8477DE4": "Linux filesystem",
	"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": "Linux swap",
	"E6D6D379-F507-44C2-A23C-238F2A3DF928": "Linux LVM",
	"A19D880F-05FC-4D3B-A006-743F0F84911E": "Linux RAID",
	"21686148-6449-6E6F-744E-656564454649": "BIOS boot partition",
	"48465300-0000-11AA-AA11-00306543ECAC": "Apple HFS/HFS+",
	"7C3457EF-0000-11AA-AA11-00306543ECAC": "Apple APFS",
	"516E7CB4-6ECF-11D6-8FF8-00022D09712B": "FreeBSD UFS",
}

func gptTypeName(guid string) string {
	if n, ok := gptTypes[guid]; ok {
		return n
	}
	return guid
}
