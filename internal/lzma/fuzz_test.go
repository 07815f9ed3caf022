package lzma

import (
	"bytes"
	"io"
	"testing"

	"github.com/ulikunitz/xz"
	ulzma "github.com/ulikunitz/xz/lzma"
)

// fuzzRead reads r to its end or its first error, with a bound on the
// content so that a small input cannot make a long run.
func fuzzRead(t *testing.T, r io.Reader) {
	n, err := io.Copy(io.Discard, io.LimitReader(r, 8<<20))
	if err == nil && n == 8<<20 {
		return
	}
	_ = err
}

func seedContent() []byte { return content(21, 20000) }

// FuzzXZ: any bytes given as an xz file give content or an error, never a
// panic or a hang.
func FuzzXZ(f *testing.F) {
	for _, c := range []byte{xz.None, xz.CRC32, xz.CRC64, xz.SHA256} {
		var b bytes.Buffer
		w, _ := xz.WriterConfig{CheckSum: c, NoCheckSum: c == xz.None, DictCap: 4096}.NewWriter(&b)
		w.Write(seedContent())
		w.Close()
		f.Add(b.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		z, err := NewXZReader(bytes.NewReader(b), 1<<20)
		if err != nil {
			return
		}
		fuzzRead(t, z)
	})
}

// FuzzLZMA: any properties and stream, with and without a known size.
func FuzzLZMA(f *testing.F) {
	for _, eos := range []bool{false, true} {
		var b bytes.Buffer
		w, _ := ulzma.WriterConfig{DictCap: 4096, EOSMarker: eos, Size: -1}.NewWriter(&b)
		w.Write(seedContent())
		w.Close()
		f.Add(b.Bytes(), int64(20000))
		f.Add(b.Bytes(), int64(-1))
	}
	f.Fuzz(func(t *testing.T, b []byte, size int64) {
		if len(b) < 13 {
			return
		}
		if size > 1<<22 {
			size = 1 << 22
		}
		z, err := NewReaderProps(bytes.NewReader(b[13:]), b[:5], size, 1<<20)
		if err != nil {
			return
		}
		fuzzRead(t, z)
	})
}

// FuzzLZMA2: any LZMA2 stream, with the bytes after its end left unread.
func FuzzLZMA2(f *testing.F) {
	var b bytes.Buffer
	w, _ := ulzma.Writer2Config{DictCap: 4096}.NewWriter2(&b)
	w.Write(seedContent())
	w.Close()
	f.Add(b.Bytes(), byte(0))
	f.Add([]byte{1, 0, 2, 'a', 'b', 'c', 0}, byte(40))
	f.Fuzz(func(t *testing.T, b []byte, dict byte) {
		ds, err := DictSize2(dict)
		if err != nil {
			return
		}
		r := bytes.NewReader(b)
		z := NewReader2(r, ds, 0, 1<<20)
		before := r.Len()
		fuzzRead(t, z)
		if z.Offset() != int64(before-r.Len()) {
			t.Fatalf("offset %d, read %d", z.Offset(), before-r.Len())
		}
	})
}
