package report

import (
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// chromium returns the headless browser used to look at the HTML report
// as a reader does, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: renders the report in a browser")
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no headless Chromium (Debian package chromium): the HTML report is not checked as a picture")
	return ""
}

// TestHTMLInBrowser renders the fixed case's HTML report in headless
// Chromium: a screenshot shows the content using the window's width, and
// the printed PDF (A4) has page 1 starting with the findings summary, no
// word split inside a table, and whole digests (pdftotext).
func TestHTMLInBrowser(t *testing.T) {
	chrome := chromium(t)
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (poppler-utils)")
	}
	c := newFixtureCase(t)
	r := buildFixture(t, c, Options{})
	d := t.TempDir()
	html := filepath.Join(d, "r.html")
	if err := os.WriteFile(html, render(t, r, "html"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(chrome, append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
			"--user-data-dir=" + filepath.Join(d, "profile")}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", chrome, err, out)
		}
	}
	shot := filepath.Join(d, "r.png")
	run("--window-size=1600,1000", "--screenshot="+shot, "file://"+html)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if right := inkRight(img); right < img.Bounds().Dx()*85/100 {
		t.Errorf("the page uses %d of %d pixels of the window's width", right, img.Bounds().Dx())
	}

	pdf := filepath.Join(d, "r.pdf")
	run("--print-to-pdf="+pdf, "file://"+html)
	b, err := os.ReadFile(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if n := pdfPages(t, b); n < 2 || n > 20 {
		t.Errorf("printed HTML has %d pages", n)
	}
	p1 := strings.Join(strings.Fields(pdfText(t, b, "-f", "1", "-l", "1")), " ")
	for _, want := range []string{"Findings at a glance", "What was examined", "What was not examined", "1 known-bad file and 2 notable files"} {
		if !strings.Contains(p1, want) {
			t.Errorf("printed page 1 lacks %q:\n%s", want, p1)
		}
	}
	all := pdfText(t, b)
	for _, w := range []string{"Item", "Status · set", "known-bad", "Extension", "Detected type"} {
		if !strings.Contains(all, w) {
			t.Errorf("printed HTML splits %q", w)
		}
	}
	for _, content := range []string{"abc", "formula"} {
		if h := sums(content).sha256; !strings.Contains(all, h) {
			t.Errorf("printed HTML cuts the digest %s", h)
		}
	}
}

// inkRight returns the x of the rightmost pixel that is not near white.
func inkRight(img image.Image) int {
	b := img.Bounds()
	right := 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Max.X - 1; x > right; x-- {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r < 0xd000 || g < 0xd000 || bl < 0xd000 {
				right = x
				break
			}
		}
	}
	return right
}
