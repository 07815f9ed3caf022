package main

import (
	"bytes"
	"os"
	"testing"
)

// FuzzFATListing feeds the readers of the listing's own FAT and exFAT
// data (the boot sector's geometry, the root's system entries, folder
// sizes from the FAT) a fat-small.raw or exfat-basic.raw whose first 64
// KiB are replaced: no panic, no endless chain.
func FuzzFATListing(f *testing.F) {
	var imgs [][]byte
	for _, name := range []string{"fat-small.raw", "exfat-basic.raw"} {
		b, err := os.ReadFile(unpackImage(f, name))
		if err != nil {
			f.Fatal(err)
		}
		imgs = append(imgs, b)
		f.Add(uint8(len(imgs)-1), int64(0), b[:64<<10])
	}
	f.Fuzz(func(t *testing.T, which uint8, entry int64, head []byte) {
		img := imgs[int(which)%len(imgs)]
		r := headOver{head: head[:min(len(head), 64<<10)], base: bytes.NewReader(img)}
		g := readFlsGeometry(r, 0, int64(len(img)))
		g.system = fatSystemEntries(r, &g, 0)
		if len(g.system) > int(g.rootLen/32)+1 {
			t.Fatalf("%d system entries in a root of %d bytes", len(g.system), g.rootLen)
		}
		if entry < 0 {
			entry = -entry
		}
		off := entry % int64(len(img))
		for _, del := range []bool{false, true} {
			if n := fatDirSize(r, &g, off, del); n < 0 || g.cluster > 0 && n > (MaxFATChain+1)*g.cluster {
				t.Fatalf("folder size %d", n)
			}
		}
		if len(g.system) > 0 {
			_ = fatCreated(r, &g, off, g.system[0].times[0])
		}
	})
}

// headOver reads base with head laid over its first bytes (without
// copying an image of megabytes for each input).
type headOver struct {
	head []byte
	base *bytes.Reader
}

func (h headOver) ReadAt(p []byte, off int64) (int, error) {
	n, err := h.base.ReadAt(p, off)
	if off < int64(len(h.head)) {
		copy(p[:n], h.head[off:])
	}
	return n, err
}
