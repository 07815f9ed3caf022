package ext

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
)

// run maps count logical blocks from logical to the blocks from phys; a
// run that is not initialised (an ext4 preallocated extent) reads as
// zeros. Blocks no run covers are holes.
type run struct {
	logical, phys, count uint64
	uninit               bool
}

// blockMap returns the runs of the inode's content, sorted by logical
// block, and the problems found in the map (the runs before a problem are
// kept) in warn, such as checksum mismatches, and in err what cut the map
// short. Only the blocks that hold the first size bytes are mapped.
func (v *Volume) blockMap(in *inode) (runs []run, warn []error, err error) {
	return v.blockMapTo(nil, in)
}

// blockMapTo is blockMap appending the runs to runs[:0].
func (v *Volume) blockMapTo(runs []run, in *inode) ([]run, []error, error) {
	nblocks := (uint64(in.Size) + uint64(v.sb.blockSize) - 1) / uint64(v.sb.blockSize)
	if in.Flags&flagExtents != 0 {
		m := extentWalker{v: v, in: in, limit: nblocks, runs: runs[:0]}
		err := m.node(in.Block[:], 0, -1, in.Off+0x28, true)
		slices.SortFunc(m.runs, func(a, b run) int { return cmp.Compare(a.logical, b.logical) })
		return m.runs, m.warn, err
	}
	m := indirectWalker{v: v, in: in, limit: nblocks, runs: runs[:0]}
	runs, err := m.walk()
	return runs, nil, err
}

// extentWalker reads an extent tree.
type extentWalker struct {
	v     *Volume
	in    *inode
	limit uint64 // blocks of the content
	runs  []run
	warn  []error
	nodes int
	last  uint64 // end of the last extent (logical)
}

// node reads the extent node in b (at image offset off) of the given
// depth in the tree (-1 for the root, which sets it).
func (m *extentWalker) node(b []byte, level int, want int, off int64, root bool) error {
	le := binary.LittleEndian
	in := m.in
	if len(b) < 12 || le.Uint16(b) != 0xf30a {
		return &FormatError{Off: off, Inode: in.Num, Msg: "extent node without its magic (0xf30a)"}
	}
	entries, max, depth := int(le.Uint16(b[2:])), int(le.Uint16(b[4:])), int(le.Uint16(b[6:]))
	switch {
	case entries > max || 12+12*max > len(b):
		return &FormatError{Off: off, Inode: in.Num, Msg: fmt.Sprintf("extent node of %d entries (at most %d) does not fit its %d bytes", entries, max, len(b))}
	case depth > MaxDepth:
		return &FormatError{Off: off + 6, Inode: in.Num, Msg: fmt.Sprintf("extent tree depth %d (at most %d)", depth, MaxDepth)}
	case want >= 0 && depth != want:
		return &FormatError{Off: off + 6, Inode: in.Num, Msg: fmt.Sprintf("extent node of depth %d where %d was expected", depth, want)}
	}
	if !root && m.v.sb.hasCsum && 12+12*max+4 <= len(b) {
		t := 12 + 12*max
		if crc32c(m.v.inodeSeed(in), b[:t]) != le.Uint32(b[t:]) {
			m.warn = append(m.warn, &FormatError{Off: off + int64(t), Inode: in.Num, Msg: "extent block checksum mismatch"})
		}
	}
	m.nodes++
	if uint64(m.nodes) > 1+min(m.limit, uint64(m.v.size/m.v.sb.blockSize)) {
		return &FormatError{Off: off, Inode: in.Num, Msg: "more extent nodes than the content has blocks"}
	}
	for i := range entries {
		e := b[12+12*i : 24+12*i]
		lblk := uint64(le.Uint32(e))
		eoff := off + int64(12+12*i)
		if depth == 0 {
			n := uint64(le.Uint16(e[4:]))
			uninit := n > 32768
			if uninit {
				n -= 32768
			}
			phys := uint64(le.Uint16(e[6:]))<<32 | uint64(le.Uint32(e[8:]))
			if lblk < m.last {
				return &FormatError{Off: eoff, Inode: in.Num, Msg: fmt.Sprintf("extent at logical block %d overlaps the one before (to %d)", lblk, m.last)}
			}
			if n == 0 || phys+n > m.v.sb.blocks || phys+n < phys {
				return &FormatError{Off: eoff, Inode: in.Num, Msg: fmt.Sprintf("extent of %d blocks from block %d lies outside the %d blocks of the volume", n, phys, m.v.sb.blocks)}
			}
			m.last = lblk + n
			if lblk >= m.limit {
				continue // past the size (preallocated)
			}
			n = min(n, m.limit-lblk)
			m.runs = append(m.runs, run{logical: lblk, phys: phys, count: n, uninit: uninit})
			continue
		}
		child := uint64(le.Uint16(e[8:]))<<32 | uint64(le.Uint32(e[4:]))
		if child >= m.v.sb.blocks || child <= uint64(m.v.sb.firstData) {
			return &FormatError{Off: eoff, Inode: in.Num, Msg: fmt.Sprintf("extent index points to block %d, outside the volume", child)}
		}
		if lblk >= m.limit {
			continue
		}
		buf := make([]byte, m.v.sb.blockSize)
		if err := m.v.readBlock(buf, child); err != nil {
			return err
		}
		if err := m.node(buf, level+1, depth-1, m.v.base+int64(child)*m.v.sb.blockSize, false); err != nil {
			return err
		}
	}
	return nil
}

