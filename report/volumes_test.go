package report

import (
	"context"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/casedb"
)

// TestVolumesNotExamined: every volume the scan recorded as not examined
// is a limitation of the report, with its reason; examined volumes are
// not.
func TestVolumesNotExamined(t *testing.T) {
	c := newFixtureCase(t)
	ctx := context.Background()
	items, err := c.EvidenceItems(ctx)
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	id := items[0].ID
	for _, v := range []casedb.Volume{
		{Index: 0, Offset: 1 << 20, Length: 13 << 20, Type: "Linux Logical Volume Manager (0x8e)", Details: map[string]any{"vg": "vg0"}},
		{Index: 1, Offset: 8 << 20, Length: 8 << 20, Type: "LVM linear", Label: "vg0/data", FS: "ntfs"},
		{Index: 2, Offset: 2 << 20, Length: 2 << 20, Type: "LVM striped", Label: "vg0/fast", Details: map[string]any{"not_examined": "LVM striped"}},
		{Index: 3, Offset: -1, Length: 4 << 20, Type: "LVM thin", Label: "vg0/thin1", Details: map[string]any{"not_examined": "LVM thin"}},
	} {
		if err := c.AddVolume(ctx, id, v); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Build(ctx, c, Options{ID: testID, Now: testNow, Tool: &testTool})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range r.Limitations {
		if strings.HasPrefix(l, "Volume ") {
			got = append(got, l)
		}
	}
	want := []string{
		`Volume 2 of evidence item 1 (LVM striped "vg0/fast" at byte 0x200000) was not examined: LVM striped.`,
		`Volume 3 of evidence item 1 (LVM thin "vg0/thin1") was not examined: LVM thin.`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("limitations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if html := string(render(t, r, "html")); !strings.Contains(html, "was not examined: LVM thin.") {
		t.Error("the HTML report lacks the limitation")
	}
}
