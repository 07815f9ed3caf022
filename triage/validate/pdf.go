package validate

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

var (
	goFontOnce sync.Once
	goFont     *sfnt.Font
)

// printable returns s with the characters the Go fonts cannot show written
// as \uXXXX escapes, so that no name in the record is lost or garbled.
func printable(s string) string {
	goFontOnce.Do(func() { goFont, _ = sfnt.Parse(goregular.TTF) })
	var b strings.Builder
	var buf sfnt.Buffer
	for _, r := range s {
		if r == '\n' || r == '\t' {
			b.WriteRune(r)
			continue
		}
		if goFont != nil {
			if g, err := goFont.GlyphIndex(&buf, r); err == nil && g != 0 {
				b.WriteRune(r)
				continue
			}
		}
		if r > 0xffff {
			fmt.Fprintf(&b, "\\U%08X", r)
		} else {
			fmt.Fprintf(&b, "\\u%04X", r)
		}
	}
	return b.String()
}

// writePDF renders the record as PDF/A4 with the Go fonts embedded: the
// tool, date, examiner and host, the result, then every case with its
// requirement, image, expectation and its source, the actual result and
// PASS or FAIL. Every page carries the record id and "page N of M".
func writePDF(rec *Record) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	if t, err := time.Parse(time.RFC3339, rec.GeneratedAt); err == nil {
		pdf.SetCreationDate(t)
		pdf.SetModificationDate(t)
	}
	pdf.SetCatalogSort(true)
	pdf.SetProducer("triage "+rec.Tool.Version, true)
	pdf.SetCreator("triage "+rec.Tool.Version, true)
	pdf.SetTitle("triage validation record "+rec.ID, true)
	if rec.Examiner != "" {
		pdf.SetAuthor(printable(rec.Examiner), true)
	}
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("gob", "", gobold.TTF)
	pdf.AddUTF8FontFromBytes("gomono", "", gomono.TTF)
	pdf.SetMargins(18, 18, 18)
	pdf.SetAutoPageBreak(true, 18)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("go", "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("Validation record %s - page %d of {nb}", rec.ID, pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("gob", "", 16)
	pdf.MultiCell(0, 8, "Validation record "+rec.ID, "", "L", false)
	pdf.Ln(2)
	kv := func(k, v string, mono bool) {
		pdf.SetFont("gob", "", 9)
		pdf.CellFormat(38, 5, k, "", 0, "L", false, 0, "")
		if mono {
			pdf.SetFont("gomono", "", 8)
		} else {
			pdf.SetFont("go", "", 9)
		}
		pdf.MultiCell(0, 5, printable(v), "", "L", false)
	}
	t := rec.Tool
	kv("Tool", fmt.Sprintf("%s %s (commit %s, %s, %s)", t.Program, t.Version, t.Commit, t.GoVersion, t.Platform), false)
	kv("Binary SHA-256", t.SHA256, true)
	kv("Date", rec.GeneratedAt, false)
	kv("Examiner", rec.Examiner, false)
	kv("Host", rec.Host, false)
	verdict := "every case passed"
	if !rec.OK() {
		verdict = "FAILED: " + strings.Join(rec.FailedCases(), ", ")
	}
	kv("Result", fmt.Sprintf("%d passed, %d failed, in %g s: %s", rec.Passed, rec.Failed, rec.Seconds, verdict), false)
	pdf.Ln(4)
	for _, c := range rec.Cases {
		if pdf.GetY() > 250 {
			pdf.AddPage()
		}
		pdf.SetFont("gob", "", 11)
		res := "PASS"
		if !c.Pass {
			res = "FAIL"
			pdf.SetTextColor(170, 0, 0)
		}
		pdf.MultiCell(0, 6, c.ID+"  "+res, "T", "L", false)
		pdf.SetTextColor(0, 0, 0)
		kv("Requirement", c.Requirement, false)
		if c.Image != "" {
			kv("Image", c.Image, false)
			kv("Image SHA-256", c.ImageSHA256, true)
		}
		kv("Expected", c.Expected, false)
		kv("Source", c.Source, false)
		kv("Actual", c.Actual, false)
		for _, d := range c.Differences {
			kv("Difference", d, false)
		}
		pdf.Ln(2)
	}
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("validate: cannot build PDF: %w", err)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("validate: cannot write PDF: %w", err)
	}
	return buf.Bytes(), nil
}
