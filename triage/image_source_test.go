package triage

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/triagekit/triage/internal/testfixture"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/fs/ntfs"
)

var (
	imageFile = testfixture.ImageFile
	corpusDir = testfixture.CorpusDir
)

type jsonRec struct {
	Path     string         `json:"path"`
	Type     string         `json:"type"`
	Size     int64          `json:"size"`
	MD5      *string        `json:"md5"`
	Deleted  bool           `json:"deleted"`
	Stream   string         `json:"stream"`
	Inode    *uint64        `json:"inode"`
	Volume   *int           `json:"volume"`
	Complete bool           `json:"complete"`
	Error    *string        `json:"error"`
	Extra    map[string]any `json:"extra"`
	Status   string         `json:"status"`
	Hashsets []string       `json:"hashsets"`
	Mtime    string         `json:"mtime"`
}

func scanImage(t *testing.T, path string, opts SourceOptions) (*Result, []jsonRec, *casedb.Case) {
	t.Helper()
	return scanImageWith(t, path, opts, Options{})
}

// scanImageWith scans with the scan options o (two workers unless set).
func scanImageWith(t *testing.T, path string, opts SourceOptions, o Options) (*Result, []jsonRec, *casedb.Case) {
	t.Helper()
	src, err := OpenSourceWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	var buf bytes.Buffer
	o.JSONL = &buf
	if o.Workers == 0 {
		o.Workers = 2
	}
	res, err := Scan(context.Background(), c, src, o)
	if err != nil {
		t.Fatal(err)
	}
	var recs []jsonRec
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var r jsonRec
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r)
	}
	return res, recs, c
}

type tskStream struct {
	path    string // "/dir/name" or "/dir/name:stream"
	size    int64
	md5     string
	deleted bool
}

