package classify

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"math"
	"math/rand"
	"testing"
)

func zipWith(t testing.TB, names ...string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		m := zip.Deflate
		if n == "mimetype" {
			m = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		if n == "mimetype" {
			f.Write([]byte("application/vnd.oasis.opendocument.text"))
		} else {
			f.Write([]byte("<x/>"))
		}
	}
	w.Close()
	return buf.Bytes()
}

func pe() []byte {
	b := make([]byte, 256)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	return b
}

// Skeleton samples: each is the smallest content whose type is defined by
// the format's published signature.
func TestDetect(t *testing.T) {
	fatMachO := []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2, 0, 0, 0, 0}
	class := []byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52, 0, 0, 0, 0}
	tests := []struct {
		name string
		in   []byte
		mime string
	}{
		{"empty", nil, MIMEEmpty},
		{"pe-with-lfanew", pe(), MIMEPE},
		{"mz-without-pe", []byte("MZ\x90\x00 plain DOS stub ................................................................"), MIMEDOSExe},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00"), MIMEELF},
		{"macho-64", []byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, MIMEMachO},
		{"macho-fat", fatMachO, MIMEMachO},
		{"java-class", class, MIMEJavaClass},
		{"sqlite", []byte("SQLite format 3\x00\x10\x00"), MIMESQLite},
		{"ewf", []byte("EVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00"), MIMEEWF},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), MIMEPDF},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "image/png"},
		{"jpeg", []byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F'}, "image/jpeg"},
		{"gzip", []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0}, "application/gzip"},
		{"zip-plain", zipWith(t, "a.txt", "b.txt"), MIMEZip},
		{"zip-docx", zipWith(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), MIMEDocx},
		{"zip-xlsx", zipWith(t, "[Content_Types].xml", "xl/workbook.xml"), MIMEXlsx},
		{"zip-pptx", zipWith(t, "[Content_Types].xml", "ppt/presentation.xml"), MIMEPptx},
		{"zip-jar", zipWith(t, "META-INF/MANIFEST.MF", "a/B.class"), MIMEJar},
		{"zip-apk", zipWith(t, "AndroidManifest.xml", "classes.dex"), MIMEAPK},
		{"zip-odt", zipWith(t, "mimetype", "content.xml"), MIMEODT},
		{"text-ascii", []byte("hello world\n"), MIMEText},
		{"text-utf8", []byte("grüße, 日本語\n"), MIMEText},
		{"text-utf16le-bom", []byte{0xff, 0xfe, 'h', 0, 'i', 0}, MIMEText},
		{"html", []byte("\n  <!DOCTYPE html><html></html>"), MIMEHTML},
		{"xml", []byte("<?xml version=\"1.0\"?><a/>"), MIMEXML},
		{"binary-nul", []byte{1, 2, 0, 4, 5, 0, 0, 9}, MIMEOctetStream},
		// ICONDIR, one ICONDIRENTRY: 16x16, 0 colours, reserved 0, 1 plane,
		// 32 bpp, 1128 bytes at offset 22.
		{"ico", []byte("\x00\x00\x01\x00\x01\x00\x10\x10\x00\x00\x01\x00\x20\x00\x68\x04\x00\x00\x16\x00\x00\x00"), MIMEICO},
		// An ETL trace starts with its buffer size, 65536: not an icon.
		{"etl-not-ico", []byte("\x00\x00\x01\x00\x4c\x03\x00\x00\xff\x7f\x9e\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"), MIMEOctetStream},
		{"ole-other", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 600)...), MIMEOLE},
		{"invalid-utf8", []byte{'a', 0xff, 0xfe, 0xfd, 'b', 0xc0}, MIMEOctetStream},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.in); got.MIME != tt.mime {
				t.Errorf("Detect(%s) = %q, want %q", tt.name, got.MIME, tt.mime)
			}
		})
	}
}

func TestTextTruncatedAtHeadBoundary(t *testing.T) {
	// A multi-byte character cut by the end of the head is still text.
	s := bytes.Repeat([]byte("é"), HeadSize) // 2 bytes each
	if got := Detect(s[:HeadSize-1]); got.MIME != MIMEText {
		t.Errorf("got %q", got.MIME)
	}
}

func TestMismatch(t *testing.T) {
	tests := []struct {
		name string
		ext  string
		in   []byte
		want bool
	}{
		{"pe-named-jpg", "jpg", pe(), true},
		{"zip-named-png", "png", zipWith(t, "a.txt"), true},
		{"docx-is-not-mismatch", "docx", zipWith(t, "[Content_Types].xml", "word/document.xml"), false},
		{"xlsx-seen-as-plain-zip", "xlsx", zipWith(t, "a.xml"), false},
		{"jar-is-zip", "jar", zipWith(t, "META-INF/MANIFEST.MF"), false},
		{"zip-named-zip", "zip", zipWith(t, "a"), false},
		{"text-named-txt", "txt", []byte("hello\n"), false},
		{"pe-named-txt", "txt", pe(), true},
		{"html-named-jpg", "jpg", []byte("<html><body>x</body></html>"), true},
		{"random-named-jpg", "jpg", []byte{1, 2, 3, 0, 5, 6}, true},
		{"random-named-txt", "txt", []byte{1, 2, 3, 0, 5, 6}, false},
		{"unknown-ext", "qqq", pe(), false},
		{"no-ext", "", pe(), false},
		{"empty-jpg", "jpg", nil, false},
		{"exe-named-exe", "exe", pe(), false},
		{"dll-named-dll", "dll", pe(), false},
		{"text-named-so", "so", []byte("GROUP ( /lib/libc.so.6 )\n"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mismatch(tt.ext, Detect(tt.in)); got != tt.want {
				t.Errorf("Mismatch(%q, %s) = %v, want %v", tt.ext, Detect(tt.in).MIME, got, tt.want)
			}
		})
	}
}

