package volume

import (
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/triagekit/triage/triage/volume/lvm"
)

// managers read the volume managers whose physical volumes are partitions
// of the table (or the whole image): each marks the partitions it reads
// as physical volumes (Partition.PV) and appends the volumes it assembles
// to Table.Logical, numbered after the partitions.
var managers = []func(r io.ReaderAt, size int64, t *Table){readLVM}

// PhysicalVolume tells whether b, the first bytes of a volume or image,
// hold the label of a physical volume of a volume manager (LVM2).
func PhysicalVolume(b []byte) bool { return lvm.Probe(b) }

// readLVM reads every partition that holds an LVM2 label, groups the
// physical volumes by volume group, and maps each visible logical volume
// of a group from the metadata with the highest sequence number.
func readLVM(r io.ReaderAt, size int64, t *Table) {
	type member struct {
		part   *Partition
		length int64
		pv     *lvm.PhysicalVolume
	}
	var members []member
	for i := range t.Partitions {
		p := &t.Partitions[i]
		if p.Offset >= size || p.PV != nil {
			continue
		}
		length := min(p.Length, size-p.Offset)
		sec := io.NewSectionReader(r, p.Offset, length)
		head := make([]byte, 4*512)
		n, _ := sec.ReadAt(head, 0)
		if !lvm.Probe(head[:n]) {
			continue
		}
		pv, err := lvm.Read(sec, p.Offset, length)
		if err != nil {
			t.Problems = append(t.Problems, fmt.Errorf("volume %d at byte %#x: LVM physical volume not read: %w", p.Index, p.Offset, err))
			continue
		}
		for _, e := range pv.Problems {
			t.Problems = append(t.Problems, fmt.Errorf("volume %d at byte %#x: %w", p.Index, p.Offset, e))
		}
		g := pv.Group
		p.PV = &PV{System: "lvm", Group: g.Name, GroupUUID: g.UUID, UUID: pv.Label.UUID}
		if t.MetadataHistory == nil {
			t.MetadataHistory = map[int][]MetadataVersion{}
		}
		t.MetadataHistory[p.Index] = lvmHistory(pv.History)
		members = append(members, member{p, length, pv})
	}
	// The groups in order of their first member; each read from its
	// newest metadata.
	var order []string
	newest := map[string]*lvm.Group{}
	for _, m := range members {
		g := m.pv.Group
		key := g.UUID + "\x00" + g.Name
		if cur, ok := newest[key]; !ok {
			order = append(order, key)
			newest[key] = g
		} else if g.Seqno > cur.Seqno {
			newest[key] = g
		}
	}
	next := len(t.Partitions)
	for _, key := range order {
		g := newest[key]
		byUUID := map[string]member{}
		for _, m := range members {
			if m.pv.Group.UUID+"\x00"+m.pv.Group.Name == key {
				byUUID[m.pv.Label.UUID] = m
			}
		}
		partOf := func(uuid string) (*Partition, bool) {
			m, ok := byUUID[uuid]
			return m.part, ok
		}
		// The copy-on-write volumes of snapshots hold no file system.
		cow := map[string]bool{}
		for _, lv := range g.LVs {
			for _, s := range lv.Segments {
				if s.Type == "snapshot" && s.COW != "" {
					cow[s.COW] = true
				}
			}
		}
		for i := range g.LVs {
			lv := &g.LVs[i]
			if !lv.Visible {
				continue // an internal volume (RAID image, pool data): part of a visible one
			}
			l := Logical{Index: next, System: "lvm", Name: g.Name + "/" + lv.Name, UUID: lv.UUID, Length: g.Size(lv)}
			next++
			l.Details = lvmDetails(g, lv)
			l.Offset, l.Members = lvmPlacement(g, lv, partOf)
			typ := lv.Unsupported()
			switch {
			case typ != "":
				l.Type = "LVM " + typ
				l.NotExamined = "LVM " + typ
			case cow[lv.Name]:
				l.Type = "LVM snapshot"
				l.NotExamined = "LVM snapshot (copy-on-write store)"
			default:
				l.Type = "LVM linear"
				ext, err := g.Map(lv)
				if err != nil {
					l.NotExamined = err.Error()
					break
				}
				for _, e := range ext {
					m, ok := byUUID[e.PV]
					if !ok {
						l.NotExamined = fmt.Sprintf("LVM physical volume %s is not in the image", e.PV)
						l.Extents = nil
						break
					}
					if e.PVOffset+e.Length > m.length {
						t.Problems = append(t.Problems, &FormatError{m.part.Offset, fmt.Sprintf("LVM logical volume %s: extents at %d+%d run past the end of its physical volume (volume %d, %d bytes)",
							l.Name, e.PVOffset, e.Length, m.part.Index, m.length)})
					}
					l.Extents = append(l.Extents, Extent{Offset: e.Offset, Image: m.part.Offset + e.PVOffset, Length: e.Length})
				}
			}
			t.Logical = append(t.Logical, l)
		}
		// Volumes that only older copies of the metadata list: removed
		// volumes, recorded as not examined.
		var older []*lvm.Group
		for _, m := range members {
			for _, v := range m.pv.History {
				if v.Group != nil && v.Group.UUID+"\x00"+v.Group.Name == key && v.Seqno < g.Seqno {
					older = append(older, v.Group)
				}
			}
		}
		for _, r := range lvmRemoved(g, older) {
			og, lv := r.g, r.lv
			l := Logical{Index: next, System: "lvm", Name: og.Name + "/" + lv.Name, UUID: lv.UUID, Length: og.Size(lv), Type: "LVM older metadata",
				NotExamined: fmt.Sprintf("only in older LVM metadata (seqno %d)", og.Seqno)}
			next++
			l.Details = lvmDetails(og, lv)
			l.Details["older_metadata"] = true
			l.Offset, l.Members = lvmPlacement(og, lv, partOf)
			// where its extents were, for an examiner who carves them:
			// they may since have been given to other volumes
			if lv.Unsupported() == "" {
				if ext, err := og.Map(lv); err == nil {
					var former []map[string]any
					for _, e := range ext {
						if m, ok := byUUID[e.PV]; ok {
							former = append(former, map[string]any{"offset": e.Offset, "image": m.part.Offset + e.PVOffset, "length": e.Length})
						}
					}
					if len(former) == len(ext) {
						l.Details["former_extents"] = former
					}
				}
			}
			t.Logical = append(t.Logical, l)
		}
	}
}

