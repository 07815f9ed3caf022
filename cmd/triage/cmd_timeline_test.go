package main

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mactimeRows runs mactime on a body file and keeps, from each row, what
// the case can know: the time, the kinds of time, the inode number (the
// Sleuth Kit's address without its attribute type and id), the size (not
// for folders, whose size the Sleuth Kit takes from their index, nor for
// $FILE_NAME rows, whose size is that of the attribute) and the name.
// Rows of NTFS system files and of the Sleuth Kit's OrphanFile-N entries
// (unallocated reserved MFT entries, which triage does not record) are
// left out: the system files' index streams ($Secure:$SDH...) are not
// data streams triage records, and $MFT's $STANDARD_INFORMATION times on
// these images are out of range (2076).
//
// FAT and exFAT entries are not compared by inode: triage's is the byte
// offset of the directory entry in the volume, the Sleuth Kit's a number
// it derives from the sector of the entry. Their times are compared to the
// even second: the Sleuth Kit 4.11 leaves out exFAT's 10 ms increments
// (frag.bin of exfat-basic.raw: modified at 16:10:16 plus an increment of
// 100, 16:10:17 as the exFAT specification reads it; fls says 16:10:16).
func mactimeRows(t *testing.T, mactime string, body []byte, fat bool) []string {
	t.Helper()
	cmd := exec.Command(mactime, "-b", "-", "-d", "-y")
	cmd.Stdin = bytes.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mactime: %v", err)
	}
	skip := regexp.MustCompile(`^E\d+/v\d+/\$(?:[^O]|O[^r]|OrphanFiles/OrphanFile-\d+ )`)
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("mactime output: %v", err)
	}
	macb := map[string]string{}
	for _, r := range recs[1:] {
		name := r[7]
		if skip.MatchString(name) {
			continue
		}
		size := r[1]
		if strings.Contains(name, " ($FILE_NAME)") || strings.HasPrefix(r[3][min(2, len(r[3])):], "d") {
			size = ""
		}
		inode, _, _ := strings.Cut(r[6], "-")
		date := r[0]
		if fat {
			inode = ""
			if at, err := time.Parse(time.RFC3339, date); err == nil {
				date = at.Truncate(2 * time.Second).Format(time.RFC3339)
			}
		}
		k := strings.Join([]string{date, inode, size, name}, "|")
		m := []byte(macb[k] + "....")[:4]
		for i, c := range r[2] {
			if c != '.' && i < 4 {
				m[i] = byte(c)
			}
		}
		macb[k] = string(m)
	}
	var rows []string
	for k, m := range macb {
		date, rest, _ := strings.Cut(k, "|")
		rows = append(rows, date+"|"+m+"|"+rest)
	}
	sort.Strings(rows)
	return rows
}

// TestTimelineLikeFls compares the body file of a scanned image, read by
// mactime, with fls -m read by mactime, volume by volume.
func TestTimelineLikeFls(t *testing.T) {
	fls, err1 := exec.LookPath("fls")
	mactime, err2 := exec.LookPath("mactime")
	if err1 != nil || err2 != nil {
		t.Skip("fls or mactime is not installed (Debian package sleuthkit)")
	}
	for _, tt := range []struct {
		image   string
		volumes []int64 // sector offsets of v0, v1...
	}{
		{"ntfs-basic.raw", []int64{0}},
		{"gpt-ntfs.raw", []int64{2048}},
		{"mbr-ntfs-ext4.raw", []int64{2048, 20480}},
		{"ext4-small.raw", []int64{0}},
		{"exfat-basic.raw", []int64{0}},
	} {
		t.Run(tt.image, func(t *testing.T) {
			img := unpackImage(t, tt.image)
			dir := filepath.Join(t.TempDir(), "case")
			if st, _, errs := tri(t, "scan", "--case", dir, "-q", img); st != 0 && st != 3 {
				t.Fatalf("scan: status %d: %s", st, errs)
			}
			st, body, errs := tri(t, "timeline", dir)
			if st != 0 {
				t.Fatalf("timeline: status %d: %s", st, errs)
			}
			var want []byte
			for i, off := range tt.volumes {
				out, err := exec.Command(fls, "-r", "-p", "-o", strconv.FormatInt(off, 10), "-m", "E1/v"+strconv.Itoa(i)+"/", img).Output()
				if err != nil {
					t.Fatalf("fls: %v", err)
				}
				want = append(want, out...)
			}
			fat := strings.Contains(tt.image, "fat")
			g, w := mactimeRows(t, mactime, []byte(body), fat), mactimeRows(t, mactime, want, fat)
			// The $FILE_NAME times of a second hard-link name are not
			// recorded (its $STANDARD_INFORMATION times are).
			var missing, extra []string
			gi := map[string]int{}
			for _, r := range g {
				gi[r]++
			}
			for _, r := range w {
				if gi[r] > 0 {
					gi[r]--
					continue
				}
				if strings.HasSuffix(r, "/docs/hello-link.txt ($FILE_NAME)") {
					continue
				}
				missing = append(missing, r)
			}
			for r, n := range gi {
				for ; n > 0; n-- {
					extra = append(extra, r)
				}
			}
			if len(missing) > 0 || len(extra) > 0 || len(g) < 10 {
				t.Errorf("%d rows, fls+mactime %d\nmissing:\n%s\nnot in fls+mactime:\n%s", len(g), len(w), strings.Join(missing, "\n"), strings.Join(extra, "\n"))
			}
		})
	}
}

