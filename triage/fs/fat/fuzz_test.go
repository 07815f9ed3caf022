package fat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// exercise opens and walks a volume and reads every item, checking what
// the API promises: no panic, problems as *FormatError, content of
// Readable bytes (or an error).
func exercise(t *testing.T, b []byte) {
	fs, err := Open(bytes.NewReader(b), 0, int64(len(b)), nil)
	if err != nil {
		var fe *FormatError
		if !errors.Is(err, ErrNotFAT) && !errors.As(err, &fe) {
			t.Fatalf("Open error %T %v", err, err)
		}
		return
	}
	_ = fs.Zone()
	n := 0
	err = fs.Walk(context.Background(), func(it *Item) error {
		n++
		if n > 100000 {
			t.Fatalf("more than 100000 items from %d bytes", len(b))
		}
		if it.Readable < 0 || it.Readable > it.Size && !it.IsDir {
			t.Fatalf("%s: readable %d of %d", it.Path, it.Readable, it.Size)
		}
		data, err := io.ReadAll(fs.Open(it))
		if got := int64(len(data)); err == nil && got != it.Readable {
			t.Fatalf("%s: read %d bytes of %d without an error", it.Path, got, it.Readable)
		}
		if x := fs.Extents(it); x != nil && !it.IsDir {
			checkExtents(t, b, x, it.Size, data, it.Path)
		}
		_ = it.Attr.Names()
		return nil
	}, func(err error) {
		var fe *FormatError
		if !errors.As(err, &fe) {
			t.Fatalf("problem %T %v", err, err)
		}
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
}

// FuzzOpen feeds the start of a good volume (the boot sector, the FATs,
// the root folder: up to 4 KiB) and cuts the image at cut bytes (0: not).
// Small inputs keep the fuzzer fast.
func FuzzOpen(f *testing.F) {
	head := func(v *vol) []byte { return v.b[:vData] }
	f.Add(head(basic()), uint32(0))
	v := basic()
	v.set(3, 2)
	f.Add(head(v), uint32(0))
	v = basic()
	v.b[0x16] = 0 // FAT32 BPB fields over a small volume
	f.Add(head(v), uint32(0))
	f.Add(head(basic()), uint32(4096))
	f.Add(head(basic())[:512], uint32(0))
	f.Fuzz(func(t *testing.T, head []byte, cut uint32) {
		v := basic()
		copy(v.b, head[:min(len(head), 4096)])
		b := v.b
		if cut > 0 && int(cut) < len(b) {
			b = b[:cut]
		}
		exercise(t, b)
	})
}

// FuzzFAT feeds FAT 1 of a good volume.
func FuzzFAT(f *testing.F) {
	f.Add(basic().b[vFAT : vFAT+vFATSize])
	v := basic()
	v.set(2, 2)
	v.set(5, 0xf00)
	f.Add(v.b[vFAT : vFAT+vFATSize])
	f.Fuzz(func(t *testing.T, fat []byte) {
		v := basic()
		copy(v.b[vFAT:vFAT+vFATSize], fat)
		exercise(t, v.b)
	})
}

// FuzzDir feeds the root folder and the first folder cluster of a good
// volume: the directory entry parser, long names, deleted entries and
// deleted folders.
func FuzzDir(f *testing.F) {
	v := basic()
	f.Add(v.b[vRoot:vRoot+1024], v.b[clusterAt(4):clusterAt(4)+512])
	w := basic()
	w.b[vRoot+96] = 0xe5
	w.b[vRoot+128] = 0xe5
	w.entry(vRoot+160, "\xe5OOP       ", 0x10, 4, 0)
	f.Add(w.b[vRoot:vRoot+1024], w.b[clusterAt(4):clusterAt(4)+512])
	f.Fuzz(func(t *testing.T, root, sub []byte) {
		v := basic()
		copy(v.b[vRoot:vRoot+1024], root)
		copy(v.b[clusterAt(4):clusterAt(4)+512], sub)
		exercise(t, v.b)
	})
}

// BenchmarkWalk walks a FAT32 volume of 20,000 files in 100 folders.
func BenchmarkWalk(b *testing.B) {
	img := benchVolume(b)
	b.SetBytes(int64(len(img)))
	b.ResetTimer()
	for b.Loop() {
		fs, err := Open(bytes.NewReader(img), 0, int64(len(img)), nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		if err := fs.Walk(context.Background(), func(*Item) error { n++; return nil }, func(err error) { b.Fatal(err) }); err != nil {
			b.Fatal(err)
		}
		if n != 20100 {
			b.Fatalf("%d items", n)
		}
	}
}

// checkExtents checks the extents of an item against the bytes its reader
// gave: they lie in the volume b, cover size bytes and hold those bytes.
func checkExtents(t *testing.T, b []byte, x []Extent, size int64, got []byte, path string) {
	var pos int64
	want := make([]byte, 0, len(got))
	for _, e := range x {
		if e.Off != pos || e.Len <= 0 || e.VolOff >= 0 && e.VolOff > int64(len(b))-e.Len || e.Len > size-pos {
			t.Fatalf("%s: extent %+v at %d of %d bytes", path, e, pos, size)
		}
		if e.VolOff >= 0 {
			want = append(want, b[e.VolOff:e.VolOff+e.Len]...)
		} else {
			want = append(want, make([]byte, e.Len)...)
		}
		pos += e.Len
	}
	if pos != size {
		t.Fatalf("%s: extents cover %d bytes of %d", path, pos, size)
	}
	if !bytes.Equal(got, want[:min(len(got), len(want))]) {
		t.Fatalf("%s: extents disagree with the reader", path)
	}
}
