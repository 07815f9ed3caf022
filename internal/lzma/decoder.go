package lzma

import (
	"errors"
	"fmt"
	"unsafe"
)

// LZMA's model constants (lzma-specification.txt).
const (
	numStates      = 12
	posBitsMax     = 4
	lenLowSymbols  = 8
	lenMidSymbols  = 8
	lenHighSymbols = 256
	matchLenMin    = 2
	distStates     = 4
	distSlots      = 64
	distModelStart = 4
	distModelEnd   = 14
	fullDistances  = 1 << (distModelEnd / 2)
	alignBits      = 4
	alignSize      = 1 << alignBits

	probBits = 11
	probInit = 1 << (probBits - 1)
	moveBits = 5
	topValue = 1 << 24

	// maxSymbolBytes bounds the compressed bytes one symbol reads: at most
	// one byte per decoded bit (a match: 48 bits).
	maxSymbolBytes = 64
	// inPad is the zero padding after the compressed bytes of a buffer,
	// so that a symbol started before the end never reads past the slice.
	inPad = 2 * maxSymbolBytes
)

// ErrCorrupt is wrapped by every error about the content of a stream.
var ErrCorrupt = errors.New("corrupt data")

// Props are LZMA's properties: the literal context and position bits and
// the position bits of the other symbols.
type Props struct {
	LC, LP, PB int
}

// propsFromByte decodes the properties byte (lc + 9·lp + 45·pb).
func propsFromByte(b byte) (Props, error) {
	if b >= 9*5*5 {
		return Props{}, fmt.Errorf("lzma: properties byte %#x out of range: %w", b, ErrCorrupt)
	}
	return Props{LC: int(b % 9), LP: int(b / 9 % 5), PB: int(b / 45)}, nil
}

type lenCoder struct {
	choice  uint16
	choice2 uint16
	low     [1 << posBitsMax][lenLowSymbols]uint16
	mid     [1 << posBitsMax][lenMidSymbols]uint16
	high    [lenHighSymbols]uint16
}

// probs are the adaptive probabilities of every symbol's bits.
type probs struct {
	isMatch     [numStates << posBitsMax]uint16
	isRep       [numStates]uint16
	isRepG0     [numStates]uint16
	isRepG1     [numStates]uint16
	isRepG2     [numStates]uint16
	isRep0Long  [numStates << posBitsMax]uint16
	distSlot    [distStates][distSlots]uint16
	distSpecial [fullDistances - distModelEnd + 1]uint16
	align       [alignSize]uint16
	matchLen    lenCoder
	repLen      lenCoder
}

// decoder is the state of an LZMA stream over its dictionary, the window
// of the bytes decoded last.
type decoder struct {
	p       probs
	literal []uint16
	props   Props

	state            uint32
	rep0, rep1, rep2 uint32
	rep3             uint32

	// The range decoder: rng, code, and the compressed bytes in[ip:end]
	// followed by at least inPad bytes of padding. base is the stream
	// offset of in[0], for errors.
	rng, code uint32
	in        []byte
	ip, end   int
	base      int64

	// The dictionary: buf[0:pos] is the newest content, and when wrapped
	// the older content is buf[pos:]. It grows, up to dictSize, until it
	// is full once. out is where the bytes not yet handed out start.
	buf      []byte
	pos      int
	out      int
	wrapped  bool
	dictSize int
	// total is the bytes decoded since the last dictionary reset: the
	// position the literal and position states come from.
	total uint64

	// A match cut at the end of the window or of the bytes asked for:
	// pend bytes still to copy from distance rep0.
	pend int
}

// newDecoder returns a decoder with a dictionary of dictSize bytes at most;
// it allocates the first initial bytes of it (grown as content comes).
func newDecoder(dictSize, initial int) *decoder {
	if dictSize < 4096 {
		dictSize = 4096
	}
	if initial <= 0 || initial > dictSize {
		initial = dictSize
	}
	if initial < 4096 {
		initial = 4096
	}
	return &decoder{buf: make([]byte, initial), dictSize: dictSize}
}

// setProps sets the properties, keeping the literal table's memory when
// it is large enough.
func (d *decoder) setProps(p Props) {
	d.props = p
	n := 0x300 << (p.LC + p.LP)
	if cap(d.literal) >= n {
		d.literal = d.literal[:n]
	} else {
		d.literal = make([]uint16, n)
	}
}

