package main

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
)

// TestCatLikeIcat: triage cat writes the same bytes as the Sleuth Kit's
// icat for files, an alternate data stream, deleted files and, with -o, a
// file of the second volume of a partitioned image.
func TestCatLikeIcat(t *testing.T) {
	if _, err := exec.LookPath("icat"); err != nil {
		t.Skip("icat (Debian package sleuthkit) is not installed")
	}
	cases := []struct {
		image  string
		offset string // icat -o, "" for none
		addr   string
	}{
		{"ntfs-basic.raw", "", "69"},       // docs/report.txt
		{"ntfs-basic.raw", "", "70-128-5"}, // docs/ads.txt:secret
		{"ntfs-basic.raw", "", "70-128-4"}, // docs/ads.txt:Zone.Identifier
		{"ntfs-basic.raw", "", "77-128-2"}, // deleted docs/gone-big.txt
		{"ntfs-basic.raw", "", "76"},       // deleted gone-small.txt
		{"ntfs-basic.raw", "", "71"},       // compressed/big.txt
		{"mbr-ntfs-ext4.raw", "2048", "70-128-5"},
		{"mbr-ntfs-ext4.raw", "2048", "64"},
	}
	images := map[string]string{}
	for _, c := range cases {
		if images[c.image] == "" {
			images[c.image] = unpackImage(t, c.image)
		}
	}
	for _, c := range cases {
		t.Run(c.image+"/"+c.addr, func(t *testing.T) {
			p := images[c.image]
			args := []string{"cat", p, c.addr}
			iargs := []string{p, c.addr}
			if c.offset != "" {
				args = []string{"cat", "-o", c.offset, p, c.addr}
				iargs = []string{"-o", c.offset, p, c.addr}
			}
			want, err := exec.Command("icat", iargs...).Output()
			if err != nil {
				t.Fatalf("icat %v: %v", iargs, err)
			}
			var out, errb bytes.Buffer
			if st := run(args, nil, &out, &errb); st != 0 {
				t.Fatalf("status %d: %s", st, errb.String())
			}
			if !bytes.Equal(out.Bytes(), want) || len(want) == 0 {
				t.Errorf("triage cat %s: %d bytes, icat: %d bytes", c.addr, out.Len(), len(want))
			}
		})
	}
}

// TestCatPath: a path, and a stream after a colon, name the same content
// as their addresses.
func TestCatPath(t *testing.T) {
	if _, err := exec.LookPath("icat"); err != nil {
		t.Skip("icat (Debian package sleuthkit) is not installed")
	}
	p := unpackImage(t, "ntfs-basic.raw")
	for addr, path := range map[string]string{"70-128-5": "/docs/ads.txt:secret", "69": "docs/report.txt"} {
		want, err := exec.Command("icat", p, addr).Output()
		if err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		if st := run([]string{"cat", p, path}, nil, &out, &errb); st != 0 {
			t.Fatalf("%s: status %d: %s", path, st, errb.String())
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: %d bytes, icat %s: %d bytes", path, out.Len(), addr, len(want))
		}
	}
}

func TestValidateCatArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		vol  int
		off  int64
		want string
	}{
		{[]string{"img"}, -1, -1, "needs IMAGE and ADDRESS"},
		{[]string{"img", "36-128-4-1"}, -1, -1, "use INODE, INODE-TYPE or INODE-TYPE-ID"},
		{[]string{"img", "36-144"}, -1, -1, "type 128"},
		{[]string{"img", "99999999999999999999999"}, -1, -1, "not an inode number"},
		{[]string{"img", "36"}, 0, 2048, "exclude each other"},
		{[]string{"img", "36-128-4"}, -1, -1, ""},
		{[]string{"img", "/a/b:c"}, -1, 0, ""},
	} {
		o := &CatOptions{Volume: c.vol, Sector: c.off}
		err := validateCatArgs(o, c.args)
		if (err == nil) != (c.want == "") || err != nil && !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.args, err, c.want)
		}
	}
}

// TestCatCorpusE01: on go-ewf's NTFS E01 of the corpus (row 9 of its
// INDEX.md), cat gives the contents its authors document, and the bytes
// icat gives: a file by path, its alternate data stream by address, and
// the compressed ones.bin (SHA-1 f581eebd...).
func TestCatCorpusE01(t *testing.T) {
	img := testfixture.Corpus(t, "go-ewf/test.ntfs.dd.E01")
	cases := []struct{ addr, want, sha1 string }{
		{"/Folder A/Folder B/Hello world text document.txt", "Hello world!", ""},
		{"46", "Hello world!", ""},
		{"46-128-5", "Goodbye cruel world.", ""},
		{"38", "", "f581eebdb9a49a622c305d4e44977bc91a4a1204"},
	}
	_, icatErr := exec.LookPath("icat")
	for _, c := range cases {
		var out, errb bytes.Buffer
		if st := run([]string{"cat", img, c.addr}, nil, &out, &errb); st != 0 {
			t.Fatalf("%s: status %d: %s", c.addr, st, errb.String())
		}
		if c.want != "" && out.String() != c.want {
			t.Errorf("%s: %q, documented %q", c.addr, out.String(), c.want)
		}
		if c.sha1 != "" {
			if got := fmt.Sprintf("%x", sha1.Sum(out.Bytes())); got != c.sha1 {
				t.Errorf("%s: SHA-1 %s, documented %s", c.addr, got, c.sha1)
			}
		}
		if icatErr != nil || strings.HasPrefix(c.addr, "/") {
			continue
		}
		want, err := exec.Command("icat", img, c.addr).Output()
		if err != nil {
			t.Fatalf("icat %s: %v", c.addr, err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: %d bytes, icat %d bytes", c.addr, out.Len(), len(want))
		}
	}
}