func TestTimelineCSV(t *testing.T) {
	img := unpackImage(t, "ntfs-basic.raw")
	dir := filepath.Join(t.TempDir(), "case")
	tri(t, "scan", "--case", dir, "-q", img)
	out := filepath.Join(t.TempDir(), "t.csv")
	if st, _, errs := tri(t, "timeline", "--case", dir, "--format", "csv", "-o", out, "--from", "2026-11-29T09:19:26Z"); st != 0 {
		t.Fatalf("status %d: %s", st, errs)
	}
	b, _ := os.ReadFile(out)
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) < 3 {
		t.Fatalf("csv: %v, %d rows", err, len(recs))
	}
	if strings.Join(recs[0], ",") != "time,macb,attribute,evidence,volume,inode,path,stream,type,size,deleted,status,hashsets,md5,sha256" {
		t.Errorf("header %q", recs[0])
	}
	var prev time.Time
	from := time.Date(2026, 11, 29, 9, 19, 26, 0, time.UTC)
	found := false
	for _, r := range recs[1:] {
		at, err := time.Parse(time.RFC3339Nano, r[0])
		if err != nil || at.Before(from) || at.Before(prev) {
			t.Errorf("row out of range or order: %q after %v", r[0], prev)
		}
		prev = at
		// gone-small.txt (MFT entry 76, deleted, 17 bytes: expected.tsv)
		if r[6] == "/gone-small.txt" && r[2] == "standard" {
			found = true
			if r[5] != "76" || r[9] != "17" || r[10] != "true" || r[11] != "unknown" {
				t.Errorf("gone-small.txt row %q", r)
			}
		}
	}
	if !found {
		t.Errorf("no row for /gone-small.txt")
	}
	// Sub-second precision is kept (NTFS records 100 ns).
	if !regexp.MustCompile(`\n2026-11-29T09:19:2\d\.\d+Z,`).Match(b) {
		t.Errorf("no fractional seconds in\n%s", b[:min(len(b), 600)])
	}
}

// TestTimelineOddNames checks that names holding "|", "%", "\" or a line
// break stay one field of one line for mactime.
func TestTimelineOddNames(t *testing.T) {
	src := t.TempDir()
	names := []string{"pipe|name.txt", "line\nbreak.txt", "pct%41.txt", `back\slash.txt`}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(src, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "case")
	if st, _, errs := tri(t, "scan", "--case", dir, "-q", src); st != 0 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	st, body, errs := tri(t, "timeline", dir)
	if st != 0 {
		t.Fatalf("timeline: %d %s", st, errs)
	}
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if n := strings.Count(l, "|"); n != 10 {
			t.Errorf("line with %d fields: %q", n+1, l)
		}
	}
	for _, want := range []string{"E1/pipe%7Cname.txt|", `E1/line\nbreak.txt|`, "E1/pct%2541.txt|", "E1/back%5Cslash.txt|"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q", want)
		}
	}
	mactime, err := exec.LookPath("mactime")
	if err != nil {
		t.Skip("mactime is not installed (Debian package sleuthkit)")
	}
	cmd := exec.Command(mactime, "-b", "-", "-d", "-y")
	cmd.Stdin = strings.NewReader(body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"E1/pipe|name.txt"`, `"E1/line\nbreak.txt"`, `"E1/pct%41.txt"`, `"E1/back\slash.txt"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("mactime output lacks %s:\n%s", want, out)
		}
	}
}
