//go:build ignore

// gensample writes testdata/sample, the small evidence folder the README's
// first command scans. Every file is made here, from nothing downloaded:
//
//	go run testdata/gensample.go
//
// The folder holds ordinary files and the classic disguises a triage must
// catch: an executable named as a picture, a ZIP named as a PNG, a picture
// and an executable under extensions that are not theirs (.hmm, .dat), an
// Office document that is a ZIP and must not be flagged, and random data.
package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"math/rand"
	"os"
	"path/filepath"
)

func main() {
	root := filepath.Join("testdata", "sample")
	if err := os.RemoveAll(root); err != nil {
		log.Fatal(err)
	}
	write := func(name string, data []byte) {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			log.Fatal(err)
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, 32, 32))
	for y := 0; y < 32; y++ {
		for x := 0; x < 32; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 8), 128, 255})
		}
	}
	var jb, pb bytes.Buffer
	jpeg.Encode(&jb, img, &jpeg.Options{Quality: 80})
	png.Encode(&pb, img)
	write("Pictures/holiday.jpg", jb.Bytes())
	write("Pictures/logo.png", pb.Bytes())
	write("Pictures/invoice.jpg", minimalPE())
	write("Documents/notes.txt", []byte("Meeting moved to Thursday.\nBring the USB stick.\n"))
	write("Documents/report.docx", zipOf(map[string]string{
		"[Content_Types].xml": `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml":   `<?xml version="1.0"?><w:document/>`,
	}, []string{"[Content_Types].xml", "word/document.xml"}))
	write("Documents/archive.png", zipOf(map[string]string{"secret.txt": "not a picture"}, []string{"secret.txt"}))
	rnd := make([]byte, 64<<10)
	rand.New(rand.NewSource(42)).Read(rnd)
	write("Downloads/blob.bin", rnd)
	write("Downloads/empty.dat", nil)
	// Renamed copies, as a suspect hides them: the content decides.
	write("Downloads/photo.hmm", jb.Bytes())
	write("Downloads/report.dat", minimalPE())
	write("Downloads/page.html", []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"))
}

// minimalPE returns the smallest header a PE loader would recognise: an MZ
// stub whose e_lfanew points at a "PE\0\0" signature and a COFF header.
func minimalPE() []byte {
	b := make([]byte, 512)
	copy(b, "MZ")
	binary.LittleEndian.PutUint32(b[0x3c:], 0x80)
	copy(b[0x80:], "PE\x00\x00")
	binary.LittleEndian.PutUint16(b[0x84:], 0x14c) // i386
	return b
}

func zipOf(files map[string]string, order []string) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, name := range order {
		f, err := w.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			log.Fatal(err)
		}
		f.Write([]byte(files[name]))
	}
	w.Close()
	return buf.Bytes()
}
