// Package classifytest provides real files of every family that extension
// checks must recognise, for tests: pictures, documents, archives, audio and
// Windows executables. Each comes from an independent producer (the Go
// distribution's own test files, the standard library's and x/image's
// encoders, the fpdf PDF writer) or, for OLE and WAV, from the published
// header layout, never from triage's code.
package classifytest

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

// Family names.
const (
	Picture    = "picture"
	Document   = "document"
	Archive    = "archive"
	Audio      = "audio"
	Executable = "executable"
)

// Failer stops a test: testing.TB and testscript's TestScript are ones.
type Failer interface {
	Fatalf(format string, args ...any)
}

// Sample is one file of a family, with the extension it is normally named
// with and the MIME type its format's signature identifies.
type Sample struct {
	Family string
	Ext    string // without the dot
	MIME   string
	Data   []byte
}

// Samples returns the files of every family. Files from the Go
// distribution are read from GOROOT; when it lacks them the test is failed,
// since every Go installation ships them.
func Samples(tb Failer) []Sample {
	goroot := func(p string) []byte {
		b, err := os.ReadFile(filepath.Join(goroot(tb), "src", filepath.FromSlash(p)))
		if err != nil {
			tb.Fatalf("Go distribution test file: %v", err)
		}
		return b
	}
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 16), uint8(y * 16), 99, 255})
		}
	}
	enc := func(f func(*bytes.Buffer) error) []byte {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			tb.Fatalf("%v", err)
		}
		return b.Bytes()
	}
	return []Sample{
		{Picture, "jpg", "image/jpeg", goroot("image/testdata/video-001.jpeg")},
		{Picture, "jpg", "image/jpeg", goroot("image/testdata/video-001.progressive.jpeg")},
		{Picture, "png", "image/png", goroot("image/testdata/video-001.png")},
		{Picture, "gif", "image/gif", goroot("image/testdata/video-001.gif")},
		{Picture, "bmp", "image/bmp", enc(func(b *bytes.Buffer) error { return bmp.Encode(b, img) })},
		{Picture, "tif", "image/tiff", enc(func(b *bytes.Buffer) error { return tiff.Encode(b, img, nil) })},
		{Picture, "png", "image/png", enc(func(b *bytes.Buffer) error { return png.Encode(b, img) })},
		{Picture, "gif", "image/gif", enc(func(b *bytes.Buffer) error { return gif.Encode(b, img, nil) })},
		{Document, "pdf", "application/pdf", enc(func(b *bytes.Buffer) error {
			p := fpdf.New("P", "mm", "A4", "")
			p.AddPage()
			p.SetFont("Helvetica", "", 12)
			p.Cell(40, 10, "quarterly figures")
			return p.Output(b)
		})},
		{Document, "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			zipOf(tb, "[Content_Types].xml", "_rels/.rels", "word/document.xml")},
		{Document, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			zipOf(tb, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml")},
		{Document, "odt", "application/vnd.oasis.opendocument.text", zipOf(tb, "mimetype", "content.xml")},
		{Document, "doc", "application/msword", ole(0xa5ec)},
		{Document, "xls", "application/vnd.ms-excel", ole(0x0809)},
		{Archive, "zip", "application/zip", goroot("archive/zip/testdata/test.zip")},
		{Archive, "zip", "application/zip", zipOf(tb, "notes/a.txt", "notes/b.txt")},
		{Archive, "tar", "application/x-tar", goroot("archive/tar/testdata/gnu.tar")},
		{Archive, "bz2", "application/x-bzip2", goroot("compress/bzip2/testdata/e.txt.bz2")},
		{Archive, "gz", "application/gzip", enc(func(b *bytes.Buffer) error {
			w := gzip.NewWriter(b)
			w.Write(bytes.Repeat([]byte("log line\n"), 100))
			return w.Close()
		})},
		{Archive, "tar", "application/x-tar", enc(func(b *bytes.Buffer) error {
			w := tar.NewWriter(b)
			w.WriteHeader(&tar.Header{Name: "a.txt", Mode: 0o644, Size: 3, Format: tar.FormatUSTAR})
			w.Write([]byte("abc"))
			return w.Close()
		})},
		{Audio, "wav", "audio/x-wav", wav()},
		{Executable, "exe", "application/vnd.microsoft.portable-executable", goroot("debug/pe/testdata/gcc-amd64-mingw-exec")},
		{Executable, "exe", "application/vnd.microsoft.portable-executable", goroot("debug/pe/testdata/gcc-386-mingw-exec")},
		{Executable, "exe", "application/vnd.microsoft.portable-executable", goroot("debug/pe/testdata/gcc-386-mingw-no-symbols-exec")},
	}
}

// ELF returns a real ELF executable of the Go distribution.
func ELF(tb Failer) []byte {
	b, err := os.ReadFile(filepath.Join(goroot(tb), "src", "debug", "elf", "testdata", "gcc-amd64-linux-exec"))
	if err != nil {
		tb.Fatalf("Go distribution test file: %v", err)
	}
	return b
}

// PE returns a real Windows executable of the Go distribution.
func PE(tb Failer) []byte {
	b, err := os.ReadFile(filepath.Join(goroot(tb), "src", "debug", "pe", "testdata", "gcc-amd64-mingw-exec"))
	if err != nil {
		tb.Fatalf("Go distribution test file: %v", err)
	}
	return b
}

var (
	gorootOnce sync.Once
	gorootDir  string
	gorootErr  error
)

// goroot is the Go distribution's root, as `go env GOROOT` says.
func goroot(tb Failer) string {
	gorootOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOROOT").Output()
		gorootDir, gorootErr = strings.TrimSpace(string(out)), err
	})
	if gorootErr != nil || gorootDir == "" {
		tb.Fatalf("go env GOROOT: %v", gorootErr)
	}
	return gorootDir
}

