package classify_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/triagekit/triage/triage/classify"
	"github.com/triagekit/triage/triage/classify/classifytest"
)

func check(name string, b []byte) (bool, string) {
	return classify.Check(classify.Extension(name), classify.Detect(b))
}

// Every sample of every family, renamed the ways a suspect hides a file
// (Carrier's JPEG search test: .dat and .hmm; no extension; another
// family's extension), is flagged, with a reason naming the content type
// and the extension; under its own extension it is not.
func TestRenamedFamiliesFlagged(t *testing.T) {
	for i, s := range classifytest.Samples(t) {
		if got := classify.Detect(s.Data).MIME; got != s.MIME {
			t.Errorf("sample %d (%s .%s): detected %s, want %s", i, s.Family, s.Ext, got, s.MIME)
			continue
		}
		if bad, why := check("file."+s.Ext, s.Data); bad {
			t.Errorf("%s named .%s flagged: %s", s.MIME, s.Ext, why)
		}
		other := "txt"
		if s.Family == classifytest.Document {
			other = "jpg"
		}
		for _, name := range []string{"holiday.dat", "file.hmm", "photo.boo", "noextension", "x." + other} {
			bad, why := check(name, s.Data)
			if !bad {
				t.Errorf("%s (%s) named %s not flagged", s.MIME, s.Family, name)
				continue
			}
			if !strings.HasPrefix(why, "content is "+s.MIME+"; ") {
				t.Errorf("%s named %s: reason %q", s.MIME, name, why)
			}
		}
	}
}

func TestCheckReasons(t *testing.T) {
	jpeg := classifytest.Samples(t)[0].Data
	for _, tt := range []struct {
		name string
		in   []byte
		want string
	}{
		{"holiday.dat", jpeg, "content is image/jpeg; .dat is not one of its extensions"},
		{"holiday", jpeg, "content is image/jpeg; a name without an extension is not allowed for it"},
		{"HOLIDAY.HMM", jpeg, "content is image/jpeg; .hmm is not one of its extensions"},
		{"report.dat", classifytest.PE(t), "content is application/vnd.microsoft.portable-executable; .dat is not one of its extensions"},
		// The extension direction: unrecognised bytes under a strict
		// extension.
		{"photo.jpg", []byte{1, 2, 3, 0, 5, 6}, ".jpg promises image/jpeg; content is application/octet-stream"},
		{"notes.txt", classifytest.ELF(t), ".txt promises text/html or text/plain or text/xml; content is application/x-executable"},
	} {
		bad, why := check(tt.name, tt.in)
		if !bad || why != tt.want {
			t.Errorf("%s: %v %q, want %q", tt.name, bad, why, tt.want)
		}
	}
}

