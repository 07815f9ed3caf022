package ntfsfs

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzListing feeds IndexOrder and RecordInfo, which parse folder indexes
// and raw MFT records for ls --files, one corrupt MFT entry of
// ntfs-basic.raw (seeded with its folders and files), and the index node
// parser any bytes: they must return (names, problems) without a panic,
// bounded by the sizes they are given.
func FuzzListing(f *testing.F) {
	good := testImage(f, "ntfs-basic.raw")
	fs, err := Open(bytes.NewReader(good), 0, int64(len(good)))
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range []int64{5, 9, 11, 24, 64, 65, 70} {
		off := fs.EntryOffset(e)
		f.Add(uint8(e), uint16(0), good[off:off+1024])
	}
	f.Fuzz(func(t *testing.T, entry uint8, used uint16, rec []byte) {
		e := int64(entry) % 80
		off := fs.EntryOffset(e)
		patch := make([]byte, 1024)
		copy(patch, good[off:off+1024])
		copy(patch, rec)
		v, err := Open(&overlay{base: good, off: off, patch: patch}, 0, int64(len(good)))
		if err != nil {
			return
		}
		names, _ := v.IndexOrder(e)
		if len(names) > len(good)/16 {
			t.Fatalf("%d names from a volume of %d bytes", len(names), len(good))
		}
		if info, err := v.RecordInfo(e); err == nil && len(info.IndexSizes) > 1024/16 {
			t.Fatalf("%d index roots in one record", len(info.IndexSizes))
		}
		// The bytes as one index node, and as an index record.
		p := indexParser{dir: 5, last: 80}
		p.entries(rec, int(used))
		if len(rec) >= 24 {
			b := bytes.Clone(rec)
			if fixup(b) {
				p.entries(b[min(len(b), 24+int(binary.LittleEndian.Uint32(b[20:]))%len(b)):], int(used))
			}
		}
	})
}
