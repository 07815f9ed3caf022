package report

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"

	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"

	"github.com/triagekit/triage/triage/casedb"
)

// The full listing (appendix A) of the PDF is streamed: its pages are laid
// out from the case record by record and written to the output as they
// are made, after the front matter that fpdf builds in memory, as an
// incremental update of that document (PDF 1.7, section 7.5.6): new page,
// font and resource objects, a new page tree root (object 1, fpdf's) that
// lists the front matter's pages and the listing's, and a cross-reference
// section whose trailer points back to fpdf's. Memory holds one page at a
// time, the object offsets and the glyphs used.
//
// The layout is the table fpdf drew before (pdfTable): the same page
// geometry, fonts, header and footer. The fonts are embedded as subsets
// that keep the outlines of the glyphs shown (ttfsubset.go; TrueType,
// Identity-H, glyph ids as character codes, with a ToUnicode map of the
// glyphs shown, so text can be searched and extracted).

// Listing layout, in millimetres and points.
const (
	lsSize    = 6.2 // table text, pt
	lsCMargin = 1.0 // fpdf's cell margin
	ptPerMM   = 72 / 25.4
)

var lsCols = []pdfCol{{"#", .06, false, true}, {"Item", .05, false, true},
	{"Record (path; type, size, status, modified UTC, flags), then its digests: SHA-256 · MD5 · SHA-1", .89, true, false}}

// listingStream lays out the listing; with out set it also draws it. The
// counting pass (out nil) and the drawing pass make the same page breaks.
type listingStream struct {
	p      *pdfWriter
	out    *pdfOut
	total  int // pages in the whole document, for the footers
	front  int // pages before the listing
	page   int // listing pages started
	y      float64
	drawn  bool // the table header is on this page
	widths map[*font]map[rune]float64
}

func (p *pdfWriter) newListingStream() *listingStream {
	return &listingStream{p: p, widths: map[*font]map[rune]float64{}}
}

