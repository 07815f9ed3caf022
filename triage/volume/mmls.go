package volume

import (
	"fmt"
	"sort"
)

// Row is one line of the Sleuth Kit's mmls listing of a table.
type Row struct {
	// Slot is what mmls prints in its Slot column: "Meta" for a region
	// the volume system uses, "-------" for unallocated sectors, else
	// "TTT:EEE" (DOS: table and entry) or "EEE" (GPT: entry).
	Slot       string
	Start, End int64 // first and last sector
	Desc       string
	// Partition is the index of the row's partition in Table.Partitions,
	// -1 for a Meta or unallocated row.
	Partition int
}

// Row kinds in the Slot column.
const (
	SlotMeta        = "Meta"
	SlotUnallocated = "-------"
)

// Rows returns the rows mmls prints for t on an image of size bytes: the
// partitions, the regions the tables use (Meta) and the sectors outside
// every partition (Unallocated: gaps between partitions, from sector 0 to
// the last sector of the image), sorted by first sector, rows with the same
// first sector in the order mmls adds them (Meta, then partitions, then
// unallocated). A table without a partition table (SchemeNone) gives the
// one volume covering the image.
func (t *Table) Rows(size int64) []Row {
	var rows []Row
	if t.Scheme == SchemeNone {
		for i, p := range t.Partitions {
			rows = append(rows, Row{Slot: p.Slot, Start: p.Start, End: p.End, Desc: p.Type, Partition: i})
		}
		return rows
	}
	for _, m := range t.Meta {
		rows = append(rows, Row{Slot: SlotMeta, Start: m.Start, End: m.End, Desc: m.Desc, Partition: -1})
	}
	for i, p := range t.Partitions {
		r := Row{Start: p.Start, End: p.End, Desc: p.Type, Partition: i}
		if t.Scheme == SchemeGPT {
			r.Slot, r.Desc = fmt.Sprintf("%03d", p.EntryNum), p.Label
		} else {
			r.Slot = fmt.Sprintf("%03d:%03d", p.TableNum, p.EntryNum)
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].Start < rows[j].Start })
	// Unallocated: what no partition covers (Meta regions do not count).
	ps := make([]Partition, len(t.Partitions))
	copy(ps, t.Partitions)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Start < ps[j].Start })
	var gaps []Row
	var next int64
	for _, p := range ps {
		if p.Start > next {
			gaps = append(gaps, Row{Slot: SlotUnallocated, Start: next, End: p.Start - 1, Desc: "Unallocated", Partition: -1})
		}
		next = max(next, p.End+1)
	}
	if ss := int64(t.SectorSize); ss > 0 && next < size/ss {
		gaps = append(gaps, Row{Slot: SlotUnallocated, Start: next, End: size/ss - 1, Desc: "Unallocated", Partition: -1})
	}
	for _, g := range gaps {
		i := sort.Search(len(rows), func(i int) bool { return rows[i].Start > g.Start })
		rows = append(rows[:i], append([]Row{g}, rows[i:]...)...)
	}
	return rows
}