func TestExtension(t *testing.T) {
	for in, want := range map[string]string{
		"a.JPG": "jpg", "/x/y/archive.tar.gz": "gz", ".bashrc": "", "noext": "", "trailing.": "", "dir.d/file": "",
	} {
		if got := Extension(in); got != want {
			t.Errorf("Extension(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEntropy(t *testing.T) {
	all := make([]byte, 256*16)
	for i := range all {
		all[i] = byte(i)
	}
	// Shannon entropy facts: a uniform distribution over 256 values is
	// 8 bits; two equally likely values 1 bit; a constant 0 bits.
	for _, tt := range []struct {
		in   []byte
		want float64
	}{
		{all, 8}, {[]byte("abababab"), 1}, {[]byte("aaaa"), 0}, {nil, 0}, {[]byte("abcd"), 2},
		// p = 1/4, 3/4 with counts past the c*log2(c) table:
		// -(1/4 log2 1/4 + 3/4 log2 3/4) = 0.8112781244591328.
		{append(bytes.Repeat([]byte("a"), 10000), bytes.Repeat([]byte("b"), 30000)...), 0.8112781244591328},
		{append(bytes.Repeat([]byte("a"), 1000), bytes.Repeat([]byte("b"), 3000)...), 0.8112781244591328},
	} {
		if got := Entropy(tt.in); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Entropy(%q...) = %v, want %v", tt.in[:min(len(tt.in), 8)], got, tt.want)
		}
	}
	// Writing in pieces equals writing at once.
	r := make([]byte, 10007)
	rand.New(rand.NewSource(1)).Read(r)
	var h Histogram
	h.Write(r[:3])
	h.Write(r[3:5000])
	h.Write(r[5000:])
	if a, b := h.Entropy(), Entropy(r); math.Abs(a-b) > 1e-12 || h.Count() != uint64(len(r)) {
		t.Errorf("piecewise %v != whole %v", a, b)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add(pe())
	f.Add(zipWith(f, "[Content_Types].xml", "word/document.xml"))
	f.Add([]byte("PK\x03\x04\x14\x00\x08\x00\x08\x00"))
	f.Add([]byte("MZ"))
	f.Add([]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		tt := Detect(b)
		if tt.MIME == "" {
			t.Fatal("empty MIME")
		}
		Mismatch("jpg", tt)
		Mismatch("docx", tt)
		if bad, why := Check("dat", tt); bad != (why != "") {
			t.Fatalf("Check: %v with reason %q", bad, why)
		}
		Check("", tt)
		if e := Entropy(b); e < 0 || e > 8 {
			t.Fatalf("entropy %v out of range", e)
		}
	})
}

func BenchmarkHistogram(b *testing.B) {
	buf := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(buf)
	var h Histogram
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		h.Write(buf)
	}
}

// TestHistogramFold checks the counts kept past a fold of the 32-bit
// tables against a plain count of every byte value.
func TestHistogramFold(t *testing.T) {
	buf := make([]byte, 3<<20+5)
	rand.New(rand.NewSource(2)).Read(buf)
	var want [256]float64
	for _, b := range buf {
		want[b]++
	}
	var h Histogram
	h.Write(buf[:7])
	h.fold()
	h.Write(buf[7:1001])
	h.fold()
	h.Write(buf[1001:])
	sum := 0.0
	for _, c := range want {
		if c > 0 {
			sum += c * math.Log2(c)
		}
	}
	n := float64(len(buf))
	exact := math.Log2(n) - sum/n
	if got := h.Entropy(); math.Abs(got-exact) > 1e-9 || h.Count() != uint64(len(buf)) {
		t.Fatalf("entropy after folds %v (count %d), want %v (%d)", got, h.Count(), exact, len(buf))
	}
	if got := Entropy(buf); got != h.Entropy() {
		t.Fatalf("entropy in one write %v, after folds %v", got, h.Entropy())
	}
	h.Reset()
	if h.Entropy() != 0 || h.Count() != 0 {
		t.Fatalf("after Reset: entropy %v, count %d", h.Entropy(), h.Count())
	}
}

// BenchmarkHistogramFiles counts small contents one after the other, as
// a batch of small files is measured (Reset, Write, Entropy each).
func BenchmarkHistogramFiles(b *testing.B) {
	buf := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(buf)
	var h Histogram
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		for off := 0; off < len(buf); off += 4096 {
			h.Reset()
			h.Write(buf[off : off+4096])
			_ = h.Entropy()
		}
	}
}
