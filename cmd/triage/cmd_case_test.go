package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// testSettings holds, per test, the settings tri passes to triage.
var testSettings sync.Map // *testing.T -> func(*globalOptions)

// setTestOptions makes tri run triage with f applied to its options.
func setTestOptions(t *testing.T, f func(*globalOptions)) {
	prev, _ := testSettings.Load(t)
	testSettings.Store(t, func(g *globalOptions) {
		if prev != nil {
			prev.(func(*globalOptions))(g)
		}
		f(g)
	})
	t.Cleanup(func() { testSettings.Delete(t) })
}

// tri runs triage in-process and returns its exit status and output.
func tri(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globalOptions{In: strings.NewReader(""), Out: &out, Err: &errb}
	if f, ok := testSettings.Load(t); ok {
		f.(func(*globalOptions))(g)
	}
	st := runWith(g, args)
	return st, out.String(), errb.String()
}

// fixedClock makes custody events and reports deterministic for a test.
func fixedClock(t *testing.T) {
	t.Helper()
	at := time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time { at = at.Add(time.Second); return at }
	t.Setenv("TRIAGE_EXAMINER", "")
	setTestOptions(t, func(g *globalOptions) { g.Now, g.Host = clock, "lab-ws-01" })
}

func custodyEvents(t *testing.T, dir string) []custody.Event {
	t.Helper()
	ev, _, err := custody.Verify(dir)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func actions(ev []custody.Event) string {
	var a []string
	for _, e := range ev {
		a = append(a, e.Action)
	}
	return strings.Join(a, ", ")
}

func TestCaseInitShowSet(t *testing.T) {
	fixedClock(t)
	dir := filepath.Join(t.TempDir(), "case")
	st, _, errs := tri(t, "case", "init", dir, "--case-number", "2026/042", "--lab-case-id", "LAB-7", "--agency", "City Police",
		"--requesting-officer", "DC J. Brown", "--examiner", "A. Smith", "--examiner-role", "Examiner", "--authority", "warrant 26-1187",
		"--description", "fraud", "--timezone", "Europe/Berlin")
	if st != 0 {
		t.Fatalf("case init: %d %s", st, errs)
	}
	c, err := casedb.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := casedb.LoadCaseInfo(t.Context(), c)
	c.Close()
	want := casedb.CaseInfo{CaseNumber: "2026/042", LabCaseID: "LAB-7", Agency: "City Police", RequestingOfficer: "DC J. Brown",
		Examiner: "A. Smith", ExaminerRole: "Examiner", Authority: "warrant 26-1187", Description: "fraud", TimeZone: "Europe/Berlin"}
	if ci != want {
		t.Errorf("stored header %+v", ci)
	}
	ev := custodyEvents(t, dir)
	if len(ev) != 1 || ev[0].Action != custody.ActionCaseCreated || ev[0].Actor != "A. Smith" || ev[0].Details["case_number"] != "2026/042" {
		t.Fatalf("events after init: %+v", ev)
	}

	st, out, _ := tri(t, "case", "show", dir)
	if st != 0 || !strings.Contains(out, "warrant 26-1187") || !strings.Contains(out, "not been scanned") || !strings.Contains(out, "chain intact") {
		t.Errorf("case show: %d\n%s", st, out)
	}
	st, out, _ = tri(t, "case", "show", dir, "--json")
	var js struct {
		Case casedb.CaseInfo `json:"case"`
	}
	if st != 0 || json.Unmarshal([]byte(out), &js) != nil || js.Case != want {
		t.Errorf("case show --json: %d %s", st, out)
	}

	if st, _, _ := tri(t, "case", "set", dir, "--lab-case-id", "LAB-8"); st != 0 {
		t.Fatalf("case set: %d", st)
	}
	ev = custodyEvents(t, dir)
	if len(ev) != 2 || ev[1].Action != custody.ActionCaseUpdated {
		t.Fatalf("events after set: %s", actions(ev))
	}
	ch, _ := ev[1].Details["changes"].(map[string]any)
	lab, _ := ch["lab_case_id"].(map[string]any)
	if lab["old"] != "LAB-7" || lab["new"] != "LAB-8" || ev[1].Details["after_first_scan"] != false {
		t.Errorf("case updated details: %v", ev[1].Details)
	}
	// setting the same value again changes nothing and logs nothing
	tri(t, "case", "set", dir, "--lab-case-id", "LAB-8")
	if n := len(custodyEvents(t, dir)); n != 2 {
		t.Errorf("%d events after a no-op set", n)
	}

	for _, tc := range []struct {
		args []string
		st   int
		msg  string
	}{
		{[]string{"case", "init", dir}, 1, "already a case"},
		{[]string{"case", "init", filepath.Join(t.TempDir(), "x"), "--timezone", "Mars/Olympus"}, 2, "unknown time zone"},
		{[]string{"case", "set", dir}, 2, "nothing to change"},
		{[]string{"case", "set", filepath.Join(t.TempDir(), "none"), "--agency", "x"}, 1, "not a triage case"},
		{[]string{"case", "evidence", dir, "x", "--exhibit", "A"}, 2, "positive number"},
		{[]string{"case", "evidence", dir, "1", "--exhibit", "A"}, 1, "no evidence item 1"},
		{[]string{"case", "evidence", dir, "1", "--received", "yesterday"}, 2, "cannot read date"},
	} {
		st, _, errs := tri(t, tc.args...)
		if st != tc.st || !strings.Contains(errs, tc.msg) {
			t.Errorf("%v: status %d, stderr %q; want %d and %q", tc.args, st, errs, tc.st, tc.msg)
		}
	}
}

// evidenceTree writes a small evidence folder with hostile and non-ASCII
// names and fixed modification times.
func evidenceTree(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "evidence")
	files := map[string]string{
		"a.txt":                            "hello\n",
		"<img src=x onerror=alert(1)>.txt": "markup in a name\n",
		"=SUM(A1).csv":                     "a,b\n",
		"日本語ファイル.txt":                      "日本\n",
		"café résumé.txt":                  "é\n",
		"pics/holiday.jpg":                 "MZ" + strings.Repeat("\x00", 58) + "\x80\x00\x00\x00" + strings.Repeat("\x00", 64) + "PE\x00\x00",
	}
	mt := time.Date(2025, 12, 24, 18, 30, 0, 0, time.UTC)
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mt, mt)
	}
	return dir
}

