package report

import (
	"context"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// TestMeaningFollowsTheCategory: what a match means in a report depends on
// the set's validated category, never on words in its name.
func TestMeaningFollowsTheCategory(t *testing.T) {
	c := newFixtureCase(t)
	runs, err := c.Runs(context.Background())
	if err != nil || len(runs) == 0 {
		t.Fatal(err)
	}
	want := map[string]string{
		"cards-fraud":           "Known-bad:",
		"badger-tools":          "Known-good:",
		"malware-cleanup-tools": "Known-good:",
		"good-ideas":            "Notable:",
	}
	for _, h := range []casedb.HashSetUse{
		{Name: "cards-fraud", Category: "known-bad"},
		{Name: "badger-tools", Category: "known-good"},
		{Name: "malware-cleanup-tools", Category: "known-good"},
		{Name: "good-ideas", Category: "notable"},
	} {
		if err := c.AddHashSetUse(context.Background(), runs[0].ID, h); err != nil {
			t.Fatal(err)
		}
	}
	r := buildFixture(t, c, Options{})
	seen := 0
	for _, hs := range r.HashSets {
		w, ok := want[hs.Name]
		if !ok {
			continue
		}
		seen++
		if !strings.HasPrefix(hs.Meaning, w) || strings.Contains(hs.Meaning, "NSRL reference data") {
			t.Errorf("set %q (%s): meaning %q, want %q...", hs.Name, hs.Category, hs.Meaning, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d sets in the report", seen, len(want))
	}
}
