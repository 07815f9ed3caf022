package report

import (
	"encoding/binary"
	"errors"
	"sort"
)

// subsetTrueType returns a copy of the TrueType font data that keeps the
// outlines of the glyphs in keep (and of the glyphs they are composed of,
// and glyph 0) and empties every other glyph. Glyph ids do not change, so
// text encoded as glyph ids (Identity-H) shows alike with either font; the
// tables a PDF reader needs are kept (cmap, cvt, fpgm, glyf, head, hhea,
// hmtx, loca, maxp, name, OS/2, post, prep), the others dropped. A font
// whose tables do not read as expected is an error, and the caller embeds
// it whole.
func subsetTrueType(data []byte, keep map[sfntGlyph]rune) ([]byte, error) {
	bad := errors.New("report: font tables not as expected")
	if len(data) < 12 {
		return nil, bad
	}
	n := int(binary.BigEndian.Uint16(data[4:]))
	if 12+16*n > len(data) {
		return nil, bad
	}
	tables := map[string][]byte{}
	for i := range n {
		rec := data[12+16*i:]
		tag := string(rec[:4])
		off, l := int64(binary.BigEndian.Uint32(rec[8:])), int64(binary.BigEndian.Uint32(rec[12:]))
		if off+l > int64(len(data)) {
			return nil, bad
		}
		tables[tag] = data[off : off+l]
	}
	head, maxp, loca, glyf := tables["head"], tables["maxp"], tables["loca"], tables["glyf"]
	if len(head) < 54 || len(maxp) < 6 || glyf == nil {
		return nil, bad
	}
	numGlyphs := int(binary.BigEndian.Uint16(maxp[4:]))
	long := binary.BigEndian.Uint16(head[50:]) == 1
	offsets := make([]int64, numGlyphs+1)
	for i := range offsets {
		switch {
		case long && 4*i+4 <= len(loca):
			offsets[i] = int64(binary.BigEndian.Uint32(loca[4*i:]))
		case !long && 2*i+2 <= len(loca):
			offsets[i] = 2 * int64(binary.BigEndian.Uint16(loca[2*i:]))
		default:
			return nil, bad
		}
		if offsets[i] > int64(len(glyf)) || i > 0 && offsets[i] < offsets[i-1] {
			return nil, bad
		}
	}
	glyph := func(g int) []byte { return glyf[offsets[g]:offsets[g+1]] }
	// the glyphs kept, with the components of composite glyphs
	kept := map[int]bool{0: true}
	var todo []int
	for g := range keep {
		if int(g) < numGlyphs {
			todo = append(todo, int(g))
		}
	}
	for steps := 0; len(todo) > 0 && steps < 1<<20; steps++ {
		g := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if kept[g] {
			continue
		}
		kept[g] = true
		b := glyph(g)
		if len(b) < 10 || int16(binary.BigEndian.Uint16(b)) >= 0 {
			continue
		}
		for p := 10; p+4 <= len(b); {
			flags, comp := binary.BigEndian.Uint16(b[p:]), int(binary.BigEndian.Uint16(b[p+2:]))
			if comp < numGlyphs {
				todo = append(todo, comp)
			}
			p += 4
			if flags&1 != 0 {
				p += 4
			} else {
				p += 2
			}
			switch {
			case flags&8 != 0:
				p += 2
			case flags&0x40 != 0:
				p += 4
			case flags&0x80 != 0:
				p += 8
			}
			if flags&0x20 == 0 {
				break
			}
		}
	}
	var newGlyf []byte
	newLoca := make([]byte, 4*(numGlyphs+1))
	for g := range numGlyphs {
		binary.BigEndian.PutUint32(newLoca[4*g:], uint32(len(newGlyf)))
		if kept[g] {
			newGlyf = append(newGlyf, glyph(g)...)
			for len(newGlyf)%4 != 0 {
				newGlyf = append(newGlyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(newLoca[4*numGlyphs:], uint32(len(newGlyf)))
	newHead := append([]byte{}, head...)
	binary.BigEndian.PutUint32(newHead[8:], 0) // checksumAdjustment
	binary.BigEndian.PutUint16(newHead[50:], 1)
	tables["head"], tables["loca"], tables["glyf"] = newHead, newLoca, newGlyf

	var tags []string
	for _, t := range []string{"OS/2", "cmap", "cvt ", "fpgm", "glyf", "head", "hhea", "hmtx", "loca", "maxp", "name", "post", "prep"} {
		if _, ok := tables[t]; ok {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	out := make([]byte, 12+16*len(tags))
	copy(out, data[:4])
	binary.BigEndian.PutUint16(out[4:], uint16(len(tags)))
	es := 0
	for 1<<(es+1) <= len(tags) {
		es++
	}
	binary.BigEndian.PutUint16(out[6:], uint16(16<<es))
	binary.BigEndian.PutUint16(out[8:], uint16(es))
	binary.BigEndian.PutUint16(out[10:], uint16(16*len(tags)-16<<es))
	for i, t := range tags {
		b := tables[t]
		rec := out[12+16*i:]
		copy(rec, t)
		binary.BigEndian.PutUint32(rec[4:], ttfChecksum(b))
		binary.BigEndian.PutUint32(rec[8:], uint32(len(out)))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(b)))
		out = append(out, b...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
	}
	return out, nil
}

func ttfChecksum(b []byte) uint32 {
	var s uint32
	for i := 0; i < len(b); i += 4 {
		var w [4]byte
		copy(w[:], b[i:])
		s += binary.BigEndian.Uint32(w[:])
	}
	return s
}
