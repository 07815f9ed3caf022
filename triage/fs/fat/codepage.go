package fat

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// CodePage is an OEM code page short names are decoded with: bytes below
// 0x80 are ASCII, the others are looked up.
type CodePage struct {
	Name string // "437"
	high [128]rune
}

// CP437 is the code page of the original IBM PC, the default.
var CP437 = codePages["437"]

// LookupCodePage returns the code page with the given number ("437",
// "850", "852", "866", "1252"; a "cp" prefix is accepted).
func LookupCodePage(name string) (*CodePage, bool) {
	cp, ok := codePages[strings.TrimPrefix(strings.ToLower(name), "cp")]
	return cp, ok
}

// CodePages returns the names of the code pages LookupCodePage knows.
func CodePages() []string {
	var n []string
	for k := range codePages {
		n = append(n, k)
	}
	slices.Sort(n)
	return n
}

// writeByte writes the character of byte c, lower-cased when lower is set
// (the NT case flags).
func (cp *CodePage) writeByte(s *strings.Builder, c byte, lower bool) {
	if c < 0x80 {
		if lower && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		s.WriteByte(c)
		return
	}
	r := cp.high[c-0x80]
	if lower {
		r = unicode.ToLower(r)
	}
	s.WriteRune(r)
}

// decode converts b with the code page.
func (cp *CodePage) decode(b []byte, lower bool) string {
	var s strings.Builder
	s.Grow(len(b) + utf8.UTFMax)
	for _, c := range b {
		cp.writeByte(&s, c, lower)
	}
	return s.String()
}
