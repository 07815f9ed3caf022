package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// flsExcluded are lines this test leaves out of the comparison (triage now
// lists them on NTFS, FAT and exFAT, which TestLsFilesBytesLikeFls compares
// with nothing left out but the known differences):
//   - $OrphanFiles/OrphanFile-N: the Sleuth Kit lists unallocated MFT
//     entries that have no name (the reserved entries 16-23 of every
//     volume); triage records entries with a name;
//   - NTFS index attributes other than $I30 ($Secure:$SDH, $Extend/$Quota:$Q,
//     type 144 after a ":"): they are indexes, not data streams, and are not
//     recorded;
//   - the FAT and exFAT directory entries that are not files (volume
//     label, allocation bitmap, up-case table);
//   - names carved from NTFS index slack that an MFT entry of the folder
//     still holds (ntfs_index.raw: "AAAA… - Copy (11).txt"): triage leaves
//     out stale copies of live names.
var flsExcluded = regexp.MustCompile(`^-/r \* \d+:\t\$OrphanFiles/OrphanFile-\d+\t?|^r/r \d+-144-\d+:\t[^\t]*:\$|^r/r \d+:\t([^\t]* \(Volume Label Entry\)|\$ALLOC_BITMAP|\$UPCASE_TABLE)(\t|$)`)

// flsLong keeps the columns of an fls -l line triage can know: it drops
// the size of folders (the Sleuth Kit gives the size of their index or
// blocks; TestLsFilesLongExtLikeFls compares them on ext) and, on NTFS, the uid and gid (the Sleuth Kit gives
// the owner id of $STANDARD_INFORMATION, which triage does not record).
// $MFT's times are dropped: its $STANDARD_INFORMATION times on these
// images are out of range (2076) and triage records none.
//
// On FAT and exFAT, times are compared to the even second and access times
// to the day: the Sleuth Kit 4.11 leaves out the 10 ms increments of
// creation (FAT, exFAT) and modification (exFAT) times, and reads exFAT's
// access time as a date (FAT stores a date only). On ext2, the creation
// time is not compared: the Sleuth Kit reads i_crtime on ext4 only, while
// these volumes have 256-byte inodes that hold it.
func flsLong(line string, ntfs, fat, ext2 bool) string {
	f := strings.Split(line, "\t")
	if len(f) != 9 {
		return line
	}
	if fat {
		for i := 2; i <= 5; i++ {
			at, err := time.Parse("2006-01-02 15:04:05 (MST)", f[i])
			if err != nil {
				continue
			}
			if i == 3 {
				at = at.Truncate(24 * time.Hour)
			}
			f[i] = at.Truncate(2 * time.Second).Format("2006-01-02 15:04:05")
		}
	}
	if ext2 {
		f[5] = ""
	}
	if strings.HasPrefix(f[0], "d/d") || strings.HasPrefix(f[0], "-/d") || strings.HasPrefix(f[0], "V/V") {
		f[6] = ""
	}
	if ntfs {
		f[7], f[8] = "", ""
	}
	if f[1] == "$MFT" {
		f[2], f[3], f[4], f[5] = "", "", "", ""
	}
	return strings.Join(f, "\t")
}

func sortedFls(out []byte, long, ntfs, fat, ext2, ordered bool) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
		if flsExcluded.MatchString(l) || strings.HasPrefix(l, "r/- * 0:\tAAAA") && strings.Contains(l, " - Copy (11).txt") {
			continue
		}
		if long {
			l = flsLong(l, ntfs, fat, ext2)
		}
		if strings.HasPrefix(l, "# v") {
			continue
		}
		lines = append(lines, l)
	}
	if !ordered {
		sort.Strings(lines)
	}
	return lines
}

// TestLsFilesLikeFls compares triage ls --files with fls -r -p, and with
// -l with fls -l -r -p, line for line, volume by volume, in fls's order
// (ext, FAT, exFAT, and NTFS folders whose index fits in one node). Where
// the order cannot be the same the lines are compared sorted: in an NTFS
// index of several nodes (ntfs_index.raw's root) fls follows the nodes on
// disk.
func TestLsFilesLikeFls(t *testing.T) {
	fls, err := exec.LookPath("fls")
	if err != nil {
		t.Skip("fls is not installed (Debian package sleuthkit)")
	}
	for _, tt := range []struct {
		image   string
		corpus  bool
		volume  int
		sector  int64
		ntfs    bool
		ordered bool
	}{
		{"ntfs-basic.raw", false, 0, 0, true, true},
		{"gpt-ntfs.raw", false, 0, 2048, true, true},
		{"mbr-ntfs-ext4.raw", false, 0, 2048, true, true},
		{"mbr-ntfs-ext4.raw", false, 1, 20480, false, true},
		{"ext2-small.raw", false, 0, 0, false, true},
		{"ext4-small.raw", false, 0, 0, false, true},
		{"exfat-basic.raw", false, 0, 0, false, true},
		{"dfvfs/mbr.raw.gz", true, 0, 1, false, true},
		{"dfvfs/mbr.raw.gz", true, 1, 131, false, true},
		{"dfvfs/ext2.raw.gz", true, 0, 0, false, true},
		{"dfir_ntfs/ntfs_index.raw.gz", true, 0, 128, true, false},
		{"dfir_ntfs/fat12.raw.gz", true, 0, 0, false, true},
		{"rust-fatfs/fat16.img.gz", true, 0, 0, false, true},
	} {
		t.Run(filepath.Base(tt.image)+"/v"+strconv.Itoa(tt.volume), func(t *testing.T) {
			img, _ := lsImage(t, tt.image, tt.corpus)
			for _, long := range []bool{false, true} {
				args := []string{"ls", "--files", "--volume", strconv.Itoa(tt.volume), img}
				if tt.ntfs {
					args = append(args, "--ntfs-index-slack") // fls lists the names of index slack
				}
				fargs := []string{"-r", "-p", "-o", strconv.FormatInt(tt.sector, 10), img}
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
					t.Fatalf("fls: %v", err)
				}
				fat, ext2 := strings.Contains(tt.image, "fat"), strings.Contains(tt.image, "ext2")
				g, w := sortedFls(out.Bytes(), long, tt.ntfs, fat, ext2, tt.ordered), sortedFls(want, long, tt.ntfs, fat, ext2, tt.ordered)
				if strings.Join(g, "\n") != strings.Join(w, "\n") {
					t.Errorf("long=%v: triage ls --files:\n%s\nfls:\n%s", long, strings.Join(g, "\n"), strings.Join(w, "\n"))
				}
			}
		})
	}
}
