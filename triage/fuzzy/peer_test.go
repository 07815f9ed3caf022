package fuzzy

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sample is one content the digests are checked on.
type sample struct {
	name string
	data []byte
}

// samples returns contents of many sizes, below and above 4 KiB, random
// and structured (text lines, repeated records, runs of zeros).
func samples() []sample {
	r := rand.New(rand.NewPCG(17, 1))
	var out []sample
	sizes := []int{0, 1, 6, 7, 49, 50, 51, 255, 256, 300, 511, 656, 657, 1000, 3199, 3200, 4095, 4096, 4097,
		6000, 12345, 65536, 100003, 333333, 1 << 20, 3<<20 + 17}
	for _, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		out = append(out, sample{fmt.Sprintf("random-%d", n), b})
		var t bytes.Buffer
		for i := 0; t.Len() < n; i++ {
			fmt.Fprintf(&t, "line %d of a log, user=%d status=%s\n", i, r.IntN(50), []string{"ok", "fail", "retry"}[r.IntN(3)])
		}
		out = append(out, sample{fmt.Sprintf("text-%d", n), t.Bytes()[:n]})
	}
	// Low variety: a few distinct bytes, long runs of zeros.
	z := make([]byte, 70000)
	for i := 0; i < len(z); i += 1000 {
		z[i] = byte(i / 1000)
	}
	out = append(out, sample{"sparse-70000", z})
	abc := bytes.Repeat([]byte("abcabcabd"), 3000)
	out = append(out, sample{"abc-27000", abc})
	return out
}

