package casework

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSafeName: whatever name the evidence holds, the name written is
// valid UTF-8, not empty, not "." or "..", without a byte a common file
// system refuses, without a trailing dot or space, and at most
// maxComponent bytes.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"", ".", "..", "a:b.txt", "con.txt", "CON", "lpt1.tar.gz", "bad\xffname", "new\nline",
		"trailing. ", strings.Repeat("é", 150), strings.Repeat("a", 300) + ".txt", "日本語.txt", "<img src=x>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeName(s)
		switch {
		case !utf8.ValidString(got):
			t.Fatalf("%q: invalid UTF-8 %q", s, got)
		case got == "" || got == "." || got == "..":
			t.Fatalf("%q: %q", s, got)
		case len(got) > maxComponent:
			t.Fatalf("%q: %d bytes", s, len(got))
		case strings.ContainsAny(got, "<>:\"/\\|?*\x7f"):
			t.Fatalf("%q: %q", s, got)
		case strings.HasSuffix(got, ".") || strings.HasSuffix(got, " "):
			t.Fatalf("%q: trailing dot or space in %q", s, got)
		}
		for _, r := range got {
			if r < 0x20 {
				t.Fatalf("%q: control character in %q", s, got)
			}
		}
		stem := strings.ToLower(got)
		if i := strings.IndexByte(stem, '.'); i >= 0 {
			stem = stem[:i]
		}
		if reserved[strings.TrimRight(stem, " ")] {
			t.Fatalf("%q: device name %q", s, got)
		}
	})
}

// FuzzParseAddress: any argument parses or fails without a panic; an
// address that parses prints back as a form that parses to itself.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"36", "36-128", "36-128-4", "70-128-5", "1-2-3-4", "-", "--", "99999999999999999999999",
		"/docs/a.txt", "docs/a.txt:secret", "36-144", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		b, err := ParseAddress(a.String())
		if err != nil || a != b {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, a, a.String(), b, err)
		}
	})
}
