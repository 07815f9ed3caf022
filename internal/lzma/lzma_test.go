package lzma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
	ulzma "github.com/ulikunitz/xz/lzma"
)

// content returns n bytes of a mix the encoders treat differently: log-like
// text (long matches, repeated distances), bytes with short repeats
// (matched literals), random runs (stored chunks, plain literals) and a
// run of one byte (overlapping matches).
func content(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	var b bytes.Buffer
	for b.Len() < n {
		switch r.IntN(4) {
		case 0:
			for range r.IntN(200) {
				fmt.Fprintf(&b, "2026-12-01 10:%02d:%02d host%d sshd[%d]: session opened for user u%d\n",
					r.IntN(60), r.IntN(60), r.IntN(5), r.IntN(70000), r.IntN(40))
			}
		case 1:
			k := r.IntN(20000)
			for i := range k {
				b.WriteByte(byte(i%13) ^ byte(r.IntN(3)))
			}
		case 2:
			k := r.IntN(30000)
			for range k {
				b.WriteByte(byte(r.Uint32()))
			}
		case 3:
			b.Write(bytes.Repeat([]byte{byte(r.IntN(256))}, r.IntN(5000)))
		}
	}
	return b.Bytes()[:n]
}

func readAll(t testing.TB, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

// TestXZCommand decodes what xz (XZ Utils) writes: every preset, every
// check, several blocks with sizes in their headers, several streams with
// padding between them; the content must be the file xz was given.
func TestXZCommand(t *testing.T) {
	if _, err := exec.LookPath("xz"); err != nil {
		t.Skip("xz (Debian package xz-utils) not installed")
	}
	dir := t.TempDir()
	data := content(1, 600<<10)
	small := content(2, 5000)
	for name, b := range map[string][]byte{"data": data, "small": small, "empty": nil} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	xzOut := func(t *testing.T, args ...string) []byte {
		t.Helper()
		cmd := exec.Command("xz", append([]string{"-c"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("xz %v: %v", args, err)
		}
		return out
	}
	cases := []struct {
		name string
		args []string
		want []byte
	}{
		{"preset0-crc32", []string{"-0", "-C", "crc32", "data"}, data},
		{"preset3", []string{"-3", "data"}, data},
		{"preset6-sha256", []string{"-6", "-C", "sha256", "data"}, data},
		{"preset9-none", []string{"-9", "-C", "none", "data"}, data},
		{"preset9e-small", []string{"-9e", "small"}, small},
		{"lc4-lp0-pb0", []string{"--lzma2=preset=2,lc=4,lp=0,pb=0", "data"}, data},
		{"lc0-lp2-pb4", []string{"--lzma2=preset=2,lc=0,lp=2,pb=4", "data"}, data},
		{"small-dict", []string{"--lzma2=preset=6,dict=4KiB", "data"}, data},
		{"blocks", []string{"-T2", "--block-size=150KiB", "data"}, data},
		{"small", []string{"-6", "small"}, small},
		{"empty", []string{"empty"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command("xz", append([]string{"-c"}, c.args...)...)
			cmd.Dir = dir
			enc, err := cmd.Output()
			if err != nil {
				t.Fatalf("xz: %v", err)
			}
			z, err := NewXZReader(bytes.NewReader(enc), 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, z); !bytes.Equal(got, c.want) {
				t.Errorf("content differs: %d bytes, want %d", len(got), len(c.want))
			}
		})
	}
	t.Run("streams", func(t *testing.T) {
		var enc []byte
		enc = append(enc, xzOut(t, "-1", "small")...)
		enc = append(enc, 0, 0, 0, 0, 0, 0, 0, 0) // stream padding
		enc = append(enc, xzOut(t, "-6", "-C", "sha256", "data")...)
		enc = append(enc, xzOut(t, "empty")...)
		z, err := NewXZReader(bytes.NewReader(enc), 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		want := append(append([]byte{}, small...), data...)
		if got := readAll(t, z); !bytes.Equal(got, want) {
			t.Errorf("content differs: %d bytes, want %d", len(got), len(want))
		}
		// Padding not a multiple of four is an error.
		bad := append(xzOut(t, "-1", "small"), 0, 0)
		z, _ = NewXZReader(bytes.NewReader(bad), 64<<20)
		if _, err := io.ReadAll(z); !errors.Is(err, ErrCorrupt) {
			t.Errorf("padding of 2 bytes: %v", err)
		}
	})
}

// TestEncoders decodes what another implementation encodes (the
// ulikunitz/xz writers): xz files, LZMA with an end marker, LZMA with a
// known size and LZMA2 streams, with the dictionary at its edge.
func TestEncoders(t *testing.T) {
	for _, n := range []int{0, 1, 100, 70000, 300<<10 + 12345} {
		data := content(uint64(n), n)
		t.Run(fmt.Sprint("xz-", n), func(t *testing.T) {
			var b bytes.Buffer
			w, err := xz.WriterConfig{DictCap: 64 << 10}.NewWriter(&b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			w.Close()
			z, err := NewXZReader(&b, 64<<20)
			if err != nil {
				t.Fatal(err)
			}
			if got := readAll(t, z); !bytes.Equal(got, data) {
				t.Errorf("content differs: %d bytes, want %d", len(got), len(data))
			}
		})
		for _, sized := range []bool{false, true} {
			t.Run(fmt.Sprint("lzma-", n, "-sized-", sized), func(t *testing.T) {
				var b bytes.Buffer
				cfg := ulzma.WriterConfig{DictCap: 1 << 16, Properties: &ulzma.Properties{LC: 3, LP: 1, PB: 1}}
				if sized {
					cfg.Size = int64(n)
				} else {
					cfg.EOSMarker = true
				}
				w, err := cfg.NewWriter(&b)
				if err != nil {
					t.Fatal(err)
				}
				w.Write(data)
				w.Close()
				enc := b.Bytes()
				size := int64(-1)
				if sized {
					size = int64(n)
				}
				// The .lzma header: properties, dictionary size, size.
				z, err := NewReaderProps(bytes.NewReader(enc[13:]), enc[:5], size, 64<<20)
				if err != nil {
					t.Fatal(err)
				}
				if got := readAll(t, z); !bytes.Equal(got, data) {
					t.Errorf("content differs: %d bytes, want %d", len(got), len(data))
				}
			})
		}
		t.Run(fmt.Sprint("lzma2-", n), func(t *testing.T) {
			var b bytes.Buffer
			w, err := ulzma.Writer2Config{DictCap: 1 << 16}.NewWriter2(&b)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
			w.Close()
			b.WriteString("after") // bytes after the stream stay unread
			r := bytes.NewReader(b.Bytes())
			z := NewReader2(r, 1<<16, 0, 64<<20)
			if got := readAll(t, z); !bytes.Equal(got, data) {
				t.Errorf("content differs: %d bytes, want %d", len(got), len(data))
			}
			if rest, _ := io.ReadAll(r); string(rest) != "after" {
				t.Errorf("left after the stream: %q", rest)
			}
		})
	}
}

// TestDictCap: a match reaching farther back than the dictionary cap is
// an error that says so, and the window never grows past the cap.
func TestDictCap(t *testing.T) {
	block := content(9, 300<<10)
	data := append(append([]byte{}, block...), block...) // matches 300 KiB back
	var b bytes.Buffer
	w, _ := ulzma.Writer2Config{DictCap: 1 << 20}.NewWriter2(&b)
	w.Write(data)
	w.Close()
	z := NewReader2(bytes.NewReader(b.Bytes()), 1<<20, 0, 128<<10)
	_, err := io.ReadAll(z)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "distance") {
		t.Errorf("err %v, want a distance error", err)
	}
	if len(z.d.buf) > 128<<10 {
		t.Errorf("window %d bytes, cap 128 KiB", len(z.d.buf))
	}
	// With room for it, the same stream decodes, and the window grew only
	// to what the content needed, not to the 64 MiB asked for.
	z = NewReader2(bytes.NewReader(b.Bytes()), 64<<20, 0, 64<<20)
	if got := readAll(t, z); !bytes.Equal(got, data) {
		t.Errorf("content differs")
	}
	if len(z.d.buf) > 2<<20 {
		t.Errorf("window %d bytes for 600 KiB of content", len(z.d.buf))
	}
}

// TestDamage: every cut and many flipped bytes of an xz file give an
// error (an ErrCorrupt, or a short read) or, for a flip the check cannot
// see, content of the right length; never a panic or a hang.
func TestDamage(t *testing.T) {
	data := content(3, 64<<10)
	var b bytes.Buffer
	w, _ := xz.WriterConfig{CheckSum: xz.CRC64}.NewWriter(&b)
	w.Write(data)
	w.Close()
	enc := b.Bytes()
	decode := func(in []byte) ([]byte, error) {
		done := make(chan struct{})
		var got []byte
		var err error
		go func() {
			defer close(done)
			var z *XZReader
			if z, err = NewXZReader(bytes.NewReader(in), 64<<20); err != nil {
				return
			}
			got, err = io.ReadAll(z)
		}()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("decoding hangs")
		}
		return got, err
	}
	for cut := 0; cut < len(enc); cut += 1 + cut/8 {
		if _, err := decode(enc[:cut]); err == nil {
			t.Fatalf("cut at %d of %d: no error", cut, len(enc))
		} else if !errors.Is(err, ErrCorrupt) && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
	r := rand.New(rand.NewPCG(5, 5))
	for range 300 {
		bad := bytes.Clone(enc)
		i := r.IntN(len(bad))
		bad[i] ^= byte(1 + r.IntN(255))
		got, err := decode(bad)
		if err == nil {
			t.Errorf("flip at %d: no error (%d bytes)", i, len(got))
		}
	}
}

// TestCheck: a flipped byte of a stored chunk decodes without complaint
// from LZMA2; the block's check (each kind xz writes) finds it.
func TestCheck(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	data := make([]byte, 100<<10)
	for i := range data {
		data[i] = byte(r.Uint32()) // incompressible: stored chunks
	}
	for _, c := range []byte{xz.CRC32, xz.CRC64, xz.SHA256} {
		var b bytes.Buffer
		w, _ := xz.WriterConfig{CheckSum: c}.NewWriter(&b)
		w.Write(data)
		w.Close()
		enc := b.Bytes()
		i := bytes.Index(enc, data[50000:50100])
		if i < 0 {
			t.Fatal("content not stored as is")
		}
		enc[i] ^= 1
		z, _ := NewXZReader(bytes.NewReader(enc), 64<<20)
		_, err := io.ReadAll(z)
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "check does not match") {
			t.Errorf("check %v: %v", c, err)
		}
	}
}

// TestEmptyRead: a read into an empty buffer returns at once.
func TestEmptyRead(t *testing.T) {
	var b bytes.Buffer
	w, _ := xz.NewWriter(&b)
	w.Write(content(4, 1000))
	w.Close()
	z, err := NewXZReader(&b, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if n, err := z.Read(nil); n != 0 || err != nil {
			t.Errorf("Read(nil) = %d, %v", n, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Read(nil) does not return")
	}
	if got := readAll(t, z); !bytes.Equal(got, content(4, 1000)) {
		t.Error("content differs after an empty read")
	}
}

// TestErrorOffsets: an error names the offset of the damage's chunk.
func TestErrorOffsets(t *testing.T) {
	// A stream whose first chunk claims a dictionary reset is missing:
	// control byte 0x80 (LZMA, no reset) first.
	z := NewReader2(bytes.NewReader([]byte{0x80, 0, 0, 0, 4, 0, 0, 0, 0, 0}), 1<<16, 1000, 64<<20)
	_, err := io.ReadAll(z)
	if err == nil || !strings.Contains(err.Error(), "offset 1000") {
		t.Errorf("err %v, want offset 1000", err)
	}
}

// BenchmarkXZ decodes 16 MiB of mixed content from an xz file, against
// the ulikunitz/xz reader in the same run (bench/archives.sh compares with
// xz itself).
func BenchmarkXZ(b *testing.B) {
	data := content(11, 16<<20)
	var buf bytes.Buffer
	w, _ := xz.NewWriter(&buf)
	w.Write(data)
	w.Close()
	enc := buf.Bytes()
	b.Run("triage", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			z, _ := NewXZReader(bytes.NewReader(enc), 64<<20)
			io.Copy(io.Discard, z)
		}
	})
	b.Run("ulikunitz", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			z, _ := xz.NewReader(bytes.NewReader(enc))
			io.Copy(io.Discard, z)
		}
	})
}
