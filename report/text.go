package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Visible makes a name safe to show to a reader: control characters,
// bidirectional overrides and other invisible format characters are shown as
// \uXXXX escapes, so that a hostile file name cannot hide or reorder text
// in a rendered report. Everything else is kept as is.
func Visible(s string) string {
	clean := true
	for _, r := range s {
		if hidden(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if hidden(r) {
			fmt.Fprintf(&b, `\u%04X`, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
}

// HumanBytes formats a byte count in IEC units with its exact value:
// "1.2 MiB (1,234,567 bytes)".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB (%s bytes)", float64(n)/float64(div), "KMGTPE"[exp], Thousands(n))
}

// Thousands formats n with comma thousands separators.
func Thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// CommandLine renders argv as one shell-quoted line.
func CommandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	safe := true
	for _, r := range s {
		if !(r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./=:,+@%", r))) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Flags lists the flags of a record as words: deleted, ADS stream, incomplete.
func Flags(deleted bool, stream string, complete bool, mismatch bool) string {
	var f []string
	if deleted {
		f = append(f, "deleted")
	}
	if stream != "" {
		f = append(f, "stream "+Visible(stream))
	}
	if mismatch {
		f = append(f, "extension mismatch")
	}
	if !complete {
		f = append(f, "incomplete")
	}
	return strings.Join(f, ", ")
}

// ShowName shows a name read from evidence as Visible does, and each byte
// that is not valid UTF-8 as a \xHH escape (two hex digits, upper case), so
// that names differing only in such bytes read differently (U+FFFD, which
// a replacement would show, looks the same for every byte).
func ShowName(s string) string {
	if utf8.ValidString(s) {
		return Visible(s)
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02X`, s[i])
		} else {
			b.WriteString(Visible(s[i : i+n]))
		}
		i += n
	}
	return b.String()
}