func zipOf(tb Failer, names ...string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, n := range names {
		m := zip.Deflate
		if n == "mimetype" {
			m = zip.Store
		}
		f, err := w.CreateHeader(&zip.FileHeader{Name: n, Method: m})
		if err != nil {
			tb.Fatalf("%v", err)
		}
		if n == "mimetype" {
			f.Write([]byte("application/vnd.oasis.opendocument.text"))
		} else {
			f.Write([]byte(`<?xml version="1.0"?><x/>`))
		}
	}
	if err := w.Close(); err != nil {
		tb.Fatalf("%v", err)
	}
	return buf.Bytes()
}

// ole returns a compound file ([MS-CFB] 2.2: signature D0CF11E0A1B11AE1,
// minor version 0x3E, major 3, byte order FFFE, 512-byte sectors) whose
// first sector starts with the application's stream identifier: 0xA5EC is
// Word's FIB wIdent ([MS-DOC] 2.5.2), 0x0809 Excel's BOF record ([MS-XLS]
// 2.4.21).
func ole(ident uint16) []byte {
	b := make([]byte, 4096)
	copy(b, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
	binary.LittleEndian.PutUint16(b[0x18:], 0x3e)
	binary.LittleEndian.PutUint16(b[0x1a:], 3)
	binary.LittleEndian.PutUint16(b[0x1c:], 0xfffe)
	binary.LittleEndian.PutUint16(b[0x1e:], 9)
	binary.LittleEndian.PutUint16(b[0x20:], 6)
	binary.LittleEndian.PutUint16(b[512:], ident)
	return b
}

// wav returns a RIFF WAVE file: a PCM fmt chunk and 100 ms of silence.
func wav() []byte {
	var b bytes.Buffer
	data := make([]byte, 800)
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + len(data)))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1))    // PCM
	le(uint16(1))    // mono
	le(uint32(8000)) // sample rate
	le(uint32(8000)) // byte rate
	le(uint16(1))    // block align
	le(uint16(8))    // bits per sample
	b.WriteString("data")
	le(uint32(len(data)))
	b.Write(data)
	return b.Bytes()
}
