// Package md5x16 computes the MD5 of many short messages at once: sixteen
// messages advance together in the lanes of AVX-512 registers, one 64-byte
// block each per step, which costs a fraction of hashing them one after
// the other. A scan reads small files into one buffer and hands them over
// here together. Without AVX-512 the messages are hashed one by one with
// crypto/md5; the digests are the same.
package md5x16

import (
	"crypto/md5"
	"encoding/binary"
	"slices"
)

// Pad is the scratch room SumSpans needs after each message: MD5's padding
// (a 0x80 byte, zeros, the bit length) is written there in place.
const Pad = 72

// Span is a message: buf[Off : Off+Len].
type Span struct{ Off, Len int }

// minLanes is the batch size from which the vector code pays off.
const minLanes = 3

// SumSpans stores the MD5 of each span's message of buf in out, which must
// be as long as spans. The Pad bytes after each message are overwritten;
// they must not belong to another message. len(buf) must be below 2 GiB.
func SumSpans(buf []byte, spans []Span, out [][md5.Size]byte) {
	if !useAVX512 || len(spans) < minLanes || len(buf) >= 1<<31 {
		for i, s := range spans {
			out[i] = md5.Sum(buf[s.Off : s.Off+s.Len])
		}
		return
	}
	// Longest first: the lanes then run out of work at about the same
	// time, instead of one long message running alone at the end.
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return spans[b].Len - spans[a].Len })
	var (
		state [4][16]uint32
		offs  [16]uint32
		rem   [16]int
		who   [16]int
		mask  uint16
		next  int
	)
	assign := func(l int) {
		if next == len(spans) {
			mask &^= 1 << l
			return
		}
		s := spans[order[next]]
		end := s.Off + s.Len
		blocks := (s.Len+8)/64 + 1
		pad := buf[end : s.Off+64*blocks]
		pad[0] = 0x80
		clear(pad[1 : len(pad)-8])
		binary.LittleEndian.PutUint64(pad[len(pad)-8:], uint64(s.Len)<<3)
		state[0][l], state[1][l], state[2][l], state[3][l] = 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476
		offs[l], rem[l], who[l] = uint32(s.Off), blocks, order[next]
		mask |= 1 << l
		next++
	}
	for l := range 16 {
		assign(l)
	}
	for mask != 0 {
		n := 1 << 30
		for l := range 16 {
			if mask&(1<<l) != 0 {
				n = min(n, rem[l])
			}
		}
		block16(&state, &buf[0], &offs, mask, n)
		for l := range 16 {
			if mask&(1<<l) == 0 {
				continue
			}
			if rem[l] -= n; rem[l] == 0 {
				d := &out[who[l]]
				for w := range 4 {
					binary.LittleEndian.PutUint32(d[4*w:], state[w][l])
				}
				assign(l)
			}
		}
	}
}
