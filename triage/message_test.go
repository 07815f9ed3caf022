package triage

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/triagekit/triage/triage/ewf"
	fatfs "github.com/triagekit/triage/triage/fs/fat"
)

// Messages name the format in words, never a package, and keep the item
// and the offset.
func TestMessage(t *testing.T) {
	for in, want := range map[string]string{
		"ewf: disk.E02: bad section header at byte 0x4c":                                "E01 segment disk.E02: bad section header at byte 0x4c",
		"ewf: chunk 17 (media bytes 0x0-0x7fff) in disk.E02 unreadable at byte 0x1f0":   "E01: chunk 17 (media bytes 0x0-0x7fff) in disk.E02 unreadable at byte 0x1f0",
		"volume 2 at byte 0x100000: ntfs: failed to read $MFT record at byte 0x104000":  "volume 2 at byte 0x100000: NTFS: failed to read $MFT record at byte 0x104000",
		"vhd: disk.vhd: footer checksum mismatch at byte 0x3fe00":                       "VHD image disk.vhd: footer checksum mismatch at byte 0x3fe00",
		"vmdk: parent base.vmdk has CID 0000000a, snap.vmdk expects 0000000b":           "VMDK: parent base.vmdk has CID 0000000a, snap.vmdk expects 0000000b",
		"ext: inode 12: inline data holds 3 of 9 bytes at byte 0x2400":                  "ext file system: inode 12: inline data holds 3 of 9 bytes at byte 0x2400",
		"media bytes 0x0-0x1ff unreadable (parent: read failed)":                        "media bytes 0x0-0x1ff unreadable (parent image: read failed)",
		"volume: GPT header checksum mismatch at byte 0x200":                            "partition table: GPT header checksum mismatch at byte 0x200",
		"failed to open: lvm: logical volume \"root\": segment 2 is striped":            "failed to open: LVM: logical volume \"root\": segment 2 is striped",
		"/docs/report: the plan.txt":                                                    "/docs/report: the plan.txt", // a path, not a message part
		"no prefix here":                                                                "no prefix here",
		"context: canceled":                                                             "context: canceled",
		"E01: chunk 0 unreadable at byte 0x868: flate: corrupt input before offset 101": "E01: chunk 0 unreadable at byte 0x868: deflate data: corrupt input before offset 101",
	} {
		if got := MessageText(in); got != want {
			t.Errorf("MessageText(%q)\n = %q\nwant %q", in, got, want)
		}
	}
	// The error keeps its identity: errors.Is still finds the sentinel.
	err := fmt.Errorf("volume 1 at byte 0x0: %w", fatfs.ErrNotFAT)
	if !errors.Is(err, fatfs.ErrNotFAT) || Message(err) != "volume 1 at byte 0x0: FAT: no FAT boot sector" {
		t.Errorf("Message(%v) = %q", err, Message(err))
	}
	e := &ewf.FormatError{Segment: "/x/disk.E01", Off: 0x4c, Msg: "bad section"}
	if got := Message(e); got != "E01 segment disk.E01: bad section at byte 0x4c" {
		t.Errorf("Message(ewf.FormatError) = %q", got)
	}
	if Message(nil) != "" || Message(fs.ErrNotExist) != "file does not exist" {
		t.Errorf("nil or plain errors changed")
	}
}
