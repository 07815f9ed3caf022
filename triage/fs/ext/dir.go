package ext

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// dirent is one name of a folder block: a live entry, or a deleted one
// found in the slack of a record (deleted) or at the start of a block with
// its inode number cleared (inode 0).
type dirent struct {
	ino     uint32
	name    []byte
	ftype   uint8
	deleted bool
	off     int64 // image offset of the record
	// index: read from an index node of a hashed folder, where no name
	// lies (the bytes that look like a record there), as the Sleuth Kit
	// reads them; indexLive: the Sleuth Kit takes it for a live name.
	index, indexLive bool
}

// File types of a folder entry (with the filetype feature).
const (
	ftFile   = 1
	ftDir    = 2
	ftChr    = 3
	ftBlk    = 4
	ftFifo   = 5
	ftSocket = 6
	ftLink   = 7
)

// recLen decodes a record length (lengths of 64 KiB blocks are encoded).
func recLen(raw uint16, bs int) int {
	if raw == 0xffff || raw == 0 {
		if bs >= 65536 {
			return bs
		}
		return int(raw)
	}
	return int(raw&0xfffc) | int(raw&3)<<16
}

// parseDirBlock parses one folder block b (at image offset off) and calls
// add for each name, live or deleted. slack says whether the slack of
// records is searched for deleted names (not in the index nodes of a
// hashed folder). It returns a problem when a record is corrupt: the names
// before it are kept.
func (v *Volume) parseDirBlock(b []byte, off int64, dir uint32, slack bool, add func(dirent)) error {
	le := binary.LittleEndian
	ft := v.sb.incompat&incompatFiletype != 0
	end := len(b)
	// The checksum tail of metadata_csum: a fake record of 12 bytes.
	if v.sb.hasCsum && end >= 12 {
		t := b[end-12:]
		if le.Uint32(t) == 0 && le.Uint16(t[4:]) == 12 && t[6] == 0 && t[7] == 0xde {
			end -= 12
		}
	}
	for p := 0; p+8 <= end; {
		ino := le.Uint32(b[p:])
		rl := recLen(le.Uint16(b[p+4:]), len(b))
		nl := int(b[p+6])
		typ := b[p+7]
		if !ft {
			nl |= int(typ) << 8
			typ = 0
		}
		if rl < 8 || rl%4 != 0 || p+rl > end || (nl > 0 && 8+nl > rl) {
			return &FormatError{Off: off + int64(p), Inode: dir, Msg: fmt.Sprintf("folder record of %d bytes with a name of %d bytes does not fit its block", rl, nl)}
		}
		used := 8
		if nl > 0 {
			name := b[p+8 : p+8+nl]
			add(dirent{ino: ino, name: name, ftype: typ, deleted: ino == 0, off: off + int64(p)})
			used = (8 + nl + 3) &^ 3
		}
		if slack && rl > used {
			v.slackNames(b[p+used:p+rl], off+int64(p+used), ft, add)
		}
		p += rl
	}
	return nil
}

// slackNames finds deleted folder records in b, the slack after a record
// (at image offset off): a record is taken when its inode number, name
// length, record length and type are plausible and its name has no "/"
// or NUL.
func (v *Volume) slackNames(b []byte, off int64, ft bool, add func(dirent)) {
	le := binary.LittleEndian
	for q := 0; q+8 <= len(b); {
		ino := le.Uint32(b[q:])
		rl := int(le.Uint16(b[q+4:]))
		nl := int(b[q+6])
		typ := b[q+7]
		if !ft {
			nl |= int(typ) << 8
			typ = 0
		}
		need := (8 + nl + 3) &^ 3
		ok := ino >= 1 && ino <= v.sb.inodes && nl > 0 && 8+nl <= len(b)-q && rl >= need && rl%4 == 0 &&
			(!ft || (typ >= ftFile && typ <= ftLink))
		if ok {
			name := b[q+8 : q+8+nl]
			ok = bytes.IndexByte(name, '/') < 0 && bytes.IndexByte(name, 0) < 0 &&
				!(nl == 1 && name[0] == '.') && !(nl == 2 && name[0] == '.' && name[1] == '.')
			if ok {
				add(dirent{ino: ino, name: name, ftype: typ, deleted: true, off: off + int64(q)})
				q += need
				continue
			}
		}
		q += 4
	}
}

