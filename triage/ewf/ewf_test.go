package ewf

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/image/container"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var sums = testfixture.Sum

var corpus = testfixture.Corpus

const fixtures = "../../testdata/images"

// fixture returns the path of a fixture segment file in a temporary
// folder, gunzipping NAME.gz when that is how it is stored. Every segment
// of a split fixture is copied.
func fixture(t testing.TB, name string) string {
	t.Helper()
	dir := t.TempDir()
	base := strings.TrimSuffix(name, filepath.Ext(name))
	matches, _ := filepath.Glob(filepath.Join(fixtures, base+".*"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Base(m)
		if strings.HasSuffix(m, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if b, err = io.ReadAll(zr); err != nil {
				t.Fatal(err)
			}
			out = strings.TrimSuffix(out, ".gz")
		}
		if err := os.WriteFile(filepath.Join(dir, out), b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return p
}

// openClean opens the E01 at path, closed at the end of the test, and
// fails the test for every problem the reader noted.
func openClean(t testing.TB, path string) *Reader {
	t.Helper()
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	for _, p := range r.Metadata().Problems {
		t.Errorf("problem: %v", p)
	}
	return r
}

// hashReadAt hashes the media through ReadAt in odd-sized pieces.
func hashReadAt(t testing.TB, r *Reader) (md5hex, sha1hex string) {
	t.Helper()
	hm, hs := md5.New(), sha1.New()
	w := io.MultiWriter(hm, hs)
	if _, err := io.CopyBuffer(w, io.NewSectionReader(r, 0, r.Size()), make([]byte, 10000)); err != nil {
		t.Fatalf("reading media: %v", err)
	}
	return hex.EncodeToString(hm.Sum(nil)), hex.EncodeToString(hs.Sum(nil))
}

func hashStream(t testing.TB, r *Reader) (string, []*container.RegionError) {
	t.Helper()
	h := md5.New()
	var bad []*container.RegionError
	err := r.Stream(context.Background(), 3, func(b []byte, cerr *container.RegionError) error {
		if cerr != nil {
			bad = append(bad, cerr)
		}
		h.Write(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil)), bad
}

var fixtureTests = []struct {
	name string
	raw  string
	sha1 bool // a digest section holds the SHA-1
}{
	{"ewf-best-mixed.E01", "mixed.raw", true},
	{"ewf-none-mixed.E01", "mixed.raw", false},
	{"ewf-fast-b16.E01", "mixed.raw", false},
	{"ewf-smart.s01", "mixed.raw", false},
	{"ewf-ftk.E01", "mixed.raw", false},
	{"ewf-ewf.e01", "mixed.raw", false},
	{"ewf-linen6.E01", "mixed.raw", true},
	{"ewf-split-none.E01", "periodic.raw", true},
	{"ewf-tiny.E01", "tiny.raw", true},
	{"ewf-tiny-smart.s01", "tiny.raw", false},
	{"ewf-tiny-ewf.e01", "tiny.raw", false},
}

func TestFixtures(t *testing.T) {
	for _, tt := range fixtureTests {
		t.Run(tt.name, func(t *testing.T) {
			wantMD5 := sums(t, "ewf-fixtures.md5", tt.raw)
			wantSHA1 := sums(t, "ewf-fixtures.sha1", tt.raw)
			r := openClean(t, fixture(t, tt.name))
			m := r.Metadata()
			gotMD5, gotSHA1 := hashReadAt(t, r)
			if gotMD5 != wantMD5 || gotSHA1 != wantSHA1 {
				t.Errorf("ReadAt: md5 %s sha1 %s, md5sum/sha1sum of the raw data say %s %s", gotMD5, gotSHA1, wantMD5, wantSHA1)
			}
			if s, bad := hashStream(t, r); s != wantMD5 || len(bad) != 0 {
				t.Errorf("Stream: md5 %s, %d bad chunks; want %s", s, len(bad), wantMD5)
			}
			if got := m.StoredMD5(); got != wantMD5 {
				t.Errorf("stored MD5 %q, want %s", got, wantMD5)
			}
			if tt.sha1 && m.StoredSHA1() != wantSHA1 {
				t.Errorf("stored SHA-1 %q, want %s", m.StoredSHA1(), wantSHA1)
			}
			// The values make_ewf.sh passed to ewfacquire.
			want := map[string]string{"case": "CASE-2024-017", "desc": "USB stick from desk drawer",
				"examiner": "J. Examiner", "evidence": "EV-03", "notes": "fixture for triage; made by make_ewf.sh"}
			got := map[string]string{"case": m.CaseNumber, "desc": m.Description, "examiner": m.Examiner,
				"evidence": m.EvidenceNumber, "notes": m.Notes}
			for k := range want {
				if got[k] != want[k] {
					t.Errorf("%s = %q, want %q", k, got[k], want[k])
				}
			}
			if m.AcquisitionTime.IsZero() {
				t.Errorf("acquisition date %q not parsed", m.AcquisitionDate)
			}
			if len(r.BadChunks()) != 0 {
				t.Errorf("bad chunks: %v", r.BadChunks())
			}
		})
	}
}

func TestSplitSegments(t *testing.T) {
	r, err := Open(fixture(t, "ewf-split-none.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := len(r.Metadata().Segments); n != 3 {
		t.Errorf("%d segments, want 3", n)
	}
}

func TestSegmentName(t *testing.T) {
	for _, tt := range []struct {
		first string
		n     int
		want  string
	}{
		{"a/x.E01", 2, "a/x.E02"}, {"x.E01", 99, "x.E99"}, {"x.E01", 100, "x.EAA"}, {"x.E01", 101, "x.EAB"},
		{"x.E01", 125, "x.EAZ"}, {"x.E01", 126, "x.EBA"}, {"x.E01", 775, "x.EZZ"}, {"x.E01", 776, "x.FAA"},
		{"x.e01", 100, "x.eaa"}, {"x.s01", 3, "x.s03"}, {"x.E01", maxSegments, "x.ZZZ"},
	} {
		got, err := SegmentName(tt.first, tt.n)
		if err != nil || got != tt.want {
			t.Errorf("SegmentName(%q, %d) = %q, %v; want %q", tt.first, tt.n, got, err, tt.want)
		}
	}
	if _, err := SegmentName("x.E01", maxSegments+1); err == nil {
		t.Error("no error past .ZZZ")
	}
	if _, err := SegmentName("x.raw", 2); err == nil {
		t.Error("no error for .raw")
	}
}

// TestCorpus checks the media MD5s documented in corpus/INDEX.md.
func TestCorpus(t *testing.T) {
	for _, tt := range []struct {
		path, md5 string
		segments  int
		size      int64
	}{
		{"dfvfs/ext2.E01", "196066add11fb71c4c49cf1bb50d6d24", 1, 4194304},
		{"dfvfs/ext2.split.E01", "196066add11fb71c4c49cf1bb50d6d24", 2, 4194304},
		{"go-ewf/test.ntfs.dd.E01", "8b4382280340597b7930b4b34742afba", 1, 10485760},
		{"go-ewf/rand.dd.E01", "b0ac1a238d20da977b07371c3b13cc65", 6, 5242880},
		{"velociraptor/partition_image.E01", "2f342dd13cbfea48b5cacc3c8b8b8b49", 1, 8388608},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r, err := Open(corpus(t, tt.path))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != tt.size || len(r.Metadata().Segments) != tt.segments {
				t.Errorf("size %d, %d segments; want %d, %d", r.Size(), len(r.Metadata().Segments), tt.size, tt.segments)
			}
			if got, _ := hashReadAt(t, r); got != tt.md5 {
				t.Errorf("media MD5 %s, want %s", got, tt.md5)
			}
			if got := r.Metadata().StoredMD5(); got != tt.md5 {
				t.Errorf("stored MD5 %s, want %s", got, tt.md5)
			}
			for _, p := range r.Metadata().Problems {
				t.Errorf("problem: %v", p)
			}
		})
	}
}

// ewfinfoFields runs ewfinfo in UTC and returns its "Name: value" lines.
func ewfinfoFields(t *testing.T, path string) map[string]string {
	t.Helper()
	if _, err := exec.LookPath("ewfinfo"); err != nil {
		t.Skip("ewfinfo not installed (ewf-tools):", err)
	}
	cmd := exec.Command("ewfinfo", path)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ewfinfo %s: %v", path, err)
	}
	f := map[string]string{}
	for _, l := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), ":"); ok {
			f[k] = strings.TrimSpace(v)
		}
	}
	return f
}

