package triage

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/image"
)

// scanBoth scans src twice into fresh cases with the media hash on: once
// on the per-file path, once in disk order. It returns the records (by key)
// and the problems of each, and the disk-order result.
type scanOut struct {
	recs     map[string]map[string]any
	problems []string
	res      *Result
}

func scanOnce(t *testing.T, open func() Source, perFile bool, o Options) scanOut {
	t.Helper()
	forcePerFile = perFile
	defer func() { forcePerFile = false }()
	src := open()
	defer src.Close()
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	o.JSONL, o.MediaHash = &buf, true
	if o.Workers == 0 {
		o.Workers = 2
	}
	res, err := Scan(context.Background(), c, src, o)
	if err != nil {
		t.Fatal(err)
	}
	return collect(t, c, &buf, res)
}

func collect(t *testing.T, c *casedb.Case, jsonl io.Reader, res *Result) scanOut {
	t.Helper()
	out := scanOut{recs: map[string]map[string]any{}, res: res}
	dec := json.NewDecoder(jsonl)
	for dec.More() {
		var r map[string]any
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		k := fmt.Sprint(r["key"])
		if k == "<nil>" || k == "" {
			k = fmt.Sprint(r["volume"], r["inode"], r["stream"], r["path"])
		}
		out.recs[k] = r
	}
	errs, err := c.Errors(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		off := int64(-1)
		if e.Offset != nil {
			off = *e.Offset
		}
		out.problems = append(out.problems, fmt.Sprintf("%s @%d: %s", e.Path, off, e.Message))
	}
	slices.Sort(out.problems)
	return out
}

// compareScans checks that the disk-order scan recorded what the per-file
// scan did, record by record, and the same problems.
func compareScans(t *testing.T, per, disk scanOut) {
	t.Helper()
	sameRecords(t, per, disk)
	if disk.res.Media == nil || disk.res.MediaRead == nil {
		t.Fatalf("disk-order scan computed no media hash")
	}
	if per.res.Media != nil {
		t.Errorf("the per-file path computed a media hash")
	}
}

// sameRecords checks that two scans recorded the same records and
// problems.
func sameRecords(t *testing.T, per, disk scanOut) {
	t.Helper()
	if len(per.recs) == 0 || len(per.recs) != len(disk.recs) {
		t.Errorf("%d records per file, %d in disk order", len(per.recs), len(disk.recs))
	}
	for k, a := range per.recs {
		b := disk.recs[k]
		for _, f := range []string{"path", "type", "size", "md5", "sha1", "sha256", "complete", "error", "status", "mime", "entropy", "extension_mismatch", "deleted", "stream", "inode"} {
			if fmt.Sprint(a[f]) != fmt.Sprint(b[f]) {
				t.Errorf("%s (%v): %s %v per file, %v in disk order", k, a["path"], f, a[f], b[f])
			}
		}
	}
	if !slices.Equal(per.problems, disk.problems) {
		t.Errorf("problems differ:\nper file:   %q\ndisk order: %q", per.problems, disk.problems)
	}
}

