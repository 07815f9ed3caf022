package report

import (
	"context"
	"strings"
	"testing"
)

// TestNotExaminedArchives: an item scanned with archives opened lists
// only the archives not opened; one scanned without says all were not.
func TestNotExaminedArchives(t *testing.T) {
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	ne := strings.Join(r.NotExamined, "\n")
	if !strings.Contains(ne, "Archives and other containers inside files (ZIP, e-mail stores, disk images held as files) were not opened") {
		t.Errorf("a scan without archives:\n%s", ne)
	}
	if err := c.UpdateEvidenceMetadata(context.Background(), 1, map[string]any{"archives": map[string]any{"opened": 4, "not_opened": 2, "members": 10}}); err != nil {
		t.Fatal(err)
	}
	r = buildFixture(t, c, Options{})
	ne = strings.Join(r.NotExamined, "\n")
	if strings.Contains(ne, "Archives and other containers") || !strings.Contains(ne, "2 archives were not opened or not read completely") ||
		!strings.Contains(ne, "E-mail stores and disk images held as files were not opened") {
		t.Errorf("a scan with archives:\n%s", ne)
	}
}