// resetState resets the probabilities and the state, not the dictionary.
func (d *decoder) resetState() {
	pp := unsafe.Slice((*uint16)(unsafe.Pointer(&d.p)), unsafe.Sizeof(d.p)/2)
	for i := range pp {
		pp[i] = probInit
	}
	for i := range d.literal {
		d.literal[i] = probInit
	}
	d.state = 0
	d.rep0, d.rep1, d.rep2, d.rep3 = 0, 0, 0, 0
	d.pend = 0
}

// resetDict empties the dictionary. The bytes not handed out yet must have
// been handed out before.
func (d *decoder) resetDict() {
	d.pos, d.out, d.wrapped, d.total = 0, 0, false, 0
}

// initRange starts the range decoder on in[ip:end].
func (d *decoder) initRange() error {
	if d.end-d.ip < 5 {
		return d.errAt(d.ip, "range coder starts with fewer than 5 bytes")
	}
	if d.in[d.ip] != 0 {
		return d.errAt(d.ip, "range coder's first byte is not 0")
	}
	d.code = uint32(d.in[d.ip+1])<<24 | uint32(d.in[d.ip+2])<<16 | uint32(d.in[d.ip+3])<<8 | uint32(d.in[d.ip+4])
	d.rng = 0xFFFFFFFF
	d.ip += 5
	if d.code == d.rng {
		return d.errAt(d.ip-1, "range coder's first code is invalid")
	}
	return nil
}

func (d *decoder) errAt(ip int, msg string) error {
	return fmt.Errorf("lzma: %s at compressed offset %d: %w", msg, d.base+int64(ip), ErrCorrupt)
}

// handOut copies to p the decoded bytes not handed out yet.
func (d *decoder) handOut(p []byte) int {
	n := copy(p, d.buf[d.out:d.pos])
	d.out += n
	return n
}

// room makes room in the window for at least one byte: it grows a window
// filled for the first time up to dictSize, else wraps to its start. All
// of the window must have been handed out.
func (d *decoder) room() {
	if d.pos < len(d.buf) {
		return
	}
	if !d.wrapped && len(d.buf) < d.dictSize {
		n := min(2*len(d.buf), d.dictSize)
		nb := make([]byte, n)
		copy(nb, d.buf)
		d.buf = nb
		return
	}
	d.pos, d.out, d.wrapped = 0, 0, true
}

// copyMatch copies n bytes from distance dist+1 behind pos (dist checked
// by the caller); pos+n must not pass the window's end.
func (d *decoder) copyMatch(dist uint32, n int) {
	buf := d.buf
	pos := d.pos
	src := pos - int(dist) - 1
	if src < 0 {
		src += len(buf)
		// The start of the match lies in the older part at the window's
		// end: copy up to the end of it, then go on from the start.
		k := min(n, len(buf)-src)
		copy(buf[pos:pos+k], buf[src:src+k])
		pos += k
		n -= k
		src = 0
		if n == 0 {
			d.pos = pos
			return
		}
	}
	if n <= pos-src {
		if n <= 8 {
			for i := range n {
				buf[pos+i] = buf[src+i]
			}
		} else {
			copy(buf[pos:pos+n], buf[src:src+n])
		}
		d.pos = pos + n
		return
	}
	// Overlapping: the content repeats with period pos-src; copy it in
	// doubling blocks.
	if pos-src == 1 {
		b := buf[src]
		s := buf[pos : pos+n]
		for i := range s {
			s[i] = b
		}
		d.pos = pos + n
		return
	}
	end := pos + n
	for pos < end {
		k := copy(buf[pos:end], buf[src:pos])
		pos += k
	}
	d.pos = end
}

// status is why decode returned.
type status int

const (
	stLimit  status = iota // the window reached limit
	stNeedIn               // fewer than maxSymbolBytes of input are left (more may come)
	stEOS                  // an end-of-stream marker
)

