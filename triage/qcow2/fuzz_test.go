package qcow2

import (
	"bytes"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
)

// TestFixtures: the tiny images of testdata/images read as qemu-img
// converted them (vdisk-tiny.md5).
func TestFixtures(t *testing.T) {
	for _, name := range []string{"vdisk-tiny.qcow2", "vdisk-tiny-c.qcow2"} {
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
	for _, b := range vdisktest.FuzzSeeds(f, 0, "vdisk-tiny.qcow2", "vdisk-tiny-c.qcow2") {
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

// FuzzHeader parses a header with its extensions and backing file name.
func FuzzHeader(f *testing.F) {
	for _, name := range []string{"vdisk-tiny.qcow2", "vdisk-tiny-c.qcow2"} {
		b, _ := vdisktest.Fixture(f, name)
		f.Add(b[:min(len(b), 4096)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if h, err := ParseHeader(b, "fuzz"); err == nil {
			if h.BackingOffset != 0 && int(h.BackingOffset)+len(h.BackingFile) > len(b) {
				t.Fatalf("backing file name outside the input: %+v", h)
			}
		}
	})
}
