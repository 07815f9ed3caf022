package triage

import (
	"regexp"
	"strings"
)

// formatWords names, in words, the readers whose error messages start
// with their short name ("ewf: ...").
var formatWords = map[string]string{
	"ewf":      "E01",
	"vhd":      "VHD",
	"vhdx":     "VHDX",
	"vmdk":     "VMDK",
	"qcow2":    "QCOW2",
	"parent":   "parent image",
	"ntfs":     "NTFS",
	"fat":      "FAT",
	"exfat":    "exFAT",
	"ext":      "ext file system",
	"iso9660":  "ISO 9660",
	"lvm":      "LVM",
	"volume":   "partition table",
	"archive":  "archive",
	"audit":    "audit",
	"custody":  "custody log",
	"fuzzy":    "similarity digest",
	"validate": "validation",
	"report":   "report",
	// Go's decompressors
	"flate": "deflate data",
	"zlib":  "zlib data",
	"gzip":  "gzip data",
}

// imageWords is what a file of a container is called in a message: "E01
// segment disk.E02", "VHD image disk.vhd".
var imageWords = map[string]string{
	"ewf": "E01 segment", "vhd": "VHD image", "vhdx": "VHDX image", "vmdk": "VMDK image", "qcow2": "QCOW2 image",
}

// shortNameRe finds a reader's short name at the start of a message or of
// a part of one (after ": ", "; " or "("), with the file name that follows
// it in a container's messages ("ewf: disk.E02: ...").
var shortNameRe = regexp.MustCompile(`(^|: |; |\()(ewf|vhdx?|vmdk|qcow2|parent|ntfs|fat|exfat|ext|iso9660|lvm|volume|archive|audit|custody|fuzzy|validate|report|flate|zlib|gzip): (([^\s:;()]+\.[A-Za-z0-9]{2,5}): )?`)

// Message is the text of an error for the examiner, as the case, the
// report and the command show it: a reader's short name before its message
// ("ewf: disk.E02: ...", "ntfs: ...") becomes the format named in words
// ("E01 segment disk.E02: ...", "NTFS: ..."); everything else (the item,
// the offset) is kept as written. errors.Is and errors.As work on the
// error itself, which Message does not change.
func Message(err error) string {
	if err == nil {
		return ""
	}
	return MessageText(err.Error())
}

// MessageText is Message for a message already turned into text.
func MessageText(msg string) string {
	if !strings.Contains(msg, ": ") {
		return msg
	}
	return shortNameRe.ReplaceAllStringFunc(msg, func(m string) string {
		sub := shortNameRe.FindStringSubmatch(m)
		lead, name, file := sub[1], sub[2], sub[4]
		if file != "" {
			if w, ok := imageWords[name]; ok {
				return lead + w + " " + file + ": "
			}
			return lead + formatWords[name] + ": " + file + ": "
		}
		return lead + formatWords[name] + ": "
	})
}
