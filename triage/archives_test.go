package triage

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

type zfile struct {
	name   string
	data   []byte
	method uint16
}

func mkZip(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: f.method})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mkTarGz(t testing.TB, files ...zfile) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.data)
	}
	tw.Close()
	gz.Close()
	return buf.Bytes()
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func writeFiles(t testing.TB, root string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// peBytes is a small PE image: MZ, e_lfanew, the PE signature.
func peBytes() []byte {
	pe := make([]byte, 400)
	copy(pe, "MZ")
	pe[0x3c] = 0x80
	copy(pe[0x80:], "PE\x00\x00")
	return pe
}

func byRecPath(recs map[string]*casedb.FileRecord) map[string]*casedb.FileRecord {
	out := map[string]*casedb.FileRecord{}
	for _, r := range recs {
		out[r.Path] = r
	}
	return out
}

// TestScanArchiveMembers: the members of a zip (stored, deflated), of a
// zip named .jpg, and of a zip inside a .tar.gz are recorded with the
// digests of the bytes put in (crypto/sha256 and crypto/md5 of them), their
// container, type and mismatch; the archives are recorded as before, after
// their members.
func TestScanArchiveMembers(t *testing.T) {
	readme := []byte(strings.Repeat("read me\n", 200))
	pe := peBytes()
	x := []byte("deep inside\n")
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"docs/archive.zip":  mkZip(t, zfile{"inner/", nil, zip.Store}, zfile{"inner/readme.txt", readme, zip.Store}, zfile{"inner/tool.exe", pe, zip.Deflate}),
		"docs/holiday.jpg":  mkZip(t, zfile{"photo.jpg", pe, zip.Deflate}),
		"docs/bundle.tgz":   mkTarGz(t, zfile{"a/b.zip", mkZip(t, zfile{"x.txt", x, zip.Deflate}), 0}),
		"docs/plain.txt":    []byte("not an archive\n"),
		"docs/notreal.zip":  []byte("PK\x03\x04 not really a zip"),
		"docs/rar-like.rar": append([]byte("Rar!\x1a\x07\x01\x00"), make([]byte, 64)...),
	})
	c := newCase(t)
	var jl bytes.Buffer
	res := scanTree(t, c, root, Options{Archives: &ArchiveOptions{}, JSONL: &jl})
	recs := records(t, c, res.EvidenceID)
	p := byRecPath(recs)
	check := func(path string, data []byte, container string) *casedb.FileRecord {
		t.Helper()
		r := p[path]
		if r == nil {
			t.Fatalf("no record %q", path)
		}
		m := md5.Sum(data)
		if r.SHA256 != sha256Hex(data) || r.MD5 != hex.EncodeToString(m[:]) || r.Size != int64(len(data)) || !r.Complete || r.Error != "" {
			t.Errorf("%s: sha256 %s md5 %s size %d complete %v error %q", path, r.SHA256, r.MD5, r.Size, r.Complete, r.Error)
		}
		if r.Extra["container"] != container {
			t.Errorf("%s: container %v, want %s", path, r.Extra["container"], container)
		}
		if want := p[container]; want == nil || r.Extra["container_key"] != want.Key {
			t.Errorf("%s: container_key %v", path, r.Extra["container_key"])
		}
		return r
	}
	check("/docs/archive.zip!/inner/readme.txt", readme, "/docs/archive.zip")
	if r := check("/docs/archive.zip!/inner/tool.exe", pe, "/docs/archive.zip"); r.MIME != "application/vnd.microsoft.portable-executable" || r.ExtensionMismatch {
		t.Errorf("tool.exe: %s mismatch %v", r.MIME, r.ExtensionMismatch)
	}
	if d := p["/docs/archive.zip!/inner"]; d == nil || d.Type != casedb.TypeDir {
		t.Errorf("folder member: %+v", d)
	}
	// Found by content, not by name; an executable named .jpg inside.
	if r := check("/docs/holiday.jpg!/photo.jpg", pe, "/docs/holiday.jpg"); !r.ExtensionMismatch {
		t.Errorf("photo.jpg: no mismatch")
	}
	inner := p["/docs/bundle.tgz!/a/b.zip"]
	if inner == nil || inner.Extra["archive"] != "zip" || inner.Extra["container"] != "/docs/bundle.tgz" {
		t.Fatalf("nested zip: %+v", inner)
	}
	check("/docs/bundle.tgz!/a/b.zip!/x.txt", x, "/docs/bundle.tgz!/a/b.zip")
	a := p["/docs/archive.zip"]
	if a.Extra["archive"] != "zip" || a.Extra["archive_members"] != float64(3) && a.Extra["archive_members"] != int64(3) {
		t.Errorf("archive record extra %v", a.Extra)
	}
	if b := p["/docs/bundle.tgz"]; b.Extra["archive"] != "tar+gzip" {
		t.Errorf("bundle extra %v", b.Extra)
	}
	for _, bad := range []string{"/docs/notreal.zip", "/docs/rar-like.rar"} {
		r := p[bad]
		if r == nil || r.Extra["archive_incomplete"] == nil {
			t.Errorf("%s: %+v", bad, r)
		}
	}
	if !strings.Contains(fmt.Sprint(p["/docs/rar-like.rar"].Extra["archive_incomplete"]), "rar: archive header") {
		t.Errorf("rar: %v", p["/docs/rar-like.rar"].Extra)
	}
	errs, _ := c.Errors(context.Background(), res.EvidenceID)
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Path+": "+e.Message)
	}
	if len(errs) != 2 || !strings.Contains(strings.Join(msgs, "\n"), "/docs/rar-like.rar: archive not opened completely") {
		t.Errorf("problems %q", msgs)
	}
	// Members come before their archive in the stream and the case.
	lines := strings.Split(jl.String(), "\n")
	at := func(path string) int {
		for i, l := range lines {
			if strings.Contains(l, `"path":"`+path+`"`) {
				return i
			}
		}
		t.Fatalf("%s not in the stream", path)
		return -1
	}
	if at("/docs/archive.zip!/inner/readme.txt") > at("/docs/archive.zip") {
		t.Error("a member follows its archive in the stream")
	}
	ev, _ := c.FindEvidence(context.Background(), root)
	am, _ := ev.Metadata["archives"].(map[string]any)
	if am["opened"] != float64(5) || am["not_opened"] != float64(2) {
		t.Errorf("evidence metadata %v", ev.Metadata["archives"])
	}
	if left, _ := filepath.Glob(c.Path(".archive-tmp-*")); len(left) != 0 {
		t.Errorf("temporary copies left: %v", left)
	}

	// --archives=false: the archives alone.
	c2 := newCase(t)
	res2 := scanTree(t, c2, root, Options{})
	if n := len(records(t, c2, res2.EvidenceID)); n != 7 {
		t.Errorf("%d records without archives, want 7 (the folder and six files)", n)
	}
}

