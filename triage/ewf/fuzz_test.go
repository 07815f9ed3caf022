package ewf

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/triagekit/triage/triage/image/container"
)

func seedFixtures(f *testing.F) [][]byte {
	var out [][]byte
	for _, n := range []string{"ewf-tiny.E01", "ewf-tiny-smart.s01", "ewf-tiny-ewf.e01"} {
		b, err := os.ReadFile(filepath.Join(fixtures, n))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzNewReader opens a single-segment image and reads some of its media
// through every accessor.
func FuzzNewReader(f *testing.F) {
	for _, b := range seedFixtures(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		m := r.Metadata()
		_, _ = m.StoredMD5(), m.StoredSHA1()
		buf := make([]byte, 70000)
		for _, off := range []int64{0, r.Size() / 2, r.Size() - 100} {
			if off >= 0 {
				_, _ = r.ReadAt(buf, off)
			}
		}
		// The stream (chunks read ahead) gives the bytes ReadAt gives
		// (chunks read one by one) of a reader of its own.
		r2, err := New(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		n := 0
		var off int64
		_ = r.Stream(context.Background(), 2, func(data []byte, cerr *container.RegionError) error {
			if n++; n > 8 {
				return errors.New("enough")
			}
			want := make([]byte, len(data))
			m, rerr := r2.ReadAt(want, off)
			if cerr == nil && (rerr == nil || rerr == io.EOF) && m == len(data) && !bytes.Equal(data, want) {
				t.Fatalf("stream at %d differs from ReadAt", off)
			}
			off += int64(len(data))
			return nil
		})
		// A stream that went to the end hashed the segment file (the
		// input) from its reads: the digest is the input's.
		if sums := r.SegmentSHA256(); sums != nil && (len(sums) != 1 || sums[0] != sha256.Sum256(b)) {
			t.Fatalf("segment digests %x, want the input's %x", sums, sha256.Sum256(b))
		}
		_ = r.BadChunks()
	})
}

// FuzzWalkSections follows a section chain.
func FuzzWalkSections(f *testing.F) {
	for _, b := range seedFixtures(f) {
		f.Add(b[:min(len(b), 4096)])
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		seg := Segment{Name: "fuzz", R: bytes.NewReader(b), Size: int64(len(b))}
		_ = checkHeader(seg, 1)
		secs, _, _ := walkSections(seg)
		for _, s := range secs {
			if s.dataOff > s.end || s.end > int64(len(b)) {
				t.Fatalf("section %+v outside the file of %d bytes", s, len(b))
			}
		}
	})
}

// FuzzHeader decodes header and header2 section data.
func FuzzHeader(f *testing.F) {
	text := "3\nmain\na\tc\tn\te\tt\tmd\tsn\tav\tov\tm\tu\tp\tdc\nd\tC\tE\tX\tN\t\t\t1\tLinux\t1795941783\t1795941783\t0\t\n\nsrce\n0\t1\np\tn\tid\tev\ttb\tlo\tpo\tah\tgu\taq\n0\t0\n\t\t\t\t\t-1\t-1\t\t\t\n\n"
	u := utf16.Encode([]rune(text))
	raw := []byte{0xff, 0xfe}
	for _, c := range u {
		raw = append(raw, byte(c), byte(c>>8))
	}
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(raw)
	w.Close()
	f.Add(z.Bytes(), true)
	z.Reset()
	w = zlib.NewWriter(&z)
	io.WriteString(w, "1\r\nmain\r\nc\tn\ta\te\tt\tav\tov\tm\tu\tp\r\nC\tE\tD\tX\tN\t1\tLinux\t2026 11 29 8 43 3\t2026 11 29 8 43 3\t0\r\n\r\n")
	w.Close()
	f.Add(z.Bytes(), false)
	f.Fuzz(func(t *testing.T, b []byte, header2 bool) {
		s, err := decodeHeaderText(b, header2)
		if err != nil {
			return
		}
		var m Metadata
		_ = parseHeaderText(s, &m)
	})
}

// FuzzTable parses table section data and computes every chunk span.
func FuzzTable(f *testing.F) {
	for _, b := range seedFixtures(f) {
		secs, _, err := walkSections(Segment{Name: "seed", R: bytes.NewReader(b), Size: int64(len(b))})
		if err != nil {
			f.Fatal(err)
		}
		for _, s := range secs {
			if s.typ == "table" {
				f.Add(b[s.dataOff:min(s.end, s.dataOff+4096)], s.dataOff)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte, dataOff int64) {
		if dataOff < 0 || dataOff > 1<<40 {
			return
		}
		tb, _, _ := parseTable(b, dataOff)
		if tb == nil {
			return
		}
		g := chunkGroup{base: tb.base, entries: tb.entries, overflow: findOverflow(tb.entries), lastEnd: dataOff + int64(len(b))}
		for i := range g.entries {
			_, _, _ = g.span(i)
		}
		_, _, _ = parseError2(b)
		var m Metadata
		_, _ = parseVolume(b, &m)
	})
}