// run lays out (and with out, draws) the listing and returns its number of
// pages.
func (ls *listingStream) run(ctx context.Context, out *pdfOut, total int) (int, error) {
	ls.out, ls.total, ls.page, ls.drawn = out, total, 0, false
	p := ls.p
	ls.newPage()
	ls.heading("Appendix A. Full file listing")
	if note := p.r.ListingNote(); note != "" {
		ls.para(note, 8)
	}
	n := 0
	err := p.r.Files(ctx, func(f *casedb.FileRecord) error {
		n++
		ls.row([]pdfCell{{text: strconv.Itoa(n)}, {text: strconv.FormatInt(f.Evidence, 10)},
			{text: listingBlock(f), red: f.Status == casedb.StatusKnownBad}})
		if out != nil {
			return out.err
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	ls.y += 2
	ls.para(fmt.Sprintf("%d records.", n), 8)
	ls.para(p.endLine(), 8)
	ls.endPage()
	if out != nil && out.err != nil {
		return 0, out.err
	}
	return ls.page, nil
}

// listingBlock is the text of a record in the listing: the path, a line of
// facts, then one labelled line per digest, never wrapped.
func listingBlock(f *casedb.FileRecord) string {
	facts := []string{f.Type, Thousands(f.Size) + " bytes", f.Status}
	if !f.Mtime.IsZero() {
		facts = append(facts, "modified "+UTCTime(f.Mtime))
	}
	if fl := Flags(f.Deleted, f.Stream, f.Complete, f.ExtensionMismatch); fl != "" {
		facts = append(facts, fl)
	}
	var b strings.Builder
	b.WriteString(ShowName(f.Path))
	b.WriteString("\n")
	b.WriteString(strings.Join(facts, " · "))
	for _, d := range [][2]string{{"SHA-256", f.SHA256}, {"MD5    ", f.MD5}, {"SHA-1  ", f.SHA1}, {"BLAKE3 ", f.BLAKE3}, {"ssdeep ", ExtraString(f, "ssdeep")}, {"TLSH   ", ExtraString(f, "tlsh")}, {"near   ", NearMatch(f)}} {
		if d[1] != "" {
			b.WriteString("\n" + d[0] + " " + d[1])
		}
	}
	return b.String()
}

// width returns the width of r set in f at size, in millimetres.
func (ls *listingStream) width(f *font, size float64, r rune) float64 {
	m := ls.widths[f]
	if m == nil {
		m = map[rune]float64{}
		ls.widths[f] = m
	}
	w, ok := m[r]
	if !ok {
		w = advance1000(f, r)
		m[r] = w
	}
	return w * size / 1000 / ptPerMM
}

func (ls *listingStream) textWidth(f *font, size float64, s string) float64 {
	w := 0.0
	for _, r := range s {
		w += ls.width(f, size, r)
	}
	return w
}

func (ls *listingStream) wrap(f *font, size float64, s string, w float64) []string {
	return wrapText(s, w, func(r rune) float64 { return ls.width(f, size, r) })
}

// advance1000 is the advance width of r's glyph in f, in 1/1000 em.
func advance1000(f *font, r rune) float64 {
	gid, err := f.sf.GlyphIndex(&f.buf, r)
	if err != nil {
		return 0
	}
	return glyphAdvance1000(f, gid)
}

func glyphAdvance1000(f *font, gid sfntGlyph) float64 {
	upem := fixed.Int26_6(f.sf.UnitsPerEm())
	adv, err := f.sf.GlyphAdvance(&f.buf, gid, upem<<6, xfont.HintingNone)
	if err != nil {
		return 0
	}
	return float64(adv) / 64 * 1000 / float64(upem)
}

// newPage ends the current page and starts the next with its header.
func (ls *listingStream) newPage() {
	if ls.page > 0 {
		ls.endPage()
	}
	ls.page++
	ls.y, ls.drawn = pdfTop, false
	if ls.out == nil {
		return
	}
	o, p := ls.out, ls.p
	o.content.Reset()
	o.content.WriteString("0.57 w\n")
	o.gray(90, false)
	ls.text(p.regular, 7.5, pdfMarginL, 10, 90, 4, p.r.Title, false)
	ls.text(p.regular, 7.5, pdfPageW-pdfMarginR-90, 10, 90, 4, "Report ID "+p.r.ID, true)
	o.gray(160, true)
	ls.line(pdfMarginL, 15, pdfPageW-pdfMarginR, 15)
	o.gray(0, false)
}

// endPage writes the footer and the page.
func (ls *listingStream) endPage() {
	if ls.out == nil || ls.page == 0 {
		return
	}
	o, p := ls.out, ls.p
	o.gray(90, false)
	o.gray(160, true)
	ls.line(pdfMarginL, pdfPageH-13, pdfPageW-pdfMarginR, pdfPageH-13)
	left := "Report ID " + p.r.ID
	if p.r.Case.CaseNumber != "" {
		left += " · Case " + p.fit(p.regular, p.r.Case.CaseNumber)
	}
	ls.text(p.regular, 7.5, pdfMarginL, pdfPageH-12, 120, 4, left, false)
	ls.text(p.regular, 7.5, pdfPageW-pdfMarginR-60, pdfPageH-12, 60, 4, fmt.Sprintf("page %d of %d", ls.front+ls.page, ls.total), true)
	o.gray(0, false)
	o.writePage()
}

// ensure starts a new page unless h more millimetres fit on this one.
func (ls *listingStream) ensure(h float64) {
	if ls.y+h > pdfPageH-pdfBottom {
		ls.newPage()
	}
}

func (ls *listingStream) heading(s string) {
	ls.ensure(40)
	ls.y += 3
	p := ls.p
	ls.text(p.bold, 12.5, pdfMarginL, ls.y, pdfPageW-pdfMarginL-pdfMarginR, 7, s, false)
	ls.line(pdfMarginL, ls.y+7, pdfPageW-pdfMarginR, ls.y+7)
	ls.y += 7 + 2
}

func (ls *listingStream) para(s string, size float64) {
	f, t := ls.p.pick(ls.p.regular, s)
	lh := size * 0.45
	w := pdfPageW - pdfMarginL - pdfMarginR
	for _, line := range ls.wrap(f, size, t, w) {
		ls.ensure(lh)
		ls.text(f, size, pdfMarginL, ls.y, w, lh, line, false)
		ls.y += lh
	}
	ls.y += 1.5
}

// row lays out one row of the listing table as pdfTable.row does.
func (ls *listingStream) row(cells []pdfCell) {
	p := ls.p
	total := pdfPageW - pdfMarginL - pdfMarginR
	lh := lsSize * 0.42
	type laid struct {
		f     *font
		lines []string
	}
	var ls3 [3]laid
	maxLines := 1
	for i, c := range lsCols {
		base := p.regular
		if c.mono {
			base = p.mono
		}
		f, s := p.pick(base, cells[i].text)
		ls3[i] = laid{f, ls.wrap(f, lsSize, s, c.w*total-2*pdfPad)}
		maxLines = max(maxLines, len(ls3[i].lines))
	}
	room := int((pdfPageH - pdfBottom - pdfTop - 2*lh - 4*pdfPad) / lh)
	if maxLines > room {
		for i := range ls3 {
			if len(ls3[i].lines) > room {
				ls3[i].lines = append(ls3[i].lines[:room-1], "[… cut: see the CSV/JSON listing]")
			}
		}
		maxLines = room
	}
	h := float64(maxLines)*lh + 2*pdfPad
	headH := 0.0
	if !ls.drawn {
		headH = lh + 2*pdfPad
	}
	if ls.y+headH+h > pdfPageH-pdfBottom {
		ls.newPage()
	}
	if !ls.drawn {
		ls.drawn = true
		hh := lh + 2*pdfPad
		if o := ls.out; o != nil {
			x := pdfMarginL
			o.gray(236, false)
			o.gray(180, true)
			for _, c := range lsCols {
				w := c.w * total
				o.rect(x, ls.y, w, hh, true)
				x += w
			}
			o.gray(0, false)
			x = pdfMarginL
			for _, c := range lsCols {
				w := c.w * total
				ls.text(p.bold, lsSize, x+pdfPad, ls.y+pdfPad, w-2*pdfPad, lh, c.title, false)
				x += w
			}
		}
		ls.y += hh
	}
	if o := ls.out; o != nil {
		o.gray(180, true)
		x := pdfMarginL
		for i, c := range lsCols {
			w := c.w * total
			o.rect(x, ls.y, w, h, false)
			if cells[i].red {
				o.content.WriteString("0.643 0 0 rg\n")
			}
			for j, line := range ls3[i].lines {
				ls.text(ls3[i].f, lsSize, x+pdfPad, ls.y+pdfPad+float64(j)*lh, w-2*pdfPad, lh, line, c.right)
			}
			if cells[i].red {
				o.gray(0, false)
			}
			x += w
		}
	}
	ls.y += h
}

// text draws s in a cell at (x, y) of width w and height h, as fpdf's
// CellFormat places it: the cell margin on the left, or right-aligned.
func (ls *listingStream) text(f *font, size, x, y, w, h float64, s string, right bool) {
	o := ls.out
	if o == nil || s == "" {
		return
	}
	dx := lsCMargin
	if right {
		dx = w - lsCMargin - ls.textWidth(f, size, s)
	}
	e := o.embed(f)
	fmt.Fprintf(&o.content, "BT /%s %.2f Tf %.2f %.2f Td <", e.name, size, (x+dx)*ptPerMM, (pdfPageH-(y+.5*h+.3*size/ptPerMM))*ptPerMM)
	const hexDigits = "0123456789ABCDEF"
	for _, r := range s {
		gid, ok := e.gids[r]
		if !ok {
			gid, _ = f.sf.GlyphIndex(&f.buf, r) // 0 (no glyph) on error
			e.gids[r] = gid
			if _, ok := e.used[gid]; !ok {
				e.used[gid] = r
			}
		}
		o.content.Write([]byte{hexDigits[gid>>12&15], hexDigits[gid>>8&15], hexDigits[gid>>4&15], hexDigits[gid&15]})
	}
	o.content.WriteString("> Tj ET\n")
}

func (ls *listingStream) line(x1, y1, x2, y2 float64) {
	if o := ls.out; o != nil {
		fmt.Fprintf(&o.content, "%.2f %.2f m %.2f %.2f l S\n", x1*ptPerMM, (pdfPageH-y1)*ptPerMM, x2*ptPerMM, (pdfPageH-y2)*ptPerMM)
	}
}

// appendTo writes doc (fpdf's front matter, front pages) and then the
// listing as an incremental update of it.
func (ls *listingStream) appendTo(ctx context.Context, w io.Writer, doc []byte, front, total int) error {
	prev, err := parsePDFTail(doc)
	if err != nil {
		return err
	}
	o := &pdfOut{bw: bufio.NewWriterSize(w, 1<<16), next: prev.size, base: prev.size, fonts: map[*font]*embFont{}}
	o.write(doc)
	o.resources = o.alloc()
	ls.front = front
	n, err := ls.run(ctx, o, total)
	if err != nil {
		return err
	}
	if front+n != total {
		return fmt.Errorf("report: the PDF listing has %d pages, %d were counted", n, total-front)
	}
	return o.finish(prev)
}

// pdfTail is what the incremental update needs of the document it extends.
type pdfTail struct {
	size, root, info int
	xref             int64
	kids             string // the page tree's /Kids entries
	mediaBox         string
}

var (
	reStartXref = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF\s*$`)
	reTrailer   = regexp.MustCompile(`trailer\s*<<\s*/Size (\d+)\s*/Root (\d+) 0 R\s*/Info (\d+) 0 R\s*>>`)
	rePages     = regexp.MustCompile(`(?s)\n1 0 obj\n<</Type /Pages\n/Kids \[([0-9 R]*)\]\n/Count \d+\n/MediaBox \[([0-9. ]+)\]`)
)

// parsePDFTail reads the trailer and page tree of the document fpdf wrote.
func parsePDFTail(doc []byte) (pdfTail, error) {
	var t pdfTail
	m := reStartXref.FindSubmatch(doc)
	tr := reTrailer.FindAllSubmatch(doc, -1)
	pg := rePages.FindSubmatch(doc)
	if m == nil || len(tr) == 0 || pg == nil {
		return t, errors.New("report: cannot extend the PDF: its trailer or page tree is not as expected")
	}
	t.xref, _ = strconv.ParseInt(string(m[1]), 10, 64)
	last := tr[len(tr)-1]
	t.size, _ = strconv.Atoi(string(last[1]))
	t.root, _ = strconv.Atoi(string(last[2]))
	t.info, _ = strconv.Atoi(string(last[3]))
	t.kids, t.mediaBox = strings.TrimSpace(string(pg[1])), string(pg[2])
	return t, nil
}

// pdfOut writes the objects of the incremental update.
type pdfOut struct {
	bw        *bufio.Writer
	off       int64
	err       error
	base      int     // first new object number
	next      int     // next free object number
	offs      []int64 // offsets of objects base..next-1 (0: not written yet)
	kids      []int   // the listing's page objects
	resources int
	fonts     map[*font]*embFont
	order     []*embFont
	content   bytes.Buffer // the page being drawn
	zbuf      bytes.Buffer
}

// embFont is a font embedded in the listing, with the glyphs it showed.
type embFont struct {
	f     *font
	name  string
	index int
	obj   int
	used  map[sfntGlyph]rune // the glyphs shown, with a rune each shows
	gids  map[rune]sfntGlyph
}

func (o *pdfOut) write(b []byte) {
	if o.err != nil {
		return
	}
	n, err := o.bw.Write(b)
	o.off += int64(n)
	o.err = err
}

func (o *pdfOut) printf(format string, a ...any) { o.write(fmt.Appendf(nil, format, a...)) }

func (o *pdfOut) alloc() int {
	o.next++
	o.offs = append(o.offs, 0)
	return o.next - 1
}

// begin starts object num at the current offset.
func (o *pdfOut) begin(num int) {
	o.offs[num-o.base] = o.off
	o.printf("%d 0 obj\n", num)
}

// stream writes object num as a compressed stream with extra dictionary
// entries.
func (o *pdfOut) stream(num int, dict string, data []byte) {
	o.zbuf.Reset()
	zw, _ := zlib.NewWriterLevel(&o.zbuf, zlib.BestSpeed)
	zw.Write(data)
	zw.Close()
	o.begin(num)
	o.printf("<</Filter /FlateDecode /Length %d%s>>\nstream\n", o.zbuf.Len(), dict)
	o.write(o.zbuf.Bytes())
	o.printf("\nendstream\nendobj\n")
}

// gray sets the fill (or stroke) colour to a gray level 0-255.
func (o *pdfOut) gray(v int, stroke bool) {
	op := "g"
	if stroke {
		op = "G"
	}
	fmt.Fprintf(&o.content, "%.3f %s\n", float64(v)/255, op)
}

func (o *pdfOut) rect(x, y, w, h float64, fill bool) {
	op := "S"
	if fill {
		op = "B"
	}
	fmt.Fprintf(&o.content, "%.2f %.2f %.2f %.2f re %s\n", x*ptPerMM, (pdfPageH-y)*ptPerMM, w*ptPerMM, -h*ptPerMM, op)
}

func (o *pdfOut) embed(f *font) *embFont {
	e := o.fonts[f]
	if e == nil {
		e = &embFont{f: f, name: fmt.Sprintf("L%d", len(o.order)), index: len(o.order), obj: o.alloc(), used: map[sfntGlyph]rune{}, gids: map[rune]sfntGlyph{}}
		o.fonts[f] = e
		o.order = append(o.order, e)
	}
	return e
}

// writePage writes the page drawn and its content.
func (o *pdfOut) writePage() {
	page, content := o.alloc(), o.alloc()
	o.stream(content, "", o.content.Bytes())
	o.begin(page)
	o.printf("<</Type /Page /Parent 1 0 R /Resources %d 0 R /Contents %d 0 R>>\nendobj\n", o.resources, content)
	o.kids = append(o.kids, page)
	o.content.Reset()
}

// finish writes the fonts, the resources, the new page tree root and the
// cross-reference section.
func (o *pdfOut) finish(prev pdfTail) error {
	var fonts strings.Builder
	for _, e := range o.order {
		o.writeFont(e)
		fmt.Fprintf(&fonts, "/%s %d 0 R ", e.name, e.obj)
	}
	o.begin(o.resources)
	o.printf("<</ProcSet [/PDF /Text] /Font <<%s>>>>\nendobj\n", fonts.String())
	rootOff := o.off
	var kids strings.Builder
	kids.WriteString(prev.kids)
	for _, k := range o.kids {
		fmt.Fprintf(&kids, " %d 0 R", k)
	}
	n := len(strings.Fields(prev.kids))/3 + len(o.kids)
	o.printf("1 0 obj\n<</Type /Pages\n/Kids [%s]\n/Count %d\n/MediaBox [%s]\n>>\nendobj\n", kids.String(), n, prev.mediaBox)
	xref := o.off
	o.printf("xref\n0 1\n0000000000 65535 f \n1 1\n%010d 00000 n \n%d %d\n", rootOff, o.base, o.next-o.base)
	for i, off := range o.offs {
		if off == 0 {
			return fmt.Errorf("report: PDF object %d was not written", o.base+i)
		}
		o.printf("%010d 00000 n \n", off)
	}
	o.printf("trailer\n<<\n/Size %d\n/Root %d 0 R\n/Info %d 0 R\n/Prev %d\n>>\nstartxref\n%d\n%%%%EOF\n", o.next, prev.root, prev.info, prev.xref, xref)
	if o.err != nil {
		return o.err
	}
	return o.bw.Flush()
}

// writeFont writes a whole TrueType font as a Type 0 font with
// Identity-H encoding (character codes are glyph ids), its widths and a
// ToUnicode map of the glyphs shown.
func (o *pdfOut) writeFont(e *embFont) {
	f := e.f
	cid, desc, file, tounicode := o.alloc(), o.alloc(), o.alloc(), o.alloc()
	data, name := f.data, postScriptName(f)
	if sub, err := subsetTrueType(f.data, e.used); err == nil {
		// a subset's name carries a tag of six capitals (PDF 1.7, 9.6.4)
		data, name = sub, fmt.Sprintf("TRLS%c%c+%s", 'A'+e.index/26%26, 'A'+e.index%26, name)
	}
	o.begin(e.obj)
	o.printf("<</Type /Font /Subtype /Type0 /BaseFont /%s /Encoding /Identity-H /DescendantFonts [%d 0 R] /ToUnicode %d 0 R>>\nendobj\n", name, cid, tounicode)
	gids := make([]int, 0, len(e.used))
	for g := range e.used {
		gids = append(gids, int(g))
	}
	sort.Ints(gids)
	var w strings.Builder
	for _, g := range gids {
		fmt.Fprintf(&w, "%d [%.0f] ", g, glyphAdvance1000(f, sfntGlyph(g)))
	}
	o.begin(cid)
	o.printf("<</Type /Font /Subtype /CIDFontType2 /BaseFont /%s /CIDSystemInfo <</Registry (Adobe) /Ordering (Identity) /Supplement 0>> /FontDescriptor %d 0 R /CIDToGIDMap /Identity /DW 600 /W [%s]>>\nendobj\n",
		name, desc, w.String())
	upem := fixed.Int26_6(f.sf.UnitsPerEm())
	scale := func(v fixed.Int26_6) int { return int(float64(v) / 64 * 1000 / float64(upem)) }
	b, _ := f.sf.Bounds(&f.buf, upem<<6, xfont.HintingNone)
	m, _ := f.sf.Metrics(&f.buf, upem<<6, xfont.HintingNone)
	o.begin(desc)
	o.printf("<</Type /FontDescriptor /FontName /%s /Flags 32 /FontBBox [%d %d %d %d] /ItalicAngle 0 /Ascent %d /Descent %d /CapHeight %d /StemV 80 /FontFile2 %d 0 R>>\nendobj\n",
		name, scale(b.Min.X), -scale(b.Max.Y), scale(b.Max.X), -scale(b.Min.Y), scale(m.Ascent), -scale(m.Descent), scale(m.CapHeight), file)
	o.stream(file, fmt.Sprintf(" /Length1 %d", len(data)), data)
	var cm bytes.Buffer
	cm.WriteString("/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo <</Registry (Adobe) /Ordering (UCS) /Supplement 0>> def\n" +
		"/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n")
	for i := 0; i < len(gids); i += 100 {
		chunk := gids[i:min(i+100, len(gids))]
		fmt.Fprintf(&cm, "%d beginbfchar\n", len(chunk))
		for _, g := range chunk {
			fmt.Fprintf(&cm, "<%04X> <%04X>\n", g, e.used[sfntGlyph(g)])
		}
		cm.WriteString("endbfchar\n")
	}
	cm.WriteString("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n")
	o.stream(tounicode, "", cm.Bytes())
}

// postScriptName is the font's PostScript name, reduced to the characters
// a PDF name may hold without escapes.
func postScriptName(f *font) string {
	n, _ := f.sf.Name(&f.buf, 6) // NameIDPostScript
	n = strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return r
		}
		return -1
	}, n)
	return nonEmpty(n, "Font-"+f.family)
}

type sfntGlyph = sfnt.GlyphIndex
