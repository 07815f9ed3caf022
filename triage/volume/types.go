package volume

// What partition types hold, by type code (MBR) or type GUID (GPT), not
// by display name.

// noData are the partition types that hold no data by design: finding no
// file system in them is expected.
var noData = map[string]bool{
	"0x82":                                 true, // Linux swap (or Solaris x86)
	"E3C9E316-0B5C-4DB8-817D-F92DF00215AE": true, // Microsoft reserved
	"21686148-6449-6E6F-744E-656564454649": true, // BIOS boot partition
	"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": true, // Linux swap
	"5808C8AA-7E8F-42E0-85D2-E1E90434CFB3": true, // Windows LDM metadata
}

// member is a partition whose data lies in a volume assembled from it and
// others: what it is, and what assembles it.
type member struct{ what, system string }

var members = map[string]member{
	"0x8e":                                 {"Linux LVM physical volume", "LVM"},
	"0xfd":                                 {"Linux RAID member", "Linux RAID (md)"},
	"E6D6D379-F507-44C2-A23C-238F2A3DF928": {"Linux LVM physical volume", "LVM"},
	"A19D880F-05FC-4D3B-A006-743F0F84911E": {"Linux RAID member", "Linux RAID (md)"},
}

// NoData tells whether the partition's type holds no data by design
// (Microsoft reserved, BIOS boot, swap, LDM metadata): a partition in which
// no file system is found may be passed over quietly.
func (p Partition) NoData() bool { return noData[p.TypeID] }

// Member tells whether the partition is a member of a volume manager or a
// RAID set (an LVM physical volume, a Linux RAID member): what it is, and
// the system that assembles the volumes holding its data.
func (p Partition) Member() (what, system string, ok bool) {
	m, ok := members[p.TypeID]
	return m.what, m.system, ok
}
