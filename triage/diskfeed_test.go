package triage

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/volume"
)

// countedImage counts the bytes read from an image.
type countedImage struct {
	image.Image
	n *atomic.Int64
}

func (c countedImage) ReadAt(b []byte, off int64) (int, error) {
	n, err := c.Image.ReadAt(b, off)
	c.n.Add(int64(n))
	return n, err
}

// feedScan is one disk-order scan of a raw image: its records in the order
// written, the seal of the item, how the media was read and the bytes read
// from the image.
type feedScan struct {
	lines []string
	seal  *casedb.Seal
	res   *Result
	read  int64
}

func scanFeed(t *testing.T, path string, feed bool, o Options) feedScan {
	t.Helper()
	old := walkFeeds
	walkFeeds = feed
	defer func() { walkFeeds = old }()
	img, err := image.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	src := NewImageSource(path, countedImage{img, &n}, ImageOptions{})
	defer src.Close()
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	o.JSONL, o.MediaHash, o.Workers = &buf, true, 2
	res, err := Scan(context.Background(), c, src, o)
	if err != nil {
		t.Fatal(err)
	}
	seal, err := c.SealEvidence(context.Background(), res.EvidenceID)
	if err != nil {
		t.Fatal(err)
	}
	return feedScan{lines: strings.Split(strings.TrimSpace(buf.String()), "\n"), seal: seal, res: res, read: n.Load()}
}

// TestWalkFeedsPass scans images with the pass fed by the walk's reads and
// with the pass reading every block itself: the same records, the same
// media hash (the image file's md5) and how it was read, and at
// least a block fewer read from the image. The pass blocks are made small
// (64 KiB, go-ntfs's page), so that the metadata these small volumes hold
// at their start fills blocks (on the 2 GB bench image, 64 MiB of its
// $MFT). On NTFS the records come in the same order and the seal is the
// same. The walks of these small ext4 and FAT volumes read blocks that
// hold the contents of files they find later (which are then read on
// their own, their records in walk order): only the records are compared.
func TestWalkFeedsPass(t *testing.T) {
	old := diskBlock
	diskBlock = 64 << 10
	defer func() { diskBlock = old }()
	for _, name := range []string{"ntfs-basic.raw", "gpt-ntfs.raw", "mbr-ntfs-ext4.raw", "ext4-small.raw", "fat-small.raw"} {
		t.Run(name, func(t *testing.T) {
			path := imageFile(t, name)
			self := scanFeed(t, path, false, Options{})
			fed := scanFeed(t, path, true, Options{})
			if !strings.Contains(name, "ntfs") {
				a, b := slices.Clone(self.lines), slices.Clone(fed.lines)
				slices.Sort(a)
				slices.Sort(b)
				if !slices.Equal(a, b) {
					t.Fatalf("records differ:\npass alone: %q\nfed: %q", a, b)
				}
				if want := fileMD5(t, path); fed.res.Media.MD5 != want {
					t.Errorf("media MD5 %s, md5 of the image file %s", fed.res.Media.MD5, want)
				}
				return
			}
			if !slices.Equal(self.lines, fed.lines) {
				for i := range min(len(self.lines), len(fed.lines)) {
					if self.lines[i] != fed.lines[i] {
						t.Errorf("record %d:\npass alone: %s\nfed:        %s", i, self.lines[i], fed.lines[i])
						break
					}
				}
				t.Fatalf("%d records with the pass alone, %d fed by the walk", len(self.lines), len(fed.lines))
			}
			if self.seal.Records == 0 || self.seal.RecordsSHA256 != fed.seal.RecordsSHA256 || self.seal.ErrorsSHA256 != fed.seal.ErrorsSHA256 {
				t.Errorf("seal %+v, fed %+v", self.seal, fed.seal)
			}
			if want := fileMD5(t, path); self.res.Media.MD5 != want || fed.res.Media.MD5 != want {
				t.Errorf("media MD5 %s, fed %s; md5 of the image file %s", self.res.Media.MD5, fed.res.Media.MD5, want)
			}
			a, b := *self.res.MediaRead, *fed.res.MediaRead
			if a.fromWalk != 0 || b.fromWalk < int64(diskBlock) {
				t.Errorf("%d bytes of the pass read by the walk, %d with the pass alone; want at least a block (%d) and none", b.fromWalk, a.fromWalk, diskBlock)
			}
			if b.fromWalk = 0; a != b {
				t.Errorf("media read %+v, fed %+v", a, b)
			}
			// The reads of the image: the pass's own, fewer by what the
			// walk gave it, and the walk's. (Not compared between the
			// two scans: an NTFS stream opened through go-ntfs while the
			// walk lets its caches go may read its MFT entry again.)
			if fed.read < fed.res.MediaRead.Size {
				t.Errorf("%d bytes read from the image, for %d bytes of media", fed.read, fed.res.MediaRead.Size)
			}
			t.Logf("%d bytes read for %d bytes of media, %d of them by the walk (pass alone: %d)", fed.read, fed.res.MediaRead.Size, fed.res.MediaRead.fromWalk, self.read)
		})
	}
}