// indexNames reads the index node b of a hashed folder (at image offset
// off) as the Sleuth Kit reads every folder block: a record is taken
// wherever, on a 4-byte boundary, the bytes look like one (inode number at
// most the inodes of the volume plus one, a name, a record length that
// holds the name, is a multiple of 4 and ends in the block), and a record
// taken in the space a live record's length covers must end in that space.
// The root's "." and ".." are left out; the other records found are given
// as deleted (index entries read as names), their names cut at a NUL, with
// indexLive set where the Sleuth Kit takes them for live names.
func (v *Volume) indexNames(b []byte, off int64, add func(dirent)) {
	le := binary.LittleEndian
	ft := v.sb.incompat&incompatFiletype != 0
	dellen := 0
	minrec := 0
	for p := 0; p+12 <= len(b); p += minrec {
		ino := le.Uint32(b[p:])
		rl := int(le.Uint16(b[p+4:]))
		nl := int(b[p+6])
		typ := b[p+7]
		if !ft {
			nl |= int(typ) << 8
			typ = 0
		}
		minrec = (nl + 8 + 3) &^ 3
		if uint64(ino) > uint64(v.sb.inodes)+1 || nl > 255 || nl == 0 || rl < minrec || rl%4 != 0 || p+rl > len(b) {
			minrec = 4
			if dellen > 0 {
				dellen -= 4
			}
			continue
		}
		if dellen != 0 && dellen < minrec {
			minrec = 4
			dellen -= 4
			continue
		}
		live := dellen <= 0 && ino != 0
		if dellen > 0 {
			dellen -= minrec
		} else if live && rl > minrec {
			dellen = rl - minrec
		}
		name := b[p+8 : p+8+nl]
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if live && (string(name) == "." || string(name) == "..") {
			continue
		}
		add(dirent{ino: ino, name: name, ftype: typ, deleted: true, off: off + int64(p), index: true, indexLive: live})
	}
}

// checkDirBlock verifies the checksum tail of a folder leaf block, when
// metadata_csum is set and the block has one.
func (v *Volume) checkDirBlock(b []byte, in *inode) bool {
	le := binary.LittleEndian
	if !v.sb.hasCsum || len(b) < 12 {
		return true
	}
	t := b[len(b)-12:]
	if le.Uint32(t) != 0 || le.Uint16(t[4:]) != 12 || t[6] != 0 || t[7] != 0xde {
		return true // no tail: an index node, or a folder made without one
	}
	return crc32c(v.inodeSeed(in), b[:len(b)-12]) == le.Uint32(t[8:])
}

// isDXNode tells whether block number i of a hashed folder is an index
// node: the root (block 0) or an inner node (one empty record over the
// whole block).
func isDXNode(b []byte, i uint64) bool {
	if i == 0 {
		return true
	}
	return len(b) >= 8 && binary.LittleEndian.Uint32(b) == 0 && recLen(binary.LittleEndian.Uint16(b[4:]), len(b)) == len(b)
}

// readDir calls add for every name of folder in, live and deleted, and
// problem for what is corrupt.
func (v *Volume) readDir(in *inode, add func(dirent), problem func(error)) {
	if in.Flags&flagInlineData != 0 {
		b := in.Inline
		if len(b) < 4 {
			return
		}
		// The parent's inode number, then records over the rest of
		// i_block, then records in the system.data attribute.
		first := min(len(b), 60)
		if err := v.parseDirBlock(b[4:first], in.Off+0x28+4, in.Num, true, add); err != nil {
			problem(err)
		}
		if len(b) > 60 {
			if err := v.parseDirBlock(b[60:], in.Off, in.Num, true, add); err != nil {
				problem(err)
			}
		}
		return
	}
	if in.Size > MaxDirSize {
		problem(&FormatError{Off: in.Off + 4, Inode: in.Num, Msg: fmt.Sprintf("folder of %d bytes (at most %d are read)", in.Size, MaxDirSize)})
	}
	runs, warn, err := v.blockMap(in)
	for _, w := range warn {
		problem(w)
	}
	if err != nil {
		problem(err)
	}
	bs := v.sb.blockSize
	buf := make([]byte, bs)
	read := int64(0)
	hashed := in.Flags&flagIndex != 0
	for _, r := range runs {
		if r.uninit {
			continue
		}
		for i := range r.count {
			if read += bs; read > MaxDirSize {
				return
			}
			blk := r.phys + i
			if err := v.readBlock(buf, blk); err != nil {
				problem(&FormatError{Off: v.base + int64(blk)*bs, Inode: in.Num, Msg: "failed to read a folder block", Err: err})
				continue
			}
			boff := v.base + int64(blk)*bs
			dx := hashed && isDXNode(buf, r.logical+i)
			if !dx && !v.checkDirBlock(buf, in) {
				problem(&FormatError{Off: boff + bs - 4, Inode: in.Num, Msg: fmt.Sprintf("folder block %d: checksum mismatch", blk)})
			}
			if dx {
				if err := v.checkDXNode(buf, blk, r.logical+i == 0, in); err != nil {
					problem(err)
				}
				v.indexNames(buf, boff, add)
				continue
			}
			if err := v.parseDirBlock(buf, boff, in.Num, true, add); err != nil {
				problem(err)
			}
		}
	}
}