// TestScanZipBomb: a 5 GiB member in a 5 MB zip is stopped by the ratio
// limit and recorded incomplete with the limit named; the files after it
// are recorded.
func TestScanZipBomb(t *testing.T) {
	var blk bytes.Buffer
	fw, _ := flate.NewWriter(&blk, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	fw.Write(zeros)
	fw.Flush()
	var comp bytes.Buffer
	crc := uint32(0)
	for range 5 << 10 {
		comp.Write(blk.Bytes())
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	comp.Write([]byte{3, 0})
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	w, _ := zw.CreateRaw(&zip.FileHeader{Name: "zeros.bin", Method: zip.Deflate, CRC32: crc,
		CompressedSize64: uint64(comp.Len()), UncompressedSize64: 5 << 30})
	w.Write(comp.Bytes())
	w, _ = zw.Create("after.txt")
	w.Write([]byte("after the bomb\n"))
	zw.Close()
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{"bomb.zip": zb.Bytes(), "z.txt": []byte("z\n")})
	c := newCase(t)
	start := time.Now()
	res := scanTree(t, c, root, Options{Archives: &ArchiveOptions{}})
	took := time.Since(start)
	p := byRecPath(records(t, c, res.EvidenceID))
	r := p["/bomb.zip!/zeros.bin"]
	if r == nil || r.Complete || !strings.Contains(r.Error, "compression ratio limit of 100 reached (--archive-max-ratio)") || r.Size != 5<<30 {
		t.Fatalf("bomb member: %+v", r)
	}
	if a := p["/bomb.zip!/after.txt"]; a == nil || !a.Complete || a.SHA256 != sha256Hex([]byte("after the bomb\n")) {
		t.Errorf("member after the bomb: %+v", a)
	}
	if p["/z.txt"] == nil || res.State != casedb.StatePartial {
		t.Errorf("state %s", res.State)
	}
	t.Logf("scan of a 5 GiB zip bomb: %v", took)
	if took > 5*time.Second {
		t.Errorf("scan took %v", took)
	}
}

// TestScanArchiveResume: a scan interrupted while archives are being
// opened, then resumed, holds the same records as one uninterrupted scan:
// no member missing, none twice.
func TestScanArchiveResume(t *testing.T) {
	root := t.TempDir()
	files := map[string][]byte{}
	for i := range 60 {
		var members []zfile
		for j := range 5 {
			members = append(members, zfile{fmt.Sprintf("m%d.txt", j), []byte(strings.Repeat(fmt.Sprint(i, j), 200+i)), zip.Deflate})
		}
		files[fmt.Sprintf("d%d/a%02d.zip", i%3, i)] = mkZip(t, members...)
		files[fmt.Sprintf("d%d/t%02d.txt", i%3, i)] = []byte(fmt.Sprint(i))
	}
	writeFiles(t, root, files)
	opts := func() Options { return Options{Archives: &ArchiveOptions{}, Workers: 2} }
	ref := newCase(t)
	want := records(t, ref, scanTree(t, ref, root, opts()).EvidenceID)

	c := newCase(t)
	src, _ := OpenSource(root)
	ctx, cancel := context.WithCancel(context.Background())
	o := opts()
	o.Progress = &Progress{}
	res, err := Scan(ctx, c, &cancelAfter{Source: src, n: 100, cancel: cancel, progress: o.Progress, done: 64}, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted scan: %v", err)
	}
	partial := records(t, c, res.EvidenceID)
	if len(partial) == 0 || len(partial) >= len(want) {
		t.Fatalf("interrupted scan kept %d of %d records", len(partial), len(want))
	}
	res2 := scanTree(t, c, root, opts())
	if !res2.Resumed {
		t.Fatalf("not resumed: %+v", res2)
	}
	got := records(t, c, res.EvidenceID) // fails on a key recorded twice
	if len(got) != len(want) {
		t.Fatalf("after resume %d records, want %d", len(got), len(want))
	}
	for k, w := range want {
		if g := got[k]; g == nil || g.SHA256 != w.SHA256 || g.Path != w.Path {
			t.Errorf("%q differs after resume", k)
		}
	}
}

// TestScanArchiveInImage: a zip in a FAT volume (made by mkfs.vfat and
// mcopy) has its members recorded on the volume of the zip.
func TestScanArchiveInImage(t *testing.T) {
	tools := needTools(t, "mkfs.vfat", "mcopy")
	dir := t.TempDir()
	img := filepath.Join(dir, "fat.img")
	runTool(t, tools["mkfs.vfat"], "-C", img, "2048")
	data := []byte(strings.Repeat("member of a zip in a FAT volume\n", 50))
	z := filepath.Join(dir, "files.zip")
	os.WriteFile(z, mkZip(t, zfile{"in/member.txt", data, zip.Deflate}), 0o644)
	runTool(t, tools["mcopy"], "-i", img, z, "::/files.zip")
	_, recs, _ := scanImageWith(t, img, SourceOptions{}, Options{Archives: &ArchiveOptions{}})
	var zipRec, member *jsonRec
	for i := range recs {
		switch recs[i].Path {
		case "/files.zip":
			zipRec = &recs[i]
		case "/files.zip!/in/member.txt":
			member = &recs[i]
		}
	}
	if zipRec == nil || member == nil {
		t.Fatalf("records %v", recs)
	}
	m := md5.Sum(data)
	if member.MD5 == nil || *member.MD5 != hex.EncodeToString(m[:]) || !member.Complete || member.Extra["container"] != "/files.zip" {
		t.Errorf("member %+v", member)
	}
	if member.Volume == nil || zipRec.Volume == nil || *member.Volume != *zipRec.Volume || member.Inode != nil {
		t.Errorf("volume %v inode %v, zip on volume %v", member.Volume, member.Inode, zipRec.Volume)
	}
}

// TestScanArchivesLeaveEvidenceUntouched: opening archives (a zip read at
// random, a zip inside a .tar.gz copied to the case's temporary folder)
// changes no time, byte or name of the evidence folder.
func TestScanArchivesLeaveEvidenceUntouched(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string][]byte{
		"a.zip":      mkZip(t, zfile{"x.txt", []byte("x\n"), zip.Deflate}),
		"b/c.tar.gz": mkTarGz(t, zfile{"in.zip", mkZip(t, zfile{"y.txt", []byte("y\n"), zip.Store}), 0}),
	})
	old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
	type state struct {
		atime, mtime time.Time
		sum          string
	}
	var names []string
	before := map[string]state{}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		names = append(names, p)
		if err == nil && fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			os.Chtimes(p, old, old)
			before[p] = state{old, old, sha256Hex(b)}
		}
		return err
	})
	c := newCase(t)
	res := scanTree(t, c, root, Options{Archives: &ArchiveOptions{}})
	if p := byRecPath(records(t, c, res.EvidenceID)); p["/b/c.tar.gz!/in.zip!/y.txt"] == nil || p["/a.zip!/x.txt"] == nil {
		t.Fatalf("members not recorded")
	}
	var after []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		after = append(after, p)
		return err
	})
	if fmt.Sprint(after) != fmt.Sprint(names) {
		t.Errorf("evidence folder changed: %q, was %q", after, names)
	}
	for p, b := range before {
		st, _ := lstat(p)
		data, _ := os.ReadFile(p)
		if !st.atime.Equal(b.atime) || !st.mtime.Equal(b.mtime) || sha256Hex(data) != b.sum {
			t.Errorf("%s changed by the scan: atime %v mtime %v", p, st.atime, st.mtime)
		}
	}
}

