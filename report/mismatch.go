package report

import (
	"sort"

	"github.com/triagekit/triage/triage/casedb"
)

// TypeGroup is the records of a section whose content is of one detected
// type.
type TypeGroup struct {
	MIME    string               `json:"mime"`
	Records []*casedb.FileRecord `json:"records"`
}

// ByType returns the section's records grouped by detected type, the types
// in alphabetical order, the records of each in the section's order.
func (s *Section) ByType() []TypeGroup {
	idx := map[string]int{}
	var out []TypeGroup
	for _, f := range s.Records {
		i, ok := idx[f.MIME]
		if !ok {
			i = len(out)
			idx[f.MIME] = i
			out = append(out, TypeGroup{MIME: f.MIME})
		}
		out[i].Records = append(out[i].Records, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].MIME < out[j].MIME })
	return out
}

// MismatchReason is why a record's name and content disagree
// (extra.mismatch_reason, see docs/classification.md), or "" when the scan
// recorded none.
func MismatchReason(f *casedb.FileRecord) string {
	s, _ := f.Extra["mismatch_reason"].(string)
	return s
}
