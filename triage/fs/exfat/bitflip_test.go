package exfat

import (
	"encoding/binary"
	"testing"
	"time"
)

// raceEnabled is set under the race detector, which makes the sweep ten
// times slower: it then flips every seventh bit.
var raceEnabled bool

// Every bit of the metadata of a generated exFAT volume (the boot sector
// with its checksum fixed up, the start of the FAT, the root folder),
// flipped one at a time: each variant opens, walks and reads in full
// without a panic, and within a time bound.
func TestMetadataBitFlips(t *testing.T) {
	x := fuzzBase(t)
	b := append([]byte(nil), x.b...) // each variant flips a bit of b and back
	sums := append([]byte(nil), b[11*512:12*512]...)
	regions := []struct {
		name     string
		off, len int
		fixBoot  bool
	}{
		{"boot sector", 0, 512, true},
		{"FAT", x.fatOff, 512, false},
		{"root folder", x.off(x.root), x.cs, false},
	}
	step := 1
	if testing.Short() || raceEnabled {
		step = 7
	}
	const limit = 2 * time.Second
	variants := 0
	start := time.Now()
	for _, r := range regions {
		for bit := 0; bit < r.len*8; bit += step {
			b[r.off+bit/8] ^= 1 << (bit % 8)
			if r.fixBoot {
				sum := bootChecksum(b, 512)
				for i := 11 * 512; i < 12*512; i += 4 {
					binary.LittleEndian.PutUint32(b[i:], sum)
				}
			}
			t0 := time.Now()
			exercise(t, b)
			if d := time.Since(t0); d > limit {
				t.Errorf("%s bit %d of byte %#x: %v", r.name, bit%8, bit/8, d)
			}
			b[r.off+bit/8] ^= 1 << (bit % 8)
			copy(b[11*512:], sums)
			variants++
		}
	}
	t.Logf("%d variants in %v", variants, time.Since(start))
}
