package ext

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

// listLikeWalk lists the volume in b with List and walks it with Walk:
// List must give the problems Walk gives, in the same order, and the
// names Walk yields (but those below a deleted folder, extra.ext_unlisted),
// with the other names of each file with hard links and /$OrphanFiles.
// It returns the names listed.
func listLikeWalk(t *testing.T, b []byte) []string {
	t.Helper()
	open := func() *Volume {
		v, err := New(bytes.NewReader(b), 0, int64(len(b)))
		if err != nil {
			return nil
		}
		return v
	}
	v := open()
	if v == nil {
		return nil
	}
	var walked, wprobs []string
	orphans := false
	werr := v.Walk(context.Background(), func(e *fs.Entry) error {
		if e.Extra["ext_unlisted"] == true {
			return nil
		}
		walked = append(walked, strings.TrimPrefix(e.Path, "/"))
		orphans = orphans || e.Path == "/$OrphanFiles"
		links, _ := e.Extra["ext_hard_links"].([]string)
		for _, l := range links {
			walked = append(walked, strings.TrimPrefix(l, "/"))
		}
		return nil
	}, func(err error) { wprobs = append(wprobs, err.Error()) })
	if werr == nil && !orphans {
		walked = append(walked, "$OrphanFiles")
	}
	var listed, lprobs []string
	lerr := open().List(context.Background(), func(n *fs.Name) error {
		if n.Addr < -1 || n.NameType == 0 || n.MetaType == 0 {
			t.Fatalf("%s: address %d, types %q/%q", n.Path, n.Addr, n.NameType, n.MetaType)
		}
		listed = append(listed, string(n.Path))
		return nil
	}, func(err error) { lprobs = append(lprobs, err.Error()) })
	if fmt.Sprint(werr) != fmt.Sprint(lerr) {
		t.Fatalf("Walk returns %v, List %v", werr, lerr)
	}
	if !slices.Equal(wprobs, lprobs) {
		t.Fatalf("Walk gives the problems\n%s\nList\n%s", strings.Join(wprobs, "\n"), strings.Join(lprobs, "\n"))
	}
	if werr != nil {
		return listed
	}
	got := slices.Sorted(slices.Values(listed))
	slices.Sort(walked)
	if !slices.Equal(got, walked) {
		t.Fatalf("Walk yields the names\n%q\nList\n%q", walked, got)
	}
	return listed
}

// TestListLikeWalk: the listing of the seed volumes has the names fls
// lists (ext4-small.raw.fls.txt: each name of the file with hard links
// where it lies), and on volumes with flipped metadata bits (when
// mkfs.ext4 is installed) List gives the names and problems Walk gives.
func TestListLikeWalk(t *testing.T) {
	listed := listLikeWalk(t, testfixture.Image(t, "ext4-small.raw"))
	// fls -r -p on the volume (testdata/images/ext4-small.raw.fls.txt).
	fls, err := os.ReadFile(filepath.Join(testfixture.Root(t), "testdata", "images", "ext4-small.raw.fls.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(string(fls)), "\n") {
		_, p, _ := strings.Cut(l, ":\t")
		want = append(want, p)
	}
	if !slices.Equal(listed, want) {
		t.Errorf("listed\n%q\nfls lists\n%q", listed, want)
	}
	listLikeWalk(t, testfixture.Image(t, "ext2-small.raw"))
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		t.Log("mkfs.ext4 is not installed (Debian package e2fsprogs): no flipped bits")
		return
	}
	step := int64(11)
	if testing.Short() || raceEnabled {
		step = 31
	}
	for _, features := range []string{"^has_journal", "^has_journal,^metadata_csum"} {
		good := sweepImage(t, features)
		b := bytes.Clone(good)
		n := 0
		for _, r := range sweepRegions(t, good) {
			for bit := r.off * 8; bit < (r.off+r.len)*8; bit += step {
				b[bit/8] ^= 1 << (bit % 8)
				listLikeWalk(t, b)
				b[bit/8] ^= 1 << (bit % 8)
				n++
			}
		}
		t.Logf("%s: %d variants", features, n)
	}
}

// FuzzList mutates a whole small volume and lists it: List gives the
// names and the problems of Walk.
func FuzzList(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { listLikeWalk(t, b) })
}

// BenchmarkList lists a volume of 20,000 files in 100 folders made with
// mkfs.ext4 -d (bench/ext.sh compares the command with fls on 100,000).
func BenchmarkList(b *testing.B) {
	if _, err := exec.LookPath("mkfs.ext4"); err != nil {
		b.Skip("mkfs.ext4 is not installed (Debian package e2fsprogs)")
	}
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	for i := range 20000 {
		d := filepath.Join(src, fmt.Sprintf("d%03d", i%100))
		if i < 100 {
			os.MkdirAll(d, 0o755)
		}
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%06d.bin", i)), []byte("content"), 0o644)
	}
	img := filepath.Join(dir, "bench.img")
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-N", "21000", "-d", src, img, "256M").CombinedOutput(); err != nil {
		b.Fatalf("mkfs.ext4: %v %s", err, out)
	}
	f, err := os.Open(img)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	v, err := New(f, 0, fi.Size())
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		names := 0
		if err := v.List(context.Background(), func(*fs.Name) error { names++; return nil }, func(err error) { b.Fatal(err) }); err != nil {
			b.Fatal(err)
		}
		if names < 20000 {
			b.Fatalf("%d names", names)
		}
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N)/20000, "ns/name")
}
