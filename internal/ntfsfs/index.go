package ntfsfs

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
)

// MaxIndexAllocation bounds the $INDEX_ALLOCATION of a folder that
// IndexOrder reads (the Sleuth Kit's bound too).
const MaxIndexAllocation = 128 << 20

// IndexAttr is an $INDEX_ROOT attribute other than a folder's $I30 ($SDH
// and $SII of $Secure, $O of $ObjId...): the Sleuth Kit lists it as a
// stream of its file (9-144-3: $Secure:$SDH).
type IndexAttr struct {
	Name string
	ID   uint16
}

// IndexName is one name of a folder's $I30 index.
type IndexName struct {
	Ref     uint64 // the MFT entry it names (48 bits)
	Name    string
	Deleted bool // found in the slack of its node
}

// Entries returns the number of MFT entries the $MFT maps.
func (fs *FS) Entries() int64 { return fs.entries }

// IndexOrder returns the names of the $I30 index of folder entry dir in
// the order the Sleuth Kit's fls lists them: the entries of $INDEX_ROOT,
// then those of each index record of $INDEX_ALLOCATION in the order the
// records lie in it, each node read to its end (the names in its slack
// after the live ones), a long name before its DOS name and the DOS name
// left out. A name may come more than once; its first place counts.
func (fs *FS) IndexOrder(dir int64) ([]IndexName, error) {
	var root, alloc []byte
	off := fs.EntryOffset(dir)
	err := fs.lockedEntry("reading the folder index", dir, func() error {
		e, err := fs.meta.GetMFT(dir)
		if err != nil {
			return err
		}
		for _, a := range uniqueAttrs(e.EnumerateAttributes(fs.meta)) {
			if a.Name() != "$I30" {
				continue
			}
			switch a.Type().Value {
			case 0x90:
				if !a.IsResident() {
					return fmt.Errorf("non-resident $INDEX_ROOT")
				}
				root = make([]byte, min(int64(a.Content_size()), fs.record))
				n, _ := a.Data(fs.meta).ReadAt(root, 0)
				root = root[:n]
			case 0xa0:
				if a.IsResident() || a.Runlist_vcn_start() != 0 || alloc != nil {
					continue
				}
				size := int64(a.Allocated_size())
				if size < 0 || size > fs.size || size > MaxIndexAllocation {
					return fmt.Errorf("index allocation of %d bytes is larger than the volume (%d bytes) or %d bytes", size, fs.size, MaxIndexAllocation)
				}
				alloc = make([]byte, size)
				n, _ := a.Data(fs.meta).ReadAt(alloc, 0)
				alloc = alloc[:n]
			}
		}
		return nil
	})
	if err != nil {
		return nil, &Error{Off: fs.base + off, Entry: dir, Msg: "failed to read the folder index", Err: err}
	}
	if len(root) < 32 {
		return nil, &Error{Off: fs.base + off, Entry: dir, Msg: "no $I30 $INDEX_ROOT"}
	}
	p := indexParser{dir: uint64(dir), last: uint64(fs.entries - 1)}
	// The node header follows the 16-byte root header.
	begin, used, end := le32(root, 16), le32(root, 20), le32(root, 24)
	if used < begin || end < used || 16+int64(end) > int64(len(root)) {
		return nil, &Error{Off: fs.base + off, Entry: dir, Msg: fmt.Sprintf("invalid index list offsets in $INDEX_ROOT (%d, %d, %d)", begin, used, end)}
	}
	p.entries(root[16+begin:16+end], int(used-begin))
	// Index records are found by their signature at each cluster, as
	// the Sleuth Kit does: a record runs to the next one.
	var starts []int
	for o := int64(0); o+24 <= int64(len(alloc)); o += fs.cluster {
		if string(alloc[o:o+4]) == "INDX" {
			starts = append(starts, int(o))
		}
	}
	for k, s := range starts {
		e := len(alloc)
		if k+1 < len(starts) {
			e = starts[k+1]
		}
		rec := alloc[s:e]
		if !fixup(rec) {
			return p.names, &Error{Off: -1, Entry: dir, Msg: fmt.Sprintf("index record at %d of the folder's $INDEX_ALLOCATION has a bad update sequence", s)}
		}
		begin, used := le32(rec, 24), le32(rec, 28)
		if int64(24)+int64(begin) > int64(len(rec)) || used < begin || 24+int64(used) > int64(len(rec)) {
			return p.names, &Error{Off: -1, Entry: dir, Msg: fmt.Sprintf("invalid index list offsets in the index record at %d", s)}
		}
		p.entries(rec[24+begin:], int(used-begin))
	}
	return p.names, nil
}