// lvmPlacement returns the image offset of the first extent of lv (of
// its first segment's first stripe), -1 when that is not in the image,
// and the indexes of the partitions holding its extents; part finds the
// partition of a physical volume by its UUID.
func lvmPlacement(g *lvm.Group, lv *lvm.LogicalVolume, part func(uuid string) (*Partition, bool)) (int64, []int) {
	off := int64(-1)
	var members []int
	seen := map[int]bool{}
	for _, s := range lv.Segments {
		for _, st := range s.Stripes {
			pi := g.PV(st.PV)
			if pi == nil {
				continue
			}
			if p, ok := part(pi.UUID); ok {
				if off < 0 {
					off = p.Offset + pi.PEStart + st.StartExtent*g.ExtentSize
				}
				if !seen[p.Index] {
					seen[p.Index] = true
					members = append(members, p.Index)
				}
			}
		}
	}
	return off, members
}

type removedLV struct {
	g  *lvm.Group
	lv *lvm.LogicalVolume
}

// lvmRemoved returns the visible logical volumes of the older versions of
// the metadata of cur that cur no longer lists (by UUID), each as the
// newest version that lists it describes it, in the order of that
// version's sequence number and then of its metadata.
func lvmRemoved(cur *lvm.Group, older []*lvm.Group) []removedLV {
	now := map[string]bool{}
	for _, lv := range cur.LVs {
		now[lv.UUID] = true
	}
	newest := map[string]removedLV{}
	var ids []string
	for _, g := range older {
		for i := range g.LVs {
			lv := &g.LVs[i]
			if !lv.Visible || now[lv.UUID] {
				continue
			}
			if r, ok := newest[lv.UUID]; !ok || g.Seqno > r.g.Seqno {
				if !ok {
					ids = append(ids, lv.UUID)
				}
				newest[lv.UUID] = removedLV{g, lv}
			}
		}
	}
	out := make([]removedLV, 0, len(ids))
	for _, id := range ids {
		out = append(out, newest[id])
	}
	slices.SortStableFunc(out, func(a, b removedLV) int {
		if a.g.Seqno != b.g.Seqno {
			return cmp.Compare(a.g.Seqno, b.g.Seqno)
		}
		return cmp.Compare(slices.IndexFunc(a.g.LVs, func(x lvm.LogicalVolume) bool { return x.UUID == a.lv.UUID }),
			slices.IndexFunc(b.g.LVs, func(x lvm.LogicalVolume) bool { return x.UUID == b.lv.UUID }))
	})
	return out
}

// lvmHistory describes the copies of the metadata text a physical volume
// holds, as recorded on its partition.
func lvmHistory(h []lvm.Version) []MetadataVersion {
	var out []MetadataVersion
	for _, v := range h {
		mv := MetadataVersion{Seqno: v.Seqno, Offset: v.Offset, Length: v.Length, Current: v.Current}
		if v.Err != nil {
			mv.Error = v.Err.Error()
		}
		if v.Group != nil {
			mv.Group = v.Group.Name
			for i := range v.Group.LVs {
				lv := &v.Group.LVs[i]
				if lv.Visible {
					mv.LVs = append(mv.LVs, MetadataLV{Name: lv.Name, UUID: lv.UUID, Length: v.Group.Size(lv), Type: lvType(lv)})
				}
			}
		}
		out = append(out, mv)
	}
	return out
}

// lvType is "linear" or the segment type that keeps lv from being mapped.
func lvType(lv *lvm.LogicalVolume) string {
	if t := lv.Unsupported(); t != "" {
		return t
	}
	return "linear"
}

// lvmDetails are what the case records of a logical volume.
func lvmDetails(g *lvm.Group, lv *lvm.LogicalVolume) map[string]any {
	var segs []map[string]any
	for _, s := range lv.Segments {
		var stripes []map[string]any
		for _, st := range s.Stripes {
			m := map[string]any{"pv": st.PV, "start_extent": st.StartExtent}
			if p := g.PV(st.PV); p != nil {
				m["pv_uuid"] = p.UUID
			}
			stripes = append(stripes, m)
		}
		seg := map[string]any{"start_extent": s.StartExtent, "extent_count": s.ExtentCount, "type": s.Type}
		if stripes != nil {
			seg["stripes"] = stripes
		}
		segs = append(segs, seg)
	}
	return map[string]any{"scheme": "lvm", "vg": g.Name, "vg_uuid": g.UUID, "vg_seqno": g.Seqno, "lv": lv.Name, "lv_uuid": lv.UUID,
		"extent_size": g.ExtentSize, "status": lv.Status, "segments": segs}
}
