package report_test

import (
	"fmt"

	"github.com/triagekit/triage/report"
	"github.com/triagekit/triage/triage/casedb"
)

func ExampleNeutralize() {
	fmt.Println(report.Neutralize(`=HYPERLINK("http://example.com")`))
	fmt.Println(report.Neutralize("/Users/alice/a.txt"))
	// Output:
	// '=HYPERLINK("http://example.com")
	// /Users/alice/a.txt
}

func ExampleVisible() {
	fmt.Println(report.Visible("invoice\u202Egpj.exe"))
	// Output: invoice\u202Egpj.exe
}

func ExamplePlan() {
	outs, manifest, _ := report.Plan([]string{"pdf", "html"}, "out/case-042")
	for _, o := range outs {
		fmt.Println(o.Format, o.Path)
	}
	fmt.Println(manifest)
	// Output:
	// html out/case-042.html
	// pdf out/case-042.pdf
	// out/case-042.manifest.json
}

func ExampleFormatTime() {
	loc, _ := (&casedb.CaseInfo{TimeZone: "America/New_York"}).Location()
	fmt.Println(report.FormatTime("2026-03-04T15:00:00Z", loc))
	// Output: 2026-03-04T15:00:00Z (2026-03-04T10:00:00-05:00[America/New_York])
}