// TestScanEncryptedMember: a member encrypted by zip -P is recorded as
// such, incomplete, without digests; the member next to it is read.
func TestScanEncryptedMember(t *testing.T) {
	tools := needTools(t, "zip")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("secret\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "open.txt"), []byte("open\n"), 0o644)
	os.Mkdir(filepath.Join(dir, "ev"), 0o755)
	runTool(t, tools["zip"], "-q", "-j", "-P", "pass", filepath.Join(dir, "ev", "e.zip"), filepath.Join(dir, "secret.txt"))
	runTool(t, tools["zip"], "-q", "-j", filepath.Join(dir, "ev", "e.zip"), filepath.Join(dir, "open.txt"))
	c := newCase(t)
	res := scanTree(t, c, filepath.Join(dir, "ev"), Options{Archives: &ArchiveOptions{}})
	p := byRecPath(records(t, c, res.EvidenceID))
	s := p["/e.zip!/secret.txt"]
	if s == nil || s.Complete || s.SHA256 != "" || s.Extra["encrypted"] != true || !strings.Contains(s.Error, "encrypted") {
		t.Errorf("encrypted member %+v", s)
	}
	if o := p["/e.zip!/open.txt"]; o == nil || o.SHA256 != sha256Hex([]byte("open\n")) {
		t.Errorf("open member %+v", o)
	}
	if a := p["/e.zip"]; a == nil || a.Extra["archive_incomplete"] == nil {
		t.Errorf("archive %+v", a)
	}
}
