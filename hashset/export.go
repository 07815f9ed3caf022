package hashset

import (
	"bufio"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// ExportFormats lists the formats Export writes.
var ExportFormats = []string{"md5sum", "sha1sum", "sha256sum", "plain", "hashdeep", "stix", "misp"}

// exportNamespace is the UUIDv5 namespace of the identifiers Export derives
// from set names and digests, so that exporting twice gives the same file.
var exportNamespace = [16]byte{0x6f, 0x1d, 0x3b, 0x52, 0x0e, 0x5c, 0x4d, 0x8a, 0x9b, 0x21, 0x7c, 0x44, 0x19, 0xa0, 0x53, 0xe7}

// uuid5 returns a name-based (SHA-1) UUID in exportNamespace.
func uuid5(name string) string {
	h := sha1.New()
	h.Write(exportNamespace[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	x := hex.EncodeToString(u)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// Export writes the digests of s in format. Names are not stored in an
// index, so line formats that need one carry the set name. md5sum, sha1sum
// and sha256sum export one algorithm; plain, hashdeep, stix and misp export
// every algorithm the set holds.
func (s *Set) Export(w io.Writer, format string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var err error
	switch format {
	case "md5sum", "sha1sum", "sha256sum":
		a := map[string]Algorithm{"md5sum": MD5, "sha1sum": SHA1, "sha256sum": SHA256}[format]
		if s.Count(a) == 0 {
			return fmt.Errorf("set %q holds no %s digests", s.Name, a)
		}
		err = s.eachHex(a, func(h string) error {
			_, err := fmt.Fprintf(bw, "%s  %s\n", h, s.Name)
			return err
		})
	case "plain":
		for _, a := range Algorithms {
			if err == nil {
				err = s.eachHex(a, func(h string) error { _, err := fmt.Fprintln(bw, h); return err })
			}
		}
	case "hashdeep":
		// hashdeep rows need a size; it is unknown, so the column list
		// holds the digest only, one block per algorithm is not allowed by
		// the format: export the strongest algorithm present.
		a := s.strongest()
		fmt.Fprintf(bw, "%%%%%%%% HASHDEEP-1.0\n%%%%%%%% size,%s,filename\n## triage hash set %s (%s)\n##\n", a, s.Name, s.Category)
		err = s.eachHex(a, func(h string) error {
			_, err := fmt.Fprintf(bw, ",%s,%s\n", h, s.Name)
			return err
		})
	case "stix":
		err = s.exportSTIX(bw)
	case "misp":
		err = s.exportMISP(bw)
	default:
		return fmt.Errorf("unknown export format %q: use one of %s", format, strings.Join(ExportFormats, ", "))
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func (s *Set) strongest() Algorithm {
	for _, a := range []Algorithm{SHA256, SHA1, MD5} {
		if s.Count(a) > 0 {
			return a
		}
	}
	return MD5
}

func (s *Set) eachHex(a Algorithm, fn func(string) error) error {
	var ferr error
	err := s.Digests(a, func(d []byte) bool {
		ferr = fn(hex.EncodeToString(d))
		return ferr == nil
	})
	if err != nil {
		return err
	}
	return ferr
}

func (s *Set) stamp() time.Time {
	if s.Imported.IsZero() {
		return time.Unix(0, 0).UTC()
	}
	return s.Imported.UTC()
}

// jsonList streams values as the elements of a JSON array, one per line.
type jsonList struct {
	w *bufio.Writer
	n int
}

func (l *jsonList) add(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if l.n > 0 {
		l.w.WriteByte(',')
	}
	l.n++
	l.w.WriteByte('\n')
	_, err = l.w.Write(b)
	return err
}

var stixKey = map[Algorithm]string{MD5: "MD5", SHA1: "'SHA-1'", SHA256: "'SHA-256'"}

func (s *Set) exportSTIX(w *bufio.Writer) error {
	ts := s.stamp().Format("2006-01-02T15:04:05.000Z")
	itype := map[string]string{KnownBad: "malicious-activity", Notable: "anomalous-activity", KnownGood: "benign"}[s.Category]
	fmt.Fprintf(w, `{"type":"bundle","id":"bundle--%s","objects":[`, uuid5("bundle/"+s.Name+"/"+s.HeaderSHA256))
	list := jsonList{w: w}
	for _, a := range Algorithms {
		err := s.eachHex(a, func(h string) error {
			obj := map[string]any{
				"type": "indicator", "spec_version": "2.1",
				"id":      "indicator--" + uuid5(s.Name+"/"+a.String()+"/"+h),
				"created": ts, "modified": ts, "valid_from": ts,
				"name":            fmt.Sprintf("%s %s of hash set %s", a, h, s.Name),
				"indicator_types": []string{itype},
				"pattern":         fmt.Sprintf("[file:hashes.%s = '%s']", stixKey[a], h),
				"pattern_type":    "stix",
			}
			if s.Description != "" {
				obj["description"] = s.Description
			}
			return list.add(obj)
		})
		if err != nil {
			return err
		}
	}
	_, err := w.WriteString("\n]}\n")
	return err
}

func (s *Set) exportMISP(w *bufio.Writer) error {
	t := s.stamp()
	ts := strconv.FormatInt(t.Unix(), 10)
	info := "triage hash set " + s.Name + " (" + s.Category + ")"
	if s.Description != "" {
		info += ": " + s.Description
	}
	info = strings.ReplaceAll(info, "\n", " ")
	if len(info) > 256 {
		info = info[:256]
	}
	ev := map[string]any{
		"uuid": uuid5("misp/" + s.Name + "/" + s.HeaderSHA256), "info": info, "date": t.Format("2006-01-02"),
		"timestamp": ts, "published": false, "threat_level_id": "4", "analysis": "2", "distribution": "0",
	}
	if s.Category == KnownBad {
		ev["threat_level_id"] = "1"
	}
	head, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	// stream the attribute array into the event object
	w.WriteString(`{"Event":`)
	w.Write(head[:len(head)-1])
	w.WriteString(`,"Attribute":[`)
	list := jsonList{w: w}
	toIDS := s.Category == KnownBad
	category := "Payload delivery"
	if s.Category == KnownGood {
		category = "External analysis"
	}
	for _, a := range Algorithms {
		err := s.eachHex(a, func(h string) error {
			return list.add(map[string]any{
				"uuid": uuid5("misp/" + s.Name + "/" + a.String() + "/" + h), "type": a.String(), "category": category,
				"to_ids": toIDS, "distribution": "5", "timestamp": ts, "deleted": false, "value": h,
				"comment": "triage hash set " + s.Name,
			})
		})
		if err != nil {
			return err
		}
	}
	_, err = w.WriteString("\n]}}\n")
	return err
}
