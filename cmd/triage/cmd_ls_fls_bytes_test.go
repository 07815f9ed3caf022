package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// flsParity are the NTFS, FAT and exFAT images whose ls --files output is
// compared with fls -r -p (and ls --files -l with fls -l -r -p) byte for
// byte, in order. Where the Sleuth Kit 4.11 gives other lines, known
// matches them (in either output): those lines are left out of the
// comparison, and the test checks that exactly flsOnly lines of fls and
// triageOnly lines of triage are left out (docs/examining.md says why).
var flsParity = []struct {
	image  string // testdata/images name, or corpus path
	corpus bool
	member string // the image inside a zip or tar archive
	volume int
	sector int64
	// flsImage converts the image for fls (qemu-img convert -O raw), for
	// a container the Sleuth Kit cannot read.
	convert bool
	known   *regexp.Regexp
	// flsOnly, triageOnly: the lines known matches in each output.
	flsOnly, triageOnly int
	longOnly            bool // compare with -l only
	// build makes the image in a temporary folder (image is its name).
	build func(t *testing.T) string
}{
	{image: "ntfs-basic.raw"},
	{image: "gpt-ntfs.raw", sector: 2048},
	{image: "mbr-ntfs-ext4.raw", sector: 2048},
	{image: "exfat-basic.raw"},
	{image: "fat-small.raw"},
	{image: "dfir_ntfs/ntfs_index.raw.gz", corpus: true, sector: 128},
	{image: "ntfs/testfs1.gz", corpus: true},
	{image: "dfir_ntfs/fat12.raw.gz", corpus: true},
	{image: "rust-fatfs/fat16.img.gz", corpus: true},
	// fls lists the deleted frag3.dat a second time, under the deleted
	// folder _P1 whose cluster the deleted folder dir2 took over; triage
	// reads a cluster of folder entries once.
	{image: "dftt/6-undel-fat.zip", corpus: true, member: "6-fat-undel.dd",
		known: regexp.MustCompile(`^r/r \* 965:\tSystem Volume Information/.*/_P1/frag3\.dat\t?`), flsOnly: 1},
	// The Sleuth Kit 4.11 drops the last 13 characters of a long name
	// that takes more than 15 long-name entries (more than 195
	// characters), and does not list the deleted entry 34439 below such a
	// folder; the image's authors list the full names
	// (fat32_full_test.txt.expected). Its 512 MiB are read once, with -l
	// (fls takes seconds on it).
	{image: "dfir_ntfs/fat32_full_test.tgz", corpus: true, member: "fat32_full_test.raw", longOnly: true,
		known: regexp.MustCompile(`^[^\t]*:\t([^\t/]*/)*[^\t/]{195}`), flsOnly: 63, triageOnly: 63},
	// fls reads it converted by qemu-img; its root holds a Users folder,
	// which fls lists first.
	{image: "velociraptor/test.vhdx.zip", corpus: true, member: "test.vhdx", sector: 128, convert: true},
	{image: "velociraptor/partition_image.E01", corpus: true},
	// ones.bin's $DATA lies in an extension record with an id the base
	// record uses: fls numbers it with the base record's next id.
	{image: "go-ewf/test.ntfs.dd.E01", corpus: true},
	{image: "fat32-built.raw", build: buildFAT32},
}

// TestLsFilesBytesLikeFls compares ls --files with fls -r -p, and
// ls --files -l with fls -l -r -p -z UTC, byte for byte and in order, on
// every NTFS, FAT and exFAT image of the project and of the corpus.
func TestLsFilesBytesLikeFls(t *testing.T) {
	fls, err := exec.LookPath("fls")
	if err != nil {
		t.Skip("fls is not installed (Debian package sleuthkit)")
	}
	for _, tt := range flsParity {
		name := filepath.Base(tt.image)
		if tt.member != "" {
			name = tt.member
		}
		t.Run(name, func(t *testing.T) {
			var img, flsImg string
			if tt.build != nil {
				img = tt.build(t)
				flsImg = img
			} else {
				img, flsImg = parityImage(t, tt.image, tt.corpus, tt.member, tt.convert)
			}
			for _, long := range []bool{false, true} {
				if tt.longOnly && !long {
					continue
				}
				args := []string{"ls", "--files", "--ntfs-index-slack", "--volume", strconv.Itoa(tt.volume), img}
				fargs := []string{"-r", "-p", "-o", strconv.FormatInt(tt.sector, 10), flsImg}
				if long {
					args = append(args, "-l")
					fargs = append([]string{"-l", "-z", "UTC"}, fargs...)
				}
				var out, errb bytes.Buffer
				if st := run(args, nil, &out, &errb); st != 0 && st != 3 {
					t.Fatalf("status %d: %s", st, errb.String())
				}
				want, err := exec.Command(fls, fargs...).Output()
				if err != nil {
					t.Fatalf("fls %v: %v", fargs, err)
				}
				got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
				exp := strings.Split(strings.TrimSuffix(string(want), "\n"), "\n")
				got, gotKnown := splitKnown(got, tt.known)
				exp, expKnown := splitKnown(exp, tt.known)
				if len(expKnown) != tt.flsOnly || len(gotKnown) != tt.triageOnly {
					t.Errorf("long=%v: known differences: fls %d lines (want %d), triage %d (want %d):\nfls:\n%s\ntriage:\n%s", long,
						len(expKnown), tt.flsOnly, len(gotKnown), tt.triageOnly, strings.Join(expKnown, "\n"), strings.Join(gotKnown, "\n"))
				}
				if g, w := strings.Join(got, "\n"), strings.Join(exp, "\n"); g != w {
					t.Errorf("long=%v: ls --files differs from fls:\n%s", long, lineDiff(exp, got))
				}
			}
		})
	}
}

