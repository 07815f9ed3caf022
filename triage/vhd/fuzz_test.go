package vhd

import (
	"bytes"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
)

// TestFixtures: the tiny images of testdata/images read as qemu-img
// converted them (vdisk-tiny.md5).
func TestFixtures(t *testing.T) {
	for _, name := range []string{"vdisk-tiny.vhd", "vdisk-tiny-fixed.vhd"} {
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
	for _, b := range vdisktest.FuzzSeeds(f, 4096, "vdisk-tiny.vhd", "vdisk-tiny-fixed.vhd") {
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

// FuzzFooter parses a footer and a dynamic disk header.
func FuzzFooter(f *testing.F) {
	b, _ := vdisktest.Fixture(f, "vdisk-tiny.vhd")
	f.Add(b[:512], b[512:1536])
	f.Fuzz(func(t *testing.T, foot, hdr []byte) {
		if ft, err := ParseFooter(foot); err == nil {
			_ = ft.Timestamp.String()
			_ = IsVHD(foot, foot)
		}
		if h, err := ParseDynamicHeader(hdr); err == nil {
			_ = h.ParentName
		}
	})
}