func fileMD5(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func openPath(t *testing.T, path string) func() Source {
	return func() Source {
		src, err := OpenSource(path)
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
}

// TestDiskOrderSameRecords scans test images both ways: NTFS with resident
// and non-resident files, ADS and a hard link, NTFS and ext4 behind MBR and
// GPT, exFAT, ext2 and ext4, and a split raw image. The media MD5 is the image file's.
func TestDiskOrderSameRecords(t *testing.T) {
	for _, name := range []string{"ntfs-basic.raw", "gpt-ntfs.raw", "mbr-ntfs-ext4.raw", "exfat-basic.raw", "ext2-small.raw", "ext4-small.raw"} {
		t.Run(name, func(t *testing.T) {
			path := imageFile(t, name)
			per := scanOnce(t, openPath(t, path), true, Options{})
			disk := scanOnce(t, openPath(t, path), false, Options{})
			compareScans(t, per, disk)
			if got, want := disk.res.Media.MD5, fileMD5(t, path); got != want {
				t.Errorf("media MD5 %s, md5 of the image file %s", got, want)
			}
			m := disk.res.MediaRead
			if m.Files == 0 || m.Sequential != m.Size || float64(m.Bytes) > 1.1*float64(m.Size) {
				t.Errorf("media read %+v: want files in the pass, one full read, at most 1.1x the size", m)
			}
		})
	}
	t.Run("split", func(t *testing.T) {
		raw := testfixture.Image(t, "ntfs-basic.raw")
		dir := t.TempDir()
		half := len(raw) / 2 / 512 * 512
		for i, part := range [][]byte{raw[:half], raw[half:]} {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("disk.%03d", i+1)), part, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		path := filepath.Join(dir, "disk.001")
		per := scanOnce(t, openPath(t, path), true, Options{})
		disk := scanOnce(t, openPath(t, path), false, Options{})
		compareScans(t, per, disk)
		if got, want := disk.res.Media.MD5, hex.EncodeToString(md5Sum(raw)); got != want {
			t.Errorf("media MD5 %s, md5 of the parts %s", got, want)
		}
	})
}

func md5Sum(b []byte) []byte { s := md5.Sum(b); return s[:] }

// TestDiskOrderCorpus compares both paths on corpus images: NTFS (an E01
// with a compressed file with an attribute list (go-ewf), an MBR disk with
// 4 KiB index buffers, a volume with a sparse file), FAT and ext (raw and
// a split E01). Media MD5s are the corpus authors' or the image file's.
func TestDiskOrderCorpus(t *testing.T) {
	for _, c := range []struct{ rel, md5 string }{
		{"go-ewf/test.ntfs.dd.E01", "8b4382280340597b7930b4b34742afba"},
		{"velociraptor/partition_image.E01", "2f342dd13cbfea48b5cacc3c8b8b8b49"},
		{"ntfs/testfs1.gz", ""},
		{"rust-fatfs/fat16.img.gz", ""},
		{"dfvfs/ext2.raw.gz", "196066add11fb71c4c49cf1bb50d6d24"},
		{"dfvfs/ext2.split.E01", "196066add11fb71c4c49cf1bb50d6d24"},
		{"go-ext4/hierarchy_64.ext4", ""},
		{"dfir_ntfs/fat12.raw.gz", ""},
		{"dfir_ntfs/ntfs_index.raw.gz", ""},
	} {
		t.Run(c.rel, func(t *testing.T) {
			path := testfixture.Corpus(t, c.rel)
			if filepath.Ext(path) == ".gz" {
				p := filepath.Join(t.TempDir(), "disk.raw")
				if err := os.WriteFile(p, testfixture.Gunzip(t, path), 0o644); err != nil {
					t.Fatal(err)
				}
				path = p
			}
			per := scanOnce(t, openPath(t, path), true, Options{})
			disk := scanOnce(t, openPath(t, path), false, Options{})
			compareScans(t, per, disk)
			want := c.md5
			if want == "" {
				want = fileMD5(t, path)
			}
			if disk.res.Media.MD5 != want {
				t.Errorf("media MD5 %s, want %s", disk.res.Media.MD5, want)
			}
		})
	}
}

// TestDiskOrderBadChunk corrupts the E01 chunk holding a file's data (as
// TestScanE01BadChunkOffset does): the disk-order scan records exactly the
// per-file path's records and problems, and the media hash lists the range.
func TestDiskOrderBadChunk(t *testing.T) {
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
	eb, err := os.ReadFile(e01)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(eb, []byte("line 01000 of the report\n"))
	if i < 0 {
		t.Fatal("pattern not found")
	}
	eb[i+5] ^= 0xff
	if err := os.WriteFile(e01, eb, 0o644); err != nil {
		t.Fatal(err)
	}
	per := scanOnce(t, openPath(t, e01), true, Options{})
	disk := scanOnce(t, openPath(t, e01), false, Options{})
	compareScans(t, per, disk)
	if len(disk.res.Media.Bad) != 1 || disk.res.MediaRead.Targeted == 0 {
		t.Errorf("unreadable %v, targeted %d: want one range and its file read on its own", disk.res.Media.Bad, disk.res.MediaRead.Targeted)
	}
	for _, r := range disk.recs {
		if r["path"] == "/docs/report.txt" && r["stream"] == "" && r["complete"] != false {
			t.Errorf("report.txt complete in disk order")
		}
	}
}

// fakeSource yields files whose extents are given by the test, over an
// image in memory: fragmented and out of order, sparse, large.
type fakeSource struct {
	img   []byte
	files []fakeFile
}

type fakeFile struct {
	name string
	ext  []fs.Extent
	size int64
}

func (s *fakeSource) Info() SourceInfo {
	return SourceInfo{Path: "/fake", Type: "raw", Size: int64(len(s.img))}
}
func (s *fakeSource) Close() error       { return nil }
func (s *fakeSource) media() image.Image { return memImage{bytes.NewReader(s.img)} }

// content is what the extents of f hold.
func (s *fakeSource) content(f fakeFile) []byte {
	out := make([]byte, f.size)
	for _, x := range f.ext {
		if x.VolOff >= 0 {
			copy(out[x.Off:x.Off+x.Len], s.img[x.VolOff:])
		}
	}
	return out
}

func (s *fakeSource) Walk(ctx context.Context, v Visitor) error {
	for i, f := range s.files {
		data := s.content(f)
		ext := f.ext
		e := &Entry{Key: fmt.Sprint(i), Path: "/" + f.name, Type: casedb.TypeFile, Size: f.size,
			Open:    func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil },
			Extents: func() []fs.Extent { return slices.Clone(ext) }}
		if err := v.Entry(e); err != nil {
			return err
		}
	}
	return nil
}

// fakeDisk builds an image of size bytes of random content and files cut
// from it: small and large, fragmented with pieces in reverse media order,
// with sparse runs.
func fakeDisk(size int64, heldLarge int64) *fakeSource {
	r := rand.New(rand.NewPCG(1, 2))
	img := make([]byte, size)
	for i := range img {
		img[i] = byte(r.Uint32())
	}
	s := &fakeSource{img: img}
	add := func(name string, ext ...fs.Extent) {
		var pos int64
		for i := range ext {
			ext[i].Off = pos
			pos += ext[i].Len
		}
		s.files = append(s.files, fakeFile{name: name, ext: ext, size: pos})
	}
	for i := range 200 {
		off := r.Int64N(size - 30000)
		add(fmt.Sprintf("small%d", i), fs.Extent{VolOff: off, Len: 1 + r.Int64N(30000)})
	}
	// fragmented, pieces in reverse order, a sparse run between
	add("frag-small.bin", fs.Extent{VolOff: size - 5000, Len: 4000}, fs.Extent{VolOff: -1, Len: 3000}, fs.Extent{VolOff: 100, Len: 2000})
	add("frag-large.bin", fs.Extent{VolOff: size / 2, Len: 3 << 20}, fs.Extent{VolOff: 4096, Len: heldLarge},
		fs.Extent{VolOff: -1, Len: 1 << 20}, fs.Extent{VolOff: size / 4, Len: 2 << 20})
	add("large-tail.bin", fs.Extent{VolOff: 1 << 20, Len: 5 << 20}, fs.Extent{VolOff: -1, Len: 3 << 20})
	return s
}

// TestDiskOrderFragmented checks fragmented, out-of-order, sparse and large
// contents against the md5 of their bytes cut from the image here, on both
// paths, and the media MD5.
func TestDiskOrderFragmented(t *testing.T) {
	s := fakeDisk(24<<20, 1<<20)
	per := scanOnce(t, func() Source { return s }, true, Options{})
	disk := scanOnce(t, func() Source { return s }, false, Options{})
	compareScans(t, per, disk)
	for _, f := range s.files {
		r := diskRecByPath(disk, "/"+f.name)
		if want := hex.EncodeToString(md5Sum(s.content(f))); r["md5"] != want || r["complete"] != true {
			t.Errorf("%s: md5 %v complete %v, want %s", f.name, r["md5"], r["complete"], want)
		}
	}
	if disk.res.Media.MD5 != hex.EncodeToString(md5Sum(s.img)) {
		t.Errorf("media MD5 %s", disk.res.Media.MD5)
	}
	m := disk.res.MediaRead
	if m.OutOfOrder == 0 || m.Targeted != 0 || m.Passes != 1 || m.Files != int64(len(s.files)) {
		t.Errorf("media read %+v: want out-of-order pieces held, every file in the one pass", m)
	}
}

// TestDiskOrderHeldBound: a large content whose out-of-order piece is
// larger than the held bound is read on its own after the pass, with the
// same digests.
func TestDiskOrderHeldBound(t *testing.T) {
	s := fakeDisk(100<<20, diskHeldMax+(1<<20))
	per := scanOnce(t, func() Source { return s }, true, Options{})
	disk := scanOnce(t, func() Source { return s }, false, Options{})
	compareScans(t, per, disk)
	m := disk.res.MediaRead
	if m.Targeted != 1 || m.Passes != 2 || m.TargetedBytes != s.files[201].size {
		t.Errorf("media read %+v: want frag-large.bin (%d bytes) alone in a targeted pass", m, s.files[201].size)
	}
	r := diskRecByPath(disk, "/frag-large.bin")
	if want := hex.EncodeToString(md5Sum(s.content(s.files[201]))); r["md5"] != want {
		t.Errorf("frag-large.bin md5 %v, want %s", r["md5"], want)
	}
}

// TestDiskOrderResume interrupts a disk-order scan right after its first
// checkpoint is committed, then resumes it: the records and the media hash
// are those of an uninterrupted scan, and the resumed pass starts at the
// checkpoint.
func TestDiskOrderResume(t *testing.T) {
	s := fakeDisk(24<<20, 1<<20)
	full := scanOnce(t, func() Source { return s }, false, Options{})

	old := diskCheckpointEvery
	diskCheckpointEvery = 8 << 20
	defer func() { diskCheckpointEvery = old }()
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	at := scanToFirstCheckpoint(t, c, s, &buf)
	res2, err := Scan(context.Background(), c, s, Options{Workers: 2, MediaHash: true, JSONL: &buf})
	if err != nil || !res2.Resumed || res2.State != casedb.StateComplete {
		t.Fatalf("resume: %+v, %v", res2, err)
	}
	if res2.MediaRead.ResumedAt != at || res2.MediaRead.Sequential != int64(len(s.img))-at {
		t.Errorf("resumed pass %+v, want it to start at the checkpoint %d", res2.MediaRead, at)
	}
	if res2.Media.MD5 != full.res.Media.MD5 || res2.Media.SHA256 != full.res.Media.SHA256 {
		t.Errorf("resumed media hash %s, uninterrupted %s", res2.Media.MD5, full.res.Media.MD5)
	}
	got := collect(t, c, &buf, res2)
	sameRecords(t, full, got)
}

// scanToFirstCheckpoint scans src into c and interrupts the scan at the
// disk-order pass's first checkpoint, whose offset it returns.
func scanToFirstCheckpoint(t *testing.T, c *casedb.Case, src Source, jsonl io.Writer) int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var at int64
	res, err := Scan(ctx, c, src, Options{Workers: 2, MediaHash: true, JSONL: jsonl, afterCheckpoint: func(off int64) {
		if at == 0 {
			at = off
			cancel()
		}
	}})
	if err == nil || res.State != casedb.StateInterrupted || at == 0 {
		t.Fatalf("first run: state %s, err %v, checkpoint at %d", res.State, err, at)
	}
	return at
}

