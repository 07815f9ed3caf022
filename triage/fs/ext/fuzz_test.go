package ext

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// seeds are the small test images (testdata/images/make.sh).
func seeds(f *testing.F) [][]byte {
	return [][]byte{testfixture.Image(f, "ext2-small.raw"), testfixture.Image(f, "ext4-small.raw")}
}

// walkAll opens a volume, walks it and reads every entry's content, as
// the scan does.
func walkAll(t *testing.T, b []byte) {
	v, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		return
	}
	v.Label()
	// Up to 64 MiB an entry (a sparse file may declare terabytes) and
	// 256 MiB in all: a damaged inode table can give hundreds of inodes
	// of the same large content, which is no hang of the parser.
	budget := int64(256 << 20)
	var got bytes.Buffer
	v.Walk(context.Background(), func(e *fs.Entry) error {
		if e.Open != nil {
			r, err := e.Open()
			if err != nil {
				return nil
			}
			got.Reset()
			n, _ := io.CopyN(&got, r, min(64<<20, budget))
			budget -= n
			if n > e.Size {
				t.Fatalf("%s: read %d bytes of %d", e.Path, n, e.Size)
			}
			why, partial := r.(interface{ Incomplete() (string, bool) }).Incomplete()
			r.Close()
			// Extents, when given, lie in the volume, cover the size and
			// hold the bytes the reader gave.
			if e.Extents == nil {
				return nil
			}
			x := e.Extents()
			if x != nil && partial {
				t.Fatalf("%s: extents given for an incomplete content (%s)", e.Path, why)
			}
			var pos int64
			want := make([]byte, 0, got.Len())
			for _, p := range x {
				if p.Off != pos || p.Len <= 0 || p.VolOff >= 0 && p.VolOff > int64(len(b))-p.Len {
					t.Fatalf("%s: extent %+v at %d of %d", e.Path, p, pos, e.Size)
				}
				if k := min(p.Len, int64(got.Len()-len(want))); k > 0 {
					if p.VolOff >= 0 {
						want = append(want, b[p.VolOff:p.VolOff+k]...)
					} else {
						want = append(want, make([]byte, k)...)
					}
				}
				pos += p.Len
			}
			if x != nil && (pos != e.Size || !bytes.Equal(want, got.Bytes())) {
				t.Fatalf("%s: extents (%d bytes) disagree with the reader", e.Path, pos)
			}
		}
		return nil
	}, func(error) {})
}

// FuzzVolume mutates a whole small volume: superblock, group descriptors,
// inode tables, block maps, extent trees and folder blocks at once.
func FuzzVolume(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { walkAll(t, b) })
}

// FuzzSuper mutates the superblock and the group descriptors that follow
// it (the first 4 KiB after byte 1024) of a seed volume.
func FuzzSuper(f *testing.F) {
	imgs := seeds(f)
	for i, s := range imgs {
		f.Add(uint8(i), s[1024:5120])
	}
	f.Fuzz(func(t *testing.T, which uint8, sb []byte) {
		b := bytes.Clone(imgs[int(which)%len(imgs)])
		copy(b[1024:5120], sb)
		walkAll(t, b)
	})
}

