package mbhash

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// layout places messages of the given lengths in one buffer with Pad bytes
// after each, filled with random bytes, and returns the buffer, the spans
// and a copy of each message.
func layout(rnd *rand.Rand, lens []int) ([]byte, []Span, [][]byte) {
	var buf []byte
	var spans []Span
	var msgs [][]byte
	for _, n := range lens {
		m := make([]byte, n)
		for i := range m {
			m[i] = byte(rnd.Uint32())
		}
		spans = append(spans, Span{Off: len(buf), Len: n})
		msgs = append(msgs, m)
		buf = append(buf, m...)
		junk := make([]byte, Pad+rnd.IntN(5))
		for i := range junk {
			junk[i] = byte(rnd.Uint32())
		}
		buf = append(buf, junk...)
	}
	return buf, spans, msgs
}

func check(t *testing.T, rnd *rand.Rand, lens []int) {
	t.Helper()
	buf, spans, msgs := layout(rnd, lens)
	out := make([][md5.Size]byte, len(spans))
	MD5Spans(buf, spans, out)
	out1 := make([][sha1.Size]byte, len(spans))
	SHA1Spans(buf, spans, out1)
	out2 := make([][sha256.Size]byte, len(spans))
	SHA256Spans(buf, spans, out2)
	for i, m := range msgs {
		if want := sha256.Sum256(m); out2[i] != want {
			t.Fatalf("SHA-256 of message %d of %d (%d bytes): %x, want %x (lengths %v)", i, len(lens), len(m), out2[i], want, lens)
		}
		if want := md5.Sum(m); out[i] != want {
			t.Fatalf("MD5 of message %d of %d (%d bytes): %x, want %x (lengths %v)", i, len(lens), len(m), out[i], want, lens)
		}
		if want := sha1.Sum(m); out1[i] != want {
			t.Fatalf("SHA-1 of message %d of %d (%d bytes): %x, want %x (lengths %v)", i, len(lens), len(m), out1[i], want, lens)
		}
		if !bytes.Equal(buf[spans[i].Off:spans[i].Off+spans[i].Len], m) {
			t.Fatalf("message %d changed in place", i)
		}
	}
}

// TestSpansMatchCrypto compares every digest with the standard library's
// over the lengths around the padding boundaries and random mixes of
// lengths, in batches smaller and larger than the sixteen lanes.
func TestSpansMatchCrypto(t *testing.T) {
	t.Logf("AVX-512 lanes in use: %v", useAVX512)
	rnd := rand.New(rand.NewPCG(7, 8))
	var edge []int
	for n := 0; n <= 200; n++ {
		edge = append(edge, n)
	}
	check(t, rnd, edge)
	rounds := 600
	if !useAVX512 {
		rounds = 100 // the standard library alone: checked elsewhere
	}
	for range rounds {
		k := 1 + rnd.IntN(40)
		lens := make([]int, k)
		for i := range lens {
			switch rnd.IntN(4) {
			case 0:
				lens[i] = rnd.IntN(130)
			case 1:
				lens[i] = rnd.IntN(5000)
			default:
				lens[i] = rnd.IntN(70000)
			}
		}
		check(t, rnd, lens)
	}
}

func FuzzSpans(f *testing.F) {
	f.Add([]byte("abc"), uint16(55), uint16(56), uint8(17))
	f.Fuzz(func(t *testing.T, seed []byte, a, b uint16, k uint8) {
		rnd := rand.New(rand.NewPCG(uint64(len(seed)), uint64(a)<<16|uint64(b)))
		lens := []int{len(seed), int(a), int(b)}
		for i := range int(k % 24) {
			lens = append(lens, (int(a)*i+int(b))%3000)
		}
		check(t, rnd, lens)
	})
}

// benchSpans measures fn on sixteen messages of 8 KiB, the size of most
// files the batches carry.
func benchSpans(b *testing.B, fn func(buf []byte, spans []Span)) {
	lens := make([]int, 16)
	for i := range lens {
		lens[i] = 8 << 10
	}
	buf, spans, _ := layout(rand.New(rand.NewPCG(1, 1)), lens)
	b.SetBytes(16 * 8 << 10)
	for b.Loop() {
		fn(buf, spans)
	}
}

// each hashes every span with the standard library's sum (the baseline).
func each[D any](sum func([]byte) D) func([]byte, []Span) {
	return func(buf []byte, spans []Span) {
		for _, s := range spans {
			sum(buf[s.Off : s.Off+s.Len])
		}
	}
}

func BenchmarkMD5Spans16x8KiB(b *testing.B) {
	out := make([][md5.Size]byte, 16)
	benchSpans(b, func(buf []byte, spans []Span) { MD5Spans(buf, spans, out) })
}

func BenchmarkSHA1Spans16x8KiB(b *testing.B) {
	out := make([][sha1.Size]byte, 16)
	benchSpans(b, func(buf []byte, spans []Span) { SHA1Spans(buf, spans, out) })
}

func BenchmarkSHA256Spans16x8KiB(b *testing.B) {
	out := make([][sha256.Size]byte, 16)
	benchSpans(b, func(buf []byte, spans []Span) { SHA256Spans(buf, spans, out) })
}

func BenchmarkStdMD5x16x8KiB(b *testing.B)    { benchSpans(b, each(md5.Sum)) }
func BenchmarkStdSHA1x16x8KiB(b *testing.B)   { benchSpans(b, each(sha1.Sum)) }
func BenchmarkStdSHA256x16x8KiB(b *testing.B) { benchSpans(b, each(sha256.Sum256)) }

// TestGeneratedCode checks that block_amd64.s is what gen.go writes.
func TestGeneratedCode(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out := filepath.Join(t.TempDir(), "block.s")
	if b, err := exec.Command(goBin, "run", "gen.go", "-o", out).CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go: %v\n%s", err, b)
	}
	want, _ := os.ReadFile(out)
	got, err := os.ReadFile("block_amd64.s")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatal("block_amd64.s differs from what gen.go writes: run go run gen.go")
	}
}
