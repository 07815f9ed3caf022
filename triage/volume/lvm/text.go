package lvm

import (
	"fmt"
	"strconv"
)

// Limits of the metadata text parser.
const (
	maxDepth = 16     // nested sections
	maxItems = 100000 // values, sections and list elements in one text
)

// section is a parsed { } block of the metadata text: its values and
// subsections in order of appearance.
type section struct {
	name  string
	off   int64 // where its name starts in the text
	vals  map[string]value
	subs  []*section
	order []string // value names in order, for duplicates
}

// value is a number, a string or a list of them.
type value struct {
	num  int64
	str  string
	list []value
	kind byte // 'n' number, 's' string, 'l' list, 'f' other number (float)
	off  int64
}

func (s *section) sub(name string) *section {
	for _, c := range s.subs {
		if c.name == name {
			return c
		}
	}
	return nil
}

func (s *section) str(name string) string {
	if v, ok := s.vals[name]; ok && v.kind == 's' {
		return v.str
	}
	return ""
}

func (s *section) num(name string) (int64, bool) {
	v, ok := s.vals[name]
	if !ok || v.kind != 'n' {
		return 0, false
	}
	return v.num, true
}

// strings returns a list of strings, skipping other elements.
func (s *section) strings(name string) []string {
	var out []string
	for _, v := range s.vals[name].list {
		if v.kind == 's' {
			out = append(out, v.str)
		}
	}
	return out
}

// parser reads lvm2's configuration syntax: "name = value", "name {
// ... }", values being integers, "strings" (with \" and \\ escapes) and
// [lists]; "#" starts a comment that runs to the end of the line.
type parser struct {
	b     []byte
	p     int
	items int
}

// parseText parses a metadata text into its top-level section.
func parseText(b []byte) (*section, error) {
	ps := &parser{b: b}
	top := &section{vals: map[string]value{}}
	if err := ps.body(top, 0, false); err != nil {
		return nil, err
	}
	return top, nil
}

func (ps *parser) errf(format string, a ...any) error {
	return &FormatError{int64(ps.p), "metadata text: " + fmt.Sprintf(format, a...)}
}

func (ps *parser) skip() {
	for ps.p < len(ps.b) {
		switch c := ps.b[ps.p]; {
		case c == '#':
			for ps.p < len(ps.b) && ps.b[ps.p] != '\n' {
				ps.p++
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == 0:
			ps.p++
		default:
			return
		}
	}
}

func identChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '+'
}

// body reads the values and subsections of s up to its closing brace (or
// the end of the text at the top level).
func (ps *parser) body(s *section, depth int, closed bool) error {
	for {
		ps.skip()
		if ps.p >= len(ps.b) {
			if closed {
				return ps.errf("section %q is not closed", s.name)
			}
			return nil
		}
		if ps.b[ps.p] == '}' {
			if !closed {
				return ps.errf("unexpected }")
			}
			ps.p++
			return nil
		}
		if ps.items++; ps.items > maxItems {
			return ps.errf("more than %d items", maxItems)
		}
		start := ps.p
		for ps.p < len(ps.b) && identChar(ps.b[ps.p]) {
			ps.p++
		}
		if ps.p == start {
			return ps.errf("unexpected character %q", ps.b[ps.p])
		}
		name := string(ps.b[start:ps.p])
		ps.skip()
		if ps.p >= len(ps.b) {
			return ps.errf("%q has no value", name)
		}
		switch ps.b[ps.p] {
		case '{':
			if depth >= maxDepth {
				return ps.errf("sections nested deeper than %d", maxDepth)
			}
			ps.p++
			c := &section{name: name, off: int64(start), vals: map[string]value{}}
			if err := ps.body(c, depth+1, true); err != nil {
				return err
			}
			s.subs = append(s.subs, c)
		case '=':
			ps.p++
			v, err := ps.value(true)
			if err != nil {
				return err
			}
			if _, dup := s.vals[name]; !dup {
				s.order = append(s.order, name)
			}
			s.vals[name] = v
		default:
			return ps.errf("expected = or { after %q", name)
		}
	}
}

func (ps *parser) value(listOK bool) (value, error) {
	ps.skip()
	if ps.p >= len(ps.b) {
		return value{}, ps.errf("missing value")
	}
	v := value{off: int64(ps.p)}
	switch c := ps.b[ps.p]; {
	case c == '"':
		ps.p++
		var s []byte
		for {
			if ps.p >= len(ps.b) {
				return value{}, ps.errf("string not closed")
			}
			c := ps.b[ps.p]
			ps.p++
			if c == '"' {
				break
			}
			if c == '\\' && ps.p < len(ps.b) {
				c = ps.b[ps.p]
				ps.p++
			}
			s = append(s, c)
		}
		v.kind, v.str = 's', string(s)
	case c == '[' && listOK:
		ps.p++
		v.kind = 'l'
		for {
			ps.skip()
			if ps.p < len(ps.b) && ps.b[ps.p] == ']' {
				ps.p++
				break
			}
			if len(v.list) > 0 {
				if ps.p >= len(ps.b) || ps.b[ps.p] != ',' {
					return value{}, ps.errf("expected , or ] in a list")
				}
				ps.p++
			}
			if ps.items++; ps.items > maxItems {
				return value{}, ps.errf("more than %d items", maxItems)
			}
			e, err := ps.value(false)
			if err != nil {
				return value{}, err
			}
			v.list = append(v.list, e)
		}
	case c == '-' || c >= '0' && c <= '9':
		start := ps.p
		ps.p++
		for ps.p < len(ps.b) && (ps.b[ps.p] >= '0' && ps.b[ps.p] <= '9' || ps.b[ps.p] == '.') {
			ps.p++
		}
		tok := string(ps.b[start:ps.p])
		if n, err := strconv.ParseInt(tok, 10, 64); err == nil {
			v.kind, v.num = 'n', n
		} else if _, err := strconv.ParseFloat(tok, 64); err == nil {
			v.kind = 'f'
		} else {
			ps.p = start
			return value{}, ps.errf("bad number %q", tok)
		}
	default:
		return value{}, ps.errf("unexpected character %q in a value", c)
	}
	return v, nil
}
