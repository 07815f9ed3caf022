package ewf

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/adler32"
)

// parser is the state of NewReader's pass over the sections of the
// segment files.
type parser struct {
	r          *Reader
	m          *Metadata
	haveVolume bool
	volumeErr  error // first volume section that failed, if none parses
	headerRank int   // 2 header2, 1 header
	nchunks    int64 // chunks listed by the tables so far

	// The section being read.
	seg     Segment
	segIdx  int
	secs    []section // sections of seg
	si      int       // index of s in secs
	s       section
	damaged error // table that failed, waiting for its table2
}

// sectionHandlers read the sections NewReader uses, by type. Damage that
// does not stop reading is added to Metadata.Problems; a returned error
// makes NewReader fail. Other section types are skipped.
var sectionHandlers = map[string]func(*parser) error{
	"header2":    (*parser).header,
	"header":     (*parser).header,
	"volume":     (*parser).volume,
	"disk":       (*parser).volume,
	"data":       (*parser).volume,
	"table":      (*parser).table,
	"table2":     (*parser).table,
	"hash":       (*parser).hash,
	"digest":     (*parser).digest,
	"error2":     (*parser).error2,
	"xhash":      (*parser).xhash,
	"incomplete": (*parser).incomplete,
}

// problem returns a FormatError in the current section at byte off of its
// segment file.
func (p *parser) problem(msg string, off int64, err error) *FormatError {
	return &FormatError{Segment: p.seg.Name, Section: printable(p.s.typ), Off: off, Msg: msg, Err: err}
}

// read returns the data of the current section, refusing more than limit
// bytes.
func (p *parser) read(limit int64) ([]byte, error) {
	s := p.s
	if s.dataLen() > limit {
		return nil, p.problem(fmt.Sprintf("section data of %d bytes exceeds %d", s.dataLen(), limit), s.off, nil)
	}
	return readFull(p.seg, s.typ, s.dataOff, s.dataLen())
}

// header reads the case metadata of a header2 or header section; a header2
// section wins over a header section, the first of each kind over later
// copies.
func (p *parser) header() error {
	s, m := p.s, p.m
	rank := 1
	if s.typ == "header2" {
		rank = 2
	}
	if rank <= p.headerRank {
		return nil
	}
	b, err := p.read(maxMetaSection)
	if err != nil {
		m.Problems = append(m.Problems, err)
		return nil
	}
	text, err := decodeHeaderText(b, rank == 2)
	if err != nil {
		m.Problems = append(m.Problems, p.problem("case metadata", s.dataOff, err))
		return nil
	}
	var hm Metadata
	if err := parseHeaderText(text, &hm); err != nil {
		m.Problems = append(m.Problems, p.problem("case metadata", s.dataOff, err))
		return nil
	}
	copyCase(m, &hm)
	m.Header = s.typ
	p.headerRank = rank
	return nil
}

// volume reads the media geometry of the first volume (disk, data)
// section that parses.
func (p *parser) volume() error {
	if p.haveVolume {
		return nil
	}
	b, err := p.read(maxMetaSection)
	if err == nil {
		var vm Metadata
		if msg, off := parseVolume(b, &vm); msg != "" {
			err = p.problem(msg, p.s.dataOff+off, nil)
			// Damage stays on record even when a later copy (the data
			// section) gives the geometry: libewf refuses such an image.
			p.m.Problems = append(p.m.Problems, err)
		} else {
			copyGeometry(p.m, &vm)
			p.haveVolume = true
			return nil
		}
	}
	if p.volumeErr == nil {
		p.volumeErr = err
	}
	return nil
}

