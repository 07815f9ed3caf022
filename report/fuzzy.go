package report

import (
	"fmt"

	"github.com/triagekit/triage/triage/casedb"
)

// ExtraString returns the string f.Extra[k] ("" when absent or not a
// string): the similarity digests "ssdeep" and "tlsh".
func ExtraString(f *casedb.FileRecord, k string) string {
	s, _ := f.Extra[k].(string)
	return s
}

// NearMatch describes f's near match against a fuzzy set
// (extra.fuzzy_match, docs/jsonl.md), or "" when it has none: "set
// (ssdeep score 99, digest ...)".
func NearMatch(f *casedb.FileRecord) string {
	m, _ := f.Extra["fuzzy_match"].(map[string]any)
	if m == nil {
		return ""
	}
	what := "score"
	if m["algorithm"] == "tlsh" {
		what = "distance"
	}
	return fmt.Sprintf("%v (%v %s %v, %v)", m["set"], m["algorithm"], what, m["score"], m["digest"])
}
