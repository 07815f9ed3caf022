package vhdx

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/triagekit/triage/internal/vdisk/vdisktest"
)

// TestFixtures: the tiny images of testdata/images read as qemu-img
// converted them (vdisk-tiny.md5).
func TestFixtures(t *testing.T) {
	for _, name := range []string{"vdisk-tiny.vhdx"} {
		b, want := vdisktest.Fixture(t, name)
		r, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := vdisktest.MD5(t, r, r.Size()); got != want {
			t.Errorf("%s: media MD5 %s, qemu-img %s", name, got, want)
		}
		for _, w := range []int{1, 3} {
			if got := vdisktest.StreamMD5(t, r, w); got != want {
				t.Errorf("%s: streamed by %d: media MD5 %s, qemu-img %s", name, w, got, want)
			}
		}
	}
}

// The fuzz input of FuzzNewReader is a VHDX file in pieces (a VHDX is
// at least a few MiB, mostly zeros): records of an 8-byte offset, a
// 4-byte length and the bytes, laid over zeros up to maxFuzzFile. The
// checksums of the headers and region tables are set after the pieces are
// laid, so that mutations reach the tables behind them.
const maxFuzzFile = 16 << 20

// pieces encodes the non-zero 4 KiB pages of b, without their trailing
// zeros.
func pieces(b []byte) []byte {
	var out []byte
	for off := 0; off < len(b); off += 4096 {
		p := bytes.TrimRight(b[off:min(off+4096, len(b))], "\x00")
		if len(p) == 0 {
			continue
		}
		out = binary.LittleEndian.AppendUint64(out, uint64(off))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	// The file's length: an empty piece at its end.
	out = binary.LittleEndian.AppendUint64(out, uint64(len(b)))
	return binary.LittleEndian.AppendUint32(out, 0)
}

// assemble lays the pieces out and sets the checksums.
func assemble(in []byte) []byte {
	var file []byte
	for len(in) >= 12 {
		off, n := binary.LittleEndian.Uint64(in), int(binary.LittleEndian.Uint32(in[8:]))
		in = in[12:]
		n = min(n, len(in))
		if off > maxFuzzFile || off+uint64(n) > maxFuzzFile {
			break
		}
		if end := int(off) + n; end > len(file) {
			file = append(file, make([]byte, end-len(file))...)
		}
		copy(file[off:], in[:n])
		in = in[n:]
	}
	for _, h := range []struct{ off, n int }{{headerOff1, 4096}, {headerOff2, 4096}, {regionOff1, regionSize}, {regionOff2, regionSize}} {
		if h.off+h.n <= len(file) {
			setCRC(file[h.off : h.off+h.n])
		}
	}
	return file
}

// TestPieces: the fuzz encoding gives the fixture back.
func TestPieces(t *testing.T) {
	b, _ := vdisktest.Fixture(t, "vdisk-tiny.vhdx")
	if got := assemble(pieces(b)); !bytes.Equal(got, b) {
		t.Errorf("assembled %d bytes differ from the %d of the fixture", len(got), len(b))
	}
}

// FuzzNewReader opens an image and calls every accessor.
func FuzzNewReader(f *testing.F) {
	b, _ := vdisktest.Fixture(f, "vdisk-tiny.vhdx")
	f.Add(pieces(b))
	f.Fuzz(func(t *testing.T, in []byte) {
		b := assemble(in)
		r, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		vdisktest.Exercise(r)
		r.Close()
	})
}

// FuzzTables parses a header, a region table and a metadata region cut
// from the fixture.
func FuzzTables(f *testing.F) {
	b, _ := vdisktest.Fixture(f, "vdisk-tiny.vhdx")
	regs, err := ParseRegionTable(b[regionOff1 : regionOff1+regionSize])
	if err != nil {
		f.Fatal(err)
	}
	for _, g := range regs {
		if g.GUID == guidMetadata {
			f.Add(b[headerOff1:headerOff1+4096], b[regionOff1:regionOff1+regionSize], b[g.Off:g.Off+g.Length])
		}
	}
	f.Add([]byte{}, []byte("regi"), locatorSeed())
	f.Fuzz(func(t *testing.T, hdr, regions, meta []byte) {
		_ = ParseHeader(hdr)
		_, _ = ParseRegionTable(regions)
		if m, err := ParseMetadata(meta); err == nil {
			_ = m.DiskID.String()
		}
		_, _ = parseLocator(meta)
	})
}

// locatorSeed is a parent locator item.
func locatorSeed() []byte {
	return locator([][2]string{{"parent_linkage", "{11111111-2222-3333-4444-555555555555}"}, {"relative_path", `..\base.vhdx`}})
}
