package adler

import (
	"bytes"
	"hash/adler32"
	"math/rand/v2"
	"testing"
)

// TestChecksum compares with hash/adler32 on random bytes, bytes of 0xff
// (the largest sums: the bound of the reduction) and zeros, of every size
// to a few blocks past nmax and some larger, from the start and from
// sums already made.
func TestChecksum(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	random := make([]byte, 3*nmax+1000)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	ff := bytes.Repeat([]byte{0xff}, len(random))
	zeros := make([]byte, len(random))
	sizes := []int{}
	for n := 0; n <= nmax+100; n++ {
		sizes = append(sizes, n)
	}
	sizes = append(sizes, 2*nmax-1, 2*nmax, 2*nmax+31, 3*nmax+1000)
	for name, data := range map[string][]byte{"random": random, "ff": ff, "zeros": zeros} {
		for _, n := range sizes {
			p := data[:n]
			if got, want := Checksum(p), adler32.Checksum(p); got != want {
				t.Fatalf("%s, %d bytes: %#08x, hash/adler32 %#08x", name, n, got, want)
			}
		}
		// From a sum made of other bytes: Update as hash/adler32's Write.
		for _, cut := range []int{1, 31, 32, 1000, nmax, nmax + 5} {
			h := adler32.New()
			h.Write(data[:cut])
			h.Write(data[cut:])
			if got, want := Update(Checksum(data[:cut]), data[cut:]), h.Sum32(); got != want {
				t.Errorf("%s, cut at %d: %#08x, hash/adler32 %#08x", name, cut, got, want)
			}
		}
	}
}

// TestBlocks: the vector sums are those of blocksGeneric.
func TestBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p := make([]byte, nmax)
	for i := range p {
		p[i] = byte(rng.Uint32())
	}
	for _, n := range []int{32, 64, 96, 1024, nmax} {
		a, pre, w := blocks(p[:n])
		ga, gpre, gw := blocksGeneric(p[:n])
		if a != ga || pre != gpre || w != gw {
			t.Errorf("%d bytes: %d %d %d, generic %d %d %d", n, a, pre, w, ga, gpre, gw)
		}
	}
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte("Wikipedia"), uint32(1))
	f.Add(bytes.Repeat([]byte{0xff}, 6000), uint32(0xfff0fff0))
	f.Fuzz(func(t *testing.T, p []byte, sum uint32) {
		// A sum hash/adler32 can reach: both halves below 65521.
		sum = (sum>>16%mod)<<16 | sum&0xffff%mod
		h := adler32.New()
		if err := h.(interface{ UnmarshalBinary([]byte) error }).UnmarshalBinary(append([]byte("adl\x01"), byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum))); err != nil {
			t.Fatal(err)
		}
		h.Write(p)
		if got, want := Update(sum, p), h.Sum32(); got != want {
			t.Fatalf("%d bytes from %#08x: %#08x, hash/adler32 %#08x", len(p), sum, got, want)
		}
	})
}

func BenchmarkChecksum(b *testing.B) {
	p := make([]byte, 32<<10)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	for range b.N {
		Checksum(p)
	}
}

func BenchmarkStdlib(b *testing.B) {
	p := make([]byte, 32<<10)
	b.SetBytes(int64(len(p)))
	for range b.N {
		adler32.Checksum(p)
	}
}
