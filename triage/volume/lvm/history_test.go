package lvm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/lvmtest"
)

// historyPV returns the physical volume of lvmtest.Fixture whose metadata
// area holds the three versions of lvmtest.HistoryTexts from offset at of
// its circular buffer.
func historyPV(at int64) []byte {
	b := lvmtest.PV(lvmtest.FixtureSize, lvmtest.FixtureUUID, "")
	clear(b[lvmtest.MetadataOffset : lvmtest.MetadataOffset+lvmtest.MetadataSize])
	lvmtest.WriteHistory(b, lvmtest.HistoryTexts, at)
	return b
}

// describe lists the versions as "seqno: volumes" lines.
func describe(h []Version) string {
	var out []string
	for _, v := range h {
		if v.Err != nil {
			out = append(out, fmt.Sprintf("%d: %v", v.Seqno, v.Err))
			continue
		}
		var lvs []string
		for _, lv := range v.Group.LVs {
			lvs = append(lvs, fmt.Sprintf("%s=%d", lv.Name, lv.Extents))
		}
		cur := ""
		if v.Current {
			cur = " (current)"
		}
		out = append(out, fmt.Sprintf("%d%s: %s", v.Seqno, cur, strings.Join(lvs, " ")))
	}
	return strings.Join(out, "\n")
}

// TestHistory: the older versions of the metadata are found after the
// area header, in order, with their volumes as lvmtest.HistoryTexts
// describes them; at a wrap of the circular buffer too.
func TestHistory(t *testing.T) {
	for _, tt := range []struct {
		name string
		at   int64
	}{
		{"start", 0},
		{"wrapped", lvmtest.MetadataSize - 512 - 4096 - 1024}, // the current text wraps past the end of the area
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := historyPV(tt.at)
			pv, err := Read(bytes.NewReader(b), 0x100000, int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			if pv.Group.Seqno != 7 || len(pv.Problems) != 0 {
				t.Fatalf("seqno %d, problems %v", pv.Group.Seqno, pv.Problems)
			}
			got := describe(pv.History)
			lines := []string{
				"5: data=4 fast=2 old=2",
				"6: data=8 fast=2 pool=1 pool_tdata=1 pool_tmeta=1",
				"7 (current): data=8 fast=2 pool=1 thin1=4 pool_tdata=1 pool_tmeta=1",
			}
			if want := strings.Join(lines, "\n"); got != want {
				t.Errorf("history:\n%s\nwant:\n%s", got, want)
			}
			for _, v := range pv.History {
				if v.Offset < 0x100000+lvmtest.MetadataOffset+512 || (v.Offset-0x100000)%512 != 0 {
					t.Errorf("version %d at %#x", v.Seqno, v.Offset)
				}
			}
			pvckAll(t, b, pv.History, 0x100000)
		})
	}
}

// pvckAll compares the versions with those lvm2's "pvck --dump
// metadata_all" lists: offset, length and seqno of each.
func pvckAll(t *testing.T, b []byte, h []Version, base int64) {
	t.Helper()
	if _, err := exec.LookPath("pvck"); err != nil {
		t.Skip("pvck (lvm2) not installed")
	}
	p := filepath.Join(t.TempDir(), "pv.img")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pvck", "--dump", "metadata_all", p).CombinedOutput()
	if err != nil {
		t.Fatalf("pvck: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`(?m)^\s*metadata at (\d+) length (\d+) crc [0-9a-f]+ vg (\S+) seqno (\d+) id (\S+)$`)
	var theirs, ours []string
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		theirs = append(theirs, fmt.Sprintf("at %s length %s vg %s seqno %s", m[1], m[2], m[3], m[4]))
	}
	for _, v := range h {
		ours = append(ours, fmt.Sprintf("at %d length %d vg %s seqno %d", v.Offset-base, v.Length, "vg0", v.Seqno))
	}
	if len(theirs) == 0 || !slices.Equal(theirs, ours) {
		t.Errorf("pvck --dump metadata_all:\n%s\ntriage:\n%s\npvck said:\n%s", strings.Join(theirs, "\n"), strings.Join(ours, "\n"), out)
	}
}

// TestHistoryDamaged: an older copy cut short (a NUL in its middle, as
// when a later write covered part of it) is listed with its parse error;
// the others still parse.
func TestHistoryDamaged(t *testing.T) {
	b := historyPV(0)
	b[lvmtest.MetadataOffset+512+1000] = 0
	pv, err := Read(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.History) != 3 || pv.History[0].Err == nil || pv.History[0].Length != 1001 || pv.History[1].Err != nil || !pv.History[2].Current {
		t.Fatalf("history:\n%s", describe(pv.History))
	}
	var fe *FormatError
	if !errors.As(pv.History[0].Err, &fe) || fe.Off < pv.History[0].Offset {
		t.Errorf("error %v does not name its offset", pv.History[0].Err)
	}
	pvckAll(t, b, pv.History, 0)
}

// TestHistoryNoNUL: an area of 64 MiB whose every 512-byte boundary
// starts a copy that no NUL ends is searched at once (each start does not
// search the rest of the area again).
func TestHistoryNoNUL(t *testing.T) {
	b := bytes.Repeat([]byte("vg0 {\nid = \"x\"\nseqno = 1\n"+strings.Repeat("#", 512-26)), MaxHistoryArea/512)
	copy(b, make([]byte, 512))
	h, err := History(bytes.NewReader(b), int64(len(b)), Area{0, uint64(len(b))})
	if err != nil || len(h) != 0 {
		t.Errorf("%d versions, %v", len(h), err)
	}
}
