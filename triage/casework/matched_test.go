package casework

import (
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// TestMatchedTextNearMatch: the MATCHED column names exact sets and a near
// match of a similarity digest, with its algorithm and score.
func TestMatchedTextNearMatch(t *testing.T) {
	for _, c := range []struct {
		r    casedb.FileRecord
		want string
	}{
		{casedb.FileRecord{}, "-"},
		{casedb.FileRecord{Hashsets: []string{"bad"}}, "bad"},
		{casedb.FileRecord{Extra: map[string]any{"fuzzy_match": map[string]any{"set": "agency", "algorithm": "ssdeep", "score": float64(99)}}}, "agency:ssdeep~99"},
		{casedb.FileRecord{Hashsets: []string{"bad"}, Extra: map[string]any{"fuzzy_match": map[string]any{"set": "near", "algorithm": "tlsh", "score": float64(12)}}}, "bad,near:tlsh~12"},
	} {
		if got := MatchedText(&c.r); got != c.want {
			t.Errorf("MatchedText(%+v) = %q, want %q", c.r, got, c.want)
		}
	}
}
