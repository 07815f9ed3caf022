package casedb

import (
	"slices"
	"strconv"
	"time"
)

// The writer stores a few values per record as text: times and the Extra
// map as JSON. These encoders give exactly what time.Format(RFC3339Nano) and
// encoding/json give (tests compare them on random input) at a fraction of
// the cost, and fall back to those for anything unusual.

// appendTime appends t (already UTC) as RFC 3339 with nanoseconds, trailing
// zeros of the fraction dropped, as time.RFC3339Nano formats it.
func appendTime(b []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(b, time.RFC3339Nano)
	}
	h, mi, s := t.Clock()
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+int(mo)/10), byte('0'+int(mo)%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		var f [10]byte
		f[0] = '.'
		for i := 9; i >= 1; i-- {
			f[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for f[n-1] == '0' {
			n--
		}
		b = append(b, f[:n]...)
	}
	return append(b, 'Z')
}

// safeJSONString tells whether s is encoded by encoding/json as itself in
// quotes: printable ASCII without the characters it escapes.
func safeJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// appendJSONValue appends v as encoding/json encodes it, for the types the
// sources put in Extra; ok is false for any other type or content.
func appendJSONValue(b []byte, v any) ([]byte, bool) {
	switch x := v.(type) {
	case string:
		if !safeJSONString(x) {
			return b, false
		}
		b = append(b, '"')
		b = append(b, x...)
		return append(b, '"'), true
	case bool:
		return strconv.AppendBool(b, x), true
	case int:
		return strconv.AppendInt(b, int64(x), 10), true
	case int64:
		return strconv.AppendInt(b, x, 10), true
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true
	case uint64:
		return strconv.AppendUint(b, x, 10), true
	case []string:
		if x == nil {
			return append(b, "null"...), true
		}
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			var ok bool
			if b, ok = appendJSONValue(b, s); !ok {
				return b, false
			}
		}
		return append(b, ']'), true
	}
	return b, false
}

// extraJSON encodes an Extra map as encoding/json does (keys sorted).
func extraJSON(m map[string]any) string {
	keys := make([]string, 0, 16)
	for k := range m {
		if !safeJSONString(k) {
			return mustJSON(m)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 64*len(keys))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, '"', ':')
		var ok bool
		if b, ok = appendJSONValue(b, m[k]); !ok {
			return mustJSON(m)
		}
	}
	return string(append(b, '}'))
}
