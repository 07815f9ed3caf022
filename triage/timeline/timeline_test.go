package timeline

import (
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"/plain/name.txt":   "/plain/name.txt",
		"/a|b":              "/a%7Cb",
		"/100%.txt":         "/100%25.txt",
		`/back\slash`:       "/back%5Cslash",
		"/line\nbreak\r\t.": `/line\nbreak\r\t.`,
		"/bell\x07\x7f":     `/bell\x07\x7f`,
		"/ünïcödé":          "/ünïcödé",
	} {
		if got := string(appendEscaped(nil, in)); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestAppendSeconds(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, "0"},
		{time.Unix(1795943965, 0), "1795943965"},
		{time.Unix(1795943965, 91775300), "1795943965.0917753"},
		{time.Unix(1, 500000000), "1.5"},
		{time.Unix(-1, 0), "-1"},
	} {
		if got := string(appendSeconds(nil, tt.t)); got != tt.want {
			t.Errorf("%v: %q, want %q", tt.t, got, tt.want)
		}
	}
}

func TestModeAndName(t *testing.T) {
	ino := uint64(12)
	vol := 1
	r := &casedb.FileRecord{Evidence: 2, Volume: &vol, Inode: &ino, Path: "/docs/a.txt", Type: casedb.TypeFile, Deleted: true,
		Extra: map[string]any{"ext_mode": "4755", "ext_realloc": true}}
	if got := mode(r); got != "r/rrwsr-xr-x" {
		t.Errorf("mode %q", got)
	}
	if got := Name(r, AttrMain); got != "E2/v1/docs/a.txt (deleted-realloc)" {
		t.Errorf("name %q", got)
	}
	r.Deleted, r.Stream = false, "secret"
	if got := Name(r, AttrMain); got != "E2/v1/docs/a.txt:secret" {
		t.Errorf("stream name %q", got)
	}
	if got := Name(r, AttrFileName); got != "E2/v1/docs/a.txt ($FILE_NAME)" {
		t.Errorf("$FILE_NAME name %q", got)
	}
	r.Volume = nil
	if got := Prefix(r); got != "E2" {
		t.Errorf("prefix %q", got)
	}
}

func TestRange(t *testing.T) {
	from, to := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	o := Options{From: from, To: to}
	for _, tt := range []struct {
		t  time.Time
		in bool
	}{
		{time.Time{}, false},
		{from, true},
		{from.Add(-time.Nanosecond), false},
		{to.Add(-time.Nanosecond), true},
		{to, false},
	} {
		if got := o.in(tt.t); got != tt.in {
			t.Errorf("%v: in %v, want %v", tt.t, got, tt.in)
		}
	}
	if macbString(8|2) != "m.c." || macbString(15) != "macb" || csvSafe("=cmd") != "'=cmd" || csvSafe("a\nb") != `a\nb` {
		t.Errorf("macb or csvSafe")
	}
}