// TestEwfinfo cross-checks metadata with libewf's ewfinfo.
func TestEwfinfo(t *testing.T) {
	paths := []string{}
	for _, tt := range fixtureTests {
		paths = append(paths, "fixture:"+tt.name)
	}
	paths = append(paths, "corpus:dfvfs/ext2.E01", "corpus:go-ewf/rand.dd.E01", "corpus:velociraptor/partition_image.E01")
	for _, p := range paths {
		t.Run(p, func(t *testing.T) {
			var path string
			if rel, ok := strings.CutPrefix(p, "corpus:"); ok {
				path = corpus(t, rel)
			} else {
				path = fixture(t, strings.TrimPrefix(p, "fixture:"))
			}
			f := ewfinfoFields(t, path)
			r, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			m := r.Metadata()
			check := func(key, got string) {
				if want, ok := f[key]; ok && want != got {
					t.Errorf("%s: %q, ewfinfo says %q", key, got, want)
				}
			}
			check("Case number", m.CaseNumber)
			check("Description", m.Description)
			check("Examiner name", m.Examiner)
			check("Evidence number", m.EvidenceNumber)
			check("Notes", strings.TrimSpace(m.Notes))
			check("MD5", m.StoredMD5())
			check("SHA1", m.StoredSHA1())
			check("Bytes per sector", itoa(m.BytesPerSector))
			check("Number of sectors", itoa(m.SectorCount))
			check("Sectors per chunk", itoa(m.SectorsPerChunk))
			if !m.DatesLocal {
				check("Acquisition date", m.AcquisitionTime.Format("Mon Jan _2 15:04:05 2006"))
			}
		})
	}
}

