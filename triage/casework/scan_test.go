package casework

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// fixedEnv makes custody events deterministic for a test.
func fixedEnv(t *testing.T) *Env {
	t.Helper()
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	t.Setenv(EnvExaminer, "")
	return &Env{Now: func() time.Time { at = at.Add(time.Second); return at }, Host: "lab-ws-01"}
}

func actions(ev []custody.Event) string {
	var a []string
	for _, e := range ev {
		a = append(a, e.Action)
	}
	return strings.Join(a, ", ")
}

func TestScanCustodyEvents(t *testing.T) {
	env := fixedEnv(t)
	dir := filepath.Join(t.TempDir(), "case")
	c, _, err := env.OpenCase(context.Background(), dir, HeaderChanges{"examiner": "A. Smith"}, "A. Smith")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	sc := &scanCustody{env: env, dir: dir, actor: "A. Smith"}
	// finished without a recorded start records nothing
	if err := sc.finished(1, 1, "complete", 0, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	ev := &casedb.Evidence{ID: 1, Source: "/ev", Type: "folder", CommandLine: []string{"triage", "scan"}}
	if err := sc.onEvidence(ev, 1, false); err != nil {
		t.Fatal(err)
	}
	if err := sc.finished(1, 1, "interrupted", 10, 100, 0, 0); err != nil {
		t.Fatal(err)
	}
	// a resumed scan adds no second "evidence added"
	if err := sc.onEvidence(ev, 2, true); err != nil {
		t.Fatal(err)
	}
	if err := sc.finished(1, 2, "complete", 5, 50, 0, 10); err != nil {
		t.Fatal(err)
	}
	evs, _, err := custody.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(evs); got != "case created, evidence added, scan started, scan interrupted, scan started, scan finished" {
		t.Fatalf("events: %s", got)
	}
	if evs[4].Details["resumed"] != true || evs[5].Details["records_from_earlier_runs"] != float64(10) {
		t.Errorf("resumed scan details: %v %v", evs[4].Details, evs[5].Details)
	}
}