func TestScanRecordsCustody(t *testing.T) {
	fixedClock(t)
	ev := evidenceTree(t)
	dir := filepath.Join(t.TempDir(), "case")
	st, _, errs := tri(t, "scan", ev, "--case", dir, "-q", "--case-number", "2026/7", "--examiner", "B. Jones", "--authority", "consent form 12")
	if st != 0 {
		t.Fatalf("scan: %d %s", st, errs)
	}
	evs := custodyEvents(t, dir)
	got := actions(evs)
	if !strings.HasPrefix(got, "case created, evidence added, scan started, ") || !strings.HasSuffix(got, ", scan finished") {
		t.Fatalf("custody after scan: %s", got)
	}
	for _, e := range evs {
		if e.Action == custody.ActionHashSetUsed {
			continue // recorded by the hash set code
		}
		if e.Actor != "B. Jones" || e.Host != "lab-ws-01" {
			t.Errorf("event %d: actor %q host %q", e.Seq, e.Actor, e.Host)
		}
	}
	fin := evs[len(evs)-1].Details
	if fin["state"] != "complete" || fin["records"] != float64(7) { // 6 files and the folder pics
		t.Errorf("scan finished: %v", fin)
	}
	// a changed header after the first scan is logged as such
	tri(t, "scan", ev, "--case", dir, "-q", "--case-number", "2026/8")
	evs = custodyEvents(t, dir)
	last := evs[len(evs)-1]
	if last.Action != custody.ActionCaseUpdated || last.Details["after_first_scan"] != true {
		t.Errorf("header change after scan: %s %v", last.Action, last.Details)
	}
	// exhibit details of the evidence item
	if st, _, errs := tri(t, "case", "evidence", dir, "1", "--exhibit", "BJ/1", "--make", "Kingston", "--serial", "0012AB",
		"--received", "2026-03-01T09:30", "--received-from", "DC J. Brown"); st != 0 {
		t.Fatalf("case evidence: %s", errs)
	}
	c, _ := casedb.Open(dir)
	items, _ := c.EvidenceItems(t.Context())
	c.Close()
	m := items[0].Metadata
	if m[casedb.MetaExhibitID] != "BJ/1" || m[casedb.MetaSerial] != "0012AB" || m[casedb.MetaReceivedAt] != "2026-03-01T09:30:00Z" {
		t.Errorf("evidence metadata: %v", m)
	}
	evs = custodyEvents(t, dir)
	if evs[len(evs)-1].Action != custody.ActionEvidenceUpdated {
		t.Errorf("last event %q", evs[len(evs)-1].Action)
	}
}