func itoa[T uint32 | uint64](v T) string { return strconv.FormatUint(uint64(v), 10) }

// TestEwfverify cross-checks the media MD5 with ewfverify on a fixture.
func TestEwfverify(t *testing.T) {
	if _, err := exec.LookPath("ewfverify"); err != nil {
		t.Skip("ewfverify not installed (ewf-tools):", err)
	}
	path := fixture(t, "ewf-fast-b16.E01")
	out, err := exec.Command("ewfverify", "-q", path).CombinedOutput()
	if err != nil {
		t.Fatalf("ewfverify: %v\n%s", err, out)
	}
	var calc string
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "MD5 hash calculated over data:") {
			calc = strings.TrimSpace(strings.TrimPrefix(l, "MD5 hash calculated over data:"))
		}
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := hashReadAt(t, r); got != calc || calc == "" {
		t.Errorf("md5 %s, ewfverify calculated %q", got, calc)
	}
}

// messWith copies fixture name (all its segments) and applies f to the
// bytes of segment file seg (its base name).
func messWith(t *testing.T, name, seg string, f func(b []byte) []byte) string {
	t.Helper()
	p := fixture(t, name)
	sp := filepath.Join(filepath.Dir(p), seg)
	b, err := os.ReadFile(sp)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(sp, 0o644)
	if err := os.WriteFile(sp, f(b), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// sectionsOf walks a segment file held in b.
func sectionsOf(t *testing.T, b []byte) []section {
	t.Helper()
	secs, _, err := walkSections(Segment{Name: "x", R: bytes.NewReader(b), Size: int64(len(b))})
	if err != nil {
		t.Fatal(err)
	}
	return secs
}

func find(t *testing.T, secs []section, typ string, nth int) section {
	t.Helper()
	for _, s := range secs {
		if s.typ == typ {
			if nth == 0 {
				return s
			}
			nth--
		}
	}
	t.Fatalf("no %s section", typ)
	return section{}
}

func TestMissingSegment(t *testing.T) {
	p := fixture(t, "ewf-split-none.E01")
	os.Remove(filepath.Join(filepath.Dir(p), "ewf-split-none.E02"))
	_, err := Open(p)
	if !errors.Is(err, ErrMissingSegment) || !strings.Contains(err.Error(), "ewf-split-none.E02") {
		t.Fatalf("err = %v, want a missing-segment error naming ewf-split-none.E02", err)
	}
	// The last segment missing.
	p = fixture(t, "ewf-split-none.E01")
	os.Remove(filepath.Join(filepath.Dir(p), "ewf-split-none.E03"))
	if _, err := Open(p); !errors.Is(err, ErrMissingSegment) || !strings.Contains(err.Error(), "ewf-split-none.E03") {
		t.Fatalf("err = %v, want a missing-segment error naming ewf-split-none.E03", err)
	}
}

func TestDamaged(t *testing.T) {
	var fe *FormatError
	for _, tt := range []struct {
		name, fixture, seg string
		mess               func(t *testing.T, b []byte) []byte
		want               []string // substrings of the error
	}{
		{"truncated-segment", "ewf-best-mixed.E01", "ewf-best-mixed.E01",
			func(t *testing.T, b []byte) []byte { return b[:len(b)/2] },
			[]string{"ewf-best-mixed.E01", "sectors section", "truncated", "at byte 0x"}},
		{"truncated-split-segment", "ewf-split-none.E01", "ewf-split-none.E02",
			func(t *testing.T, b []byte) []byte { return b[:len(b)-100] },
			[]string{"ewf-split-none.E02", "truncated", "at byte 0x"}},
		{"corrupt-descriptor", "ewf-best-mixed.E01", "ewf-best-mixed.E01",
			func(t *testing.T, b []byte) []byte {
				s := find(t, sectionsOf(t, b), "volume", 0)
				b[s.off+20] ^= 0x40 // next offset
				return b
			},
			[]string{"ewf-best-mixed.E01", "volume section", "descriptor checksum mismatch", "at byte 0x"}},
		{"not-first-segment", "ewf-split-none.E01", "ewf-split-none.E01",
			func(t *testing.T, b []byte) []byte { b[9] = 2; return b },
			[]string{"not the first segment", "at byte 0x9"}},
		{"table-and-table2", "ewf-best-mixed.E01", "ewf-best-mixed.E01",
			func(t *testing.T, b []byte) []byte {
				secs := sectionsOf(t, b)
				b[find(t, secs, "table", 0).dataOff+30]++
				b[find(t, secs, "table2", 0).dataOff+30]++
				return b
			},
			[]string{"table section", "table entries checksum mismatch", "table2 copy is damaged too"}},
		{"volume", "ewf-best-mixed.E01", "ewf-best-mixed.E01",
			func(t *testing.T, b []byte) []byte {
				secs := sectionsOf(t, b)
				b[find(t, secs, "volume", 0).dataOff+8]++
				b[find(t, secs, "data", 0).dataOff+8]++
				return b
			},
			[]string{"volume section", "checksum mismatch"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := messWith(t, tt.fixture, tt.seg, func(b []byte) []byte { return tt.mess(t, b) })
			r, err := Open(p)
			if err == nil {
				r.Close()
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if !errors.As(err, &fe) && !errors.Is(err, ErrMissingSegment) {
				t.Errorf("error %v is not a *FormatError", err)
			}
		})
	}
}

// TestTable2Fallback damages the table only: reading goes on from table2.
func TestTable2Fallback(t *testing.T) {
	p := messWith(t, "ewf-best-mixed.E01", "ewf-best-mixed.E01", func(b []byte) []byte {
		b[find(t, sectionsOf(t, b), "table", 0).dataOff+30]++
		return b
	})
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := hashReadAt(t, r); got != sums(t, "ewf-fixtures.md5", "mixed.raw") {
		t.Errorf("md5 %s via table2", got)
	}
	probs := r.Metadata().Problems
	if len(probs) != 1 || !strings.Contains(probs[0].Error(), "using its table2 copy") {
		t.Errorf("problems = %v, want the table2 fallback", probs)
	}
}

// TestHeaderDoesNotDecompress: metadata lost, media still readable.
func TestHeaderDoesNotDecompress(t *testing.T) {
	p := messWith(t, "ewf-best-mixed.E01", "ewf-best-mixed.E01", func(b []byte) []byte {
		secs := sectionsOf(t, b)
		for _, s := range secs {
			if s.typ == "header2" || s.typ == "header" {
				copy(b[s.dataOff:], "garbage!")
			}
		}
		return b
	})
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := r.Metadata()
	if m.CaseNumber != "" || m.Header != "" {
		t.Errorf("case number %q from %q", m.CaseNumber, m.Header)
	}
	if len(m.Problems) != 3 {
		t.Fatalf("problems = %v, want 3 (header2 twice, header)", m.Problems)
	}
	for _, e := range m.Problems {
		if s := e.Error(); !strings.Contains(s, "ewf-best-mixed.E01: header") || !strings.Contains(s, "does not decompress") || !strings.Contains(s, "at byte 0x") {
			t.Errorf("problem %q", s)
		}
	}
	if got, _ := hashReadAt(t, r); got != sums(t, "ewf-fixtures.md5", "mixed.raw") {
		t.Errorf("md5 %s", got)
	}
}

// TestBadChunk: a chunk failing its checksum reads as zeros with a
// *ChunkError; the other chunks read normally.
func TestBadChunk(t *testing.T) {
	for _, tt := range []struct{ fixture, seg string }{
		{"ewf-none-mixed.E01", "ewf-none-mixed.E01"}, // uncompressed: Adler-32
		{"ewf-best-mixed.E01", "ewf-best-mixed.E01"}, // compressed: zlib
		{"ewf-split-none.E01", "ewf-split-none.E02"}, // second segment
	} {
		t.Run(tt.seg, func(t *testing.T) {
			good, err := Open(fixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			segIdx := 0
			for i, s := range good.Metadata().Segments {
				if filepath.Base(s) == tt.seg {
					segIdx = i
				}
			}
			// The first chunk stored in that segment.
			var ci int64 = -1
			var fileOff int64
			for _, g := range good.groups {
				if g.seg == segIdx {
					ci = g.first + 1
					fileOff, _, _ = g.span(1)
					break
				}
			}
			p := messWith(t, tt.fixture, tt.seg, func(b []byte) []byte { b[fileOff+7] ^= 0xff; return b })
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cs := r.ChunkSize()
			buf := make([]byte, 3*cs)
			n, err := r.ReadAt(buf, (ci-1)*cs)
			var ce *ChunkError
			if !errors.As(err, &ce) || n != len(buf) {
				t.Fatalf("ReadAt = %d, %v; want %d and a *ChunkError", n, err, len(buf))
			}
			if ce.Chunk != ci || ce.MediaOff != ci*cs || filepath.Base(ce.Segment) != tt.seg || ce.FileOff != fileOff {
				t.Errorf("chunk error %+v, want chunk %d in %s at %#x", ce, ci, tt.seg, fileOff)
			}
			if !strings.Contains(ce.Error(), tt.seg) {
				t.Errorf("error %q does not name the segment", ce)
			}
			want := make([]byte, 3*cs)
			if _, err := good.ReadAt(want, (ci-1)*cs); err != nil {
				t.Fatal(err)
			}
			clear(want[cs : 2*cs])
			if !bytes.Equal(buf, want) {
				t.Error("bytes around the bad chunk differ from the intact image, or the bad chunk is not zero-filled")
			}
			if bc := r.BadChunks(); len(bc) != 1 || bc[0].Chunk != ci {
				t.Errorf("BadChunks = %v", bc)
			}
			md5s, bad := hashStream(t, r)
			if len(bad) != 1 || md5s == sums(t, "ewf-fixtures.md5", "mixed.raw") {
				t.Errorf("Stream: %d bad chunks, md5 %s", len(bad), md5s)
			}
		})
	}
}

func TestParseError2(t *testing.T) {
	b := make([]byte, 520+16+4)
	le := func(o int, v uint32) { b[o], b[o+1], b[o+2], b[o+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24) }
	le(0, 2)
	le(520, 100)
	le(524, 8)
	le(528, 4096)
	le(532, 64)
	le(516, adlerSum(b[:516]))
	le(536, adlerSum(b[520:536]))
	got, msg, _ := parseError2(b)
	if msg != "" || len(got) != 2 || got[0] != (SectorRange{100, 8}) || got[1] != (SectorRange{4096, 64}) {
		t.Errorf("parseError2 = %v, %q", got, msg)
	}
	b[530]++
	if _, msg, _ := parseError2(b); !strings.Contains(msg, "checksum mismatch") {
		t.Errorf("no checksum error: %q", msg)
	}
}

func TestOverflow(t *testing.T) {
	// EnCase 6.7.1: offsets past 2 GiB use bit 31, which then no longer
	// means compressed.
	e := []uint32{0x7fff0000 | 0x80000000, 0x7fff8000, 0x80000004, 0x80008008}
	g := chunkGroup{entries: e, overflow: findOverflow(e), lastEnd: 0x80010000}
	if g.overflow != 2 {
		t.Fatalf("overflow at %d, want 2", g.overflow)
	}
	off, size, comp := g.span(2)
	if off != 0x80000004 || size != 0x8004 || comp {
		t.Errorf("span(2) = %#x, %#x, %v", off, size, comp)
	}
	if _, _, comp := g.span(0); !comp {
		t.Error("entry 0 should be compressed")
	}
}

func TestConcurrentReadAt(t *testing.T) {
	r, err := Open(fixture(t, "ewf-best-mixed.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := make([]byte, r.Size())
	if _, err := r.ReadAt(want, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for w := range 8 {
		go func() {
			buf := make([]byte, 777)
			for off := int64(w * 13); off < r.Size(); off += 5000 {
				n, err := r.ReadAt(buf, off)
				if err != nil && err != io.EOF {
					done <- err
					return
				}
				if !bytes.Equal(buf[:n], want[off:off+int64(n)]) {
					done <- errors.New("mismatch")
					return
				}
			}
			done <- nil
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestReadAtEOF(t *testing.T) {
	r, err := Open(fixture(t, "ewf-best-mixed.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 100)
	if n, err := r.ReadAt(buf, r.Size()-10); n != 10 || err != io.EOF {
		t.Errorf("ReadAt near end = %d, %v", n, err)
	}
	if n, err := r.ReadAt(buf, r.Size()); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at end = %d, %v", n, err)
	}
	if _, err := r.ReadAt(buf, -1); err == nil {
		t.Error("no error for a negative offset")
	}
}

func TestSegmentOrder(t *testing.T) {
	p := fixture(t, "ewf-split-none.E01")
	dir := filepath.Dir(p)
	e2, e3 := filepath.Join(dir, "ewf-split-none.E02"), filepath.Join(dir, "ewf-split-none.E03")
	os.Rename(e2, e2+".tmp")
	os.Rename(e3, e2)
	os.Rename(e2+".tmp", e3)
	_, err := Open(p)
	var fe *FormatError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "ewf-split-none.E02: segment number 3, want 2 at byte 0x9") {
		t.Errorf("err = %v", err)
	}
}

func TestNotEWF(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"raw.E01":  strings.Repeat("\x00", 600),
		"ewf2.E01": "EVF2\r\n\x81\x00" + strings.Repeat("\x00", 100),
		"l01.L01":  "LVF\x09\x0d\x0a\xff\x00\x01\x01\x00\x00\x00",
		"short":    "EVF",
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(content), 0o644)
		_, err := Open(p)
		switch name {
		case "raw.E01", "short":
			if !errors.Is(err, ErrNotEWF) {
				t.Errorf("%s: %v, want ErrNotEWF", name, err)
			}
		default:
			if !errors.Is(err, ErrUnsupported) {
				t.Errorf("%s: %v, want ErrUnsupported", name, err)
			}
		}
	}
}

func TestStreamStop(t *testing.T) {
	r, err := Open(fixture(t, "ewf-split-none.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	stop := errors.New("stop")
	for _, after := range []int{0, 1, 5, 40} {
		n := 0
		err := r.Stream(context.Background(), 2, func([]byte, *container.RegionError) error {
			if n++; n > after {
				return stop
			}
			return nil
		})
		if err != stop || n != after+1 {
			t.Errorf("after %d: err %v, %d calls", after, err, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.Stream(ctx, 2, func([]byte, *container.RegionError) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestZeroChunkShortcut: once a compressed chunk decoded to zeros, chunks
// stored as the same bytes are not inflated again; the media still hashes
// to md5sum's value (make_ewf.sh puts 224 KiB of zeros in mixed.raw).
func TestZeroChunkShortcut(t *testing.T) {
	r, err := Open(fixture(t, "ewf-best-mixed.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, _ := hashStream(t, r); got != sums(t, "ewf-fixtures.md5", "mixed.raw") {
		t.Errorf("md5 %s", got)
	}
	if r.zeroZ.Load() == nil {
		t.Error("no all-zero chunk stream remembered")
	}
	if got, _ := hashReadAt(t, r); got != sums(t, "ewf-fixtures.md5", "mixed.raw") {
		t.Errorf("md5 %s on the second pass", got)
	}
}

// A stream lets go of the chunks cached by random reads; reads after it
// fill the cache again and give the same bytes.
func TestStreamPurgesTheCache(t *testing.T) {
	r := openClean(t, fixture(t, "ewf-best-mixed.E01"))
	wantMD5, _ := hashReadAt(t, r)
	r.cache.mu.Lock()
	before := r.cache.ll.Len()
	r.cache.mu.Unlock()
	if before <= readAhead {
		t.Fatalf("%d chunks cached by the reads, want more than %d", before, readAhead)
	}
	first := true
	err := r.Stream(context.Background(), 2, func([]byte, *container.RegionError) error {
		if first {
			first = false
			r.cache.mu.Lock()
			n := r.cache.ll.Len()
			r.cache.mu.Unlock()
			if n > readAhead { // chunks prefetched by the reads may land after the purge
				t.Errorf("%d chunks cached during the stream (%d before it)", n, before)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := hashReadAt(t, r); got != wantMD5 {
		t.Errorf("md5 %s after the stream, %s before", got, wantMD5)
	}
}