// expectedTSV reads the fls/icat results make.sh recorded.
func expectedTSV(t *testing.T, name string) []tskStream {
	f, err := os.Open(filepath.Join("..", "testdata", "images", name+".expected.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []tskStream
	sc := bufio.NewScanner(f)
	sc.Scan()
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		size, _ := strconv.ParseInt(f[3], 10, 64)
		out = append(out, tskStream{path: "/" + f[5], size: size, md5: f[4], deleted: f[2] == "true"})
	}
	return out
}

// liveTSK runs fls -r -p and icat on the volume at sector off.
func liveTSK(t *testing.T, img string, off int64) []tskStream {
	o := strconv.FormatInt(off, 10)
	out, err := exec.Command("fls", "-r", "-p", "-o", o, img).Output()
	if err != nil {
		t.Fatalf("fls: %v", err)
	}
	var res []tskStream
	for _, line := range strings.Split(string(out), "\n") {
		meta, path, ok := strings.Cut(line, "\t")
		if !ok || strings.Contains(meta, "(realloc)") || !(strings.HasPrefix(meta, "r/r") || strings.HasPrefix(meta, "-/r")) {
			continue
		}
		f := strings.Fields(meta)
		addr := strings.TrimSuffix(f[len(f)-1], ":")
		if !strings.Contains(addr, "-128-") {
			continue
		}
		data, err := exec.Command("icat", "-o", o, img, addr).Output()
		if err != nil {
			t.Fatalf("icat %s: %v", addr, err)
		}
		res = append(res, tskStream{path: "/" + path, size: int64(len(data)), md5: fmt.Sprintf("%x", md5.Sum(data)), deleted: strings.Contains(meta, "*")})
	}
	return res
}

// compareTSK checks the records against the Sleuth Kit's streams: every
// allocated stream matches in size and MD5 both ways, and every deleted
// stream fls finds is recorded as deleted with the same content.
func compareTSK(t *testing.T, recs []jsonRec, vol int, want []tskStream) {
	t.Helper()
	got := map[string]jsonRec{}
	for _, r := range recs {
		if r.Volume == nil || *r.Volume != vol || r.MD5 == nil {
			continue
		}
		k := r.Path
		if r.Stream != "" {
			k += ":" + r.Stream
		}
		got[k] = r
		// fls lists every hard-link name; triage records the entry once
		// with the other names in extra.ntfs_hard_links.
		if links, ok := r.Extra["ntfs_hard_links"].([]any); ok {
			for _, l := range links {
				lk := l.(string)
				if r.Stream != "" {
					lk += ":" + r.Stream
				}
				got[lk] = r
			}
		}
	}
	seen := map[string]bool{}
	for _, w := range want {
		seen[w.path] = true
		r, ok := got[w.path]
		if !ok {
			t.Errorf("%s (deleted %v) found by fls, not by triage", w.path, w.deleted)
			continue
		}
		// wof.txt has a WOF reparse point (make.sh): hashed as stored, but
		// marked incomplete because the real content cannot be decoded.
		wantComplete := w.path != "/wof.txt"
		if !wantComplete && (r.Error == nil || !strings.Contains(*r.Error, "WOF")) {
			t.Errorf("%s: error %v, want the WOF reason", w.path, r.Error)
		}
		if r.Size != w.size || *r.MD5 != w.md5 || r.Deleted != w.deleted || r.Complete != wantComplete {
			t.Errorf("%s: size %d md5 %s deleted %v complete %v; fls/icat %d %s %v", w.path, r.Size, *r.MD5, r.Deleted, r.Complete, w.size, w.md5, w.deleted)
		}
	}
	if _, ok := got["/docs/hello-link.txt"]; vol == 0 && ok != (got["/hello.txt"].Extra["ntfs_hard_links"] != nil) {
		t.Errorf("hard link of /hello.txt: %v", got["/hello.txt"].Extra)
	}
	for k, r := range got {
		if !r.Deleted && !seen[k] {
			t.Errorf("%s recorded by triage, not listed by fls", k)
		}
	}
}

var imageVolumes = map[string]int64{"ntfs-basic.raw": 0, "mbr-ntfs-ext4.raw": 2048, "gpt-ntfs.raw": 2048}

func TestScanImages(t *testing.T) {
	for name, sector := range imageVolumes {
		t.Run(name, func(t *testing.T) {
			p := imageFile(t, name)
			res, recs, c := scanImage(t, p, SourceOptions{})
			compareTSK(t, recs, 0, expectedTSV(t, name))
			vols, err := c.Volumes(context.Background(), res.EvidenceID)
			if err != nil || len(vols) == 0 || vols[0].Offset != sector*512 || vols[0].FS != "ntfs" {
				t.Errorf("volumes %+v %v", vols, err)
			}
			wantState := casedb.StateComplete
			if name == "ntfs-basic.raw" {
				wantState = casedb.StatePartial // wof.txt
			}
			if name == "mbr-ntfs-ext4.raw" {
				// The ext4 logical partition is read: its lost+found
				// folder (inode 11, mbr-ntfs-ext4.raw.fls.txt has only the
				// NTFS volume; mkfs.ext4 makes it).
				if len(vols) != 2 || vols[1].FS != "ext" || vols[1].Offset != 20480*512 {
					t.Errorf("volumes %+v", vols)
				}
				found := false
				for _, r := range recs {
					found = found || (r.Path == "/lost+found" && r.Volume != nil && *r.Volume == 1 && r.Type == "dir" && r.Inode != nil && *r.Inode == 11)
				}
				if !found {
					t.Errorf("ext4 volume: no /lost+found record")
				}
			}
			if res.State != wantState {
				t.Errorf("state %s, want %s (%d errors)", res.State, wantState, res.Errors)
			}
			// ADS, metafile flag, FN times, deleted and compressed marks.
			var ads, meta, comp bool
			for _, r := range recs {
				switch {
				case r.Path == "/docs/ads.txt" && r.Stream == "Zone.Identifier":
					ads = r.Size == 26
				case r.Path == "/$MFT":
					meta = r.Extra["ntfs_metafile"] == true && r.Inode != nil && *r.Inode == 0
				case r.Path == "/compressed/big.txt":
					comp = r.Extra["ntfs_compressed"] == true && r.Extra["fn_mtime"] != nil
				}
			}
			if !ads || !meta || !comp {
				t.Errorf("ads %v metafile %v compressed %v", ads, meta, comp)
			}
		})
	}
}

// TestScanImagesLiveTSK runs fls and icat on every testdata image and
// compares with what triage records.
func TestScanImagesLiveTSK(t *testing.T) {
	for _, tool := range []string{"fls", "icat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: install sleuthkit", tool)
		}
	}
	for name, sector := range imageVolumes {
		t.Run(name, func(t *testing.T) {
			p := imageFile(t, name)
			_, recs, _ := scanImage(t, p, SourceOptions{})
			compareTSK(t, recs, 0, liveTSK(t, p, sector))
		})
	}
}

