package ewf

import (
	"bytes"
	"compress/zlib"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func deflate(b []byte) []byte {
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	w.Write(b)
	w.Close()
	return z.Bytes()
}

func utf16Bytes(s string, bigEndian bool) []byte {
	out := []byte{0xff, 0xfe}
	if bigEndian {
		out = []byte{0xfe, 0xff}
	}
	for _, c := range utf16.Encode([]rune(s)) {
		if bigEndian {
			out = append(out, byte(c>>8), byte(c))
		} else {
			out = append(out, byte(c), byte(c>>8))
		}
	}
	return out
}

// EnCase 6 header2 layout (libyal EWF specification, Header2 section).
const header2Text = "3\nmain\na\tc\tn\te\tt\tmd\tsn\tl\tav\tov\tm\tu\tp\tpid\tdc\text\n" +
	"Laptop disk\tCase 7\tEv 1\tÉmile Zoë\tseized 2024\tST500\tSN123\tDATA\t6.19\tWindows 7\t1142163845\t1142163900\t0\t\t\t\n\n" +
	"srce\n0\t1\np\tn\tid\tev\ttb\tlo\tpo\tah\tsh\tgu\tpgu\taq\n0\t0\n" +
	"\t\t1\tEv 1\t1024\t-1\t-1\t0123456789ABCDEF0123456789abcdef\t0000000000000000000000000000000000000000\t0\t0\t1142163845\n\n" +
	"sub\n0\t1\np\tn\tid\tnu\tco\tgu\n0\t0\n\t\t\t\t1\t\n\n"

func TestHeader2(t *testing.T) {
	for _, be := range []bool{false, true} {
		text, err := decodeHeaderText(deflate(utf16Bytes(header2Text, be)), true)
		if err != nil {
			t.Fatal(err)
		}
		var m Metadata
		if err := parseHeaderText(text, &m); err != nil {
			t.Fatal(err)
		}
		want := Metadata{Description: "Laptop disk", CaseNumber: "Case 7", EvidenceNumber: "Ev 1", Examiner: "Émile Zoë",
			Notes: "seized 2024", Model: "ST500", SerialNumber: "SN123", DeviceLabel: "DATA", Software: "6.19", OS: "Windows 7"}
		got := Metadata{Description: m.Description, CaseNumber: m.CaseNumber, EvidenceNumber: m.EvidenceNumber, Examiner: m.Examiner,
			Notes: m.Notes, Model: m.Model, SerialNumber: m.SerialNumber, DeviceLabel: m.DeviceLabel, Software: m.Software, OS: m.OS}
		if got.Description != want.Description || got.CaseNumber != want.CaseNumber || got.Examiner != want.Examiner ||
			got.Model != want.Model || got.SerialNumber != want.SerialNumber || got.DeviceLabel != want.DeviceLabel ||
			got.Software != want.Software || got.OS != want.OS || got.Notes != want.Notes || got.EvidenceNumber != want.EvidenceNumber {
			t.Errorf("big endian %v: got %+v", be, got)
		}
		// 1142163845 is 2006-03-12 11:44:05 UTC.
		if !m.AcquisitionTime.Equal(time.Date(2006, 3, 12, 11, 44, 5, 0, time.UTC)) || m.DatesLocal {
			t.Errorf("acquisition time %v (local %v)", m.AcquisitionTime, m.DatesLocal)
		}
		// srce: ah set (lower-cased), sh all zeros = not set.
		if m.SourceMD5 != "0123456789abcdef0123456789abcdef" || m.SourceSHA1 != "" {
			t.Errorf("srce hashes %q %q", m.SourceMD5, m.SourceSHA1)
		}
	}
}

func TestHeaderASCII(t *testing.T) {
	// EnCase 4-7 header: CRLF, local date "YYYY M D h m s"; a Latin-1 byte.
	text := "1\r\nmain\r\nc\tn\ta\te\tt\tav\tov\tm\tu\tp\r\nC1\tE1\tDisk\tJos\xe9\tnone\t5.0\tWindows XP\t2002 3 4 10 19 59\t2002 3 4 10 20 1\t0\r\n\r\n"
	s, err := decodeHeaderText(deflate([]byte(text)), false)
	if err != nil {
		t.Fatal(err)
	}
	var m Metadata
	if err := parseHeaderText(s, &m); err != nil {
		t.Fatal(err)
	}
	if m.Examiner != "José" || m.CaseNumber != "C1" || m.OS != "Windows XP" {
		t.Errorf("%+v", m)
	}
	if !m.DatesLocal || !m.AcquisitionTime.Equal(time.Date(2002, 3, 4, 10, 19, 59, 0, time.UTC)) {
		t.Errorf("date %v local %v", m.AcquisitionTime, m.DatesLocal)
	}
}

func TestHeaderBad(t *testing.T) {
	for name, tt := range map[string]struct {
		b       []byte
		header2 bool
		want    string
	}{
		"not zlib":      {[]byte("garbage!"), false, "does not decompress"},
		"truncated":     {deflate([]byte(header2Text))[:20], false, "does not decompress"},
		"no BOM":        {deflate([]byte("3\nmain\n\n")), true, "no byte order mark"},
		"odd UTF-16":    {deflate([]byte{0xff, 0xfe, 0x41}), true, "odd length"},
		"no main":       {deflate([]byte("1\nother\na\nb\n")), false, "no main category"},
		"count differs": {deflate([]byte("1\nmain\na\tc\nx\n")), false, "2 identifiers and 1 values"},
	} {
		s, err := decodeHeaderText(tt.b, tt.header2)
		if err == nil {
			var m Metadata
			err = parseHeaderText(s, &m)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", name, err, tt.want)
		}
	}
}
