package fat

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

// FAT entry values, on the FAT32 scale (FAT12 and FAT16 values are widened
// by get).
const (
	entryFree = 0
	entryBad  = 0x0ffffff7
	entryEOC  = 0x0ffffff8 // and above: end of chain
	// entryUnread is returned for an entry beyond what could be read of a
	// truncated FAT.
	entryUnread = 0xffffffff
)

// fatChunk is how much of a FAT is read at a time: memory grows with what
// the image holds, not with what the boot sector declares.
const fatChunk = 1 << 20

// table is FAT 1 as read.
type table struct {
	typ Type
	b   []byte
}

// get returns the entry of cluster c, widened to the FAT32 scale.
func (t *table) get(c uint32) uint32 {
	switch t.typ {
	case FAT12:
		o := int(c) + int(c)/2
		if o+1 >= len(t.b) {
			return entryUnread
		}
		v := uint32(binary.LittleEndian.Uint16(t.b[o:]))
		if c&1 != 0 {
			v >>= 4
		}
		v &= 0xfff
		if v >= 0xff7 {
			v |= 0x0ffff000
		}
		return v
	case FAT16:
		o := int(c) * 2
		if o+1 >= len(t.b) {
			return entryUnread
		}
		v := uint32(binary.LittleEndian.Uint16(t.b[o:]))
		if v >= 0xfff7 {
			v |= 0x0fff0000
		}
		return v
	default:
		o := int(c) * 4
		if o+3 >= len(t.b) {
			return entryUnread
		}
		return binary.LittleEndian.Uint32(t.b[o:]) & 0x0fffffff
	}
}

// entryOff returns the volume offset of cluster c's entry in FAT 1.
func (fs *FS) entryOff(c uint32) int64 {
	return fs.fatOff + int64(c)*int64(fs.Type)/8
}

// loadFAT reads FAT 1 (the part that maps the volume's clusters) and
// compares the other copies with it.
func (fs *FS) loadFAT() error {
	need := ((fs.Clusters+2)*int64(fs.Type) + 7) / 8
	fs.fat.typ = fs.Type
	fs.fat.b = make([]byte, 0, min(need, fatChunk))
	for off := int64(0); off < need; off += fatChunk {
		n := min(need-off, fatChunk)
		start := len(fs.fat.b)
		fs.fat.b = append(fs.fat.b, make([]byte, n)...)
		got, err := fs.readFull(fs.fat.b[start:], fs.fatOff+off, "FAT 1")
		if err != nil {
			fs.fat.b = fs.fat.b[:start+got]
			fs.problems = append(fs.problems, err)
			if len(fs.fat.b) < 3*int(fs.Type)/8+1 {
				return &FormatError{Off: fs.base + fs.fatOff, Msg: "FAT 1 is unreadable", Err: err}
			}
			break
		}
	}
	if fs.p.fat32 && fs.p.extFlags&0x80 != 0 {
		return nil // mirroring disabled: the copies may differ
	}
	// Entries 0 and 1 hold the media byte and the dirty flags; the copies
	// are compared from entry 2.
	skip := int64(3*int(fs.Type)) / 8
	buf := make([]byte, min(need, fatChunk))
	for k := int64(1); k < fs.p.fats; k++ {
		copyOff := fs.fatOff + k*fs.p.fatSectors*fs.p.bytesPerSector
		var diff, first int64 = 0, -1
		for off := int64(0); off < int64(len(fs.fat.b)); off += fatChunk {
			n := min(int64(len(fs.fat.b))-off, fatChunk)
			got, err := fs.readFull(buf[:n], copyOff+off, fmt.Sprintf("FAT %d", k+1))
			if err != nil {
				fs.problems = append(fs.problems, err)
			}
			a, b := fs.fat.b[off:off+int64(got)], buf[:got]
			if bytes.Equal(a, b) {
				continue
			}
			for i := range a {
				if a[i] != b[i] && off+int64(i) >= skip {
					if first < 0 {
						first = off + int64(i)
					}
					diff++
				}
			}
			if err != nil {
				break
			}
		}
		if diff > 0 {
			fs.problems = append(fs.problems, &FormatError{Off: fs.base + copyOff + first,
				Msg: fmt.Sprintf("FAT %d differs from FAT 1 in %d bytes (FAT 1 is used)", k+1, diff)})
		}
	}
	return nil
}

