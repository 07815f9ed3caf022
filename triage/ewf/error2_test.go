package ewf

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// descriptor builds a 76-byte section descriptor.
func descriptor(typ string, next, size uint64) []byte {
	d := make([]byte, descriptorSize)
	copy(d, typ)
	binary.LittleEndian.PutUint64(d[16:], next)
	binary.LittleEndian.PutUint64(d[24:], size)
	binary.LittleEndian.PutUint32(d[72:], adler32.Checksum(d[:72]))
	return d
}

// withError2 inserts an error2 section listing ranges before the done
// section of a single-segment image, as EnCase writes one after read
// errors.
func withError2(t testing.TB, b []byte, ranges []SectorRange) []byte {
	t.Helper()
	secs, term, err := walkSections(Segment{Name: "x", R: bytes.NewReader(b), Size: int64(len(b))})
	if err != nil || term != "done" {
		t.Fatalf("walk: %v %q", err, term)
	}
	done := secs[len(secs)-1].off
	data := make([]byte, 520+8*len(ranges)+4)
	binary.LittleEndian.PutUint32(data, uint32(len(ranges)))
	binary.LittleEndian.PutUint32(data[516:], adler32.Checksum(data[:516]))
	for i, r := range ranges {
		binary.LittleEndian.PutUint32(data[520+8*i:], uint32(r.Start))
		binary.LittleEndian.PutUint32(data[524+8*i:], uint32(r.Count))
	}
	n := 520 + 8*len(ranges)
	binary.LittleEndian.PutUint32(data[n:], adler32.Checksum(data[520:n]))
	next := uint64(done) + descriptorSize + uint64(len(data))
	out := append([]byte(nil), b[:done]...)
	out = append(out, descriptor("error2", next, descriptorSize+uint64(len(data)))...)
	out = append(out, data...)
	return append(out, descriptor("done", next, 0)...)
}

func TestError2Section(t *testing.T) {
	b, err := os.ReadFile(fixtures + "/ewf-tiny.E01")
	if err != nil {
		t.Fatal(err)
	}
	want := []SectorRange{{Start: 3, Count: 2}, {Start: 40, Count: 1}}
	b = withError2(t, b, want)
	r, err := New(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	m := r.Metadata()
	if len(m.ReadErrors) != 2 || m.ReadErrors[0] != want[0] || m.ReadErrors[1] != want[1] || len(m.Problems) != 0 {
		t.Errorf("read errors %v, problems %v", m.ReadErrors, m.Problems)
	}
	re, _ := m.Map()["read_errors"].([]map[string]any)
	if len(re) != 2 || re[0]["offset"] != uint64(3*512) || re[0]["length"] != uint64(2*512) {
		t.Errorf("map read_errors %v", re)
	}
	// The media still reads and verifies against the stored MD5.
	if got, _ := hashReadAt(t, r); got != sums(t, "ewf-fixtures.md5", "tiny.raw") {
		t.Errorf("md5 %s", got)
	}
	if !strings.Contains(strings.Join(m.SectionTypes, ","), "error2,done") {
		t.Errorf("sections %v", m.SectionTypes)
	}
	// libewf reads the same ranges from the section built here.
	if _, err := exec.LookPath("ewfinfo"); err != nil {
		t.Skip("ewfinfo not installed (ewf-tools):", err)
	}
	p := filepath.Join(t.TempDir(), "e2.E01")
	os.WriteFile(p, b, 0o644)
	out, err := exec.Command("ewfinfo", p).CombinedOutput()
	if err != nil {
		t.Fatalf("ewfinfo: %v\n%s", err, out)
	}
	for _, w := range []string{"total number: 2", "at sector(s): 3 - 4 number: 2", "at sector(s): 40 - 40 number: 1"} {
		if !strings.Contains(string(out), w) {
			t.Errorf("ewfinfo output lacks %q:\n%s", w, out)
		}
	}
}