// table reads a chunk table; a table2 section is read only when the table
// before it failed.
func (p *parser) table() error {
	s, seg := p.s, p.seg
	if s.typ == "table2" && p.damaged == nil {
		return nil // mirror of a good table
	}
	// Read the header, entries and footer only: EWF, SMART and
	// EnCase 1 keep the chunks inside the table section.
	n := int64(0)
	if hdr, err := readFull(seg, s.typ, s.dataOff, min(4, s.dataLen())); err == nil && len(hdr) == 4 {
		n = min(int64(binary.LittleEndian.Uint32(hdr)), maxTableEntries)
	}
	b, err := readFull(seg, s.typ, s.dataOff, min(s.dataLen(), 24+4*n+4))
	var t *table
	if err == nil {
		var msg string
		var off int64
		t, msg, off = parseTable(b, s.dataOff)
		if t == nil {
			err = p.problem(msg, off, nil)
		}
	}
	if err != nil {
		if s.typ == "table2" {
			return fmt.Errorf("%w; its table2 copy is damaged too: %w", p.damaged, err)
		}
		p.damaged = err
		return nil
	}
	if s.typ == "table2" {
		p.m.Problems = append(p.m.Problems, fmt.Errorf("%w; using its table2 copy", p.damaged))
		p.damaged = nil
	}
	g := chunkGroup{first: p.nchunks, seg: p.segIdx, base: t.base, entries: t.entries, overflow: findOverflow(t.entries)}
	last, _ := g.loc(len(g.entries) - 1)
	g.lastEnd = areaEnd(p.secs, p.si, last)
	p.r.groups = append(p.r.groups, g)
	p.nchunks += int64(len(g.entries))
	return nil
}

// hash reads the MD5 of a hash section.
func (p *parser) hash() error {
	m := p.m
	b, err := p.read(maxMetaSection)
	if err != nil {
		m.Problems = append(m.Problems, err)
		return nil
	}
	if len(b) < 36 {
		m.Problems = append(m.Problems, p.problem(fmt.Sprintf("%d bytes, need 36", len(b)), p.s.dataOff, nil))
		return nil
	}
	if want, got := binary.LittleEndian.Uint32(b[32:36]), adler32.Checksum(b[:32]); want != got {
		m.Problems = append(m.Problems, p.problem(fmt.Sprintf("checksum mismatch (stored %#08x, computed %#08x)", want, got), p.s.dataOff+32, nil))
	}
	m.HashMD5 = hashValue(hex.EncodeToString(b[:16]), 32)
	return nil
}

// digest reads the MD5 and SHA-1 of a digest section.
func (p *parser) digest() error {
	m := p.m
	b, err := p.read(maxMetaSection)
	if err != nil {
		m.Problems = append(m.Problems, err)
		return nil
	}
	if len(b) < 80 {
		m.Problems = append(m.Problems, p.problem(fmt.Sprintf("%d bytes, need 80", len(b)), p.s.dataOff, nil))
		return nil
	}
	if want, got := binary.LittleEndian.Uint32(b[76:80]), adler32.Checksum(b[:76]); want != got {
		m.Problems = append(m.Problems, p.problem(fmt.Sprintf("checksum mismatch (stored %#08x, computed %#08x)", want, got), p.s.dataOff+76, nil))
	}
	m.DigestMD5 = hashValue(hex.EncodeToString(b[:16]), 32)
	m.DigestSHA1 = hashValue(hex.EncodeToString(b[16:36]), 40)
	return nil
}

// error2 reads the sectors the acquisition could not read.
func (p *parser) error2() error {
	m := p.m
	b, err := p.read(maxMetaSection)
	if err != nil {
		m.Problems = append(m.Problems, err)
		return nil
	}
	ranges, msg, off := parseError2(b)
	if msg != "" {
		m.Problems = append(m.Problems, p.problem(msg, p.s.dataOff+off, nil))
	}
	m.ReadErrors = append(m.ReadErrors, ranges...)
	return nil
}

// xhash reads the hashes of an EWF-X xhash section.
func (p *parser) xhash() error {
	b, err := p.read(maxMetaSection)
	if err == nil {
		err = parseXHash(b, p.m)
	}
	if err != nil {
		p.m.Problems = append(p.m.Problems, p.problem("hashes", p.s.dataOff, err))
	}
	return nil
}

// incomplete marks an image whose acquisition was aborted.
func (p *parser) incomplete() error {
	p.m.Incomplete = true
	p.m.Problems = append(p.m.Problems, p.problem("image marked incomplete (aborted or remote acquisition)", p.s.off, nil))
	return nil
}
