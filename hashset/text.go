package hashset

import (
	"bytes"
	"errors"
	"fmt"
)

// ---- md5sum / sha1sum / sha256sum and BSD tags ----

// looksMD5sum reports whether l is a coreutils or BSD-tag line.
func looksMD5sum(l []byte) bool {
	_, err := parseMD5sumLine(l)
	return err == nil
}

func setupMD5sum(head [][]byte) (lineParser, int, error) {
	return func(l []byte, b *batch) error {
		if len(bytes.TrimSpace(l)) == 0 || l[0] == '#' {
			return errSkip
		}
		h, err := parseMD5sumLine(l)
		if err != nil {
			return err
		}
		return b.addAny(h)
	}, 0, nil
}

var bsdTags = map[string]Algorithm{"MD5": MD5, "SHA1": SHA1, "SHA256": SHA256}

// parseMD5sumLine returns the hex digest of a line `HASH  NAME`,
// `HASH *NAME` or `TAG (NAME) = HASH`, each optionally starting with the
// backslash that marks an escaped name.
func parseMD5sumLine(l []byte) ([]byte, error) {
	l = bytes.TrimPrefix(l, []byte{'\\'})
	// BSD tag
	if i := bytes.Index(l, []byte(" (")); i > 0 && i <= 10 && !isHex(l[:i]) {
		tag := string(l[:i])
		j := bytes.LastIndex(l, []byte(") = "))
		if j < i {
			return nil, fmt.Errorf("BSD tag line without \") = \"")
		}
		h := bytes.TrimSpace(l[j+4:])
		a, ok := bsdTags[tag]
		if !ok {
			// SHA512, SHA224, BLAKE2b...: not indexed
			return nil, fmt.Errorf("unsupported digest %q", tag)
		}
		if len(h) != 2*a.Size() || !isHex(h) {
			return nil, fmt.Errorf("%s tag with a bad digest %q", tag, trunc(h))
		}
		return h, nil
	}
	i := bytes.IndexByte(l, ' ')
	if i < 0 {
		return nil, fmt.Errorf("no space after the digest")
	}
	h := l[:i]
	if !isHex(h) || len(h) < 32 {
		return nil, fmt.Errorf("%q is not a hex digest", trunc(h))
	}
	if i+1 >= len(l) || (l[i+1] != ' ' && l[i+1] != '*') {
		return nil, fmt.Errorf("expected \"  NAME\" or \" *NAME\" after the digest")
	}
	if i+2 >= len(l) {
		return nil, fmt.Errorf("missing file name")
	}
	return h, nil
}

func trunc(b []byte) []byte {
	if len(b) > 72 {
		return append(b[:69:69], "..."...)
	}
	return b
}

// ---- plain lists (VirusShare, X-Ways) ----

// xwaysType recognises the X-Ways first line naming the hash type.
func xwaysType(l []byte) (Algorithm, bool) {
	switch string(bytes.ToUpper(bytes.TrimSpace(l))) {
	case "MD5":
		return MD5, true
	case "SHA-1", "SHA1":
		return SHA1, true
	case "SHA-256", "SHA256":
		return SHA256, true
	}
	return 0, false
}

func setupPlain(head [][]byte) (lineParser, int, error) {
	skip := 0
	fixed := false
	var alg Algorithm
	for i, l := range head {
		t := bytes.TrimSpace(bytes.TrimPrefix(l, utf8BOM))
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		if a, ok := xwaysType(t); ok {
			alg, fixed, skip = a, true, i+1
		}
		break
	}
	return func(l []byte, b *batch) error {
		t := bytes.TrimSpace(l)
		if len(t) == 0 || t[0] == '#' {
			return errSkip
		}
		if fixed {
			if len(t) != 2*alg.Size() || !b.addHex(alg, t) {
				return fmt.Errorf("%q is not a %s digest", trunc(t), alg)
			}
			return nil
		}
		return b.addAny(t)
	}, skip, nil
}

// ---- CSV-like formats ----

// splitCSV splits a line at sep, honouring double quotes (no embedded line
// breaks); quotes are removed from quoted fields, "" inside them is kept.
func splitCSV(l []byte, sep byte, out [][]byte) [][]byte {
	out = out[:0]
	for {
		if len(l) > 0 && l[0] == '"' {
			j := 1
			for j < len(l) {
				if l[j] == '"' {
					if j+1 < len(l) && l[j+1] == '"' {
						j += 2
						continue
					}
					break
				}
				j++
			}
			out = append(out, l[1:min(j, len(l))])
			l = l[min(j+1, len(l)):]
			if i := bytes.IndexByte(l, sep); i >= 0 {
				l = l[i+1:]
				continue
			}
			return out
		}
		i := bytes.IndexByte(l, sep)
		if i < 0 {
			return append(out, l)
		}
		out = append(out, l[:i])
		l = l[i+1:]
	}
}

// csvHashColumns finds the columns of a header line naming digests.
func csvHashColumns(l []byte) (map[int]Algorithm, bool) {
	sep := csvSep(l)
	cols := map[int]Algorithm{}
	for i, f := range splitCSV(bytes.TrimPrefix(l, utf8BOM), sep, nil) {
		n := bytes.ToLower(bytes.TrimSpace(f))
		n = bytes.ReplaceAll(bytes.ReplaceAll(n, []byte("-"), nil), []byte("_"), nil)
		switch string(n) {
		case "md5", "md5hash", "hashmd5":
			cols[i] = MD5
		case "sha1", "sha1hash", "hashsha1":
			cols[i] = SHA1
		case "sha256", "sha2256", "sha256hash", "hashsha256":
			cols[i] = SHA256
		}
	}
	return cols, len(cols) > 0
}