// TestWalkFeedsPassResume interrupts a scan whose first checkpoint was
// made from blocks the walk read, then resumes it: the records and the
// media hash are those of an uninterrupted scan.
func TestWalkFeedsPassResume(t *testing.T) {
	oldBlock, oldEvery := diskBlock, diskCheckpointEvery
	diskBlock, diskCheckpointEvery = 4096, 16<<10
	defer func() { diskBlock, diskCheckpointEvery = oldBlock, oldEvery }()
	path := imageFile(t, "ntfs-basic.raw")
	full := scanOnce(t, openPath(t, path), false, Options{})

	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var buf bytes.Buffer
	src := openPath(t, path)()
	at := scanToFirstCheckpoint(t, c, src, &buf)
	src.Close()
	src = openPath(t, path)()
	defer src.Close()
	res2, err := Scan(context.Background(), c, src, Options{Workers: 2, MediaHash: true, JSONL: &buf})
	if err != nil || !res2.Resumed || res2.State != casedb.StatePartial {
		t.Fatalf("resume: %+v, %v", res2, err)
	}
	// The checkpoints the walk's blocks made are written after the walk,
	// one after the other: the resumed pass starts at the last written.
	if res2.MediaRead.ResumedAt < at || res2.MediaRead.Sequential != res2.MediaRead.Size-res2.MediaRead.ResumedAt {
		t.Errorf("resumed pass %+v, want it to start at a checkpoint from %d", res2.MediaRead, at)
	}
	if want := fileMD5(t, path); res2.Media.MD5 != want {
		t.Errorf("resumed media MD5 %s, md5 of the image file %s", res2.Media.MD5, want)
	}
	got := collect(t, c, &buf, res2)
	sameRecords(t, full, got)
}

// TestMediaTee checks what the tee keeps: the bytes of the block from its
// start; a read past them joined to them when the bytes between are known
// (read before, or outside every volume) and few; nothing while the block
// is handed over.
func TestMediaTee(t *testing.T) {
	old := diskBlock
	diskBlock = 4096
	defer func() { diskBlock = old }()
	img := make([]byte, 2*teeGapMax+100)
	for i := range img {
		img[i] = byte(i * 7)
	}
	var n atomic.Int64
	tee := &mediaTee{r: countedImage{memImage{bytes.NewReader(img)}, &n}, size: int64(len(img)), buf: make([]byte, 0, diskBlock)}
	tee.restart(0)
	read := func(off, l int64, kept int) {
		t.Helper()
		b := make([]byte, l)
		if _, err := tee.ReadAt(b, off); err != nil {
			t.Fatal(err)
		}
		if len(tee.buf) != kept || !bytes.Equal(tee.buf, img[tee.at:tee.at+int64(kept)]) {
			t.Fatalf("after reading %d bytes at %d: kept %d bytes, want %d", l, off, len(tee.buf), kept)
		}
	}
	read(100, 50, 0)   // past the block's bytes, [0, 100) unknown
	read(0, 60, 60)    // from the block's start
	read(120, 100, 60) // [60, 100) unknown
	read(50, 60, 110)  // continues the block's bytes
	n.Store(0)
	read(200, 4000, 4096) // [110, 200) read before: joined, to the block's end
	if n.Load() != 4000+90 {
		t.Errorf("%d bytes read, want 4000 and the 90 between", n.Load())
	}
	if b := tee.whole(0); !bytes.Equal(b, img[:diskBlock]) {
		t.Fatalf("block of %d bytes, want the image's first %d", len(b), diskBlock)
	}
	read(int64(diskBlock), 10, 4096) // handed over: nothing kept
	tee.restart(int64(diskBlock))
	tee.free([]teeRange{{int64(diskBlock), 2 * int64(diskBlock)}})
	read(2*int64(diskBlock)-100, 100, diskBlock) // joined through a range outside every volume
	tee.restart(2 * int64(diskBlock))
	tee.free([]teeRange{{2 * int64(diskBlock), 2*int64(diskBlock) + teeGapMax + 10}})
	read(2*int64(diskBlock)+teeGapMax+1, 10, 0) // too far to join
	last := int64(len(img)) / int64(diskBlock) * int64(diskBlock)
	tee.restart(last)
	read(last, 10, 10)
	read(int64(len(img))-50, 50, 10) // [last+10, len-50) unknown
	read(last+5, int64(len(img))-last-5, int(int64(len(img))-last))
	if b := tee.whole(last); !bytes.Equal(b, img[last:]) {
		t.Fatalf("last block of %d bytes, want %d", len(b), int64(len(img))-last)
	}
	tee.restart(int64(len(img)))
	read(0, 10, 0)
	if tee.whole(int64(len(img))) != nil {
		t.Fatal("a block past the end")
	}
}