func TestScanSkipMetafiles(t *testing.T) {
	_, recs, _ := scanImage(t, imageFile(t, "ntfs-basic.raw"), SourceOptions{Image: ImageOptions{FS: fs.Options{ntfs.SkipMetafiles.Name: true}}})
	for _, r := range recs {
		if strings.HasPrefix(r.Path, "/$") && !strings.HasPrefix(r.Path, "/$OrphanFiles") {
			t.Errorf("metafile %s recorded", r.Path)
		}
		if r.Extra["ntfs_metafile"] == true {
			t.Errorf("%s marked as metafile, recorded", r.Path)
		}
	}
	if len(recs) < 15 {
		t.Errorf("only %d records", len(recs))
	}
}

func TestScanTruncatedImage(t *testing.T) {
	p := imageFile(t, "gpt-ntfs.raw")
	os.Truncate(p, 6<<20) // cuts the NTFS volume (1-9 MiB) and the backup GPT
	res, recs, _ := scanImage(t, p, SourceOptions{})
	if res.State != casedb.StatePartial {
		t.Errorf("state %s", res.State)
	}
	var ok, bad int
	for _, r := range recs {
		if r.Complete {
			ok++
		} else {
			bad++
			if r.Error == nil {
				t.Errorf("%s incomplete without a reason", r.Path)
			}
		}
	}
	if ok == 0 || bad == 0 {
		t.Errorf("%d complete, %d incomplete records: want both", ok, bad)
	}
}

func TestOpenSourceDetection(t *testing.T) {
	img := imageFile(t, "ntfs-basic.raw")
	txt := filepath.Join(t.TempDir(), "notes.raw")
	os.WriteFile(txt, []byte("not an image"), 0o644)
	for _, tt := range []struct {
		path string
		as   string
		want string
	}{
		{img, AsAuto, "raw"},
		{img, AsFile, "file"},
		{txt, AsAuto, "file"},
		{txt, AsImage, "raw"},
		{filepath.Dir(txt), AsAuto, "folder"},
	} {
		src, err := OpenSourceWith(tt.path, SourceOptions{As: tt.as})
		if err != nil {
			t.Errorf("%s as %q: %v", tt.path, tt.as, err)
			continue
		}
		if got := src.Info().Type; got != tt.want {
			t.Errorf("%s as %q: type %q, want %q", filepath.Base(tt.path), tt.as, got, tt.want)
		}
		src.Close()
	}
	if _, err := OpenSourceWith(t.TempDir(), SourceOptions{As: AsImage}); err == nil {
		t.Errorf("a folder opened as an image")
	}
}

type sha1Rec struct {
	jsonRec
	SHA1 *string `json:"sha1"`
}

// TestCorpusE01NTFS scans the NTFS images of the corpus held in E01
// containers and checks what INDEX.md documents (rows 9 and 11).
func TestCorpusE01NTFS(t *testing.T) {
	d := corpusDir(t)
	scan := func(name string) map[string]sha1Rec {
		src, err := OpenSource(filepath.Join(d, name))
		if err != nil {
			t.Skipf("cannot open %s (E01 support?): %v", name, err)
		}
		defer src.Close()
		c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var buf bytes.Buffer
		res, err := Scan(context.Background(), c, src, Options{JSONL: &buf})
		if err != nil || res.State != casedb.StateComplete {
			t.Errorf("%s: state %v, err %v", name, res.State, err)
		}
		out := map[string]sha1Rec{}
		dec := json.NewDecoder(&buf)
		for dec.More() {
			var r sha1Rec
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			k := r.Path
			if r.Stream != "" {
				k += ":" + r.Stream
			}
			out[k] = r
		}
		return out
	}
	t.Run("go-ewf/test.ntfs.dd.E01", func(t *testing.T) {
		all := scan("go-ewf/test.ntfs.dd.E01")
		for _, w := range []struct {
			path  string
			inode uint64
			size  int64
			sha1  string
		}{
			// sha1("Hello world!") and sha1("Goodbye cruel world."): the
			// contents INDEX.md quotes; ones.bin's SHA-1 is documented.
			{"/Folder A/Folder B/Hello world text document.txt", 46, 12, "d3486ae9136e7856bc42212385ea797094475802"},
			{"/Folder A/Folder B/Hello world text document.txt:goodbye.txt", 46, 20, fmt.Sprintf("%x", sha1Sum("Goodbye cruel world."))},
			{"/ones.bin", 38, 2949120, "f581eebdb9a49a622c305d4e44977bc91a4a1204"},
			{"/another_file.txt", 0, 14, ""},
			{"/just_a_file.txt", 0, 12, ""},
		} {
			r, ok := all[w.path]
			if !ok {
				t.Errorf("%s not found", w.path)
				continue
			}
			if r.Size != w.size || (w.inode != 0 && (r.Inode == nil || *r.Inode != w.inode)) || (w.sha1 != "" && (r.SHA1 == nil || *r.SHA1 != w.sha1)) || !r.Complete {
				t.Errorf("%s: size %d inode %v sha1 %v complete %v", w.path, r.Size, r.Inode, r.SHA1, r.Complete)
			}
		}
	})
	t.Run("velociraptor/partition_image.E01", func(t *testing.T) {
		all := scan("velociraptor/partition_image.E01")
		for _, p := range []string{"/Users/Administrator/NTUser.dat", "/Windows/System32/Config/SYSTEM", "/Windows/System32/Config/software",
			"/Windows/System32/Config/sam", "/Windows/System32/Config/Security", "/Windows/appcompat/programs/Amcache.hve"} {
			if r, ok := all[p]; !ok || r.MD5 == nil || r.Deleted {
				t.Errorf("%s: %+v", p, r)
			}
		}
	})
}