func writeSamples(t *testing.T, ss []sample) string {
	t.Helper()
	dir := t.TempDir()
	for _, s := range ss {
		if err := os.WriteFile(filepath.Join(dir, s.name), s.data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// oddWrites feeds b to w in writes of 1, 2, 3, ... bytes.
func oddWrites(w interface{ Write([]byte) (int, error) }, b []byte) {
	for n := 1; len(b) > 0; n = n%4093 + 1 {
		k := min(n, len(b))
		w.Write(b[:k])
		b = b[k:]
	}
}

func TestSSDeepMatchesCommand(t *testing.T) {
	if _, err := exec.LookPath("ssdeep"); err != nil {
		t.Skip("ssdeep not installed (Debian package ssdeep)")
	}
	ss := samples()
	dir := writeSamples(t, ss)
	out, err := exec.Command("ssdeep", "-b", "-s", "-r", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n")[1:] {
		if line == "" {
			continue
		}
		i := strings.LastIndexByte(line, ',')
		name, _ := strconv.Unquote(line[i+1:])
		want[name] = line[:i]
	}
	s := NewSSDeep()
	for _, x := range ss {
		w, ok := want[x.name]
		if !ok {
			if len(x.data) == 0 {
				// ssdeep skips empty files; its library digests them
				// as "3::".
				w = "3::"
			} else {
				t.Errorf("%s: ssdeep printed no digest", x.name)
				continue
			}
		}
		s.Reset()
		s.Write(x.data)
		if got := s.Sum(); got != w {
			t.Errorf("%s: got %s, ssdeep printed %s", x.name, got, w)
		}
		s.Reset()
		oddWrites(s, x.data)
		if got := s.Sum(); got != w {
			t.Errorf("%s in odd-sized writes: got %s, ssdeep printed %s", x.name, got, w)
		}
	}
}

func TestTLSHMatchesCommand(t *testing.T) {
	if _, err := exec.LookPath("tlsh"); err != nil {
		t.Skip("tlsh not installed (Debian package tlsh-tools)")
	}
	ss := samples()
	dir := writeSamples(t, ss)
	// TLSH 3.4 prints the 70 hex digits without "T1" and digests only
	// contents of 256 bytes or more; 4.x adds the prefix and digests from
	// 50 bytes. The bodies are the same.
	out, err := exec.Command("tlsh", "-r", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, "\t")
		if len(f) == 2 && len(f[0]) == 70 {
			want[filepath.Base(f[1])] = f[0]
		}
	}
	tl := NewTLSH()
	compared := 0
	for _, x := range ss {
		tl.Reset()
		tl.Write(x.data)
		got := tl.Sum()
		tl.Reset()
		oddWrites(tl, x.data)
		if odd := tl.Sum(); odd != got {
			t.Errorf("%s: %s in one write, %s in odd-sized writes", x.name, got, odd)
		}
		w, ok := want[x.name]
		switch {
		case !ok && len(x.data) >= 256 && got != "":
			t.Errorf("%s: got %s, tlsh printed no digest", x.name, got)
		case !ok:
		case got != "T1"+w:
			t.Errorf("%s: got %s, tlsh printed %s", x.name, got, w)
		default:
			compared++
		}
		if len(x.data) < TLSHMinSize && got != "" {
			t.Errorf("%s: a digest for %d bytes", x.name, len(x.data))
		}
	}
	if compared < 20 {
		t.Errorf("only %d digests compared with tlsh", compared)
	}
}

var ssdeepMatch = regexp.MustCompile(`^(.*) matches (.*):(.*) \((\d+)\)$`)

// TestSSDeepScoreMatchesCommand compares the scores of pairs: variants of
// a content (bytes changed, inserted, cut, appended) matched by ssdeep -m
// against the originals' digests.
func TestSSDeepScoreMatchesCommand(t *testing.T) {
	if _, err := exec.LookPath("ssdeep"); err != nil {
		t.Skip("ssdeep not installed (Debian package ssdeep)")
	}
	r := rand.New(rand.NewPCG(17, 2))
	var base, variants []sample
	for i, n := range []int{3000, 9000, 20000, 70000, 250000} {
		var b []byte
		if i%2 == 0 {
			b = make([]byte, n)
			for k := range b {
				b[k] = byte(r.Uint32())
			}
		} else {
			var t bytes.Buffer
			for k := 0; t.Len() < n; k++ {
				fmt.Fprintf(&t, "record %d value %d\n", k, r.IntN(1000))
			}
			b = t.Bytes()[:n]
		}
		name := fmt.Sprintf("base-%d", n)
		base = append(base, sample{name, b})
		for v := range 8 {
			c := bytes.Clone(b)
			switch v % 4 {
			case 0: // bytes changed
				for range 1 + v*3 {
					c[r.IntN(len(c))] ^= 0x55
				}
			case 1: // a run inserted
				at := r.IntN(len(c))
				ins := make([]byte, 50*v)
				c = append(c[:at:at], append(ins, b[at:]...)...)
			case 2: // cut
				c = c[:len(c)-len(c)/(v+2)]
			case 3: // appended
				c = append(c, bytes.Repeat([]byte("tail "), len(c)/(v+3)/5)...)
			}
			variants = append(variants, sample{fmt.Sprintf("%s-v%d", name, v), c})
		}
	}
	bdir := writeSamples(t, base)
	vdir := writeSamples(t, variants)
	known, err := exec.Command("ssdeep", "-s", "-b", "-r", bdir).Output()
	if err != nil {
		t.Fatal(err)
	}
	kf := filepath.Join(t.TempDir(), "known.csv")
	os.WriteFile(kf, known, 0o644)
	out, err := exec.Command("ssdeep", "-s", "-b", "-a", "-m", kf, "-r", vdir).Output()
	if err != nil {
		t.Fatal(err)
	}
	type pair struct{ v, b string }
	want := map[pair]int{}
	for _, line := range strings.Split(string(out), "\n") {
		m := ssdeepMatch.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		sc, _ := strconv.Atoi(m[4])
		want[pair{filepath.Base(m[1]), filepath.Base(m[3])}] = sc
	}
	digest := func(b []byte) SSDeepDigest {
		s := NewSSDeep()
		s.Write(b)
		d, err := ParseSSDeep(s.Sum())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	nonzero := 0
	for _, v := range variants {
		dv := digest(v.data)
		for _, b := range base {
			db := digest(b.data)
			got := CompareSSDeep(&dv, &db)
			w := want[pair{v.name, b.name}]
			if got != w {
				t.Errorf("%s against %s: score %d, ssdeep -m %d", v.name, b.name, got, w)
			}
			if got != CompareSSDeep(&db, &dv) {
				t.Errorf("%s against %s: not symmetric", v.name, b.name)
			}
			if w > 0 && w < 100 {
				nonzero++
			}
		}
	}
	if nonzero < 10 {
		t.Errorf("only %d pairs with a score between 1 and 99", nonzero)
	}
}

// TestSSDeepMatchesCommandAtBoundaries compares with the ssdeep command at
// sizes around the block sizes' limits (3·2ⁱ·64 bytes) and on content of
// few distinct bytes, whose rolling hash triggers many block sizes at once,
// fed as the scan feeds it (1 MiB writes) and in 4 KiB writes.
func TestSSDeepMatchesCommandAtBoundaries(t *testing.T) {
	if _, err := exec.LookPath("ssdeep"); err != nil {
		t.Skip("ssdeep not installed (Debian package ssdeep)")
	}
	r := rand.New(rand.NewPCG(23, 4))
	var ss []sample
	for _, n := range []int{191, 192, 193, 12287, 12288, 12289, 196607, 196608, 196609, 2<<20 + 1} {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		ss = append(ss, sample{fmt.Sprintf("random-%d", n), b})
		low := make([]byte, n)
		for i := range low {
			low[i] = byte(r.IntN(3))
		}
		ss = append(ss, sample{fmt.Sprintf("low-%d", n), low})
	}
	dir := writeSamples(t, ss)
	out, err := exec.Command("ssdeep", "-b", "-s", "-r", dir).Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, line := range strings.Split(string(out), "\n")[1:] {
		if i := strings.LastIndexByte(line, ','); i > 0 {
			name, _ := strconv.Unquote(line[i+1:])
			want[name] = line[:i]
		}
	}
	s := NewSSDeep()
	for _, x := range ss {
		for _, chunk := range []int{1 << 20, 4096} {
			s.Reset()
			for b := x.data; len(b) > 0; {
				k := min(chunk, len(b))
				s.Write(b[:k])
				b = b[k:]
			}
			if got := s.Sum(); got != want[x.name] {
				t.Errorf("%s in %d-byte writes: got %s, ssdeep printed %s", x.name, chunk, got, want[x.name])
			}
		}
	}
}