// TestFreeRanges checks the ranges outside every partition.
func TestFreeRanges(t *testing.T) {
	tb := &volume.Table{Partitions: []volume.Partition{{Offset: 1 << 20, Length: 4 << 20}, {Offset: 8 << 20, Length: 1 << 20},
		{Offset: 2 << 20, Length: 1 << 20}, {Offset: 9 << 20, Length: 8 << 20}}}
	got := freeRanges(tb, 12<<20)
	want := []teeRange{{0, 1 << 20}, {5 << 20, 8 << 20}}
	if !slices.Equal(got, want) {
		t.Errorf("free ranges %v, want %v", got, want)
	}
}

// FuzzMediaTee reads an image through the tee at offsets and lengths
// decoded from the input (as a hostile file system could ask for), with
// ranges outside every volume and blocks handed over and restarted: what
// it keeps is always the image's bytes from the block's start, within the
// block, and what it remembers stays sorted, apart and bounded.
func FuzzMediaTee(f *testing.F) {
	f.Add([]byte{0, 0, 0, 16, 0, 16, 0, 0, 2, 0, 32, 0, 0, 255, 3, 0, 0, 0})
	f.Add([]byte{1, 0, 4, 0, 16, 0, 0, 0, 8, 0, 8, 0, 3, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		old := diskBlock
		diskBlock = 4096
		defer func() { diskBlock = old }()
		img := make([]byte, 5*diskBlock+123)
		for i := range img {
			img[i] = byte(i*31 + i>>8)
		}
		tee := &mediaTee{r: memImage{bytes.NewReader(img)}, size: int64(len(img)), buf: make([]byte, 0, diskBlock)}
		tee.restart(0)
		for i := 0; i+6 <= len(in) && i < 6*256; i += 6 {
			op := in[i] % 4
			off := int64(in[i+1])<<8 | int64(in[i+2])
			l := int64(in[i+3])<<8 | int64(in[i+4])
			switch op {
			case 0, 1: // a read
				off = off * int64(1+in[i+5]%8) % (int64(len(img)) + 10)
				b := make([]byte, min(l, 3*int64(diskBlock)))
				tee.ReadAt(b, off)
			case 2: // a range outside every volume
				tee.free([]teeRange{{off * 4, off*4 + l}})
			case 3: // the pass takes a whole block, or moves on
				if tee.whole(tee.at) != nil || in[i+5]%2 == 0 {
					tee.restart(min(tee.at+int64(diskBlock), int64(len(img))))
				}
			}
			if len(tee.buf) > tee.want || !bytes.Equal(tee.buf, img[tee.at:tee.at+int64(len(tee.buf))]) {
				t.Fatalf("kept %d bytes at %d (block of %d), not the image's", len(tee.buf), tee.at, tee.want)
			}
			if len(tee.known) > teeKnownMax {
				t.Fatalf("%d ranges remembered", len(tee.known))
			}
			for k, r := range tee.known {
				if r.lo >= r.hi || k > 0 && tee.known[k-1].hi >= r.lo {
					t.Fatalf("ranges %v", tee.known)
				}
			}
		}
	})
}

// cancelWriter cancels the scan once n records are written.
type cancelWriter struct {
	w      bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (c *cancelWriter) Write(b []byte) (int, error) {
	c.n -= bytes.Count(b, []byte("\n"))
	if c.n <= 0 {
		c.cancel()
	}
	return c.w.Write(b)
}

// TestWalkFeedsPassInterrupted interrupts a scan while the walk feeds the
// pass (what the pass made waits for the end of the walk, and is lost),
// then resumes it: the records and the media hash are those of an
// uninterrupted scan.
func TestWalkFeedsPassInterrupted(t *testing.T) {
	old := diskBlock
	diskBlock = 64 << 10
	defer func() { diskBlock = old }()
	path := imageFile(t, "ntfs-basic.raw")
	full := scanOnce(t, openPath(t, path), false, Options{})
	c, _, err := casedb.OpenOrCreate(filepath.Join(t.TempDir(), "case"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cw := &cancelWriter{n: 5, cancel: cancel}
	src := openPath(t, path)()
	res, err := Scan(ctx, c, src, Options{Workers: 2, MediaHash: true, JSONL: cw})
	src.Close()
	if err == nil || res.State != casedb.StateInterrupted || res.Media != nil {
		t.Fatalf("first run: state %s, err %v, media %v", res.State, err, res.Media)
	}
	src = openPath(t, path)()
	defer src.Close()
	var buf bytes.Buffer
	res2, err := Scan(context.Background(), c, src, Options{Workers: 2, MediaHash: true, JSONL: &buf})
	if err != nil || !res2.Resumed || res2.Existing == 0 {
		t.Fatalf("resume: %+v, %v", res2, err)
	}
	if want := fileMD5(t, path); res2.Media == nil || res2.Media.MD5 != want {
		t.Errorf("resumed media hash %v, md5 of the image file %s", res2.Media, want)
	}
	got := collect(t, c, io.MultiReader(&cw.w, &buf), res2)
	sameRecords(t, full, got)
}