func utf16LE(s string) []byte {
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// Both directions, with the cases that must not be flagged.
func TestCheckBothDirections(t *testing.T) {
	garbage := make([]byte, 4096)
	rand.New(rand.NewSource(7)).Read(garbage)
	garbage[0] = 0 // no accidental signature
	samples := map[string][]byte{}
	for _, s := range classifytest.Samples(t) {
		if samples[s.MIME] == nil {
			samples[s.MIME] = s.Data
		}
	}
	zipData := samples["application/zip"]
	mpegPS := append([]byte{0, 0, 1, 0xba, 0x44, 0, 4, 0, 4, 1, 1, 0x89, 0xc3, 0xf8}, make([]byte, 100)...)
	docx := samples["application/vnd.openxmlformats-officedocument.wordprocessingml.document"]
	for _, tt := range []struct {
		name string
		in   []byte
		want bool
	}{
		// content direction
		{"a.jpg", samples["image/jpeg"], false},
		{"a.jpeg", samples["image/jpeg"], false},
		{"a.jpe", samples["image/jpeg"], false},
		{"a.jfif", samples["image/jpeg"], false},
		{"a.tif", samples["image/tiff"], false},
		{"a.tiff", samples["image/tiff"], false},
		{"a.dat", samples["image/png"], true},
		{"a", samples["application/pdf"], true},
		{"a.pdf.bak", samples["application/pdf"], true},
		{"a.exe", classifytest.PE(t), false},
		{"a.dll", classifytest.PE(t), false},
		{"a.sys", classifytest.PE(t), false},
		{"a.mui", classifytest.PE(t), false},
		{"a.efi", classifytest.PE(t), false},
		{"a.com", classifytest.PE(t), false},
		{"mpasbase.vdm", classifytest.PE(t), false},
		// an MPEG program stream pack header (ISO/IEC 13818-1 2.5.3.3)
		{"clip.mpg", mpegPS, false},
		{"clip.mpeg", mpegPS, false},
		{"clip.hmm", mpegPS, true},
		{"page.htm", []byte("<html><body>x</body></html>"), false},
		{"base.odex", classifytest.ELF(t), false},
		{"book.xlsb", zipData, false},
		{"a.bin", classifytest.PE(t), true},
		{"a.exe_", classifytest.PE(t), true},
		{"a.tar.gz", samples["application/gzip"], false},
		{"a.tgz", samples["application/gzip"], false},
		{"a.gz.part", samples["application/gzip"], true},
		// container-aware: OOXML, ODF, JAR, APK are ZIP files
		{"report.docx", zipData, false},
		{"report.docx", docx, false},
		{"report.zip", docx, false},
		{"lib.jar", zipData, false},
		{"app.apk", zipData, false},
		{"sheet.ods", zipData, false},
		{"report.docx", samples["image/png"], true},
		// text is loose; text extensions are kept by text and by
		// unrecognised bytes
		{"notes.txt", utf16LE("Hello, Windows\r\n"), false},
		{"setup.log", garbage, false},
		{"setup.log", []byte("installing\n"), false},
		{"readme", []byte("plain text without an extension\n"), false},
		{"page.dat", []byte("<!DOCTYPE html><html></html>"), false},
		{"notes.txt", classifytest.PE(t), true},
		// ELF carries any name or none
		{"/lib64/ld-linux-x86-64.so.2", classifytest.ELF(t), false},
		{"/usr/bin/ls", classifytest.ELF(t), false},
		{"libc.so.6", classifytest.ELF(t), false},
		{"module.ko", classifytest.ELF(t), false},
		{"libfoo.so", []byte("GROUP ( /lib/libc.so.6 )\n"), true},
		{"pic.jpg", classifytest.ELF(t), true},
		// extension direction
		{"pic.jpg", garbage, true},
		{"pic.jpg", zipData, true},
		{"archive.zip", samples["image/jpeg"], true},
		{"doc.pdf", []byte("just text\n"), true},
		{"unknown.qqq", garbage, false},
		{"noext", garbage, false},
		{"empty.jpg", nil, false},
		{"empty", nil, false},
	} {
		if bad, why := check(tt.name, tt.in); bad != tt.want {
			t.Errorf("%s (%s): %v %q, want %v", tt.name, classify.Detect(tt.in).MIME, bad, why, tt.want)
		}
	}
}

// A System32-like folder: the kinds of files a Windows system folder holds,
// in roughly the proportions of a Windows 10 System32 (mostly PE modules
// under their many extensions, then language resources, national language
// tables, catalogues, MOF and INF text, XML, pictures, fonts, hives
// without an extension). Fewer than 1% may be flagged.
func TestSystem32FalsePositives(t *testing.T) {
	pe := classifytest.PE(t)
	rnd := rand.New(rand.NewSource(32))
	bin := func(prefix string) []byte {
		b := make([]byte, 2048)
		rnd.Read(b)
		return append([]byte(prefix), b...)
	}
	samples := classifytest.Samples(t)
	png := samples[2].Data
	dosStub := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00"), make([]byte, 200)...) // NE font: MZ without PE
	kinds := []struct {
		ext   string
		count int
		data  func() []byte
	}{
		{"dll", 3300, func() []byte { return pe }},
		{"exe", 600, func() []byte { return pe }},
		{"dll.mui", 700, func() []byte { return pe }},
		{"exe.mui", 150, func() []byte { return pe }},
		{"sys", 400, func() []byte { return pe }},
		{"cpl", 30, func() []byte { return pe }},
		{"ocx", 20, func() []byte { return pe }},
		{"ax", 25, func() []byte { return pe }},
		{"acm", 6, func() []byte { return pe }},
		{"tsp", 6, func() []byte { return pe }},
		{"ime", 5, func() []byte { return pe }},
		{"drv", 10, func() []byte { return pe }},
		{"scr", 8, func() []byte { return pe }},
		{"com", 6, func() []byte { return pe }},
		{"efi", 4, func() []byte { return pe }},
		{"winmd", 40, func() []byte { return pe }},
		{"tlb", 30, func() []byte { return pe }},
		{"tlb", 10, func() []byte { return bin("MSFT\x02\x00\x01\x00") }},
		{"mun", 30, func() []byte { return pe }},
		{"msstyles", 2, func() []byte { return pe }},
		{"rll", 5, func() []byte { return pe }},
		{"fon", 10, func() []byte { return dosStub }},
		{"nls", 100, func() []byte { return bin("\x0d\x00") }},
		{"dat", 60, func() []byte { return bin("\x01\x02") }},
		{"cat", 80, func() []byte { return bin("\x30\x82") }},
		{"mof", 60, func() []byte { return utf16LE("#pragma namespace(\"\\\\\\\\.\\\\root\\\\cimv2\")\r\n") }},
		{"mfl", 60, func() []byte { return utf16LE("// localized MOF\r\n") }},
		{"inf", 40, func() []byte { return []byte("[Version]\r\nSignature=\"$Windows NT$\"\r\n") }},
		{"ini", 10, func() []byte { return []byte("[boot]\r\n") }},
		{"xml", 60, func() []byte { return []byte("<?xml version=\"1.0\"?><a/>") }},
		{"manifest", 20, func() []byte { return []byte("<?xml version=\"1.0\"?><assembly/>") }},
		{"msc", 30, func() []byte { return []byte("<?xml version=\"1.0\"?><MMC_ConsoleFile/>") }},
		{"png", 30, func() []byte { return png }},
		{"rtf", 3, func() []byte { return []byte("{\\rtf1\\ansi license}") }},
		{"etl", 20, func() []byte { return bin("\x00\x00\x01\x00\x00\x00") }},
		{"log", 20, func() []byte { return []byte("2026-01-01 started\r\n") }},
		{"txt", 10, func() []byte { return []byte("readme\r\n") }},
		{"", 15, func() []byte { return bin("regf\x01\x00") }},
		{"ttf", 5, func() []byte { return bin("\x00\x01\x00\x00\x00\x10") }},
		{"cab", 5, func() []byte { return bin("MSCF\x00\x00\x00\x00") }},
		{"msi", 2, func() []byte { return bin("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") }},
		{"sdb", 5, func() []byte { return bin("\x02\x00\x00\x00\x01\x00\x00\x00sdbf") }},
		{"bin", 10, func() []byte { return bin("\x03\x00") }},
	}
	total, flagged := 0, 0
	var examples []string
	for _, k := range kinds {
		for i := 0; i < k.count; i++ {
			name := fmt.Sprintf("file%d", i)
			if k.ext != "" {
				name += "." + k.ext
			}
			total++
			if bad, why := check(name, k.data()); bad {
				flagged++
				if len(examples) < 10 {
					examples = append(examples, name+": "+why)
				}
			}
		}
	}
	rate := float64(flagged) / float64(total)
	t.Logf("System32-like mix: %d of %d flagged (%.3f%%): %v", flagged, total, 100*rate, examples)
	if rate >= 0.01 {
		t.Errorf("false-positive rate %.2f%% (%d of %d): %v", 100*rate, flagged, total, examples)
	}
}

func TestPolicyFile(t *testing.T) {
	jpeg := classifytest.Samples(t)[0].Data
	pe := classifytest.PE(t)
	p, err := classify.ParsePolicy(strings.NewReader(`
# a camera writes .thm thumbnails
image/jpeg += thm
# this lab renames evidence PE files to .bin on export
application/vnd.microsoft.portable-executable,application/x-dosexec += ~bin
image/png -          # not checked at all
application/pdf pdf . # PDFs without a name are fine
`), classify.Default())
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		in   []byte
		want bool
	}{
		{"a.thm", jpeg, false}, {"a.jpg", jpeg, false}, {"a.dat", jpeg, true},
		{"a.bin", pe, false}, {"a.dat", pe, true},
		{"a.dat", classifytest.Samples(t)[2].Data, false},
		{"a", classifytest.Samples(t)[8].Data, false}, {"a.ai", classifytest.Samples(t)[8].Data, true},
	} {
		if bad, why := p.Check(classify.Extension(tt.name), classify.Detect(tt.in)); bad != tt.want {
			t.Errorf("%s: %v %q, want %v", tt.name, bad, why, tt.want)
		}
	}
	// The default is unchanged.
	if bad, _ := check("a.thm", jpeg); !bad {
		t.Error("the default policy changed")
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "policy.txt")
	os.WriteFile(f, []byte("image/jpeg += thm\n"), 0o644)
	if p, err := classify.LoadPolicy(f); err != nil {
		t.Fatal(err)
	} else if bad, _ := p.Check("thm", classify.Detect(jpeg)); bad {
		t.Error("loaded policy not applied")
	}
}

