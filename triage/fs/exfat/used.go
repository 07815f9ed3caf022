package exfat

import "math/bits"

// UsedBytes is the size of the clusters the allocation bitmap marks in
// use (fs.Usage).
func (vol *volume) UsedBytes() int64 { return vol.v.UsedBytes() }

// UsedBytes is the size of the clusters the allocation bitmap marks in
// use, -1 when there is no bitmap.
func (fs *FS) UsedBytes() int64 {
	if len(fs.bitmap) == 0 {
		return -1
	}
	n := min(int64(len(fs.bitmap)), (fs.Clusters+7)/8)
	var used int64
	for i, b := range fs.bitmap[:n] {
		if int64(i) == n-1 && fs.Clusters%8 != 0 {
			b &= byte(1)<<(fs.Clusters%8) - 1 // bits past the last cluster
		}
		used += int64(bits.OnesCount8(b))
	}
	return used * fs.ClusterSize
}