func le32(b []byte, i int) uint32 {
	if i+4 > len(b) {
		return 0
	}
	return binary.LittleEndian.Uint32(b[i:])
}

// fixup restores the last two bytes of each 512-byte stride of an index
// record from its update sequence array; false when they do not match.
func fixup(rec []byte) bool {
	uoff, cnt := int(binary.LittleEndian.Uint16(rec[4:])), int(binary.LittleEndian.Uint16(rec[6:]))
	if cnt == 0 || (cnt-1)*512 > len(rec) || uoff+2*cnt > len(rec) {
		return false
	}
	val := rec[uoff : uoff+2]
	for i := 1; i < cnt; i++ {
		o := i*512 - 2
		if rec[o] != val[0] || rec[o+1] != val[1] {
			return false
		}
		copy(rec[o:o+2], rec[uoff+2*i:uoff+2*i+2])
	}
	return true
}

type indexParser struct {
	dir, last uint64
	names     []IndexName
}

// FILETIME bounds of the Sleuth Kit's plausibility check of names in
// slack: 1970 to 2020, in seconds/100 since 1601.
const (
	slackTimeMin = (369*365 + 89) * 24 * 36
	slackTimeMax = slackTimeMin + (50*365+6)*24*36
)

func plausibleTime(t uint64) bool {
	t /= 1000000000
	return t != 0 && t >= slackTimeMin && t <= slackTimeMax
}

// entries reads the index entries of one node: b from its first entry to
// the end of the node, used the length of its live part.
func (p *indexParser) entries(b []byte, used int) {
	const fname = 16 // the $FILE_NAME key follows the 16-byte entry header
	var prev *IndexName
	add := func(n *IndexName) {
		if n != nil {
			p.names = append(p.names, *n)
		}
	}
	for o := 0; o+fname+66 < len(b); {
		ref := binary.LittleEndian.Uint64(b[o:]) & 0xffffffffffff
		idxlen, strlen := int(binary.LittleEndian.Uint16(b[o+8:])), int(binary.LittleEndian.Uint16(b[o+10:]))
		k := b[o+fname:]
		if ref > p.last || idxlen <= strlen || idxlen%4 != 0 || idxlen > len(b) ||
			binary.LittleEndian.Uint64(k)&0xffffffffffff != p.dir {
			o += 4
			continue
		}
		nlen, space := int(k[64]), k[65]
		deleted := strlen == 0 || o+idxlen > used
		if deleted {
			le64 := func(i int) uint64 { return binary.LittleEndian.Uint64(k[i:]) }
			if space > 3 || le64(40) < le64(48) || nlen == 0 || k[66] == 0 ||
				!plausibleTime(le64(8)) || !plausibleTime(le64(32)) || !plausibleTime(le64(16)) {
				o += 4
				continue
			}
		}
		switch {
		case space == 2: // DOS: the short name of the long name before
			add(prev)
			prev = nil
		default:
			add(prev)
			prev = nil
			if fname+66+2*nlen <= len(b)-o {
				u := make([]uint16, nlen)
				for i := range u {
					u[i] = binary.LittleEndian.Uint16(k[66+2*i:])
				}
				n := &IndexName{Ref: ref, Name: string(utf16.Decode(u)), Deleted: deleted}
				if space == 3 {
					add(n)
				} else {
					prev = n
				}
			}
		}
		if strlen == 0 {
			o = (o + fname + 66 + 2*nlen + 3) / 4 * 4
		} else {
			o += idxlen
		}
	}
	add(prev)
}
