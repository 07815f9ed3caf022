package triage

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"
)

// stored RAR 5 archive of files (name, content), built from the RAR 5.0
// technote as in triage/archive's tests: signature, main header, a file
// header per member (CRC32 of the header and of the data, method 0) and
// the end of archive header.
func mkRAR5(files ...zfile) []byte {
	vint := func(b []byte, v uint64) []byte {
		for v >= 0x80 {
			b = append(b, byte(v)|0x80)
			v >>= 7
		}
		return append(b, byte(v))
	}
	block := func(body []byte) []byte {
		h := append(vint(nil, uint64(len(body))), body...)
		return append(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(h)), h...)
	}
	out := []byte("Rar!\x1a\x07\x01\x00")
	out = append(out, block([]byte{1, 0, 0})...)
	for _, f := range files {
		b := vint(nil, 2)                // file header
		b = vint(b, 2)                   // data area present
		b = vint(b, uint64(len(f.data))) // data size
		b = vint(b, 4)                   // CRC32 present
		b = vint(b, uint64(len(f.data))) // unpacked size
		b = vint(b, 0o100644)            // attributes
		b = binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(f.data))
		b = vint(b, 0) // stored
		b = vint(b, 1) // Unix
		b = vint(b, uint64(len(f.name)))
		b = append(b, f.name...)
		out = append(append(out, block(b)...), f.data...)
	}
	return append(out, block([]byte{5, 0, 0})...)
}

// TestScanArchivesOnWorkers: archives are opened on the workers, several at
// once, yet the records come in the same order as with one worker: each
// archive's members, in its order, right before the archive, and with the
// digests of the bytes put in them.
func TestScanArchivesOnWorkers(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{}
	content := map[string][]byte{}
	for i := range 24 {
		var members []zfile
		for j := range 6 {
			// Some members large enough to be read in blocks.
			n := 100 + 7919*j*(i%4)
			d := bytes.Repeat([]byte(fmt.Sprintf("%d-%d ", i, j)), n/4+1)[:n]
			members = append(members, zfile{fmt.Sprintf("in/m%d.bin", j), d, zip.Deflate})
		}
		var name string
		var b []byte
		switch i % 3 {
		case 0:
			name, b = fmt.Sprintf("d%d/a%02d.zip", i%4, i), mkZip(t, members...)
		case 1:
			name, b = fmt.Sprintf("d%d/a%02d.tgz", i%4, i), mkTarGz(t, members...)
		default:
			name, b = fmt.Sprintf("d%d/a%02d.rar", i%4, i), mkRAR5(members...)
		}
		files[name] = b
		for _, m := range members {
			content["/"+name+"!/"+m.name] = m.data
		}
		files[fmt.Sprintf("d%d/p%02d.txt", i%4, i)] = []byte(fmt.Sprint("plain ", i))
	}
	writeFiles(t, root, files)
	scan := func(workers int) []map[string]any {
		var jl bytes.Buffer
		scanTree(t, newCase(t), root, Options{Archives: &ArchiveOptions{}, Workers: workers, JSONL: &jl})
		var out []map[string]any
		for _, l := range strings.Split(strings.TrimSpace(jl.String()), "\n") {
			var r map[string]any
			if err := json.Unmarshal([]byte(l), &r); err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	one, many := scan(1), scan(8)
	if len(one) != len(many) {
		t.Fatalf("%d records with one worker, %d with eight", len(one), len(many))
	}
	for i := range one {
		if one[i]["path"] != many[i]["path"] {
			t.Fatalf("record %d: %v with one worker, %v with eight", i, one[i]["path"], many[i]["path"])
		}
	}
	members := 0
	for i, r := range many {
		p := r["path"].(string)
		if want, ok := content[p]; ok {
			members++
			m := md5.Sum(want)
			if r["md5"] != hex.EncodeToString(m[:]) {
				t.Errorf("%s: md5 %v", p, r["md5"])
			}
			// The members of an archive run up to it, in its order.
			j := i + 1
			for j < len(many) && strings.HasPrefix(many[j]["path"].(string), p[:strings.Index(p, "!/")+2]) {
				j++
			}
			if j == len(many) || many[j]["path"] != p[:strings.Index(p, "!/")] {
				t.Errorf("%s is not followed by its archive's members and the archive", p)
			}
		}
	}
	if members != len(content) {
		t.Errorf("%d members recorded, want %d", members, len(content))
	}
}

// TestScanArchiveSmallMembersInBatches: small members are hashed in
// batches, yet every member's record has the digests of the bytes put in
// it (crypto/md5 and crypto/sha256 of them) and comes in the archive's
// order, a nested archive's members right after it, with the archive's
// members full batches, empty members, members at the batch size limit and
// above it, and a nested archive among them.
func TestScanArchiveSmallMembersInBatches(t *testing.T) {
	var inner, outer []zfile
	for j := range 5 {
		inner = append(inner, zfile{fmt.Sprintf("i%d.txt", j), bytes.Repeat([]byte{byte('a' + j)}, 100*j), zip.Deflate})
	}
	sizes := []int{0, 1, 4096, batchFileMax, batchFileMax + 1, 300 << 10, 7}
	for j := range 150 {
		n := sizes[j%len(sizes)]
		if j%len(sizes) == 2 {
			n += j * 37
		}
		d := make([]byte, n)
		for k := range d {
			d[k] = byte(k*j + k>>9)
		}
		outer = append(outer, zfile{fmt.Sprintf("m%03d.bin", j), d, []uint16{zip.Store, zip.Deflate}[j%2]})
		if j == 70 {
			outer = append(outer, zfile{"nested.zip", mkZip(t, inner...), zip.Store})
		}
	}
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{"a.zip": mkZip(t, outer...), "b.tgz": mkTarGz(t, outer...)})
	var want []zfile
	for _, f := range outer {
		want = append(want, f)
		if f.name == "nested.zip" {
			for _, i := range inner {
				want = append(want, zfile{"nested.zip!/" + i.name, i.data, 0})
			}
		}
	}
	var jl bytes.Buffer
	scanTree(t, newCase(t), root, Options{Archives: &ArchiveOptions{}, Workers: 2, JSONL: &jl})
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(jl.String()), "\n") {
		var r map[string]any
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	i := 0
	for _, arch := range []string{"/a.zip", "/b.tgz"} {
		for _, f := range want {
			if i >= len(recs) {
				t.Fatalf("%d records, want more", len(recs))
			}
			r := recs[i]
			i++
			if p := arch + "!/" + f.name; r["path"] != p {
				t.Fatalf("record %d is %v, want %s", i-1, r["path"], p)
			}
			m := md5.Sum(f.data)
			if r["md5"] != hex.EncodeToString(m[:]) || r["sha256"] != sha256Hex(f.data) || r["size"] != float64(len(f.data)) {
				t.Errorf("%v: md5 %v sha256 %v size %v", r["path"], r["md5"], r["sha256"], r["size"])
			}
			if r["complete"] != true {
				t.Errorf("%v: not complete: %v", r["path"], r["error"])
			}
		}
		if recs[i]["path"] != arch {
			t.Fatalf("record %d is %v, want the archive %s", i, recs[i]["path"], arch)
		}
		i++
	}
}
