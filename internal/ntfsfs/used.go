package ntfsfs

import (
	"encoding/binary"
	"math/bits"

	"www.velocidex.com/golang/go-ntfs/parser"
)

// bitmapChunk is how much of $Bitmap UsedBytes reads at a time.
const bitmapChunk = 1 << 20

// UsedBytes is the size of the clusters $Bitmap marks allocated, read
// from the volume through the run list of its $DATA (one bit per cluster:
// 32 MiB for 1 TiB in 4 KiB clusters); -1 when $Bitmap cannot be read.
// Runs outside the volume and bytes past the last cluster are not counted.
func (fs *FS) UsedBytes() int64 {
	boot := make([]byte, 512)
	if n, _ := fs.raw.ReadAt(boot, 0); n < len(boot) {
		return -1
	}
	sectors := int64(binary.LittleEndian.Uint64(boot[0x28:]))
	sectorSize := int64(binary.LittleEndian.Uint16(boot[0x0b:]))
	if sectors <= 0 || sectorSize <= 0 || sectors > fs.size/sectorSize+1 {
		return -1
	}
	clusters := sectors * sectorSize / fs.cluster
	var runs []extent
	err := fs.locked("reading $Bitmap", func() error {
		e, err := fs.meta.GetMFT(6)
		if err != nil {
			return err
		}
		for _, a := range uniqueAttrs(e.EnumerateAttributes(fs.meta)) {
			if a.Type().Value != parser.ATTR_TYPE_DATA || a.Name() != "" || a.IsResident() {
				continue
			}
			vcn := int64(a.Runlist_vcn_start()) * fs.cluster
			for _, run := range a.RunList() {
				l := run.Length * fs.cluster
				runs = append(runs, extent{vcnOff: vcn, lcnOff: run.Offset * fs.cluster, length: l})
				vcn += l
			}
		}
		return nil
	})
	if err != nil || len(runs) == 0 {
		return -1
	}
	need := (clusters + 7) / 8 // bytes of $Bitmap that map the volume
	var used, seen int64
	buf := make([]byte, bitmapChunk)
	for _, r := range runs {
		if r.vcnOff >= need {
			continue
		}
		if r.lcnOff < 0 || r.length <= 0 || r.lcnOff+r.length > fs.size {
			return -1
		}
		length := min(r.length, need-r.vcnOff)
		for off := int64(0); off < length; off += bitmapChunk {
			b := buf[:min(bitmapChunk, length-off)]
			if n, _ := fs.raw.ReadAt(b, r.lcnOff+off); n < len(b) {
				return -1
			}
			for i, x := range b {
				if r.vcnOff+off+int64(i) == need-1 && clusters%8 != 0 {
					x &= byte(1)<<(clusters%8) - 1
				}
				used += int64(bits.OnesCount8(x))
			}
			seen += int64(len(b))
		}
	}
	if seen < need {
		return -1
	}
	return used * fs.cluster
}
