package main

import (
	"bytes"
	"github.com/triagekit/triage/internal/testfixture"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var unpackImage = testfixture.ImageFile

// partitionRows keeps the table-entry rows of mmls-style output as
// "start end length description".
func partitionRows(text string) []string {
	var rows []string
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[0], ":") || f[1] == "Meta" || strings.HasPrefix(f[1], "-") {
			continue
		}
		rows = append(rows, strings.Join(f[2:], " "))
	}
	return rows
}

// TestLsLikeMmls compares `triage ls` with the mmls output make.sh recorded.
func TestLsLikeMmls(t *testing.T) {
	for _, name := range []string{"mbr-ntfs-ext4.raw", "gpt-ntfs.raw"} {
		t.Run(name, func(t *testing.T) {
			p := unpackImage(t, name)
			var out, errb bytes.Buffer
			if st := run([]string{"ls", p}, nil, &out, &errb); st != 0 {
				t.Fatalf("status %d: %s", st, errb.String())
			}
			want, _ := os.ReadFile(filepath.Join("..", "..", "testdata", "images", name+".mmls.txt"))
			g, w := partitionRows(out.String()), partitionRows(string(want))
			if strings.Join(g, "\n") != strings.Join(w, "\n") || len(w) == 0 {
				t.Errorf("triage ls rows:\n%s\nmmls rows:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
			}
			if strings.Split(out.String(), "\n")[0] != strings.Split(string(want), "\n")[0] {
				t.Errorf("header %q", strings.Split(out.String(), "\n")[0])
			}
		})
	}
}

func TestLsFiles(t *testing.T) {
	p := unpackImage(t, "mbr-ntfs-ext4.raw")
	var out, errb bytes.Buffer
	// Both volumes are read: the ext4 one holds only lost+found (inode 11).
	if st := run([]string{"volumes", "--files", "--skip-metafiles", p}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	// Entries and sizes from mbr-ntfs-ext4.raw.fls.txt / expected.tsv.
	// fls -r -p's format (ls --files prints it since issue 19).
	for _, want := range []string{"-/r * 76-128-2:\tgone-small.txt\n", "r/r 70-128-5:\tdocs/ads.txt:secret\n", "-/d * 68-144-2:\tdeleted-dir\n",
		"# v1\nd/d 11:\tlost+found\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("listing lacks %q", want)
		}
	}
	if strings.Contains(out.String(), "$MFT") {
		t.Errorf("metafiles listed with --skip-metafiles")
	}
	if errb.Len() != 0 {
		t.Errorf("stderr %q", errb.String())
	}
}

func TestScanImageExitCodes(t *testing.T) {
	bare := unpackImage(t, "ntfs-basic.raw") // its wof.txt cannot be decoded: partial
	gpt := unpackImage(t, "gpt-ntfs.raw")
	mbr := unpackImage(t, "mbr-ntfs-ext4.raw")
	// The same image with a FAT boot sector (recognised, not read) in place
	// of the ext4 volume at sector 20480.
	fat := unpackImage(t, "mbr-ntfs-ext4.raw")
	if b, err := os.ReadFile(fat); err == nil {
		v := b[20480*512:]
		clear(v[:4096])
		copy(v[54:], "FAT16   ")
		v[510], v[511] = 0x55, 0xaa
		os.WriteFile(fat, b, 0o644)
	}
	trunc := unpackImage(t, "gpt-ntfs.raw")
	os.Truncate(trunc, 6<<20)
	for _, tt := range []struct {
		name   string
		args   []string
		status int
	}{
		{"bare-ntfs", []string{"scan", bare}, 3},
		{"gpt-ntfs", []string{"scan", gpt}, 0},
		{"ntfs-and-ext4", []string{"scan", mbr}, 0},
		{"unsupported-partition", []string{"scan", fat}, 3},
		{"truncated", []string{"scan", trunc}, 3},
		{"forced-file", []string{"scan", "--as", "file", bare}, 0},
		{"bad-as", []string{"scan", "--as", "disk", bare}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			args := append(tt.args, "--case", filepath.Join(t.TempDir(), "c"), "--jsonl", "-", "-q")
			if st := run(args, nil, &out, &errb); st != tt.status {
				t.Fatalf("status %d, want %d: %s", st, tt.status, errb.String())
			}
			if tt.name == "truncated" && (!strings.Contains(out.String(), `"complete":false`) || !strings.Contains(out.String(), `"complete":true`)) {
				t.Errorf("truncated image: want complete and partial records")
			}
			if tt.name == "bare-ntfs" {
				// size and MD5 from ntfs-basic.raw.expected.tsv (fls + icat)
				if !strings.Contains(out.String(), `"path":"/docs/ads.txt","type":"file","size":26,"md5":"fbccf14d504b7b2dbcb5a5bda75bd93b"`) {
					t.Errorf("ADS record missing")
				}
				if !strings.Contains(out.String(), `"path":"/$OrphanFiles/inner.txt","type":"file","size":24,"md5":"cf6a8e746ec7d25273938f78c6db1e59"`) {
					t.Errorf("orphan record missing")
				}
			}
		})
	}
}

// TestLsExt: ls names the file system of each volume,
// and ls --files lists an ext volume as fls does (ext4-small.raw.fls.txt).
func TestLsExt(t *testing.T) {
	var out, errb bytes.Buffer
	if st := run([]string{"ls", unpackImage(t, "mbr-ntfs-ext4.raw")}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	if !strings.Contains(out.String(), "\nFile systems:\nv0  ntfs  label \"mbrntfs\"\nv1  ext\n") {
		t.Errorf("ls output:\n%s", out.String())
	}
	out.Reset()
	if st := run([]string{"ls", "--files", unpackImage(t, "ext4-small.raw")}, nil, &out, &errb); st != 0 {
		t.Fatalf("status %d: %s", st, errb.String())
	}
	for _, want := range []string{"l/l 16:\tfast-link\n", "r/r * 17:\tgone.txt\n", "d/d 20:\tünïcödé\n", // fls -r -p's format
		"r/r 21:\tünïcödé/日本語.txt\n", "r/r 14:\tdocs/hello-link.txt\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("listing lacks %q:\n%s", want, out.String())
		}
	}
}
