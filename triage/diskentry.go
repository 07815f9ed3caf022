package triage

import (
	"encoding/binary"
	"math"
	"time"
)

// The entries the disk-order pass collects wait in memory until their
// content is read: on a volume of 100,000 files, a struct, an Extra map,
// time strings and closures each, about 1.3 KB per entry and as many
// pointers for the collector to follow at every cycle. They are kept
// encoded instead, in large byte blocks the collector does not scan
// (entryArena), and decoded when their content is complete. The encoding
// gives back the same values of the same types: the records are those of
// the per-file path. An entry with an Extra value of another type (or too
// large for a block) is kept as it is.

// arenaBlock is the size of the arena's blocks; an encoded entry does not
// straddle two.
const arenaBlock = 1 << 20

// entryArena holds encoded entries.
type entryArena struct {
	blocks [][]byte
	vols   []*int // the Volume pointers met (shared by the entries of a volume)
	buf    []byte // scratch of put
}

// Tags of the encoded Extra values.
const (
	tagString byte = iota
	tagFalse
	tagTrue
	tagInt
	tagInt64
	tagUint16
	tagUint32
	tagUint64
	tagStrings
	tagNil
)

// put encodes e (its Open, Extents and Err are not kept) and returns its
// place; ok is false when e cannot be encoded.
func (a *entryArena) put(e *Entry) (at int64, ok bool) {
	b := a.buf[:0]
	for _, s := range [...]string{e.Key, e.Path, e.Stream, e.Type, e.LinkTarget} {
		b = appendStr(b, s)
	}
	b = binary.AppendVarint(b, e.Size)
	var flags byte
	if e.Deleted {
		flags |= 1
	}
	if e.Inode != nil {
		flags |= 2
	}
	if e.Volume != nil {
		flags |= 4
	}
	b = append(b, flags)
	if e.Inode != nil {
		b = binary.AppendUvarint(b, *e.Inode)
	}
	if e.Volume != nil {
		i := len(a.vols)
		for k, v := range a.vols {
			if v == e.Volume {
				i = k
				break
			}
		}
		if i == len(a.vols) {
			if i >= 256 {
				return 0, false
			}
			a.vols = append(a.vols, e.Volume)
		}
		b = binary.AppendUvarint(b, uint64(i))
	}
	for _, t := range [...]time.Time{e.Mtime, e.Atime, e.Ctime, e.Btime} {
		if t.IsZero() && t.Location() == time.UTC {
			b = append(b, 0)
			continue
		}
		m, err := t.MarshalBinary()
		if err != nil || len(m) > 255 {
			return 0, false
		}
		b = append(b, byte(len(m)))
		b = append(b, m...)
	}
	if e.Extra == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(e.Extra)))
		for k, v := range e.Extra {
			b = appendStr(b, k)
			switch x := v.(type) {
			case string:
				b = appendStr(append(b, tagString), x)
			case bool:
				if x {
					b = append(b, tagTrue)
				} else {
					b = append(b, tagFalse)
				}
			case int:
				b = binary.AppendVarint(append(b, tagInt), int64(x))
			case int64:
				b = binary.AppendVarint(append(b, tagInt64), x)
			case uint16:
				b = binary.AppendUvarint(append(b, tagUint16), uint64(x))
			case uint32:
				b = binary.AppendUvarint(append(b, tagUint32), uint64(x))
			case uint64:
				b = binary.AppendUvarint(append(b, tagUint64), x)
			case []string:
				if x == nil {
					return 0, false
				}
				b = binary.AppendUvarint(append(b, tagStrings), uint64(len(x)))
				for _, s := range x {
					b = appendStr(b, s)
				}
			case nil:
				b = append(b, tagNil)
			default:
				return 0, false
			}
		}
	}
	a.buf = b
	if len(b) > arenaBlock {
		return 0, false
	}
	n := len(a.blocks)
	if n == 0 || len(a.blocks[n-1])+len(b) > arenaBlock {
		a.blocks = append(a.blocks, make([]byte, 0, arenaBlock))
		n++
	}
	last := a.blocks[n-1]
	at = int64(n-1)*arenaBlock + int64(len(last))
	a.blocks[n-1] = append(last, b...)
	return at, true
}

func appendStr(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// arenaReader decodes what put encoded (trusted: the arena is ours).
type arenaReader struct{ b []byte }

func (r *arenaReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	r.b = r.b[n:]
	return v
}

func (r *arenaReader) varint() int64 {
	v, n := binary.Varint(r.b)
	r.b = r.b[n:]
	return v
}

func (r *arenaReader) str() string {
	n := r.uvarint()
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func (r *arenaReader) byte() byte {
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// get decodes the entry put at at.
func (a *entryArena) get(at int64) *Entry {
	r := arenaReader{a.blocks[at/arenaBlock][at%arenaBlock:]}
	e := &Entry{}
	e.Key, e.Path, e.Stream, e.Type, e.LinkTarget = r.str(), r.str(), r.str(), r.str(), r.str()
	e.Size = r.varint()
	flags := r.byte()
	e.Deleted = flags&1 != 0
	if flags&2 != 0 {
		ino := r.uvarint()
		e.Inode = &ino
	}
	if flags&4 != 0 {
		e.Volume = a.vols[r.uvarint()]
	}
	for _, t := range [...]*time.Time{&e.Mtime, &e.Atime, &e.Ctime, &e.Btime} {
		n := int(r.byte())
		if n == 0 {
			continue
		}
		_ = t.UnmarshalBinary(r.b[:n])
		r.b = r.b[n:]
	}
	if r.byte() == 0 {
		return e
	}
	n := r.uvarint()
	e.Extra = make(map[string]any, n)
	for range n {
		k := r.str()
		var v any
		switch r.byte() {
		case tagString:
			v = r.str()
		case tagFalse:
			v = false
		case tagTrue:
			v = true
		case tagInt:
			v = int(r.varint())
		case tagInt64:
			v = r.varint()
		case tagUint16:
			v = uint16(min(r.uvarint(), math.MaxUint16))
		case tagUint32:
			v = uint32(min(r.uvarint(), math.MaxUint32))
		case tagUint64:
			v = r.uvarint()
		case tagStrings:
			l := make([]string, r.uvarint())
			for i := range l {
				l[i] = r.str()
			}
			v = l
		case tagNil:
		}
		e.Extra[k] = v
	}
	return e
}
