package fat

// UsedBytes is the size of the clusters FAT 1 marks in use (neither free
// nor bad), -1 when FAT 1 could not be read whole (fs.Usage).
func (vol *volume) UsedBytes() int64 { return vol.v.UsedBytes() }

// UsedBytes is the size of the data clusters FAT 1 marks in use (neither
// free nor bad), -1 when FAT 1 could not be read whole.
func (fs *FS) UsedBytes() int64 {
	var used int64
	for c := int64(2); c < fs.Clusters+2; c++ {
		switch fs.fat.get(uint32(c)) {
		case entryUnread:
			return -1
		case entryFree, entryBad:
		default:
			used++
		}
	}
	return used * fs.ClusterSize
}