func TestPolicyErrors(t *testing.T) {
	for in, want := range map[string]string{
		"jpeg jpg":                               `line 1 (offset 0): "jpeg" is not a MIME type`,
		"\nimage/jpeg .jpg":                      `line 2 (offset 1): ".jpg" is not an extension (give it without the dot)`,
		"image/jpeg - jpg":                       `line 1 (offset 0): "jpg" after -`,
		"image/jpeg " + strings.Repeat("x", 300): "line 1 (offset 0): token longer than 255 bytes",
		strings.Repeat("#\n", classify.MaxPolicyLines) + "x/y z": fmt.Sprintf("line %d (offset %d): more than %d lines",
			classify.MaxPolicyLines+1, 2*classify.MaxPolicyLines, classify.MaxPolicyLines),
	} {
		_, err := classify.ParsePolicy(strings.NewReader(in), nil)
		if err == nil || err.Error() != want {
			t.Errorf("%.30q: %v, want %s", in, err, want)
		}
	}
	// Exactly one byte too many, ending in a newline: refused, not cut.
	line := "#" + strings.Repeat("x", 998) + "\n"
	tooBig := strings.Repeat(line, (classify.MaxPolicySize+1)/len(line))
	tooBig += "#" + strings.Repeat("x", classify.MaxPolicySize+1-len(tooBig)-2) + "\n"
	if len(tooBig) != classify.MaxPolicySize+1 {
		t.Fatal(len(tooBig))
	}
	if _, err := classify.ParsePolicy(strings.NewReader(tooBig), nil); err == nil ||
		!strings.Contains(err.Error(), "larger than") {
		t.Errorf("big table: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, bytes.Repeat([]byte("#\n"), classify.MaxPolicySize), 0o644)
	if _, err := classify.LoadPolicy(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("big policy: %v", err)
	}
}

// The documented table is the one the code uses.
func TestDocumentedTable(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "classification.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(classify.DefaultTable, "\n") {
		if strings.TrimSpace(line) != "" && !strings.Contains(string(doc), line) {
			t.Errorf("docs/classification.md lacks the table line %q", line)
		}
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(classify.DefaultTable))
	f.Add([]byte("image/jpeg += thm ~x . * loose\nimage/png -\na/b,c/d -= x\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := classify.ParsePolicy(bytes.NewReader(b), classify.Default())
		if err != nil {
			return
		}
		for _, r := range p.Rules() {
			p.Check(r.MIME, classify.Type{MIME: r.MIME})
		}
		p.Check("", classify.Type{MIME: classify.MIMEOctetStream})
	})
}

func BenchmarkCheck(b *testing.B) {
	t := classify.Detect(classifytest.Samples(b)[0].Data)
	p := classify.Default()
	for b.Loop() {
		p.Check("jpg", t)
		p.Check("dat", t)
	}
}