// decode decodes symbols until the window reaches limit (at most
// len(d.buf)), the input left falls under safe (d.ip > safe: the caller
// gives more, or, at the input's end, calls with safe = d.end), or an
// end-of-stream marker. A bad distance or input read past d.end is an
// error.
func (d *decoder) decode(limit, safe int, allowEOS bool) (status, error) {
	buf := d.buf[:limit]
	pos := d.pos
	// Finish a match cut before.
	if d.pend > 0 {
		k := min(d.pend, limit-pos)
		d.copyMatch(d.rep0, k)
		pos = d.pos
		d.total += uint64(k)
		d.pend -= k
		if d.pend > 0 {
			return stLimit, nil
		}
	}

	in := d.in
	ip := d.ip
	rng, code := d.rng, d.code
	state := d.state
	rep0, rep1, rep2, rep3 := d.rep0, d.rep1, d.rep2, d.rep3
	total := d.total
	lc := uint(d.props.LC)
	lpMask := uint64(1)<<d.props.LP - 1
	pbMask := uint32(1)<<d.props.PB - 1
	literal := d.literal
	p := &d.p
	full := len(d.buf)
	wrapped := d.wrapped
	var st status
	var err error

loop:
	for pos < limit {
		if ip > safe {
			if safe >= d.end {
				err = d.errAt(d.end, "compressed data ends within a symbol")
				break
			}
			st = stNeedIn
			break
		}
		posState := uint32(total) & pbMask
		var b uint32
		rng, code, ip, b = bit(rng, code, in, ip, &p.isMatch[state<<posBitsMax|posState])
		if b == 0 {
			// A literal.
			var prev uint32
			if pos > 0 {
				prev = uint32(buf[pos-1])
			} else if wrapped {
				prev = uint32(d.buf[full-1])
			}
			lp := literal[0x300*(((total&lpMask)<<lc)+uint64(prev>>(8-lc))):]
			lp = lp[:0x300]
			sym := uint32(1)
			if state < 7 {
				// Without branches on the bits: a literal's bits are
				// the least predictable of the stream.
				for sym < 0x100 {
					pr := &lp[sym&0xff]
					if rng < topValue {
						rng <<= 8
						code = code<<8 | uint32(in[ip])
						ip++
					}
					pv := uint32(*pr)
					bound := (rng >> probBits) * pv
					var bt uint32
					if code >= bound {
						bt = 1
					}
					m := -bt
					rng = bound&^m | (rng-bound)&m
					code -= bound & m
					*pr = uint16((pv+(1<<probBits-pv)>>moveBits)&^m | (pv-pv>>moveBits)&m)
					sym = sym<<1 | bt
				}
			} else {
				src := pos - int(rep0) - 1
				if src < 0 {
					src += full
				}
				if uint(src) >= uint(full) {
					// Cannot happen: rep0 was checked when it was set,
					// and a dictionary reset resets the state.
					err = d.errAt(ip, "matched literal beyond the window")
					break
				}
				match := uint32(d.buf[src]) << 1
				offs := uint32(0x100)
				for sym < 0x100 {
					mbit := match & offs
					match <<= 1
					var bt uint32
					rng, code, ip, bt = bit(rng, code, in, ip, &lp[offs+mbit+sym])
					sym = sym<<1 | bt
					if bt == 0 {
						offs &^= mbit
					} else {
						offs = mbit
					}
				}
			}
			buf[pos] = byte(sym)
			pos++
			total++
			switch {
			case state < 4:
				state = 0
			case state < 10:
				state -= 3
			default:
				state -= 6
			}
			continue
		}

		// A match or a rep (a match at one of the last four distances):
		// which, then its length, then a match's distance.
		var lcd *lenCoder
		simple := false
		rng, code, ip, b = bit(rng, code, in, ip, &p.isRep[state])
		if b == 0 {
			simple = true
			lcd = &p.matchLen
			if state < 7 {
				state = 7
			} else {
				state = 10
			}
		} else {
			rng, code, ip, b = bit(rng, code, in, ip, &p.isRepG0[state])
			if b == 0 {
				rng, code, ip, b = bit(rng, code, in, ip, &p.isRep0Long[state<<posBitsMax|posState])
				if b == 0 {
					// A short rep: one byte at rep0.
					if state < 7 {
						state = 9
					} else {
						state = 11
					}
					v := pos
					if wrapped {
						v = full
					}
					if int(rep0) >= v {
						err = d.errAt(ip, "distance beyond the decoded content")
						break
					}
					src := pos - int(rep0) - 1
					if src < 0 {
						src += full
					}
					buf[pos] = d.buf[src]
					pos++
					total++
					continue
				}
			} else {
				var dist uint32
				rng, code, ip, b = bit(rng, code, in, ip, &p.isRepG1[state])
				if b == 0 {
					dist = rep1
				} else {
					rng, code, ip, b = bit(rng, code, in, ip, &p.isRepG2[state])
					if b == 0 {
						dist = rep2
					} else {
						dist = rep3
						rep3 = rep2
					}
					rep2 = rep1
				}
				rep1 = rep0
				rep0 = dist
			}
			lcd = &p.repLen
			if state < 7 {
				state = 8
			} else {
				state = 11
			}
		}
		// The length: 3 bits (2-9), 3 more (10-17) or 8 (18-273).
		var tree []uint16
		var l, tl uint32
		rng, code, ip, b = bit(rng, code, in, ip, &lcd.choice)
		if b == 0 {
			tree, tl = lcd.low[posState&15][:], lenLowSymbols
		} else {
			rng, code, ip, b = bit(rng, code, in, ip, &lcd.choice2)
			if b == 0 {
				tree, tl, l = lcd.mid[posState&15][:], lenMidSymbols, lenLowSymbols
			} else {
				tree, tl, l = lcd.high[:], lenHighSymbols, lenLowSymbols+lenMidSymbols
			}
		}
		sym := uint32(1)
		for sym < tl {
			rng, code, ip, b = bit(rng, code, in, ip, &tree[sym])
			sym = sym<<1 | b
		}
		l += sym - tl
		n := int(l) + matchLenMin
		if simple {
			// The distance: a 6-bit slot, then the bits below its top two.
			slots := &p.distSlot[min(l, distStates-1)]
			sym = 1
			for sym < distSlots {
				rng, code, ip, b = bit(rng, code, in, ip, &slots[sym&(distSlots-1)])
				sym = sym<<1 | b
			}
			slot := sym - distSlots
			dist := slot
			if slot >= distModelStart {
				nd := slot>>1 - 1
				dist = (2 | slot&1) << nd
				if slot < distModelEnd {
					probs := p.distSpecial[dist-slot:]
					sym = 1
					for i := range nd {
						rng, code, ip, b = bit(rng, code, in, ip, &probs[sym])
						sym = sym<<1 | b
						dist += b << i
					}
				} else {
					var r uint32
					for range nd - alignBits {
						if rng < topValue {
							rng <<= 8
							code = code<<8 | uint32(in[ip])
							ip++
						}
						rng >>= 1
						code -= rng
						mask := 0 - code>>31
						code += rng & mask
						r = r<<1 + mask + 1
					}
					dist += r << alignBits
					sym = 1
					for i := range uint32(alignBits) {
						rng, code, ip, b = bit(rng, code, in, ip, &p.align[sym&(alignSize-1)])
						sym = sym<<1 | b
						dist += b << i
					}
					if dist == 0xFFFFFFFF {
						// The end-of-stream marker.
						if !allowEOS {
							err = d.errAt(ip, "end marker where none is allowed")
							break loop
						}
						st = stEOS
						break loop
					}
				}
			}
			rep3, rep2, rep1, rep0 = rep2, rep1, rep0, dist
		}
		v := pos
		if wrapped {
			v = full
		}
		if int(rep0) >= v {
			err = d.errAt(ip, fmt.Sprintf("distance %d beyond the %d bytes decoded", uint64(rep0)+1, v))
			break
		}
		k := min(n, limit-pos)
		d.pos = pos
		d.copyMatch(rep0, k)
		pos = d.pos
		total += uint64(k)
		if k < n {
			d.pend = n - k
			break
		}
	}
	// Leave the range decoder normalized, so that a chunk's end is where
	// its last byte was read.
	if err == nil && rng < topValue && ip <= d.end {
		rng <<= 8
		code = code<<8 | uint32(in[ip])
		ip++
	}
	d.pos = pos
	d.ip = ip
	d.rng, d.code = rng, code
	d.state = state
	d.rep0, d.rep1, d.rep2, d.rep3 = rep0, rep1, rep2, rep3
	d.total = total
	if err == nil && ip > d.end {
		err = d.errAt(d.end, "compressed data ends within a symbol")
	}
	return st, err
}

// bit decodes one bit with probability *pr.
func bit(rng, code uint32, in []byte, ip int, pr *uint16) (uint32, uint32, int, uint32) {
	if rng < topValue {
		rng <<= 8
		code = code<<8 | uint32(in[ip])
		ip++
	}
	bound := (rng >> probBits) * uint32(*pr)
	if code < bound {
		*pr += (1<<probBits - *pr) >> moveBits
		return bound, code, ip, 0
	}
	*pr -= *pr >> moveBits
	return rng - bound, code - bound, ip, 1
}
