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

func TestOptionsText(t *testing.T) {
	o := fs.Option{Name: "zone", Kind: fs.Text, DefaultText: "UTC"}
	var none fs.Options
	if none.Text(o) != "UTC" || (fs.Options{"zone": "Europe/Paris"}).Text(o) != "Europe/Paris" {
		t.Errorf("Text: defaults or values not applied")
	}
	// A value of the wrong kind is not taken.
	if (fs.Options{"zone": true}).Text(o) != "UTC" || (fs.Options{"on": "yes"}).Bool(fs.Option{Name: "on"}) {
		t.Errorf("values of the wrong kind taken")
	}
}

func TestParseZone(t *testing.T) {
	for _, tt := range []struct {
		in     string
		offset int // seconds east of UTC on 2024-01-15, or -1 for an error
	}{
		{"UTC", 0}, {"Europe/Berlin", 3600}, {"America/New_York", -5 * 3600}, {"+02:00", 7200}, {"-0530", -(5*3600 + 1800)},
		{"+2", 7200}, {"+14:00", 14 * 3600}, {"+15:00", -1}, {"+02:60", -1}, {"Mars/Olympus", -1}, {"", -1}, {"Local", -1}, {"+", -1},
	} {
		loc, err := fs.ParseZone(tt.in)
		if tt.offset == -1 {
			if err == nil {
				t.Errorf("%q: accepted", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.in, err)
			continue
		}
		if _, off := time.Date(2024, 1, 15, 12, 0, 0, 0, loc).Zone(); off != tt.offset {
			t.Errorf("%q: offset %d, want %d", tt.in, off, tt.offset)
		}
	}
	if err := fs.SourceTimezone.Check("Nowhere/City"); err == nil {
		t.Error("SourceTimezone.Check accepts an unknown zone")
	}
}
