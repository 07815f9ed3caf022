package report

import (
	"fmt"

	"sort"
	"strings"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// provenanceLabels name the details a hash set's use records.
var provenanceLabels = map[string]string{
	"description": "Description", "version": "Version", "source": "Source", "path": "Index file",
	"hashes": "Entries", "sha256": "File SHA-256", "index_sha256": "Index SHA-256", "tool": "Imported by",
	"index_format_version": "Index format version", "hashset_file": "Given for this scan only (--hashset-file)",
	"built_in": "Built into triage",
}

// digestLabels name digest algorithms as reports show them.
var digestLabels = map[string]string{"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "blake3": "BLAKE3"}

// HashSetRows returns the provenance of a hash set as labelled rows in
// plain words: what it is, what a match means, its source files with
// their SHA-256 (one row per digest), the number of entries per digest,
// when and by which triage it was imported. mono tells the rows whose
// value is a digest.
func (r *Report) HashSetRows(h HashSet) []ProvenanceRow {
	rows := []ProvenanceRow{{Label: "Category and what a match means", Value: h.Meaning}}
	d := h.raw
	if d == nil {
		for _, kv := range h.Details {
			rows = append(rows, ProvenanceRow{Label: label(kv.Key), Value: kv.Value, Mono: strings.HasSuffix(kv.Key, "sha256")})
		}
		return rows
	}
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if v, ok := d["description"].(string); ok && v != "" {
		rows = append(rows, ProvenanceRow{Label: "Description", Value: v})
	}
	if srcs, ok := d["sources"].([]any); ok {
		for i, s := range srcs {
			m, _ := s.(map[string]any)
			if m == nil {
				continue
			}
			n := ""
			if len(srcs) > 1 {
				n = fmt.Sprintf(" %d", i+1)
			}
			desc := fmt.Sprint(m["name"])
			var facts []string
			if f, ok := m["format"].(string); ok && f != "" {
				facts = append(facts, f+" format")
			}
			if sz, ok := m["size"].(float64); ok {
				facts = append(facts, HumanBytes(int64(sz)))
			}
			if rc, ok := m["records"].(float64); ok {
				facts = append(facts, plural(int64(rc), "entry read", "entries read"))
			}
			if mf, ok := m["malformed"].(float64); ok && mf > 0 {
				facts = append(facts, plural(int64(mf), "malformed line skipped", "malformed lines skipped"))
			}
			if len(facts) > 0 {
				desc += " (" + strings.Join(facts, ", ") + ")"
			}
			rows = append(rows, ProvenanceRow{Label: "Source file" + n, Value: desc})
			if sh, ok := m["sha256"].(string); ok && sh != "" {
				rows = append(rows, ProvenanceRow{Label: "Source file" + n + " SHA-256", Value: sh, Mono: true})
			}
		}
	}
	if c, ok := d["counts"].(map[string]any); ok {
		var parts []string
		for _, a := range []string{"md5", "sha1", "sha256", "blake3"} {
			if v, ok := c[a].(float64); ok {
				parts = append(parts, fmt.Sprintf("%s: %s", digestLabels[a], Thousands(int64(v))))
			}
		}
		rows = append(rows, ProvenanceRow{Label: "Entries per digest", Value: strings.Join(parts, ", ")})
	}
	if v, ok := d["imported"].(string); ok && v != "" {
		by := ""
		if t, ok := d["tool"].(string); ok && t != "" {
			by = " by " + t
		}
		rows = append(rows, ProvenanceRow{Label: "Imported", Value: r.Time(v) + by})
	}
	for _, k := range keys {
		switch k {
		case "description", "sources", "counts", "imported", "tool":
			continue
		}
		v := d[k]
		if b, ok := v.(bool); ok {
			if !b {
				continue
			}
			rows = append(rows, ProvenanceRow{Label: label(k), Value: "yes"})
			continue
		}
		for _, kv := range flattenValue(k, v) {
			rows = append(rows, ProvenanceRow{Label: label(kv.Key), Value: kv.Value, Mono: strings.HasSuffix(kv.Key, "sha256")})
		}
	}
	return rows
}

// ProvenanceRow is one labelled row of a hash set's provenance.
type ProvenanceRow struct {
	Label, Value string
	Mono         bool // a digest: shown whole in a monospaced face
}

func label(k string) string {
	if l, ok := provenanceLabels[k]; ok {
		return l
	}
	k = strings.ReplaceAll(strings.ReplaceAll(k, "_", " "), ".", " ")
	if k == "" {
		return k
	}
	return strings.ToUpper(k[:1]) + k[1:]
}

// setDigests returns, for each hash set, the digests it holds entries of
// (from the counts its use records); nil for a set that records none.
func (r *Report) setDigests() map[string][]string {
	m := map[string][]string{}
	for _, h := range r.HashSets {
		c, _ := h.raw["counts"].(map[string]any)
		for _, a := range []string{"md5", "sha1", "sha256", "blake3"} {
			if v, ok := c[a].(float64); ok && v > 0 {
				m[h.Name] = append(m[h.Name], a)
			}
		}
	}
	return m
}

// matchedOn names, for each set a hit record matched, the digest that
// matched: the digests the record has and the set holds. A set holding
// several of them is named with each ("MD5 or SHA-256").
//
// A record of a case that records its match (extra.hash_match, recorded
// at match time by a scan or `triage match`) is named from it: the digest
// that matched each set and when the latest match was made. Records of
// older cases fall back to the digests the record and the set both have.
func (r *Report) matchedOn(f *casedb.FileRecord, sets map[string][]string) string {
	if m := f.HashMatch(); m != nil && len(m.Hits) > 0 {
		var out []string
		for _, h := range m.Hits {
			if l := digestLabels[h.Algorithm]; l != "" {
				out = append(out, h.Set+" (matched on "+l+")")
			} else {
				out = append(out, h.Set)
			}
		}
		s := strings.Join(out, ", ")
		if m.At != "" {
			s += "; matched " + r.Time(m.At)
		}
		return s
	}
	return matchedOn(f, sets)
}

// matchedOn is Report.matchedOn for a record that records no match.
func matchedOn(f *casedb.FileRecord, sets map[string][]string) string {
	have := map[string]string{"md5": f.MD5, "sha1": f.SHA1, "sha256": f.SHA256, "blake3": f.BLAKE3}
	var out []string
	for _, name := range f.Hashsets {
		var on []string
		for _, a := range sets[name] {
			if have[a] != "" {
				on = append(on, digestLabels[a])
			}
		}
		if len(on) == 0 {
			out = append(out, name)
			continue
		}
		out = append(out, name+" (matched on "+strings.Join(on, " or ")+")")
	}
	return strings.Join(out, ", ")
}

// latestMatch tells the latest match of records against hash sets that
// the custody log records ("records matched", `triage match`): when, by
// which run, over which evidence item, and how many records it changed.
func (r *Report) latestMatch() string {
	for i := len(r.Custody.Events) - 1; i >= 0; i-- {
		e := r.Custody.Events[i]
		if e.Action != custody.ActionRecordsMatched {
			continue
		}
		num := func(k string) int64 { f, _ := e.Details[k].(float64); return int64(f) }
		return fmt.Sprintf("Latest match of the records against the hash sets without reading the evidence: %s (run %d, evidence item %d, custody event %d); %s changed.",
			r.Time(e.Time), num("run"), num("evidence"), e.Seq, plural(num("records_changed"), "record", "records"))
	}
	return ""
}