func sha1Sum(s string) [20]byte { return sha1.Sum([]byte(s)) }

// TestScanE01BadChunkOffset corrupts one stored chunk of an uncompressed
// E01 made by ewfacquire and checks that the file whose data it holds is
// recorded incomplete, with the chunk's media offset in the case's errors
// table. The expected offset comes from where the file's bytes sit in the raw
// image, not from our reader.
func TestScanE01BadChunkOffset(t *testing.T) {
	if _, err := exec.LookPath("ewfacquire"); err != nil {
		t.Skip("ewfacquire not installed (Debian package ewf-tools)")
	}
	raw := imageFile(t, "ntfs-basic.raw")
	dir := t.TempDir()
	cmd := exec.Command("ewfacquire", "-u", "-q", "-c", "none", "-b", "64", "-t", filepath.Join(dir, "bad"), raw)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ewfacquire: %v\n%s", err, out)
	}
	e01 := filepath.Join(dir, "bad.E01")
	// make.sh writes docs/report.txt as "line %05d of the report\n" x 2000.
	pat := []byte("line 01000 of the report\n")
	rb, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	rawOff := bytes.Index(rb, pat)
	eb, err := os.ReadFile(e01)
	if err != nil {
		t.Fatal(err)
	}
	e01Off := bytes.Index(eb, pat)
	if rawOff < 0 || e01Off < 0 || bytes.Count(eb, pat) != 1 {
		t.Fatalf("pattern at raw %d, E01 %d (%d times)", rawOff, e01Off, bytes.Count(eb, pat))
	}
	eb[e01Off+5] ^= 0xff
	if err := os.WriteFile(e01, eb, 0o644); err != nil {
		t.Fatal(err)
	}
	// A known-good set holding the empty file: the unreadable file,
	// hashed over the zero bytes read before the bad chunk, must not
	// become known-good.
	res, recs, c := scanImageWith(t, e01, SourceOptions{}, Options{Matcher: emptyKnownGood{}})
	if res.State != casedb.StatePartial {
		t.Errorf("state %s, want partial", res.State)
	}
	var found, goodEmpty bool
	for _, r := range recs {
		if r.Path == "/docs/report.txt" && r.Stream == "" {
			found = true
			if r.Complete || r.Error == nil || !strings.Contains(*r.Error, "checksum") {
				t.Errorf("report.txt: complete %v, error %v", r.Complete, r.Error)
			}
			if r.Status != casedb.StatusUnknown || len(r.Hashsets) != 1 {
				t.Errorf("report.txt read incompletely: status %q, sets %v; want unknown with the set listed", r.Status, r.Hashsets)
			}
		}
		if r.Complete && r.Type == "file" && r.Size == 0 && r.Status == casedb.StatusKnownGood {
			goodEmpty = true
		}
	}
	if !found || !goodEmpty {
		t.Errorf("report.txt found %v; a complete empty file known-good %v", found, goodEmpty)
	}
	const chunk = 64 * 512
	want := int64(rawOff) / chunk * chunk
	var got int64 = -1
	var msg string
	errs, err := c.Errors(context.Background(), 0)
	for _, e := range errs {
		if e.Path == "/docs/report.txt" && e.Offset != nil {
			got, msg = *e.Offset, e.Message
			break
		}
	}
	if err != nil || msg == "" {
		t.Fatalf("errors row for /docs/report.txt: %v", err)
	}
	if got != want {
		t.Errorf("errors offset %d, want %d (chunk of raw offset %d): %s", got, want, rawOff, msg)
	}
}