// inodeSeed is the seed of an inode's metadata checksums.
func (v *Volume) inodeSeed(in *inode) uint32 {
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], in.Num)
	c := crc32c(v.sb.csumSeed, n[:])
	binary.LittleEndian.PutUint32(n[:], in.Generation)
	return crc32c(c, n[:])
}

// indirectWalker reads an ext2/3 block map: twelve direct blocks, then
// single, double and triple indirect blocks.
type indirectWalker struct {
	v     *Volume
	in    *inode
	limit uint64
	runs  []run
	reads int
}

func (m *indirectWalker) add(logical, phys uint64) {
	if phys == 0 {
		return // a hole
	}
	if k := len(m.runs); k > 0 {
		r := &m.runs[k-1]
		if r.logical+r.count == logical && r.phys+r.count == phys {
			r.count++
			return
		}
	}
	m.runs = append(m.runs, run{logical: logical, phys: phys, count: 1})
}

func (m *indirectWalker) walk() ([]run, error) {
	le := binary.LittleEndian
	b := m.in.Block[:]
	for i := range 12 {
		if uint64(i) >= m.limit {
			return m.runs, nil
		}
		p := uint64(le.Uint32(b[4*i:]))
		if p >= m.v.sb.blocks {
			return m.runs, &FormatError{Off: m.in.Off + 0x28 + int64(4*i), Inode: m.in.Num, Msg: fmt.Sprintf("block %d lies outside the %d blocks of the volume", p, m.v.sb.blocks)}
		}
		m.add(uint64(i), p)
	}
	per := uint64(m.v.sb.blockSize / 4)
	logical := uint64(12)
	span := per
	for level := 1; level <= 3; level++ {
		if logical >= m.limit {
			break
		}
		p := uint64(le.Uint32(b[48+4*(level-1):]))
		if err := m.indirect(p, level, logical, m.in.Off+0x28+int64(48+4*(level-1))); err != nil {
			return m.runs, err
		}
		logical += span
		span *= per
	}
	return m.runs, nil
}

// indirect reads the indirect block p of the given level (1 single, 2
// double, 3 triple) that maps content from logical block first; off is
// where the pointer to it lies.
func (m *indirectWalker) indirect(p uint64, level int, first uint64, off int64) error {
	if p == 0 {
		return nil // a hole over the whole span
	}
	if p >= m.v.sb.blocks {
		return &FormatError{Off: off, Inode: m.in.Num, Msg: fmt.Sprintf("indirect block %d lies outside the %d blocks of the volume", p, m.v.sb.blocks)}
	}
	m.reads++
	if uint64(m.reads) > 3+min(m.limit, uint64(m.v.size/m.v.sb.blockSize)) {
		return &FormatError{Off: off, Inode: m.in.Num, Msg: "more indirect blocks than the content has blocks"}
	}
	buf := make([]byte, m.v.sb.blockSize)
	if err := m.v.readBlock(buf, p); err != nil {
		return err
	}
	per := uint64(len(buf) / 4)
	span := uint64(1)
	for range level - 1 {
		span *= per
	}
	boff := m.v.base + int64(p)*m.v.sb.blockSize
	for i := range per {
		l := first + i*span
		if l >= m.limit {
			break
		}
		q := uint64(binary.LittleEndian.Uint32(buf[4*i:]))
		if level == 1 {
			if q >= m.v.sb.blocks {
				return &FormatError{Off: boff + int64(4*i), Inode: m.in.Num, Msg: fmt.Sprintf("block %d lies outside the %d blocks of the volume", q, m.v.sb.blocks)}
			}
			m.add(l, q)
			continue
		}
		if err := m.indirect(q, level-1, l, boff+int64(4*i)); err != nil {
			return err
		}
	}
	return nil
}

// maxFileSize is the largest content the inode's map can address: 2^32
// blocks for an extent tree (32-bit logical block numbers), the direct and
// indirect blocks for a block map.
func (v *Volume) maxFileSize(in *inode) int64 {
	bs := v.sb.blockSize
	if in.Flags&flagExtents != 0 {
		return bs << 32
	}
	p := bs / 4
	return (12 + p + p*p + p*p*p) * bs
}
