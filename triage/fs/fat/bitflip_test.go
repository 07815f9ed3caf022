package fat

import (
	"testing"
	"time"
)

// raceEnabled is set under the race detector, which makes the sweep ten
// times slower: it then flips every seventh bit.
var raceEnabled bool

// Every bit of the metadata of a small FAT volume (boot sector, FATs, root
// folder), flipped one at a time: each variant opens, walks and reads in
// full without a panic, and within a time bound.
func TestMetadataBitFlips(t *testing.T) {
	good := basic().b
	meta := min(vData+1024, len(good)) // and the first data clusters (folders)
	step := 1
	if testing.Short() || raceEnabled {
		step = 7
	}
	const limit = 2 * time.Second
	b := append([]byte(nil), good...)
	variants := 0
	start := time.Now()
	for bit := 0; bit < meta*8; bit += step {
		b[bit/8] ^= 1 << (bit % 8)
		t0 := time.Now()
		exercise(t, b)
		if d := time.Since(t0); d > limit {
			t.Errorf("bit %d (byte %#x): %v", bit%8, bit/8, d)
		}
		b[bit/8] ^= 1 << (bit % 8)
		variants++
	}
	t.Logf("%d variants in %v", variants, time.Since(start))
}