// inodeOf returns the volume offset of inode n of a seed volume.
func inodeOf(t testing.TB, b []byte, n uint32) int64 {
	v, err := New(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	off, err := v.inodeLoc(n)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// FuzzInode mutates the inode of a folder (the root), of a file with an
// extent tree or a block map (docs/report.txt, inode 15) and of a sparse
// file (19) in the seed volumes: the inode parser, the block maps and
// extent trees and the folder reader.
func FuzzInode(f *testing.F) {
	imgs := seeds(f)
	for i, s := range imgs {
		for _, n := range []uint32{2, 12, 15, 19} {
			o := inodeOf(f, s, n)
			f.Add(uint8(i), n, s[o:o+256])
		}
	}
	// A deep extent tree that points back at itself.
	in := make([]byte, 256)
	binary.LittleEndian.PutUint16(in, 0x81a4)
	binary.LittleEndian.PutUint32(in[4:], 1<<20)
	binary.LittleEndian.PutUint32(in[0x20:], flagExtents)
	copy(in[0x28:], []byte{0x0a, 0xf3, 1, 0, 4, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 0})
	f.Add(uint8(1), uint32(15), in)
	f.Fuzz(func(t *testing.T, which uint8, n uint32, ino []byte) {
		b := bytes.Clone(imgs[int(which)%len(imgs)])
		n = 2 + n%20
		o := inodeOf(t, b, n)
		copy(b[o:o+256], ino)
		walkAll(t, b)
	})
}

// FuzzDirBlock parses a folder block, slack included.
func FuzzDirBlock(f *testing.F) {
	imgs := seeds(f)
	v, err := New(bytes.NewReader(imgs[1]), 0, int64(len(imgs[1])))
	if err != nil {
		f.Fatal(err)
	}
	root, err := v.readInode(rootIno)
	if err != nil {
		f.Fatal(err)
	}
	runs, _, _ := v.blockMap(root)
	if len(runs) > 0 {
		blk := int64(runs[0].phys) * v.sb.blockSize
		f.Add(imgs[1][blk : blk+v.sb.blockSize])
	}
	f.Add(root.Inline)
	f.Fuzz(func(t *testing.T, b []byte) {
		v.parseDirBlock(b, 0, 2, true, func(d dirent) {
			if len(d.name) == 0 || len(d.name) > len(b) {
				t.Fatalf("name of %d bytes in a block of %d", len(d.name), len(b))
			}
		})
		v.checkDirBlock(b, root)
	})
}

// FuzzGroup parses a group descriptor.
func FuzzGroup(f *testing.F) {
	imgs := seeds(f)
	v, err := New(bytes.NewReader(imgs[1]), 0, int64(len(imgs[1])))
	if err != nil {
		f.Fatal(err)
	}
	o := int64(v.sb.descBlock(0, 0)) * v.sb.blockSize
	f.Add(imgs[1][o : o+int64(v.sb.descSize)])
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < int(v.sb.descSize) {
			return
		}
		v.sb.parseGroup(b[:v.sb.descSize], 0)
	})
}

// FuzzIndexNode reads an index node of a hashed folder as the Sleuth Kit
// does, and verifies its checksum.
func FuzzIndexNode(f *testing.F) {
	imgs := seeds(f)
	v, err := New(bytes.NewReader(imgs[1]), 0, int64(len(imgs[1])))
	if err != nil {
		f.Fatal(err)
	}
	root, err := v.readInode(rootIno)
	if err != nil {
		f.Fatal(err)
	}
	// A root node as e2fsck -D writes it: ".", "..", dx_root_info, the
	// count and limit, entries, the tail.
	bs := int(v.sb.blockSize)
	b := make([]byte, bs)
	le := binary.LittleEndian
	le.PutUint32(b[0:], 2)
	le.PutUint16(b[4:], 12)
	b[6], b[7], b[8] = 1, 2, '.'
	le.PutUint32(b[12:], 2)
	le.PutUint16(b[16:], uint16(bs-12))
	b[18], b[19], b[20], b[21] = 2, 2, '.', '.'
	b[24+4], b[24+5] = 1, 8
	limit := (bs - 32 - 8) / 8
	le.PutUint16(b[32:], uint16(limit))
	le.PutUint16(b[34:], 3)
	for i := 1; i < 3; i++ {
		le.PutUint32(b[32+8*i:], uint32(0x12345678*i))
		le.PutUint32(b[36+8*i:], uint32(i))
	}
	f.Add(b, true)
	inner := make([]byte, bs)
	le.PutUint16(inner[4:], uint16(bs))
	le.PutUint16(inner[8:], uint16((bs-8-8)/8))
	le.PutUint16(inner[10:], 1)
	f.Add(inner, false)
	f.Fuzz(func(t *testing.T, b []byte, isRoot bool) {
		v.indexNames(b, 0, func(d dirent) {
			if len(d.name) > 255 || !d.deleted || !d.index {
				t.Fatalf("record %+v", d)
			}
		})
		v.checkDXNode(b, 1, isRoot, root)
	})
}

// FuzzOrphanBlock parses a block of the orphan file.
func FuzzOrphanBlock(f *testing.F) {
	imgs := seeds(f)
	v, err := New(bytes.NewReader(imgs[1]), 0, int64(len(imgs[1])))
	if err != nil {
		f.Fatal(err)
	}
	v.sb.hasCsum = true
	in := &inode{Num: 12}
	b := make([]byte, v.sb.blockSize)
	binary.LittleEndian.PutUint32(b[8:], 13)
	binary.LittleEndian.PutUint32(b[len(b)-8:], orphanBlockMagic)
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, n := range v.parseOrphanBlock(b, 3, in, nil, func(error) {}) {
			if n == 0 || n > v.sb.inodes {
				t.Fatalf("inode %d of %d", n, v.sb.inodes)
			}
		}
	})
}
