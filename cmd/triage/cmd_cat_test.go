package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
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
