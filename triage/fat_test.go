package triage

import (
	"archive/zip"
	"bufio"
	"context"
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
)

// Scans of FAT volumes through the engine: the corpus's images against
// what their authors document, images made here with dosfstools and mtools
// against the files put in them, and both against the Sleuth Kit when it
// is installed.

// writeTemp writes b to a file of the test's temp folder.
func writeTemp(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// dftt6 unpacks DFTT #6's image from the corpus.
func dftt6(t *testing.T) string {
	t.Helper()
	z, err := zip.OpenReader(testfixture.Corpus(t, "dftt/6-undel-fat.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if filepath.Base(f.Name) == "6-fat-undel.dd" {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(r)
			r.Close()
			if err != nil {
				t.Fatal(err)
			}
			return writeTemp(t, "6-fat-undel.dd", b)
		}
	}
	t.Fatal("no 6-fat-undel.dd in the zip")
	return ""
}

func byPath(recs []jsonRec) map[string]jsonRec {
	m := map[string]jsonRec{}
	for _, r := range recs {
		m[r.Path] = r
	}
	return m
}

func md5Hex(b []byte) string { return fmt.Sprintf("%x", md5.Sum(b)) }

// TestScanFATDFTT6: all eight deleted names of DFTT #6 and the six MD5s its
// page documents (the Sleuth Kit gets three), recovered content marked.
func TestScanFATDFTT6(t *testing.T) {
	res, recs, c := scanImage(t, dftt6(t), SourceOptions{})
	if res.State != casedb.StateComplete {
		t.Errorf("state %s, want complete (%d errors)", res.State, res.Errors)
	}
	want := map[string]string{ // DFTT #6's index.html: the correct MD5s
		"/_ing.dat":            "59b20779f69ff9f0ac5fcd2c38835a79",
		"/_ult1.dat":           "ffd27bd782bdce67750b6b9ee069d2ef",
		"/_rag1.dat":           "7a3bc5b763bef201202108f4ba128149",
		"/_rag2.dat":           "0e80ab84ef0087e60dfc67b88a1cf13e",
		"/_ir1/mult2.dat":      "59cf0e9cd107bc1e75afb7374f6e05bb",
		"/_ir1/dir2/frag3.dat": "21121699487f3fbbdb9a4b3391b6d3e0",
		"/_ir1":                "",
		"/_ir1/dir2":           "",
	}
	got := byPath(recs)
	for p, sum := range want {
		r, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s not recorded", p)
			continue
		case !r.Deleted || r.Inode == nil || r.Volume == nil || *r.Volume != 0:
			t.Errorf("%s: deleted %v inode %v volume %v", p, r.Deleted, r.Inode, r.Volume)
		case sum == "":
			if r.Type != "dir" {
				t.Errorf("%s: type %s", p, r.Type)
			}
			continue
		}
		if r.MD5 == nil || *r.MD5 != sum || !r.Complete || r.Size == 0 {
			t.Errorf("%s: md5 %v complete %v, want %s", p, r.MD5, r.Complete, sum)
		}
		if rec, _ := r.Extra["recovered"].(string); rec == "" {
			t.Errorf("%s: extra.recovered missing: %v", p, r.Extra)
		}
		if off, _ := r.Extra["entry_offset"].(float64); int64(off) != int64(*r.Inode) {
			t.Errorf("%s: entry_offset %v, inode %d (a bare volume: the same)", p, r.Extra["entry_offset"], *r.Inode)
		}
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil || len(vols) != 1 {
		t.Fatalf("volumes %+v %v", vols, err)
	}
	d := vols[0].Details
	if vols[0].FS != "fat" || d["fs_label"] != "FAT_REC_1" || d["fs_type"] != "FAT16" || d["fs_time_zone"] != "UTC" {
		t.Errorf("volume %+v", vols[0])
	}
	crossCheckFLS(t, dftt6(t), 0, recs)
}

// TestScanFATCorpus: rust-fatfs's FAT16 image against its creation script,
// dfir_ntfs's FAT12 image against its listing (paths and modification
// times, read in UTC, the default zone), both against fls and icat.
func TestScanFATCorpus(t *testing.T) {
	t.Run("rust-fatfs-fat16", func(t *testing.T) {
		p := writeTemp(t, "fat16.img", testfixture.Gunzip(t, testfixture.Corpus(t, "rust-fatfs/fat16.img.gz")))
		res, recs, c := scanImage(t, p, SourceOptions{})
		if res.State != casedb.StateComplete {
			t.Errorf("state %s", res.State)
		}
		line := "Rust is cool!\n"
		want := map[string]string{
			"/long.txt":                md5Hex([]byte(strings.Repeat(line, 1000))),
			"/short.txt":               md5Hex([]byte(line)),
			"/very/long/path/test.txt": md5Hex([]byte(line)),
			"/very-long-dir-name/very-long-file-name.txt": md5Hex([]byte(line)),
		}
		got := byPath(recs)
		for p, sum := range want {
			if r := got[p]; r.MD5 == nil || *r.MD5 != sum || r.Deleted || !r.Complete {
				t.Errorf("%s: %+v, want md5 %s", p, r, sum)
			}
		}
		if len(recs) != 8 {
			t.Errorf("%d records, want 4 files and 4 folders", len(recs))
		}
		vols, _ := c.Volumes(context.Background(), res.EvidenceID)
		if len(vols) != 1 || vols[0].Details["fs_label"] != "Test!" || vols[0].Details["fs_serial"] != "1234-5678" {
			t.Errorf("volumes %+v", vols)
		}
		crossCheckFLS(t, p, 0, recs)
	})
	t.Run("dfir_ntfs-fat12", func(t *testing.T) {
		p := writeTemp(t, "fat12.raw", testfixture.Gunzip(t, testfixture.Corpus(t, "dfir_ntfs/fat12.raw.gz")))
		_, recs, _ := scanImage(t, p, SourceOptions{})
		f, err := os.Open(testfixture.Corpus(t, "dfir_ntfs/fat12_full_test.txt.expected"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		got := byPath(recs)
		sc := bufio.NewScanner(f)
		n := 0
		for sc.Scan() {
			path, ts, _ := strings.Cut(sc.Text(), "\t")
			n++
			r, ok := got[path]
			if !ok {
				t.Errorf("%s not recorded", path)
				continue
			}
			// "2021-12-26+15:15:02.0000000000": the listing's times are
			// 3 hours after the local times stored (its authors' zone:
			// istat shows 12:15:02 for /0/0.txt, listed at 15:15:02).
			listed := mustTime(t, strings.Replace(ts[:19], "+", "T", 1)+"Z")
			if r.Extra["time_zone"] != "UTC" || mustTime(t, r.Mtime).Add(3*time.Hour) != listed {
				t.Errorf("%s: mtime %s zone %v, listed %s", path, r.Mtime, r.Extra["time_zone"], ts)
			}
		}
		if n != 1025 || len(recs) != n {
			t.Errorf("%d records, %d listed", len(recs), n)
		}
		crossCheckFLS(t, p, 0, recs)
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// TestScanFATSourceTimezone: FAT local times read in the examiner's zone.
func TestScanFATSourceTimezone(t *testing.T) {
	p := writeTemp(t, "fat16.img", testfixture.Gunzip(t, testfixture.Corpus(t, "rust-fatfs/fat16.img.gz")))
	_, utc, _ := scanImage(t, p, SourceOptions{})
	_, ber, _ := scanImage(t, p, SourceOptions{Image: ImageOptions{FS: fs.Options{fs.SourceTimezone.Name: "+02:00"}}})
	a, b := byPath(utc)["/short.txt"], byPath(ber)["/short.txt"]
	if a.Mtime == "" || b.Extra["time_zone"] != "UTC+02:00" {
		t.Fatalf("mtime %q, zone %v", a.Mtime, b.Extra["time_zone"])
	}
	// The same local time two hours earlier in UTC.
	ta, tb := mustTime(t, a.Mtime), mustTime(t, b.Mtime)
	if d := ta.Sub(tb).Hours(); d != 2 {
		t.Errorf("UTC %s, +02:00 %s: %v hours apart, want 2", a.Mtime, b.Mtime, d)
	}
}

var flsFAT = regexp.MustCompile(`^([-a-zA-Z]/[-a-zA-Z]) (\* )?(\d+):\t(.*)$`)

// crossCheckFLS runs fls -r -p and icat on the FAT volume at sector off:
// every allocated file fls lists has the same path, size and MD5 in the
// records, both ways; every deleted entry it lists is recorded as deleted
// at the same directory entry. The Sleuth Kit numbers the directory
// entries of a FAT volume from 3 at the start of the root folder
// (FAT12/16) or of cluster 2 (FAT32); the records' inode is the entry's
// byte offset in the volume.
func crossCheckFLS(t *testing.T, img string, off int64, recs []jsonRec) {
	t.Helper()
	for _, tool := range []string{"fls", "icat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Logf("the Sleuth Kit's %s is not installed: no cross-check", tool)
			return
		}
	}
	first := fatFirstEntry(t, img, off)
	o := strconv.FormatInt(off, 10)
	out, err := exec.Command("fls", "-r", "-p", "-o", o, img).Output()
	if err != nil {
		t.Fatalf("fls: %v", err)
	}
	byInode := map[int64]jsonRec{}
	live := map[string]jsonRec{}
	for _, r := range recs {
		if r.Inode != nil {
			byInode[(int64(*r.Inode)-first)/32+3] = r
		}
		if r.Type == "file" && !r.Deleted {
			live[r.Path] = r
		}
	}
	seen := map[string]bool{}
	nLive, nDel := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := flsFAT.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("fls line %q", line)
		}
		typ, del, path := m[1], m[2] != "", "/"+m[4]
		ino, _ := strconv.ParseInt(m[3], 10, 64)
		if typ == "v/v" || typ == "V/V" || strings.HasSuffix(path, "(Volume Label Entry)") {
			continue
		}
		r, ok := byInode[ino]
		if del {
			nDel++
			if !ok || !r.Deleted {
				t.Errorf("fls: deleted %s (entry %d) not recorded as deleted (%v)", path, ino, ok)
			}
			continue
		}
		if typ != "r/r" {
			continue
		}
		nLive++
		seen[path] = true
		data, err := exec.Command("icat", "-o", o, img, m[3]).Output()
		if err != nil {
			t.Fatalf("icat %s: %v", m[3], err)
		}
		if r, ok := live[path]; !ok || r.MD5 == nil || *r.MD5 != md5Hex(data) || r.Size != int64(len(data)) {
			t.Errorf("%s: recorded %v, fls/icat: %d bytes, md5 %s", path, ok, len(data), md5Hex(data))
		}
	}
	for p := range live {
		if !seen[p] {
			t.Errorf("%s recorded, not listed by fls", p)
		}
	}
	t.Logf("fls: %d allocated files and %d deleted entries checked", nLive, nDel)
}

// fatFirstEntry returns the volume offset of the first entry the Sleuth
// Kit numbers, from the boot sector of the FAT volume at sector off.
func fatFirstEntry(t *testing.T, img string, off int64) int64 {
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 512)
	if _, err := f.ReadAt(b, off*512); err != nil {
		t.Fatal(err)
	}
	le16 := func(o int) int64 { return int64(binary.LittleEndian.Uint16(b[o:])) }
	bps, reserved, fats := le16(11), le16(14), int64(b[16])
	fatSize := le16(22)
	root := (reserved + fats*fatSize) * bps
	if fatSize == 0 { // FAT32: entries counted from cluster 2
		fatSize = int64(binary.LittleEndian.Uint32(b[36:]))
		return (reserved + fats*fatSize) * bps
	}
	return root
}

// needTools skips the test when one of the tools is missing.
func needTools(t *testing.T, tools ...string) map[string]string {
	t.Helper()
	paths := map[string]string{}
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			for _, d := range []string{"/usr/sbin", "/sbin"} {
				if _, serr := os.Stat(filepath.Join(d, tool)); serr == nil {
					p, err = filepath.Join(d, tool), nil
				}
			}
		}
		if err != nil {
			t.Skipf("%s is not installed (Debian packages dosfstools, mtools, fdisk): %v", tool, err)
		}
		paths[tool] = p
	}
	return paths
}

