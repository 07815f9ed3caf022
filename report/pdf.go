package report

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/triagekit/triage/triage/casedb"
)

// PDFOptions control the PDF output.
type PDFOptions struct {
	// FontPath is a TrueType font used for names the built-in Go fonts
	// cannot show (CJK and other scripts). When empty, or when it lacks a
	// glyph too, the system font folders are searched (FontDirs).
	FontPath string
	// FontDirs are searched for fallback TrueType fonts; SystemFontDirs
	// when nil. An empty non-nil slice disables the search (a test hook).
	FontDirs []string
}

// SystemFontDirs are the folders searched for fallback fonts.
var SystemFontDirs = []string{"/usr/share/fonts", "/usr/local/share/fonts", "/Library/Fonts", "/System/Library/Fonts",
	`C:\Windows\Fonts`}

// Page geometry in millimetres (A4 portrait).
const (
	pdfPageW   = 210.0
	pdfPageH   = 297.0
	pdfMarginL = 15.0
	pdfMarginR = 15.0
	pdfTop     = 22.0
	pdfBottom  = 18.0
	pdfPad     = 1.2
)

// font is a font the PDF can use, with the runes it covers.
type font struct {
	family string
	data   []byte
	sf     *sfnt.Font
	buf    sfnt.Buffer
	added  bool
}

func newFont(family string, data []byte) (*font, error) {
	sf, err := sfnt.Parse(data)
	if err != nil {
		return nil, err
	}
	return &font{family: family, data: data, sf: sf}, nil
}

// covers reports whether the font has a glyph for r. Only the Basic
// Multilingual Plane is used: the PDF writer encodes text as UCS-2.
func (f *font) covers(r rune) bool {
	if r < 0x20 || r > 0xFFFF {
		return false
	}
	i, err := f.sf.GlyphIndex(&f.buf, r)
	return err == nil && i != 0
}

func (f *font) coversAll(s string) bool {
	for _, r := range s {
		if r != '\n' && !f.covers(r) {
			return false
		}
	}
	return true
}

var (
	goFontsOnce sync.Once
	goFonts     [3]*font
)

func builtinFonts() [3]*font {
	goFontsOnce.Do(func() {
		goFonts[0], _ = newFont("go", goregular.TTF)
		goFonts[1], _ = newFont("gob", gobold.TTF)
		goFonts[2], _ = newFont("gomono", gomono.TTF)
	})
	return goFonts
}

type pdfWriter struct {
	pdf      *fpdf.Fpdf
	r        *Report
	regular  *font
	bold     *font
	mono     *font
	fallback []*font // loaded lazily, in search order
	cands    []string
	searched bool
	opts     PDFOptions
	widths   map[string]map[rune]float64
	size     float64
	family   string // the font family setFont chose last
}

// WritePDF writes the report as PDF/A4 with the Go fonts embedded (a Unicode
// TrueType family that covers Latin, Greek and Cyrillic). A name the Go
// fonts cannot show is set in a fallback font that covers all of it (the
// --font file, else the first such TrueType font found in the system font
// folders); with none, the characters it lacks are printed as \uXXXX
// escapes, so no name is lost or garbled. Every page carries the title and
// the report id in its header and "page N of M" and the report id in its
// footer. Tables break across pages and repeat their header row.
func WritePDF(ctx context.Context, w io.Writer, r *Report, o PDFOptions) error {
	bf := builtinFonts()
	p := &pdfWriter{r: r, regular: bf[0], bold: bf[1], mono: bf[2], opts: o, widths: map[string]map[rune]float64{}}
	if p.regular == nil || p.bold == nil || p.mono == nil {
		return fmt.Errorf("built-in fonts are damaged")
	}
	pdf := fpdf.New("P", "mm", "A4", "")
	p.pdf = pdf
	gen, _ := time.Parse(time.RFC3339, r.GeneratedAt)
	pdf.SetCreationDate(gen)
	pdf.SetModificationDate(gen)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("triage "+r.Tool.Version, true)
	pdf.SetCreator("triage "+r.Tool.Version, true)
	pdf.SetTitle(r.Title+" "+r.ID, true)
	pdf.SetSubject("Report ID "+r.ID, true)
	if r.Case.Examiner != "" {
		pdf.SetAuthor(r.Case.Examiner, true)
	}
	pdf.SetMargins(pdfMarginL, pdfTop, pdfMarginR)
	pdf.SetAutoPageBreak(false, pdfBottom)
	for _, f := range []*font{p.regular, p.bold, p.mono} {
		pdf.AddUTF8FontFromBytes(f.family, "", f.data)
		f.added = true
	}
	pdf.SetHeaderFunc(p.header)
	pdf.SetFooterFunc(p.footer)
	if err := p.body(ctx); err != nil {
		return err
	}
	// The front matter is built in memory; the listing is streamed after
	// it as an incremental update (pdfstream.go), so memory does not grow
	// with the number of records. Its pages are counted first, for the
	// "page N of M" of every page.
	front, total := pdf.PageNo(), pdf.PageNo()
	var ls *listingStream
	if r.Listing {
		ls = p.newListingStream()
		n, err := ls.run(ctx, nil, 0)
		if err != nil {
			return err
		}
		total += n
	}
	pdf.RegisterAlias(pdfTotalAlias, strconv.Itoa(total))
	if err := pdf.Error(); err != nil {
		return fmt.Errorf("cannot build PDF: %w", err)
	}
	if ls == nil {
		return pdf.Output(w)
	}
	var doc bytes.Buffer
	if err := pdf.Output(&doc); err != nil {
		return err
	}
	return ls.appendTo(ctx, w, doc.Bytes(), front, total)
}