// emptyKnownGood matches the digests of empty content (computed here with
// crypto/md5) as a known-good set named "empty".
type emptyKnownGood struct{}

func (emptyKnownGood) Match(d Digests) (string, []string, error) {
	if d.MD5 == fmt.Sprintf("%x", md5.Sum(nil)) {
		return casedb.StatusKnownGood, []string{"empty"}, nil
	}
	return casedb.StatusUnknown, nil, nil
}

// memImage is an image held in memory.
type memImage struct{ *bytes.Reader }

func (m memImage) Close() error { return nil }

// problemVisitor records the problems of a walk.
type problemVisitor struct{ problems []string }

func (v *problemVisitor) Entry(e *Entry) error { return nil }
func (v *problemVisitor) Problem(path string, offset int64, err error) {
	v.problems = append(v.problems, err.Error())
}

func walkProblems(t *testing.T, img []byte) []string {
	t.Helper()
	v := &problemVisitor{}
	src := NewImageSource("mem", memImage{bytes.NewReader(img)}, ImageOptions{})
	if err := src.Walk(context.Background(), v); err != nil {
		t.Fatal(err)
	}
	return v.problems
}

// TestVolumesNotExamined: a partition that holds data triage cannot read
// (an LVM physical volume, a RAID member) is reported as not examined,
// keyed on its type code or GUID; only partitions that hold no data by
// design (swap, Microsoft reserved...) are passed over quietly.
func TestVolumesNotExamined(t *testing.T) {
	// MBR: LVM, RAID, swap and a Linux partition without a file system.
	mbr := make([]byte, 40*512)
	for i, typ := range []byte{0x8e, 0xfd, 0x82, 0x83} {
		e := mbr[446+16*i:]
		e[4] = typ
		binary.LittleEndian.PutUint32(e[8:], uint32(1+8*i))
		binary.LittleEndian.PutUint32(e[12:], 8)
	}
	mbr[510], mbr[511] = 0x55, 0xaa
	got := walkProblems(t, mbr)
	want := []string{
		"volume 0 at byte 0x200: Linux LVM physical volume: not examined (no LVM label was found in it)",
		"volume 1 at byte 0x1200: Linux RAID member: not examined (Linux RAID (md) is not supported)",
		"volume 3 at byte 0x3200 (Linux (0x83), 4096 bytes): no supported file system found",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("MBR problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// GPT: the NTFS partition of gpt-ntfs.raw, emptied and retyped.
	for _, tt := range []struct {
		guid string // mixed-endian bytes of the type GUID
		want string
	}{
		{"79d3d6e607f5c244a23c238f2a3df928", "volume 0 at byte 0x100000: Linux LVM physical volume: not examined (no LVM label was found in it)"},
		{"0f889da1fc053b4da006743f0f84911e", "volume 0 at byte 0x100000: Linux RAID member: not examined (Linux RAID (md) is not supported)"},
		{"16e3c9e35c0bb84d817df92df00215ae", ""}, // Microsoft reserved
	} {
		img := testfixture.Image(t, "gpt-ntfs.raw")
		clear(img[2048*512 : 2048*512+512])
		g, _ := hex.DecodeString(tt.guid)
		copy(img[2*512:], g)
		h := img[512:]
		n, size := binary.LittleEndian.Uint32(h[80:]), binary.LittleEndian.Uint32(h[84:])
		binary.LittleEndian.PutUint32(h[88:], crc32.ChecksumIEEE(img[2*512:2*512+n*size]))
		binary.LittleEndian.PutUint32(h[16:], 0)
		binary.LittleEndian.PutUint32(h[16:], crc32.ChecksumIEEE(h[:binary.LittleEndian.Uint32(h[12:])]))
		got := strings.Join(walkProblems(t, img), "\n")
		if got != tt.want {
			t.Errorf("GPT type %s: problems %q, want %q", tt.guid, got, tt.want)
		}
	}
}