func csvSep(l []byte) byte {
	switch {
	case bytes.IndexByte(l, ',') >= 0:
		return ','
	case bytes.IndexByte(l, '\t') >= 0:
		return '\t'
	case bytes.IndexByte(l, ';') >= 0:
		return ';'
	}
	return ','
}

// csvParser reads the digest columns cols of each row.
func csvParser(cols map[int]Algorithm, sep byte) lineParser {
	maxCol := 0
	for i := range cols {
		maxCol = max(maxCol, i)
	}
	type col struct {
		i int
		a Algorithm
	}
	var cs []col
	for i, a := range cols {
		cs = append(cs, col{i, a})
	}
	return func(l []byte, b *batch) error {
		if len(bytes.TrimSpace(l)) == 0 {
			return errSkip
		}
		var fields [16][]byte
		f := splitCSV(l, sep, fields[:0])
		if len(f) <= maxCol {
			return fmt.Errorf("%d fields, expected at least %d", len(f), maxCol+1)
		}
		got := 0
		for _, c := range cs {
			v := bytes.TrimSpace(f[c.i])
			if len(v) == 0 {
				continue
			}
			if len(v) != 2*c.a.Size() || !b.addHex(c.a, v) {
				return fmt.Errorf("column %d: %q is not a %s digest", c.i+1, trunc(v), c.a)
			}
			got++
		}
		if got == 0 {
			return errors.New("no digest in the row")
		}
		return nil
	}
}

func firstContentLine(head [][]byte) (int, []byte) {
	for i, l := range head {
		if len(bytes.TrimSpace(l)) > 0 {
			return i, bytes.TrimPrefix(l, utf8BOM)
		}
	}
	return -1, nil
}

func setupCSV(head [][]byte) (lineParser, int, error) {
	i, l := firstContentLine(head)
	if i < 0 {
		return nil, 0, errors.New("no header line")
	}
	cols, ok := csvHashColumns(l)
	if !ok {
		return nil, 0, fmt.Errorf("the header %q names no md5, sha1 or sha256 column", trunc(l))
	}
	return csvParser(cols, csvSep(l)), i + 1, nil
}

// setupNSRLText reads NSRLFile.txt of RDS 2.x ("SHA-1","MD5",...) and 1.5
// ("SHA-1","FileName",...,"MD5",...).
func setupNSRLText(head [][]byte) (lineParser, int, error) {
	i, l := firstContentLine(head)
	if i < 0 || !bytes.HasPrefix(l, []byte(`"SHA-1",`)) {
		return nil, 0, errors.New(`the first line is not the NSRLFile.txt header (it starts "SHA-1",)`)
	}
	cols, _ := csvHashColumns(l)
	return csvParser(cols, ','), i + 1, nil
}

// setupHashKeeper reads a HashKeeper .hsh file: MD5 in field "hash".
func setupHashKeeper(head [][]byte) (lineParser, int, error) {
	i, l := firstContentLine(head)
	if i < 0 || !bytes.HasPrefix(l, []byte(`"file_id","hashset_id","file_name","directory","hash"`)) {
		return nil, 0, errors.New(`the first line is not the HashKeeper header (it starts "file_id","hashset_id","file_name","directory","hash")`)
	}
	return csvParser(map[int]Algorithm{4: MD5}, ','), i + 1, nil
}

// ---- hashdeep ----

func setupHashdeep(head [][]byte) (lineParser, int, error) {
	if len(head) < 2 || !bytes.HasPrefix(bytes.TrimPrefix(head[0], utf8BOM), []byte("%%%% HASHDEEP-1.0")) {
		return nil, 0, errors.New("the first line is not \"%%%% HASHDEEP-1.0\"")
	}
	h := head[1]
	if !bytes.HasPrefix(h, []byte("%%%% ")) {
		return nil, 0, errors.New("the second line is not the \"%%%% size,...,filename\" column list")
	}
	names := bytes.Split(bytes.TrimSpace(h[5:]), []byte(","))
	if len(names) < 3 || string(names[0]) != "size" || string(names[len(names)-1]) != "filename" {
		return nil, 0, fmt.Errorf("column list %q does not start with size and end with filename", h[5:])
	}
	cols := map[int]Algorithm{}
	for i, n := range names {
		if a, ok := ParseAlgorithm(string(n)); ok {
			cols[i] = a
		}
	}
	if len(cols) == 0 {
		return nil, 0, fmt.Errorf("column list %q has no md5, sha1 or sha256", h[5:])
	}
	ncol := len(names)
	return func(l []byte, b *batch) error {
		if len(bytes.TrimSpace(l)) == 0 || l[0] == '#' || bytes.HasPrefix(l, []byte("%%%%")) {
			return errSkip
		}
		// the file name (last) may contain commas: split the first ncol-1 only
		var fields [16][]byte
		f := fields[:0]
		rest := l
		for len(f) < ncol-1 {
			i := bytes.IndexByte(rest, ',')
			if i < 0 {
				return fmt.Errorf("%d fields, expected %d", len(f)+1, ncol)
			}
			f = append(f, rest[:i])
			rest = rest[i+1:]
		}
		got := 0
		for i, a := range cols {
			v := f[i]
			if len(v) == 0 {
				continue
			}
			if len(v) != 2*a.Size() || !b.addHex(a, v) {
				return fmt.Errorf("%s column: %q is not a digest", a, trunc(v))
			}
			got++
		}
		if got == 0 {
			return errors.New("no digest in the row")
		}
		return nil
	}, 2, nil
}
