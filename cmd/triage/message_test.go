package main

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// packagePrefix is a reader's short name before a message ("ewf: ").
var packagePrefix = regexp.MustCompile(`(^|: |; |\()(ewf|vhdx?|vmdk|qcow2|ntfs|fat|exfat|ext|iso9660|lvm|volume|casedb|casework|flate|zlib|gzip): `)

// A damaged E01 chunk: what the examiner reads, on standard error and in
// the case's problems and records, names the format in words ("E01"), the
// item and the offset, and no package.
func TestMessagesNameFormatsInWords(t *testing.T) {
	p := copyFixture(t, "ewf-best-mixed.E01")
	b, _ := os.ReadFile(p)
	off := int64(13)
	for strings.TrimRight(string(b[off:off+16]), "\x00") != "sectors" {
		off = int64(binary.LittleEndian.Uint64(b[off+16:]))
	}
	b[off+76+100] ^= 0xff // inside chunk 0 (text, compressed)
	os.WriteFile(p, b, 0o644)
	dir := filepath.Join(t.TempDir(), "case")
	st, _, errs := runTriage(t, "scan", "--case", dir, p)
	if st == 0 {
		t.Fatalf("status 0 for a damaged chunk: %s", errs)
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimSpace(errs), "\n") {
		msgs = append(msgs, strings.TrimPrefix(strings.TrimSpace(l), "- "))
	}
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	probs, err := c.Errors(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	chunk := 0
	for _, e := range probs {
		msgs = append(msgs, e.Message)
		if strings.Contains(e.Message, "chunk 0 ") {
			chunk++
			if !strings.Contains(e.Message, "E01: chunk 0 (media bytes 0x0-") || !regexp.MustCompile(`in ewf-best-mixed\.E01 unreadable at byte 0x[0-9a-f]+`).MatchString(e.Message) {
				t.Errorf("chunk problem %q: want the format, the chunk, the segment and the offset", e.Message)
			}
		}
	}
	if chunk == 0 {
		t.Errorf("no problem names chunk 0: %q", msgs)
	}
	for _, m := range msgs {
		if packagePrefix.MatchString(m) {
			t.Errorf("message with a package name: %q", m)
		}
	}
}