func diskRecByPath(o scanOut, path string) map[string]any {
	for _, r := range o.recs {
		if r["path"] == path {
			return r
		}
	}
	return nil
}

// FuzzDiskTake gives the disk-order pass extents decoded from the input
// (as a hostile file system could): those it takes lie in the media, are
// contiguous from 0 and cover the content; the others are left to Open.
func FuzzDiskTake(f *testing.F) {
	f.Add(int64(100), []byte{0, 0, 0, 10, 0, 0, 0, 90})
	f.Add(int64(5000), []byte{0x80, 0, 0, 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 8})
	f.Fuzz(func(t *testing.T, size int64, b []byte) {
		p := &diskPass{size: 1 << 20, start: int64(len(b)) % 4096}
		var ext []fs.Extent
		var pos int64
		for i := 0; i+8 <= len(b) && len(ext) < 64; i += 8 {
			v := int64(int32(uint32(b[i])<<24 | uint32(b[i+1])<<16 | uint32(b[i+2])<<8 | uint32(b[i+3])))
			l := int64(int32(uint32(b[i+4])<<24 | uint32(b[i+5])<<16 | uint32(b[i+6])<<8 | uint32(b[i+7])))
			ext = append(ext, fs.Extent{Off: pos, VolOff: v, Len: l})
			pos += l
		}
		e := &Entry{Size: size, Open: func() (io.ReadCloser, error) { return nil, nil }, Extents: func() []fs.Extent { return ext }}
		if !p.take(e) {
			if len(p.files) != 0 || len(p.pieces) != 0 {
				t.Fatal("refused content collected")
			}
			return
		}
		var media, at int64
		for _, x := range ext {
			if x.Off != at || x.Len <= 0 || x.VolOff >= 0 && (x.VolOff < p.start || x.VolOff+x.Len > p.size) {
				t.Fatalf("took extent %+v", x)
			}
			if x.VolOff >= 0 {
				media += x.Len
			}
			at += x.Len
		}
		var pieces int64
		for _, pc := range p.pieces {
			pieces += pc.n
		}
		if at != size || pieces != media || p.files[0].left != media || media == 0 {
			t.Fatalf("took %d bytes of extents for %d, %d media bytes in pieces of %d", at, size, pieces, media)
		}
	})
}
