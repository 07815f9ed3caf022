package fs_test

import (
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
)

// TestFormatTime: times in Extra are formatted as the case formats them.
func TestFormatTime(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Date(2024, 2, 29, 23, 59, 58, 0, time.UTC),
		time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC),
		time.Date(2001, 9, 9, 1, 46, 40, 123456700, time.FixedZone("x", 3600)),
		time.Date(10000, 1, 1, 0, 0, 0, 5, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		if got, want := fs.FormatTime(tm), casedb.FormatTime(tm); got != want {
			t.Errorf("FormatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

// TestTypes: entry types are the case's record types.
func TestTypes(t *testing.T) {
	for got, want := range map[string]string{fs.TypeFile: casedb.TypeFile, fs.TypeDir: casedb.TypeDir,
		fs.TypeSymlink: casedb.TypeSymlink, fs.TypeOther: casedb.TypeOther} {
		if got != want {
			t.Errorf("type %q, want %q", got, want)
		}
	}
}

func TestOptionsBool(t *testing.T) {
	on := fs.Option{Name: "on", Default: true}
	off := fs.Option{Name: "off"}
	var none fs.Options
	if !none.Bool(on) || none.Bool(off) {
		t.Errorf("defaults not applied")
	}
	set := fs.Options{"on": false, "off": true}
	if set.Bool(on) || !set.Bool(off) {
		t.Errorf("values not applied")
	}
}
