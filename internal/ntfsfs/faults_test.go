package ntfsfs

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// raceEnabled is set under the race detector, which makes the bit-flip
// sweeps ten times slower: they then run a sample.
var raceEnabled bool

// dataAttrs returns the offsets of the non-resident $DATA attribute
// headers of the MFT record at rec.
func dataAttrs(b []byte, rec int64) []int64 {
	var out []int64
	off := rec + int64(binary.LittleEndian.Uint16(b[rec+0x14:]))
	for off+0x40 < rec+1024 {
		typ := binary.LittleEndian.Uint32(b[off:])
		l := int64(binary.LittleEndian.Uint32(b[off+4:]))
		if typ == 0xffffffff || l <= 0 {
			break
		}
		if typ == 0x80 && b[off+8] == 1 {
			out = append(out, off)
		}
		off += l
	}
	return out
}

// walkWithin walks and reads the whole volume, failing the test when it
// takes longer than limit (the reading goroutine is left behind). A volume
// that does not open gives no items.
func walkWithin(t *testing.T, b []byte, limit time.Duration, what string) (map[string]*got, []error) {
	t.Helper()
	type res struct {
		all      map[string]*got
		problems []error
	}
	done := make(chan res, 1)
	go func() {
		all := map[string]*got{}
		var problems []error
		fs, err := Open(bytes.NewReader(b), 0, int64(len(b)))
		if err != nil {
			done <- res{all, []error{err}}
			return
		}
		err = fs.Walk(context.Background(), func(it *Item) error {
			g := &got{entry: it.File.Entry}
			key := it.Path
			if it.Stream != nil {
				key += ":" + it.Stream.Name
				g.size = it.Stream.Size
				r, err := fs.OpenStream(it.File, it.Stream)
				if err != nil {
					g.err = err
				} else {
					_, g.err = io.Copy(io.Discard, r)
					g.partial, _ = r.Incomplete()
				}
			}
			all[key] = g
			return nil
		}, func(err error) { problems = append(problems, err) })
		if err != nil {
			problems = append(problems, err)
		}
		done <- res{all, problems}
	}()
	select {
	case r := <-done:
		return r.all, r.problems
	case <-time.After(limit):
		t.Fatalf("%s: walking and reading the volume took more than %v", what, limit)
		return nil, nil
	}
}

// A $DATA real size of 36 PB with 4 KiB allocated (one flipped bit) is a
// problem naming the MFT entry's offset and the stream reads only its
// allocation, recorded as incomplete: never zeros for ever.
func TestImpossibleStreamSize(t *testing.T) {
	good := testImage(t, "ntfs-basic.raw")
	b := append([]byte(nil), good...)
	rec := mftRecord(t, b, 69) // docs/report.txt (ntfs-basic.raw.fls.txt)
	attrs := dataAttrs(b, rec)
	if len(attrs) != 1 {
		t.Fatalf("report.txt has %d non-resident $DATA attributes", len(attrs))
	}
	a := attrs[0]
	alloc := int64(binary.LittleEndian.Uint64(b[a+0x28:]))
	binary.LittleEndian.PutUint64(b[a+0x30:], 1<<55) // 36 PB
	all, problems := walkWithin(t, b, 5*time.Second, "36 PB real size")
	g := all["/docs/report.txt:"]
	if g == nil {
		t.Fatal("report.txt not listed")
	}
	if g.size > alloc || !strings.Contains(g.partial, "impossible size") || !strings.Contains(g.partial, fmt.Sprintf("at byte %#x", rec)) {
		t.Errorf("report.txt: size %d (allocated %d), incomplete %q", g.size, alloc, g.partial)
	}
	found := false
	for _, p := range problems {
		if strings.Contains(p.Error(), "MFT entry 69") && strings.Contains(p.Error(), "exceeds allocated size") && strings.Contains(p.Error(), fmt.Sprintf("at byte %#x", rec)) {
			found = true
		}
	}
	if !found {
		t.Errorf("no problem names the entry and its offset: %v", problems)
	}
	if all["/hello.txt:"] == nil {
		t.Error("the rest of the volume was not read")
	}
}

// Every bit of the size fields of every non-resident $DATA attribute, and
// random bits over the user records of the $MFT, flipped one at a time:
// each variant is walked and read in full within a time bound.
func TestMFTBitFlips(t *testing.T) {
	good := testImage(t, "ntfs-basic.raw")
	limit := 3 * time.Second
	var recs []int64
	for i := int64(0); i < 100; i++ {
		rec := mftRecord(t, good, i)
		if rec < 0 || rec+1024 > int64(len(good)) || string(good[rec:rec+4]) != "FILE" {
			continue
		}
		recs = append(recs, rec)
	}
	b := append([]byte(nil), good...) // each variant flips a bit of b and back
	variants := 0
	for _, rec := range recs {
		for _, a := range dataAttrs(b, rec) {
			for _, field := range []int64{0x28, 0x30, 0x38} { // allocated, real, initialized
				for bit := 0; bit < 64; bit++ {
					if (testing.Short() || raceEnabled || field != 0x30) && bit%8 != 7 {
						continue
					}
					flip(b, a+field, bit)
					walkWithin(t, b, limit, fmt.Sprintf("record at %#x, field %#x, bit %d", rec, field, bit))
					flip(b, a+field, bit)
					variants++
				}
			}
		}
	}
	rng := rand.New(rand.NewPCG(21, 1))
	flips := 200
	if testing.Short() || raceEnabled {
		flips = 60
	}
	for range flips {
		rec := recs[rng.IntN(len(recs))]
		bit := rng.IntN(1024 * 8)
		flip(b, rec, bit)
		walkWithin(t, b, limit, fmt.Sprintf("record at %#x, bit %d", rec, bit))
		flip(b, rec, bit)
		variants++
	}
	t.Logf("%d variants", variants)
}

func flip(b []byte, off int64, bit int) { b[off+int64(bit/8)] ^= 1 << (bit % 8) }

// A stream cut short by a truncated image names its MFT entry's offset.
func TestEndsEarlyNamesOffset(t *testing.T) {
	good := testImage(t, "ntfs-basic.raw")
	all, _ := walkWithin(t, good[:len(good)/2], 5*time.Second, "truncated")
	n := 0
	for p, g := range all {
		if g.err != nil && strings.Contains(g.err.Error(), "ends early") {
			n++
			if want := fmt.Sprintf("MFT entry %d at byte %#x:", g.entry, mftRecord(t, good, g.entry)); !strings.Contains(g.err.Error(), want) {
				t.Errorf("%s: %v lacks %q", p, g.err, want)
			}
		}
	}
	if n == 0 {
		t.Fatal("no stream ends early in a volume cut in half")
	}
}
