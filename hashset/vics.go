package hashset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// vicsRecord is a Project VIC / CAID OData media record, or a case record
// holding media.
type vicsRecord struct {
	MD5               string       `json:"MD5"`
	SHA1              string       `json:"SHA1"`
	SHA256            string       `json:"SHA256"`
	Category          *json.Number `json:"Category"`
	AlternativeHashes []struct {
		HashName  string `json:"HashName"`
		HashValue string `json:"HashValue"`
	} `json:"AlternativeHashes"`
	Media []vicsRecord `json:"Media"`
}

// parseVICS streams the "value" array of a Project VIC / CAID JSON file one
// record at a time; categories are counted into cats.
func parseVICS(ctx context.Context, r io.Reader, name string, cats map[string]int64, emit consumer) (*sourceStats, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%s: not a JSON object at byte %#x", name, dec.InputOffset())
	}
	st := &sourceStats{}
	b := &batch{}
	sawValue := false
	var n int64
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%s: %w at byte %#x", name, err, dec.InputOffset())
		}
		key, _ := kt.(string)
		if key != "value" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, fmt.Errorf("%s: %w at byte %#x", name, err, dec.InputOffset())
			}
			continue
		}
		sawValue = true
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil, fmt.Errorf("%s: \"value\" is not an array at byte %#x", name, dec.InputOffset())
		}
		for dec.More() {
			n++
			var rec vicsRecord
			if err := dec.Decode(&rec); err != nil {
				var se *json.SyntaxError
				if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
					return nil, fmt.Errorf("%s: record %d: %w at byte %#x", name, n, err, dec.InputOffset())
				}
				b.problem(name, "record", n, err)
				continue
			}
			if err := addVICS(b, &rec, cats); err != nil {
				b.problem(name, "record", n, err)
			} else {
				b.records++
			}
			if n%nsrlBatchRows == 0 {
				st.merge(b)
				if err := emit(b); err != nil {
					return nil, err
				}
				b.reset()
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
		}
		if _, err := dec.Token(); err != nil {
			return nil, fmt.Errorf("%s: %w at byte %#x", name, err, dec.InputOffset())
		}
	}
	if !sawValue {
		return nil, fmt.Errorf("%s: a JSON object without the OData \"value\" array of Project VIC / CAID", name)
	}
	st.merge(b)
	if err := emit(b); err != nil {
		return nil, err
	}
	return st, nil
}

func addVICS(b *batch, rec *vicsRecord, cats map[string]int64) error {
	var saved [numAlgorithms]int
	for a := range saved {
		saved[a] = len(b.d[a])
	}
	got := 0
	add := func(a Algorithm, v string) error {
		if v == "" {
			return nil
		}
		if len(v) != 2*a.Size() || !b.addHex(a, []byte(v)) {
			return fmt.Errorf("%s: %q is not a digest", a, trunc([]byte(v)))
		}
		got++
		return nil
	}
	err := errors.Join(add(MD5, rec.MD5), add(SHA1, rec.SHA1), add(SHA256, rec.SHA256))
	for _, h := range rec.AlternativeHashes {
		if a, ok := ParseAlgorithm(h.HashName); ok && err == nil {
			err = add(a, h.HashValue)
		}
	}
	for i := range rec.Media {
		if err == nil {
			err = addVICS(b, &rec.Media[i], cats)
			if err == nil {
				got++
			}
		}
	}
	if err == nil && got == 0 {
		err = errors.New("no digest in the record")
	}
	if err != nil {
		for a := range saved {
			b.d[a] = b.d[a][:saved[a]]
		}
		return err
	}
	if rec.Category != nil && cats != nil && len(rec.Media) == 0 {
		cats[rec.Category.String()]++
	}
	return nil
}