// run is a stretch of contiguous clusters.
type run struct {
	first uint32 // cluster
	n     uint32 // clusters
}

// chainError describes where a cluster chain breaks.
type chainError struct {
	off int64 // volume offset of the FAT entry (or directory entry) at fault
	msg string
}

// chain follows the FAT from cluster first for at most max clusters (the
// chain must hold that many when want is set, for a file of known size).
// Clusters claimed by earlier chains (in used) are a cross-link; a cluster
// met twice in this chain is a loop. The clusters read are marked in used.
// entryOff is the volume offset of the directory entry, for a bad first
// cluster.
func (fs *FS) chain(first uint32, max int64, want bool, used bitmap, dirEntry int64) ([]run, *chainError) {
	var runs []run
	c := first
	if !fs.validCluster(c) {
		return nil, &chainError{off: dirEntry, msg: fmt.Sprintf("first cluster %d lies outside the volume (clusters 2 to %d)", c, fs.Clusters+1)}
	}
	for count := int64(0); count < max; count++ {
		if used != nil {
			if used.get(c) {
				for _, r := range runs {
					if c >= r.first && c < r.first+r.n {
						return runs, &chainError{off: fs.entryOff(prevOf(runs)), msg: fmt.Sprintf("cluster chain loops back to cluster %d", c)}
					}
				}
				return runs, &chainError{off: fs.clusterOff(c), msg: fmt.Sprintf("cluster %d is cross-linked (already part of another file or folder)", c)}
			}
			used.set(c)
		}
		if k := len(runs) - 1; k >= 0 && runs[k].first+runs[k].n == c {
			runs[k].n++
		} else {
			runs = append(runs, run{first: c, n: 1})
		}
		if count+1 == max {
			break
		}
		next := fs.fat.get(c)
		switch {
		case next >= entryEOC && next != entryUnread:
			if want {
				return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain ends after %d clusters, before the file's end", count+1)}
			}
			return runs, nil
		case next == entryFree:
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain reaches free cluster (entry of cluster %d is 0) after %d clusters", c, count+1)}
		case next == entryBad:
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain reaches a cluster marked bad after cluster %d", c)}
		case next == entryUnread:
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("entry of cluster %d lies past the readable FAT", c)}
		case !fs.validCluster(next):
			return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("cluster chain points to cluster %d, outside the volume (clusters 2 to %d)", next, fs.Clusters+1)}
		}
		c = next
	}
	if next := fs.fat.get(c); !want && max > 0 && (next < entryEOC || next == entryUnread) {
		// A folder longer than the limit: the rest is not read.
		return runs, &chainError{off: fs.entryOff(c), msg: fmt.Sprintf("folder chain longer than %d clusters; the rest is not read", max)}
	}
	return runs, nil
}

// prevOf returns the last cluster of runs.
func prevOf(runs []run) uint32 {
	r := runs[len(runs)-1]
	return r.first + r.n - 1
}

// bitmap is one bit per cluster. It covers the clusters that lie in the
// image (see FS.imageClusters): those past its end cannot be read, and a
// boot sector may declare far more clusters than the image holds.
type bitmap []uint64

func (fs *FS) newBitmap() bitmap { return make(bitmap, (fs.imageClusters()+2+63)/64) }

// imageClusters returns how many clusters start within the image.
func (fs *FS) imageClusters() int64 {
	if fs.size <= fs.dataOff {
		return 0
	}
	return min(fs.Clusters, (fs.size-fs.dataOff+fs.ClusterSize-1)/fs.ClusterSize)
}

func (b bitmap) get(c uint32) bool {
	i := c / 64
	return int(i) < len(b) && b[i]&(1<<(c%64)) != 0
}

func (b bitmap) set(c uint32) {
	if i := c / 64; int(i) < len(b) {
		b[i] |= 1 << (c % 64)
	}
}
