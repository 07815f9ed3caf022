package vmdk

import (
	"bytes"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
)

// TestFixtures: the tiny images of testdata/images read as qemu-img
// converted them (vdisk-tiny.md5).
func TestFixtures(t *testing.T) {
	for _, name := range []string{"vdisk-tiny.vmdk", "vdisk-tiny-stream.vmdk"} {
		b, want := vdisktest.Fixture(t, name)
		r, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := vdisktest.MD5(t, r, r.Size()); got != want {
			t.Errorf("%s: media MD5 %s, qemu-img %s", name, got, want)
		}
		for _, w := range []int{1, 3} {
			if got := vdisktest.StreamMD5(t, r, w); got != want {
				t.Errorf("%s: streamed by %d: media MD5 %s, qemu-img %s", name, w, got, want)
			}
		}
	}
}

// FuzzNewReader opens an image and calls every accessor.
func FuzzNewReader(f *testing.F) {
	for _, b := range vdisktest.FuzzSeeds(f, 4096, "vdisk-tiny.vmdk", "vdisk-tiny-stream.vmdk") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		vdisktest.Exercise(r)
		r.Close()
	})
}

// FuzzDescriptor parses a text descriptor and a sparse extent header.
func FuzzDescriptor(f *testing.F) {
	b, _ := vdisktest.Fixture(f, "vdisk-tiny.vmdk")
	h, err := ParseSparseHeader(b)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[h.DescriptorOffset*512:(h.DescriptorOffset+h.DescriptorSize)*512], b[:512])
	f.Add([]byte("# Disk DescriptorFile\nversion=1\nCID=8be32be4\nparentCID=ffffffff\ncreateType=\"twoGbMaxExtentFlat\"\nRW 40960 FLAT \"d-f001.vmdk\" 0\nRW 100 ZERO\nparentFileNameHint=\"base.vmdk\"\nddb.uuid.image = \"x\"\n"), []byte("KDMV"))
	f.Fuzz(func(t *testing.T, desc, hdr []byte) {
		if d, err := ParseDescriptor(desc); err == nil {
			for _, e := range d.Extents {
				if e.Sectors <= 0 || e.Offset < 0 {
					t.Fatalf("extent %+v", e)
				}
				_, _ = extentPath("/case/d.vmdk", e.File)
			}
		}
		_, _ = ParseSparseHeader(hdr)
	})
}