// pdfTotalAlias stands for the number of pages in the page footers until
// it is known.
const pdfTotalAlias = "{tot}"

func (p *pdfWriter) header() {
	pdf := p.pdf
	p.setFont(p.regular, 7.5)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetXY(pdfMarginL, 10)
	pdf.CellFormat(90, 4, p.r.Title, "", 0, "L", false, 0, "")
	pdf.SetXY(pdfPageW-pdfMarginR-90, 10)
	pdf.CellFormat(90, 4, "Report ID "+p.r.ID, "", 0, "R", false, 0, "")
	pdf.SetDrawColor(160, 160, 160)
	pdf.Line(pdfMarginL, 15, pdfPageW-pdfMarginR, 15)
	pdf.SetTextColor(0, 0, 0)
	pdf.SetXY(pdfMarginL, pdfTop)
}

func (p *pdfWriter) footer() {
	pdf := p.pdf
	p.setFont(p.regular, 7.5)
	pdf.SetTextColor(90, 90, 90)
	pdf.SetDrawColor(160, 160, 160)
	pdf.Line(pdfMarginL, pdfPageH-13, pdfPageW-pdfMarginR, pdfPageH-13)
	pdf.SetXY(pdfMarginL, pdfPageH-12)
	left := "Report ID " + p.r.ID
	if p.r.Case.CaseNumber != "" {
		left += " · Case " + p.fit(p.regular, p.r.Case.CaseNumber)
	}
	pdf.CellFormat(120, 4, left, "", 0, "L", false, 0, "")
	pdf.SetXY(pdfPageW-pdfMarginR-60, pdfPageH-12)
	pdf.CellFormat(60, 4, fmt.Sprintf("page %d of %s", pdf.PageNo(), pdfTotalAlias), "", 0, "R", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
}

func (p *pdfWriter) setFont(f *font, size float64) {
	p.pdf.SetFont(f.family, "", size)
	p.size, p.family = size, f.family
}

// fit returns s with every rune f cannot show replaced by a \uXXXX escape.
func (p *pdfWriter) fit(f *font, s string) string {
	if f.coversAll(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if f.covers(r) || r == '\n' {
			b.WriteRune(r)
		} else if r == '\t' {
			b.WriteByte(' ')
		} else {
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	return b.String()
}

// fontFor picks the font a text is set in (pick) and adds it to the
// document.
func (p *pdfWriter) fontFor(base *font, s string) (*font, string) {
	f, t := p.pick(base, s)
	if f != base {
		p.use(f)
	}
	return f, t
}

// pick picks the font a text is set in: base when it covers the text,
// else a fallback that covers all of it, else base with escapes. The
// choice depends only on the text and the fonts found, so the listing's
// counting and drawing passes choose alike.
func (p *pdfWriter) pick(base *font, s string) (*font, string) {
	if strings.ContainsRune(s, '\n') {
		parts := strings.Split(s, "\n")
		for i := range parts {
			parts[i] = Visible(parts[i])
		}
		s = strings.Join(parts, "\n")
	} else {
		s = Visible(s)
	}
	if base.coversAll(s) {
		return base, s
	}
	for _, f := range p.fallback {
		if f.coversAll(s) {
			return f, s
		}
	}
	if f := p.findFallback(s); f != nil {
		return f, s
	}
	return base, p.fit(base, s)
}

func (p *pdfWriter) use(f *font) *font {
	if !f.added {
		p.pdf.AddUTF8FontFromBytes(f.family, "", f.data)
		f.added = true
	}
	return f
}

// findFallback loads candidate fonts, in order, until one covers s.
func (p *pdfWriter) findFallback(s string) *font {
	if !p.searched {
		p.searched = true
		if p.opts.FontPath != "" {
			p.cands = append(p.cands, p.opts.FontPath)
		}
		dirs := p.opts.FontDirs
		if dirs == nil {
			dirs = SystemFontDirs
		}
		p.cands = append(p.cands, findTrueTypeFonts(dirs)...)
	}
	for len(p.cands) > 0 {
		path := p.cands[0]
		p.cands = p.cands[1:]
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 4 || !bytes.Equal(b[:4], []byte{0, 1, 0, 0}) && string(b[:4]) != "true" {
			continue // not TrueType outlines (the PDF writer needs glyf)
		}
		f, err := newFont(fmt.Sprintf("fb%d", len(p.fallback)), b)
		if err != nil {
			continue
		}
		p.fallback = append(p.fallback, f)
		if f.coversAll(s) {
			return f
		}
	}
	return nil
}

// findTrueTypeFonts lists the .ttf files under dirs, sorted, at most 500.
func findTrueTypeFonts(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		_ = filepath.WalkDir(d, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if !e.IsDir() && strings.EqualFold(filepath.Ext(path), ".ttf") && len(out) < 500 {
				out = append(out, path)
			}
			return nil
		})
	}
	sort.Strings(out)
	return out
}

// width returns the width of s in the current font size, set in f.
func (p *pdfWriter) width(f *font, size float64, s string) float64 {
	m := p.widths[f.family]
	if m == nil {
		m = map[rune]float64{}
		p.widths[f.family] = m
	}
	// Widths are measured at 10 pt once per rune. Every font change is
	// written into the page's content stream, so the font is switched only
	// for a rune not measured yet, and the font set before is restored:
	// switching twice per call wrote two font operators per measured cell,
	// most of a listing's size in memory. Text is drawn after setFont.
	w := 0.0
	switched := false
	for _, r := range s {
		cw, ok := m[r]
		if !ok {
			p.pdf.SetFont(f.family, "", 10)
			switched = true
			cw = p.pdf.GetStringWidth(string(r))
			m[r] = cw
		}
		w += cw
	}
	if switched {
		fam := p.family
		if fam == "" {
			fam = f.family
		}
		p.pdf.SetFont(fam, "", p.size)
	}
	return w * size / 10
}

// wrap splits s into lines no wider than w, set in f at size.
func (p *pdfWriter) wrap(f *font, size float64, s string, w float64) []string {
	return wrapText(s, w, func(r rune) float64 { return p.width(f, size, string(r)) })
}

// wrapText splits s into lines no wider than w (width gives each rune's
// width), breaking at spaces and before an opening bracket (the zone of a
// time: "+01:00[Europe/Berlin]"), and inside words that do not fit (paths,
// hashes).
func wrapText(s string, w float64, width func(rune) float64) []string {
	var lines []string
	for _, para := range strings.Split(s, "\n") {
		var line []rune
		lineW := 0.0
		brk, skip := -1, 0 // the last break: line[:brk] ends a line, skip runes dropped
		for _, r := range para {
			cw := width(r)
			if lineW+cw > w && len(line) > 0 {
				if brk > 0 && r != ' ' {
					lines = append(lines, string(line[:brk]))
					line = append([]rune{}, line[brk+skip:]...)
				} else {
					lines = append(lines, string(line))
					line = line[:0]
				}
				brk = -1
				lineW = 0
				for _, r := range line {
					lineW += width(r)
				}
				if r == ' ' {
					continue
				}
			}
			if r == ' ' {
				brk, skip = len(line), 1
			} else if r == '[' && len(line) > 0 {
				brk, skip = len(line), 0
			}
			line = append(line, r)
			lineW += cw
		}
		lines = append(lines, string(line))
	}
	return lines
}

func (p *pdfWriter) ensure(h float64) {
	if p.pdf.GetY()+h > pdfPageH-pdfBottom {
		p.pdf.AddPage()
	}
}

func (p *pdfWriter) heading(s string) {
	p.ensure(40)
	pdf := p.pdf
	pdf.Ln(3)
	p.setFont(p.bold, 12.5)
	pdf.SetX(pdfMarginL)
	pdf.CellFormat(0, 7, s, "B", 1, "L", false, 0, "")
	pdf.Ln(2)
}

func (p *pdfWriter) subheading(s string) {
	p.ensure(14)
	p.setFont(p.bold, 10)
	f, t := p.fontFor(p.bold, s)
	p.setFont(f, 10)
	p.pdf.SetX(pdfMarginL)
	p.pdf.CellFormat(0, 6, t, "", 1, "L", false, 0, "")
}

// para writes wrapped text, breaking across pages.
func (p *pdfWriter) para(s string, size float64, base *font) {
	f, t := p.fontFor(base, s)
	lh := size * 0.45
	w := pdfPageW - pdfMarginL - pdfMarginR
	for _, line := range p.wrap(f, size, t, w) {
		p.ensure(lh)
		p.setFont(f, size)
		p.pdf.SetX(pdfMarginL)
		p.pdf.CellFormat(w, lh, line, "", 1, "L", false, 0, "")
	}
	p.pdf.Ln(1.5)
}

type pdfCol struct {
	title string
	w     float64 // fraction of the text width
	mono  bool
	right bool
}

type pdfCell struct {
	text string
	bold bool
	red  bool
}

// pdfTable draws rows under a header row; a row that does not fit goes to
// the next page, where the header is repeated. A row taller than a page is
// cut, and says so.
type pdfTable struct {
	p      *pdfWriter
	cols   []pdfCol
	size   float64
	header bool
	drawn  bool // the header was drawn on the current page
	total  float64
	lh     float64
}

func (p *pdfWriter) newTable(cols []pdfCol, size float64, header bool) *pdfTable {
	t := &pdfTable{p: p, cols: cols, size: size, header: header, total: pdfPageW - pdfMarginL - pdfMarginR, lh: size * 0.42}
	return t
}

func (t *pdfTable) drawHeader() {
	if !t.header {
		return
	}
	p, pdf := t.p, t.p.pdf
	p.setFont(p.bold, t.size)
	h := t.lh + 2*pdfPad
	x := pdfMarginL
	y := pdf.GetY()
	pdf.SetFillColor(236, 236, 236)
	pdf.SetDrawColor(180, 180, 180)
	for _, c := range t.cols {
		w := c.w * t.total
		pdf.Rect(x, y, w, h, "FD")
		pdf.SetXY(x+pdfPad, y+pdfPad)
		pdf.CellFormat(w-2*pdfPad, t.lh, c.title, "", 0, "L", false, 0, "")
		x += w
	}
	pdf.SetXY(pdfMarginL, y+h)
}

func (t *pdfTable) row(cells []pdfCell) {
	p, pdf := t.p, t.p.pdf
	type laid struct {
		f     *font
		lines []string
	}
	ls := make([]laid, len(t.cols))
	maxLines := 1
	for i, c := range t.cols {
		base := p.regular
		if c.mono {
			base = p.mono
		}
		text := ""
		if i < len(cells) {
			text = cells[i].text
			if cells[i].bold {
				base = p.bold
			}
		}
		f, s := p.fontFor(base, text)
		ls[i] = laid{f, p.wrap(f, t.size, s, c.w*t.total-2*pdfPad)}
		if len(ls[i].lines) > maxLines {
			maxLines = len(ls[i].lines)
		}
	}
	room := int((pdfPageH - pdfBottom - pdfTop - 2*t.lh - 4*pdfPad) / t.lh)
	if maxLines > room {
		for i := range ls {
			if len(ls[i].lines) > room {
				ls[i].lines = append(ls[i].lines[:room-1], "[… cut: see the CSV/JSON listing]")
			}
		}
		maxLines = room
	}
	h := float64(maxLines)*t.lh + 2*pdfPad
	headH := 0.0
	if !t.drawn && t.header {
		headH = t.lh + 2*pdfPad
	}
	if pdf.GetY()+headH+h > pdfPageH-pdfBottom {
		pdf.AddPage()
		t.drawn = false
	}
	if !t.drawn {
		t.drawHeader()
		t.drawn = true
	}
	pdf.SetDrawColor(180, 180, 180)
	y := pdf.GetY()
	x := pdfMarginL
	for i, c := range t.cols {
		w := c.w * t.total
		pdf.Rect(x, y, w, h, "D")
		p.setFont(ls[i].f, t.size)
		if i < len(cells) && cells[i].red {
			pdf.SetTextColor(164, 0, 0)
		}
		align := "L"
		if c.right {
			align = "R"
		}
		for j, line := range ls[i].lines {
			pdf.SetXY(x+pdfPad, y+pdfPad+float64(j)*t.lh)
			pdf.CellFormat(w-2*pdfPad, t.lh, line, "", 0, align, false, 0, "")
		}
		pdf.SetTextColor(0, 0, 0)
		x += w
	}
	pdf.SetXY(pdfMarginL, y+h)
}

func (t *pdfTable) end() { t.p.pdf.Ln(2) }

// table draws a whole table from rows.
func (p *pdfWriter) table(cols []pdfCol, size float64, header bool, next func() ([]pdfCell, bool)) {
	t := p.newTable(cols, size, header)
	for {
		cells, ok := next()
		if !ok {
			break
		}
		t.row(cells)
	}
	t.end()
}

func rowsOf(rows [][]pdfCell) func() ([]pdfCell, bool) {
	i := 0
	return func() ([]pdfCell, bool) {
		if i >= len(rows) {
			return nil, false
		}
		i++
		return rows[i-1], true
	}
}

func (p *pdfWriter) kv(pairs [][2]string) {
	var rows [][]pdfCell
	for _, kv := range pairs {
		rows = append(rows, []pdfCell{{text: kv[0], bold: true}, {text: kv[1]}})
	}
	p.table([]pdfCol{{"", .3, false, false}, {"", .7, false, false}}, 8.5, false, rowsOf(rows))
}

func (p *pdfWriter) body(ctx context.Context) error {
	p.title()
	p.glance()
	p.caseHeader()
	p.evidence()
	p.method()
	p.summary()
	p.hits()
	p.mismatches()
	p.limitations()
	p.custody()
	p.statement()
	if !p.r.Listing {
		p.setFont(p.regular, 8)
		p.para(p.endLine(), 8, p.regular)
	}
	return nil
}

// endLine closes the report.
func (p *pdfWriter) endLine() string {
	return p.r.Title + " · Report ID " + p.r.ID + " · end of report"
}

// supersededNotes writes the notes of a findings table on superseded items.
func (p *pdfWriter) supersededNotes(table string) {
	for _, n := range p.r.SupersededNotes(table) {
		p.para(n, 8, p.regular)
	}
}

// examiner returns the examiner and their role, as the report names them.
func (p *pdfWriter) examiner() string {
	return joinNonEmpty(", ", p.r.Case.Examiner, p.r.Case.ExaminerRole)
}

// title starts the first page: title, report id, and the warnings that
// must be seen first.
func (p *pdfWriter) title() {
	r, pdf := p.r, p.pdf
	pdf.AddPage()
	p.setFont(p.bold, 18)
	pdf.CellFormat(0, 10, r.Title, "", 1, "L", false, 0, "")
	p.setFont(p.regular, 10)
	pdf.CellFormat(0, 6, "Report ID "+r.ID+" · generated "+r.Time(r.GeneratedAt), "", 1, "L", false, 0, "")
	pdf.Ln(2)
	if !r.Custody.Intact || r.NoScans {
		var msg []string
		if !r.Custody.Intact {
			msg = append(msg, "WARNING: the custody log of this case is broken: "+r.Custody.Problem+". This report was produced over a broken chain at the examiner's request; its custody section cannot be relied on.")
		}
		if r.NoScans {
			msg = append(msg, "No evidence has been scanned in this case. This report holds no findings.")
		}
		var rows [][]pdfCell
		for _, m := range msg {
			rows = append(rows, []pdfCell{{text: m, bold: true, red: true}})
		}
		p.table([]pdfCol{{"", 1, false, false}}, 9.5, false, rowsOf(rows))
	}
}

// supersededNote says that a rescan superseded an item.
func supersededNote(by int64) string {
	if by == 0 {
		return ""
	}
	return fmt.Sprintf(" — superseded by evidence item %d (a rescan of the same source); not counted in the summary", by)
}

// caseExaminer names the case's examiner as the examiner of an item that
// records none, "" when the case has none either.
func caseExaminer(name string) string {
	if name == "" {
		return ""
	}
	return name + " (the case's examiner)"
}

// glance writes the findings summary on the first page: what was
// examined, what was found, what was not examined.
func (p *pdfWriter) glance() {
	r := p.r
	p.heading("Findings at a glance")
	list := func(title string, items []string, none string) {
		p.subheading(title)
		if len(items) == 0 {
			p.para(none, 9, p.regular)
		}
		for _, it := range items {
			p.para("• "+it, 9, p.regular)
		}
	}
	list("What was examined", r.Findings.Examined, "No evidence item.")
	list("What was found", r.Findings.Found, "")
	list("What was not examined", r.NotExamined, "Every evidence item was examined completely as far as triage reads (see section 7).")
}

// caseHeader writes the case header.
func (p *pdfWriter) caseHeader() {
	r := p.r
	p.heading("1. Case")
	examiner := p.examiner()
	zone := "UTC"
	if r.TimeZone != "UTC" {
		zone = "UTC, and " + r.TimeZone + " in brackets"
	}
	p.kv([][2]string{{"Case number", r.Case.CaseNumber}, {"Lab case ID", r.Case.LabCaseID}, {"Agency", r.Case.Agency},
		{"Requesting officer", r.Case.RequestingOfficer}, {"Examiner", examiner}, {"Authority", r.Case.Authority},
		{"Description", r.Case.Description}, {"Case created", r.Time(r.CaseCreatedAt)}, {"Times shown in", zone},
		{"Case directory", r.CaseDir}})
}

// evidence writes the evidence items with their details and volumes.
func (p *pdfWriter) evidence() {
	r := p.r
	p.heading("2. Evidence items examined")
	if len(r.Evidence) == 0 {
		p.para("None.", 9, p.regular)
	}
	for _, e := range r.Evidence {
		title := fmt.Sprintf("Evidence item %d", e.ID)
		var pairs [][2]string
		for _, kv := range e.Exhibit {
			v := kv.Value
			if kv.Key == "Received" {
				v = r.Time(v)
			}
			if kv.Key == "Exhibit ID" {
				title += " — exhibit " + v
			}
			pairs = append(pairs, [2]string{kv.Key, v})
		}
		pairs = append(pairs, [][2]string{{"Source", Visible(e.Source)}, {"Type", e.Type}, {"Size", HumanBytes(e.Size)},
			{"Scan state", e.State + supersededNote(e.SupersededBy)}, {"Scan started / finished", r.Time(e.StartedAt) + " / " + r.Time(e.FinishedAt)},
			{"Examiner · host", cmp.Or(e.Examiner, caseExaminer(r.Case.Examiner), "(not recorded)") + " · " + e.Host}, {"Digests computed", strings.Join(e.HashAlgorithms, ", ")},
			{"Records · content bytes · errors", Thousands(e.Files) + " · " + HumanBytes(e.Bytes) + " · " + Thousands(e.Errors)}}...)
		for _, kv := range e.MediaHashes {
			pairs = append(pairs, [2]string{kv.Key, kv.Value})
		}
		for _, kv := range e.Verification {
			pairs = append(pairs, [2]string{kv.Key, kv.Value})
		}
		for _, kv := range e.OtherMetadata {
			pairs = append(pairs, [2]string{kv.Key, kv.Value})
		}
		if len(e.MediaHashes) == 0 {
			note := "none recorded"
			if e.Type == "folder" {
				note = "none (a folder has none; each file's hashes are listed)"
			}
			pairs = append(pairs, [2]string{"Media hash", note})
		}
		p.subheading(title)
		p.kv(pairs)
		if len(e.Volumes) > 0 {
			var rows [][]pdfCell
			for _, v := range e.Volumes {
				rows = append(rows, []pdfCell{{text: fmt.Sprint(v.Index)}, {text: fmt.Sprint(v.Offset)}, {text: fmt.Sprint(v.Length)},
					{text: v.Type}, {text: v.FS}, {text: Visible(v.Label)}})
			}
			p.table([]pdfCol{{"Volume", .1, false, true}, {"Offset", .17, false, true}, {"Length", .17, false, true},
				{"Type", .22, false, false}, {"File system", .14, false, false}, {"Label", .2, false, false}}, 8, true, rowsOf(rows))
		}
	}
}

// method writes the method, the tools, the scan runs and the hash sets used.
func (p *pdfWriter) method() {
	r := p.r
	p.heading("3. Method and tools")
	p.para("Each evidence item was opened read-only by triage, which read every file once, computed the digests listed, "+
		"identified the file type from its content, compared the type with the file name's extension, and looked the "+
		"digests up in the hash sets listed below.", 9, p.regular)
	toolRows := [][2]string{
		{"Report generated by", fmt.Sprintf("%s %s (commit %s, %s, %s)", r.Tool.Program, r.Tool.Version, r.Tool.Commit, r.Tool.GoVersion, r.Tool.Platform)},
		{"Binary SHA-256", r.Tool.SHA256}}
	if r.Tool.Validation != "" {
		toolRows = append(toolRows, [2]string{"Validation record", r.Tool.Validation})
	}
	p.kv(append(toolRows, [][2]string{{"Report command", CommandLine(r.CommandLine)}, {"Host", r.Host}}...))
	p.subheading("Scan runs")
	if len(r.Runs) == 0 {
		p.para("No scan has been run.", 9, p.regular)
	} else {
		var rows [][]pdfCell
		for _, u := range r.Runs {
			rows = append(rows, []pdfCell{{text: fmt.Sprint(u.ID)}, {text: fmt.Sprint(u.EvidenceID)},
				{text: r.Time(u.StartedAt) + "\n" + r.Time(u.FinishedAt)}, {text: u.State},
				{text: "triage " + u.ToolVersion + "\n" + u.ToolCommit}, {text: CommandLine(u.CommandLine)}})
		}
		p.table([]pdfCol{{"Run", .06, false, true}, {"Item", .06, false, true}, {"Started / finished", .24, false, false},
			{"State", .1, false, false}, {"Tool", .18, false, false}, {"Command line", .36, true, false}}, 7.5, true, rowsOf(rows))
		for _, e := range r.Evidence {
			p.para(fmt.Sprintf("Item %d scanned with triage %s on %s (%s), binary SHA-256 %s.", e.ID, e.Tool.Version, e.Tool.Platform, e.Tool.GoVersion, e.Tool.SHA256), 7.5, p.regular)
		}
	}
	p.subheading("Hash sets used")
	if len(r.HashSets) == 0 {
		p.para("No hash sets were used: every file is reported as \"unknown\".", 9, p.regular)
	} else {
		p.para("Each file's digests were looked up in the hash sets below. For each set: what it is, what a match means, "+
			"the file it was imported from with that file's SHA-256, how many entries it holds for each digest, and when and "+
			"by which triage it was imported.", 9, p.regular)
		for _, h := range r.HashSets {
			p.para("Hash set “"+h.Name+"”", 9, p.bold)
			var pairs [][2]string
			for _, row := range r.HashSetRows(h) {
				pairs = append(pairs, [2]string{row.Label, Visible(row.Value)})
			}
			p.kv(pairs)
		}
	}
}

// summary writes the counts of the case.
func (p *pdfWriter) summary() {
	r := p.r
	p.heading("4. Summary")
	s := r.Summary
	p.kv([][2]string{{"Records (files, folders, links, streams)", Thousands(s.Records)}, {"Files", Thousands(s.Files)},
		{"Content bytes", HumanBytes(s.Bytes)}, {"Known-bad files", Thousands(s.KnownBad)}, {"Notable files", Thousands(s.Notable)},
		{"Known files (known-good)", Thousands(s.KnownGood)}, {"Unknown files", Thousands(s.Unknown)},
		{"Extension mismatches", Thousands(s.ExtensionMismatch)}, {"Deleted", Thousands(s.Deleted)},
		{"Incomplete or unreadable records", Thousands(s.Incomplete)}, {"Errors recorded", Thousands(s.Errors)}})
}

// hits writes the known-bad and notable files.
func (p *pdfWriter) hits() {
	r := p.r
	p.heading("5. Known-bad and notable files")
	if r.Hits.LatestMatch != "" {
		p.para(r.Hits.LatestMatch, 9, p.regular)
	}
	p.supersededNotes("hits")
	if len(r.Hits.Records) == 0 {
		p.para("None.", 9, p.regular)
	} else {
		var rows [][]pdfCell
		for i, f := range r.Hits.Records {
			sets := strings.Join(f.Hashsets, ", ")
			if i < len(r.Hits.Matched) {
				sets = r.Hits.Matched[i]
			}
			var hs []string
			for _, h := range [][2]string{{"MD5", f.MD5}, {"SHA-1", f.SHA1}, {"SHA-256", f.SHA256}, {"ssdeep", ExtraString(f, "ssdeep")}, {"TLSH", ExtraString(f, "tlsh")}, {"near", NearMatch(f)}} {
				if h[1] != "" {
					hs = append(hs, h[0]+" "+h[1])
				}
			}
			vol := ""
			if f.Volume != nil {
				vol = fmt.Sprint(*f.Volume)
			}
			path := ShowName(f.Path)
			if fl := Flags(f.Deleted, f.Stream, f.Complete, f.ExtensionMismatch); fl != "" {
				path += "\n[" + fl + "]"
			}
			path += "\n" + Thousands(f.Size) + " bytes"
			if vol != "" {
				path += " · volume " + vol
			}
			if ts := fileTimes(f); ts != "" {
				path += "\n" + ts
			}
			// digests in a column wide enough for a labelled SHA-256 on one line
			rows = append(rows, []pdfCell{{text: fmt.Sprint(f.Evidence)}, {text: f.Status + "\n" + sets, red: f.Status == casedb.StatusKnownBad},
				{text: path}, {text: strings.Join(hs, "\n")}})
		}
		p.table([]pdfCol{{"Item", .05, false, true}, {"Status · set", .15, false, false}, {"Path · flags · size · volume · times", .24, false, false},
			{"Hashes", .56, true, false}}, 6.5, true, rowsOf(rows))
		if r.Hits.Truncated() {
			p.para(fmt.Sprintf("First %d of %s shown; the full listing holds all.", len(r.Hits.Records), Thousands(r.Hits.Total)), 8, p.regular)
		}
	}
	if kb := &r.KnownBadHours; len(kb.Hours) > 0 {
		p.subheading("Busiest hours of the known-bad files")
		p.para(kb.HoursNote(), 8, p.regular)
		var rows [][]pdfCell
		for _, h := range kb.Hours {
			rows = append(rows, []pdfCell{{text: UTCTime(h.Start) + " to " + UTCTime(h.End())}, {text: fmt.Sprint(h.Files)},
				{text: fmt.Sprint(h.Modified)}, {text: fmt.Sprint(h.Accessed)}, {text: fmt.Sprint(h.Changed)}, {text: fmt.Sprint(h.Created)}})
		}
		p.table([]pdfCol{{"Hour (UTC)", .4, false, false}, {"Files", .12, false, true}, {"Modified", .12, false, true},
			{"Accessed", .12, false, true}, {"Changed", .12, false, true}, {"Created", .12, false, true}}, 7.5, true, rowsOf(rows))
	}
}

// mismatches writes the extension mismatches.
func (p *pdfWriter) mismatches() {
	r := p.r
	p.heading("6. Extension mismatches")
	p.supersededNotes("mismatches")
	if len(r.Mismatches.Records) == 0 {
		p.para("None.", 9, p.regular)
	} else {
		for _, g := range r.Mismatches.ByType() {
			p.subheading(fmt.Sprintf("Detected type %s (%d)", g.MIME, len(g.Records)))
			var rows [][]pdfCell
			for _, f := range g.Records {
				rows = append(rows, []pdfCell{{text: fmt.Sprint(f.Evidence)}, {text: ShowName(f.Path)}, {text: Thousands(f.Size)},
					{text: Visible(f.Extension)}, {text: Visible(MismatchReason(f))}, {text: f.SHA256}})
			}
			p.table([]pdfCol{{"Item", .06, false, true}, {"Path", .26, false, false}, {"Size", .08, false, true},
				{"Extension", .08, false, false}, {"Reason", .24, false, false}, {"SHA-256", .28, true, false}}, 7, true, rowsOf(rows))
		}
		if r.Mismatches.Truncated() {
			p.para(fmt.Sprintf("First %d of %s shown.", len(r.Mismatches.Records), Thousands(r.Mismatches.Total)), 8, p.regular)
		}
	}
}

// limitations writes the limitations, incomplete records and errors.
func (p *pdfWriter) limitations() {
	r := p.r
	p.heading("7. Errors, incomplete items and limitations")
	if len(r.Limitations) == 0 {
		p.para("No limitations were recorded.", 9, p.regular)
	}
	for _, l := range r.Limitations {
		p.para("• "+l, 9, p.regular)
	}
	p.supersededNotes("incomplete")
	p.supersededNotes("errors")
	if len(r.Incomplete.Records) > 0 {
		p.subheading("Incomplete or unreadable records")
		var rows [][]pdfCell
		for _, f := range r.Incomplete.Records {
			rows = append(rows, []pdfCell{{text: fmt.Sprint(f.Evidence)}, {text: ShowName(f.Path)}, {text: Thousands(f.Size)}, {text: Visible(f.Error)}})
		}
		p.table([]pdfCol{{"Item", .06, false, true}, {"Path", .44, false, false}, {"Size", .1, false, true}, {"Problem", .4, false, false}}, 7, true, rowsOf(rows))
	}
	if len(r.Errors) > 0 {
		p.subheading("Errors recorded during scans")
		var rows [][]pdfCell
		for _, e := range r.Errors {
			off := ""
			if e.Offset != nil {
				off = fmt.Sprintf("%#x", *e.Offset)
			}
			rows = append(rows, []pdfCell{{text: fmt.Sprint(e.EvidenceID)}, {text: ShowName(e.RawPath())}, {text: off}, {text: Visible(e.Message)}, {text: r.Time(e.At)}})
		}
		p.table([]pdfCol{{"Item", .06, false, true}, {"Path", .3, false, false}, {"Offset", .1, false, true}, {"Message", .3, false, false},
			{"At", .24, false, false}}, 7, true, rowsOf(rows))
	}
}

// custody writes the custody log.
func (p *pdfWriter) custody() {
	r := p.r
	p.heading("8. Chain of custody")
	if r.Custody.Intact {
		p.para(fmt.Sprintf("The custody log (custody.jsonl) holds %d events; its hash chain was verified intact when this report was generated. Head hash: %s.", len(r.Custody.Events), r.Custody.Head), 9, p.regular)
	} else {
		p.para("The custody log is broken: "+r.Custody.Problem+". The events below are those before the break.", 9, p.bold)
	}
	p.para("The events are grouped per evidence item (the case's own events first); each event's number is its place in the log.", 9, p.regular)
	groups := r.CustodyGroups()
	p.subheading("Transfers, seals and notes recorded by people")
	if len(r.HumanEvents()) == 0 {
		p.para("None: no transfer, seal or note was recorded in the custody log.", 9, p.regular)
	} else {
		for _, g := range groups {
			p.para(g.Title, 9, p.bold)
			if len(g.Human) == 0 {
				p.para("None.", 8, p.regular)
				continue
			}
			var rows [][]pdfCell
			for _, h := range g.Human {
				rows = append(rows, []pdfCell{{text: fmt.Sprint(h.Seq)}, {text: r.Time(h.Time)}, {text: h.Actor}, {text: h.Text}})
			}
			p.table([]pdfCol{{"#", .05, false, true}, {"Time", .26, false, false}, {"Who", .15, false, false}, {"What", .54, false, false}}, 7.5, true, rowsOf(rows))
		}
	}
	p.subheading("Every event, including those triage records, by evidence item")
	for _, g := range groups {
		p.para(g.Title, 9, p.bold)
		if len(g.Events) == 0 {
			p.para("None.", 8, p.regular)
			continue
		}
		var rows [][]pdfCell
		for _, e := range g.Events {
			var d []string
			for _, kv := range r.EventDetails(e) {
				d = append(d, kv.Key+": "+kv.Value)
			}
			rows = append(rows, []pdfCell{{text: fmt.Sprint(e.Seq)}, {text: r.Time(e.Time)}, {text: e.Actor + "\n" + e.Host},
				{text: e.Action}, {text: strings.Join(d, "\n")}})
		}
		p.table([]pdfCol{{"#", .05, false, true}, {"Time", .24, false, false}, {"Actor · host", .14, false, false},
			{"Action", .13, false, false}, {"Details", .44, false, false}}, 7, true, rowsOf(rows))
	}
}

// statement writes the scope statement and the signature block.
func (p *pdfWriter) statement() {
	r := p.r
	p.heading("9. Statement and signature")
	p.para(r.Statement, 9, p.regular)
	p.ensure(40)
	p.table([]pdfCol{{"", .3, false, false}, {"", .7, false, false}}, 9, false, rowsOf([][]pdfCell{
		{{text: "Examiner", bold: true}, {text: p.examiner()}},
		{{text: "Signature\n\n\n", bold: true}, {text: ""}},
		{{text: "Date\n", bold: true}, {text: ""}},
	}))
	p.para("The SHA-256 of this file is recorded in the report manifest ("+r.ID+"), which may be signed; check it with `triage verify` or `minisign -V`.", 7.5, p.regular)
}

func fileTimes(f *casedb.FileRecord) string {
	var out []string
	for _, t := range []struct {
		k string
		t time.Time
	}{{"M", f.Mtime}, {"A", f.Atime}, {"C", f.Ctime}, {"B", f.Btime}} {
		if !t.t.IsZero() {
			out = append(out, t.k+" "+UTCTime(t.t))
		}
	}
	return strings.Join(out, "\n")
}