// splitKnown takes the lines known matches out of lines.
func splitKnown(lines []string, known *regexp.Regexp) (rest, out []string) {
	for _, l := range lines {
		if known != nil && known.MatchString(l) {
			out = append(out, l)
		} else {
			rest = append(rest, l)
		}
	}
	return rest, out
}

// lineDiff shows the first lines where want and got part.
func lineDiff(want, got []string) string {
	var b strings.Builder
	for i, n := 0, 0; (i < len(want) || i < len(got)) && n < 20; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			b.WriteString("line " + strconv.Itoa(i+1) + ":\n  fls:    " + w + "\n  triage: " + g + "\n")
			n++
		}
	}
	return b.String()
}

// parityImage returns the image triage lists and the one fls lists, both
// unpacked into a temporary folder.
func parityImage(t *testing.T, name string, corpus bool, member string, convert bool) (img, flsImg string) {
	t.Helper()
	if !corpus {
		img = unpackImage(t, name)
		return img, img
	}
	src := testfixture.Corpus(t, name)
	dir := t.TempDir()
	switch {
	case strings.HasSuffix(name, ".zip"):
		img = filepath.Join(dir, member)
		writeFile(t, img, unzipMember(t, src, member))
	case strings.HasSuffix(name, ".tgz"):
		img = filepath.Join(dir, member)
		untarMember(t, src, member, img)
	case strings.HasSuffix(name, ".gz"):
		img = filepath.Join(dir, strings.TrimSuffix(filepath.Base(name), ".gz"))
		writeFile(t, img, testfixture.Gunzip(t, src))
	default:
		img = src // read in place: evidence is opened read-only
	}
	if !convert {
		return img, img
	}
	qemu, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Skip("qemu-img is not installed (Debian package qemu-utils): the Sleuth Kit cannot read this container")
	}
	flsImg = filepath.Join(dir, "converted.raw")
	if out, err := exec.Command(qemu, "convert", "-O", "raw", img, flsImg).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert: %v: %s", err, out)
	}
	return img, flsImg
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func unzipMember(t *testing.T, path, name string) []byte {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		if f.Name == name || strings.HasSuffix(f.Name, "/"+name) {
			r, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			b, err := io.ReadAll(io.LimitReader(r, 64<<20))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatalf("%s holds no %s", path, name)
	return nil
}

// untarMember writes member of the gzipped tar archive path to dst,
// keeping its runs of zeros as holes (a 512 MiB image of a few KB).
func untarMember(t *testing.T, path, member, dst string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("%s holds no %s: %v", path, member, err)
		}
		if filepath.Base(h.Name) != member {
			continue
		}
		out, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		defer out.Close()
		buf := make([]byte, 1<<16)
		var off int64
		for {
			n, err := io.ReadFull(tr, buf)
			if n > 0 && !allZero(buf[:n]) {
				if _, err := out.WriteAt(buf[:n], off); err != nil {
					t.Fatal(err)
				}
			}
			off += int64(n)
			if err != nil {
				break
			}
		}
		if err := out.Truncate(off); err != nil {
			t.Fatal(err)
		}
		return
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// buildFAT32 makes a 40 MiB FAT32 volume with mkfs.fat and mtools: a label,
// folders of several clusters, long and short names, deleted files and a
// deleted folder, and a Users folder made last.
func buildFAT32(t *testing.T) string {
	t.Helper()
	var tools []string
	for _, name := range []string{"mkfs.fat", "mcopy", "mmd", "mdel", "mdeltree"} {
		p, err := exec.LookPath(name)
		if err != nil {
			if _, serr := os.Stat("/usr/sbin/" + name); serr != nil {
				t.Skipf("%s is not installed (Debian packages dosfstools, mtools)", name)
			}
			p = "/usr/sbin/" + name
		}
		tools = append(tools, p)
	}
	mkfs, mcopy, mmd, mdel, mdeltree := tools[0], tools[1], tools[2], tools[3], tools[4]
	dir := t.TempDir()
	img := filepath.Join(dir, "fat32-built.raw")
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = append(os.Environ(), "MTOOLS_SKIP_CHECK=1", "TZ=UTC")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %q: %v\n%s", name, args, err, out)
		}
	}
	run(mkfs, "-F", "32", "-C", "-n", "BUILT32", "-i", "32323232", "-s", "1", img, "40960")
	file := func(name string, size int) string {
		p := filepath.Join(src, name)
		writeFile(t, p, bytes.Repeat([]byte(name[:1]), size))
		return p
	}
	run(mmd, "-i", img, "::/docs", "::/docs/deep", "::/gone", "::/A folder with a long name")
	for i := 0; i < 20; i++ { // a folder of several clusters
		run(mcopy, "-i", img, file("report number "+strconv.Itoa(i)+".txt", 100*i), "::/docs/")
	}
	run(mcopy, "-i", img, file("small.txt", 10), "::/docs/deep/")
	run(mcopy, "-i", img, file("inside.bin", 3000), "::/gone/")
	run(mcopy, "-i", img, file("HELLO.TXT", 12), "::/")
	run(mcopy, "-i", img, file("deleted file.txt", 5000), "::/")
	run(mcopy, "-i", img, file("Z.DAT", 700), "::/A folder with a long name/")
	run(mdel, "-i", img, "::/deleted file.txt", "::/docs/report number 3.txt")
	run(mdeltree, "-i", img, "::/gone")
	// A root folder named Users, which fls lists first whatever its place.
	run(mmd, "-i", img, "::/Users", "::/docs/users")
	run(mcopy, "-i", img, file("note.txt", 40), "::/Users/")
	return img
}