func runTool(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

// mbrFAT makes an 8 MiB image with a DOS partition table (sfdisk) and two
// FAT16 partitions (mkfs.vfat --offset), at 1 MiB and 5 MiB, and fills the
// first with mtools: files of several clusters, a long name in a folder and
// a deleted file. It returns the image and the files put in the first
// partition by path (the deleted one under its fls name).
func mbrFAT(t *testing.T) (string, map[string][]byte) {
	tools := needTools(t, "sfdisk", "mkfs.vfat", "mcopy", "mmd", "mdel")
	dir := t.TempDir()
	img := filepath.Join(dir, "mbr-fat.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(img, 8<<20); err != nil {
		t.Fatal(err)
	}
	sf := exec.Command(tools["sfdisk"], "-q", img)
	sf.Stdin = strings.NewReader("label: dos\n2048,8192,e\n10240,6144,6\n")
	if out, err := sf.CombinedOutput(); err != nil {
		t.Fatalf("sfdisk: %v\n%s", err, out)
	}
	runTool(t, tools["mkfs.vfat"], "-F", "16", "-s", "1", "--offset", "2048", "-n", "PART1", "-i", "0badcafe", img, "4096")
	runTool(t, tools["mkfs.vfat"], "-F", "16", "-s", "1", "--offset", "10240", "-n", "PART2", img, "3072")
	files := map[string][]byte{
		"/BIG.BIN":                           pseudoRandom(9000, 1),
		"/docs/A long name for a report.txt": []byte(strings.Repeat("a report line\n", 300)),
		"/HELLO.TXT":                         []byte("hello\n"),
	}
	gone := pseudoRandom(3000, 2)
	src := filepath.Join(dir, "src")
	os.Mkdir(src, 0o755)
	put := func(name string, b []byte, to string) {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		runTool(t, tools["mcopy"], "-i", img+"@@1M", p, "::"+to)
	}
	put("big", files["/BIG.BIN"], "/BIG.BIN")
	runTool(t, tools["mmd"], "-i", img+"@@1M", "::/docs")
	put("report", files["/docs/A long name for a report.txt"], "/docs/A long name for a report.txt")
	put("gone", gone, "/GONE.DAT")
	put("hello", files["/HELLO.TXT"], "/HELLO.TXT")
	runTool(t, tools["mdel"], "-i", img+"@@1M", "::/GONE.DAT")
	files["/_ONE.DAT"] = gone
	return img, files
}

func pseudoRandom(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed)*2654435761 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

// TestScanFATPartitioned: an MBR image with two FAT16 partitions; the files
// of the first are recorded with the MD5s of what was put in (md5 of the
// source bytes), the deleted one rebuilt, and fls/icat agree.
func TestScanFATPartitioned(t *testing.T) {
	img, files := mbrFAT(t)
	res, recs, c := scanImage(t, img, SourceOptions{})
	if res.State != casedb.StateComplete {
		t.Errorf("state %s (%d errors)", res.State, res.Errors)
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil || len(vols) != 2 || vols[0].Offset != 1<<20 || vols[0].FS != "fat" || vols[1].Offset != 5<<20 || vols[1].FS != "fat" {
		t.Fatalf("volumes %+v %v", vols, err)
	}
	if vols[0].Details["fs_label"] != "PART1" || vols[0].Details["fs_serial"] != "0BAD-CAFE" || vols[1].Details["fs_label"] != "PART2" {
		t.Errorf("volume details %v / %v", vols[0].Details, vols[1].Details)
	}
	got := map[string]jsonRec{}
	for _, r := range recs {
		if *r.Volume == 0 {
			got[r.Path] = r
		}
	}
	for p, b := range files {
		r, ok := got[p]
		if !ok || r.MD5 == nil || *r.MD5 != md5Hex(b) || !r.Complete || r.Size != int64(len(b)) {
			t.Errorf("%s: %+v, want %d bytes md5 %s", p, r, len(b), md5Hex(b))
			continue
		}
		if r.Deleted != (p == "/_ONE.DAT") {
			t.Errorf("%s: deleted %v", p, r.Deleted)
		}
		// The entry's image offset is the partition's offset plus the inode.
		if off, _ := r.Extra["entry_offset"].(float64); int64(off) != int64(*r.Inode)+1<<20 {
			t.Errorf("%s: entry_offset %v, inode %d", p, r.Extra["entry_offset"], *r.Inode)
		}
	}
	if r := got["/docs/A long name for a report.txt"]; r.Extra["fat_short_name"] != "ALONGN~1.TXT" || r.Extra["long_entry_offset"] == nil {
		t.Errorf("long name: extra %v", r.Extra)
	}
	crossCheckFLS(t, img, 2048, recs[:len(got)])
}

// TestScanFATHostile: a cluster loop in the first partition and a corrupt
// boot sector in the second are problems naming the volume and the byte
// offset of the fault, the scan ends partial (exit status 3), and the rest
// is still read.
func TestScanFATHostile(t *testing.T) {
	img, files := mbrFAT(t)
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	// Partition 1 (FAT16 at 1 MiB): BIG.BIN's first cluster, from its
	// directory entry in the root folder, points to itself in both FATs.
	const p1 = 1 << 20
	bps, reserved, fats, fatSize := int64(binary.LittleEndian.Uint16(b[p1+11:])), int64(binary.LittleEndian.Uint16(b[p1+14:])), int64(b[p1+16]), int64(binary.LittleEndian.Uint16(b[p1+22:]))
	root := p1 + (reserved+fats*fatSize)*bps
	var first uint16
	for e := root; e < root+512*32; e += 32 {
		if string(b[e:e+11]) == "BIG     BIN" {
			first = binary.LittleEndian.Uint16(b[e+26:])
			break
		}
	}
	if first < 2 {
		t.Fatal("BIG.BIN not found in the root folder")
	}
	fatEntry := p1 + reserved*bps + 2*int64(first)
	for k := int64(0); k < fats; k++ {
		binary.LittleEndian.PutUint16(b[fatEntry+k*fatSize*bps:], first)
	}
	// Partition 2 (at 5 MiB): 300 bytes per sector.
	const p2 = 5 << 20
	binary.LittleEndian.PutUint16(b[p2+11:], 300)
	img = writeTemp(t, "hostile.img", b)

	res, recs, c := scanImage(t, img, SourceOptions{})
	if res.State != casedb.StatePartial {
		t.Errorf("state %s, want partial", res.State)
	}
	errs, err := c.Errors(context.Background(), res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	var loop, boot bool
	for _, e := range errs {
		off := int64(-1)
		if e.Offset != nil {
			off = *e.Offset
		}
		t.Logf("problem at %#x: %s", off, e.Message)
		if strings.Contains(e.Message, "volume 0 at byte 0x100000") && strings.Contains(e.Message, "BIG.BIN") &&
			strings.Contains(e.Message, "loops") && off == fatEntry {
			loop = true
		}
		if strings.Contains(e.Message, "volume 1 at byte 0x500000") && strings.Contains(e.Message, "bytes per sector 300") && off == p2+11 {
			boot = true
		}
	}
	if !loop || !boot {
		t.Errorf("loop problem at %#x found %v; boot sector problem at %#x found %v", fatEntry, loop, p2+11, boot)
	}
	got := byPath(recs)
	if r := got["/BIG.BIN"]; r.Complete || r.Error == nil || !strings.Contains(*r.Error, "loops") {
		t.Errorf("BIG.BIN: complete %v error %v", r.Complete, r.Error)
	}
	for _, p := range []string{"/HELLO.TXT", "/docs/A long name for a report.txt"} {
		if r := got[p]; r.MD5 == nil || *r.MD5 != md5Hex(files[p]) {
			t.Errorf("%s not read past the damage: %+v", p, r)
		}
	}
}

// TestScanFATTruncated: an image cut inside a FAT volume's data is read as
// far as it goes; what lies past the cut is incomplete, with a problem.
func TestScanFATTruncated(t *testing.T) {
	img, _ := mbrFAT(t)
	if err := os.Truncate(img, 1<<20+60<<10); err != nil {
		t.Fatal(err)
	}
	res, recs, _ := scanImage(t, img, SourceOptions{})
	if res.State != casedb.StatePartial || res.Errors == 0 {
		t.Errorf("state %s, %d errors", res.State, res.Errors)
	}
	var ok, bad int
	for _, r := range recs {
		switch {
		case r.Type != "file":
		case r.Complete:
			ok++
		case r.Error == nil:
			t.Errorf("%s incomplete without a reason", r.Path)
		default:
			bad++
		}
	}
	if ok == 0 || bad == 0 {
		t.Errorf("%d complete, %d incomplete files: want both", ok, bad)
	}
}

// TestScanExFAT: the exFAT image of make_fat.sh against what fls and icat
// recorded for it: every file with its path, size and MD5 (deleted ones
// included), the folders, the label and serial on the volume; and fls/icat
// run live when installed.
func TestScanExFAT(t *testing.T) {
	const name = "exfat-basic.raw"
	p := imageFile(t, name)
	res, recs, c := scanImage(t, p, SourceOptions{})
	if res.State != casedb.StateComplete {
		t.Errorf("state %s (%d errors)", res.State, res.Errors)
	}
	vols, err := c.Volumes(context.Background(), res.EvidenceID)
	if err != nil || len(vols) != 1 || vols[0].FS != "exfat" || vols[0].Details["fs_label"] != "EXVOL" || vols[0].Details["fs_serial"] == nil {
		t.Errorf("volumes %+v %v", vols, err)
	}
	f, err := os.Open(filepath.Join("..", "testdata", "images", name+".expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		x := strings.Split(sc.Text(), "\t") // addr deleted size md5 path
		if strings.HasPrefix(x[4], "$") || strings.HasSuffix(x[4], "(Volume Label Entry)") {
			continue // the bitmap and up-case table are not files
		}
		want["/"+x[4]] = x
	}
	checkExFAT(t, recs, want)
	if r := byPath(recs)["/olddir"]; r.Type != "dir" || !r.Deleted {
		t.Errorf("/olddir: %+v", r)
	}
	if _, err := exec.LookPath("fls"); err != nil {
		t.Log("fls not installed: no live cross-check")
		return
	}
	out, err := exec.Command("fls", "-r", "-p", p).Output()
	if err != nil {
		t.Fatal(err)
	}
	live := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := flsFAT.FindStringSubmatch(line)
		if m == nil || m[1] != "r/r" || strings.HasPrefix(m[4], "$") || strings.HasSuffix(m[4], "(Volume Label Entry)") {
			continue
		}
		data, err := exec.Command("icat", p, m[3]).Output()
		if err != nil {
			t.Fatal(err)
		}
		live["/"+m[4]] = []string{m[3], strconv.FormatBool(m[2] != ""), strconv.Itoa(len(data)), md5Hex(data), m[4]}
	}
	checkExFAT(t, recs, live)
}

// checkExFAT compares the file records with want (fls/icat's address,
// deleted flag, size, MD5 and path by path), both ways.
func checkExFAT(t *testing.T, recs []jsonRec, want map[string][]string) {
	t.Helper()
	n := 0
	for _, r := range recs {
		if r.Type != "file" {
			continue
		}
		n++
		w, ok := want[r.Path]
		if !ok {
			t.Errorf("%s recorded, not listed by fls", r.Path)
			continue
		}
		if r.MD5 == nil || *r.MD5 != w[3] || strconv.FormatInt(r.Size, 10) != w[2] || strconv.FormatBool(r.Deleted) != w[1] || !r.Complete {
			t.Errorf("%s: size %d md5 %v deleted %v complete %v; fls/icat %v", r.Path, r.Size, r.MD5, r.Deleted, r.Complete, w)
		}
		if rec, _ := r.Extra["recovered"].(string); (rec != "") != r.Deleted {
			t.Errorf("%s: deleted %v, extra.recovered %q", r.Path, r.Deleted, rec)
		}
	}
	if n != len(want) {
		t.Errorf("%d files recorded, fls lists %d", n, len(want))
	}
}
