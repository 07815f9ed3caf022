package archive

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Seeds made by the tools themselves: "seed\n" in a 7z archive (7zz a
// -mx=1), compressed by bzip2, and 60 "seed " in a zip member compressed
// with LZMA (7zz a -tzip -mm=LZMA).
const (
	seedZipLZMA = "504b03043f0002000e002560815dfee342441d0000002d01000005000000732e7478741a0205005d001000000039996cc820b7c11f3b22204fbffffff0840000504b01023f033f0002000e002560815dfee342441d0000002d010000050024000000000000002080a48100000000732e7478740a00200000000000010018004877b5a68b81dd0100000000000000000000000000000000504b0506000000000100010057000000400000000000"
	seed7z      = "377abcaf271c000470d865b0090000000000000052000000000000001b0d201f010004736565640a000104060001090900070b010001212101000c0500080a014524f0db00000501190c000000000000000000000000110d0073002e007400780074000000140a0100cf892a980181dd01150601002080a4810000"
	seedBzip2   = "425a68393141592653593e28e2b100000241800010060008002000219a68334d0d178bb9229c28481f14715880"
)

// fuzzLimits keep each input quick.
var fuzzLimits = Limits{MemberBytes: 1 << 20, ArchiveBytes: 4 << 20, Members: 1000, Depth: 3, Time: 2 * time.Second}

// FuzzWalk walks mutated archives of every format of the table, from a
// reader at and as a stream, and reads every member: no panic, no hang.
func FuzzWalk(f *testing.F) {
	data := []byte("fuzz seed content, fuzz seed content\n")
	f.Add(makeZip(f, file{"d/", nil, zip.Store}, file{"d/a.txt", data, zip.Store}, file{"b.txt", data, zip.Deflate}))
	f.Add(makeZip(f, file{"in.zip", makeZip(f, file{"x", data, zip.Deflate}), zip.Store}))
	f.Add(makeTarGz(f, file{"t/a.txt", data, 0}, file{"t/in.zip", makeZip(f, file{"x", data, zip.Store}), 0}))
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "a", Size: int64(len(data)), Mode: 0o644})
	tw.Write(data)
	tw.WriteHeader(&tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "a"})
	tw.Close()
	f.Add(tb.Bytes())
	var gb bytes.Buffer
	gw := gzip.NewWriter(&gb)
	gw.Name = "data.txt"
	gw.Write(data)
	gw.Close()
	f.Add(gb.Bytes())
	var xb bytes.Buffer
	xw, _ := xz.NewWriter(&xb)
	xw.Write(data)
	xw.Close()
	f.Add(xb.Bytes())
	zb, _ := zstd.NewWriter(nil)
	f.Add(zb.EncodeAll(tb.Bytes(), nil))
	zb.Close()
	for _, s := range []string{seed7z, seedBzip2, seedZipLZMA} {
		b, _ := hex.DecodeString(s)
		f.Add(b)
	}
	f.Add(append([]byte("Rar!\x1a\x07\x01\x00"), data...))
	rm := []rarMember{{name: "d", dir: true}, {name: "d/a.txt", data: data}, {name: "e", data: data, encrypted: true},
		{name: "in.zip", data: makeZip(f, file{"x", data, zip.Store})}}
	f.Add(makeRAR5(false, false, rm...))
	f.Add(makeRAR4(rm...))
	f.Add(makeRAR5(true, false, rarMember{name: "a", data: data}, rarMember{name: "b", data: data, split: true}))
	tmp := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		o := Options{Limits: fuzzLimits, TempDir: tmp}
		for _, stream := range []bool{false, true} {
			g := &got{}
			var err error
			if stream {
				_, err = WalkReader(context.Background(), io.MultiReader(bytes.NewReader(b)), int64(len(b)), "f.tar.gz", o, g)
			} else {
				_, err = Walk(context.Background(), bytes.NewReader(b), int64(len(b)), "f.gz", o, g)
			}
			if err != nil {
				t.Fatalf("walk error %v (only the visitor's or a cancellation may come back)", err)
			}
			for _, m := range g.members {
				if m.n > fuzzLimits.MemberBytes {
					t.Fatalf("%s: %d bytes read past the member limit", m.Path, m.n)
				}
			}
		}
	})
}
