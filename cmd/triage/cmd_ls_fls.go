package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/triagekit/triage/internal/ntfsfs"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs/formats"
	"github.com/triagekit/triage/triage/volume"
)

// flsGeometry is what the Sleuth Kit's addresses of a volume derive from,
// read from its boot sector or superblock.
type flsGeometry struct {
	fs string // file system name, "" when none was recognised
	// FAT and exFAT: the byte offset in the volume that the Sleuth Kit's
	// inode 3 stands for (the root folder region, or the first data
	// sector), and the numbers of its virtual files.
	fatBase int64
	fatMBR  uint64 // $MBR; $FAT1, $FAT2 follow
	fats    int
	// sector and fatBytes are the sizes of $MBR and of each $FATn.
	sector, fatBytes int64
	// orphans is the address of the virtual $OrphanFiles folder (ext:
	// inode count + 1; FAT: after its virtual files), 0 when not known.
	orphans uint64
	// FAT and exFAT: where the root folder lies in the volume (its first
	// cluster on FAT32 and exFAT), for the entries that are not files.
	volOff, rootOff, rootLen int64
	// FAT: where the first FAT lies, the cluster size, the number of
	// clusters and the bits of a FAT entry (12, 16, 32), for folder sizes.
	fatOff, cluster, clusters int64
	fatBits                   int
	// system are the root's entries that are not files (volume label,
	// allocation bitmap, up-case table), printed in their place.
	system []*flsRow
}

// readFlsGeometry reads the geometry of the volume at off (length bytes)
// of r. A field it cannot read stays zero: the address is then printed as
// triage records it.
func readFlsGeometry(r io.ReaderAt, off, length int64) flsGeometry {
	var g flsGeometry
	f := formats.DetectAt(io.NewSectionReader(r, off, length), 0)
	if f == nil {
		return g
	}
	g.fs = f.Name
	b := make([]byte, 2048)
	if n, _ := r.ReadAt(b, off); n < len(b) {
		return g
	}
	le16 := func(i int) int64 { return int64(binary.LittleEndian.Uint16(b[i:])) }
	le32 := func(i int) int64 { return int64(binary.LittleEndian.Uint32(b[i:])) }
	switch g.fs {
	case "ext":
		g.orphans = uint64(le32(1024)) + 1 // s_inodes_count
	case "fat":
		ss, reserved, fats := le16(0x0b), le16(0x0e), int64(b[0x10])
		fatSize, total := le16(0x16), le16(0x13)
		if fatSize == 0 {
			fatSize = le32(0x24)
		}
		if total == 0 {
			total = le32(0x20)
		}
		g.setFAT(ss, reserved+fats*fatSize, total, length, int(fats))
		g.sector, g.fatBytes = ss, fatSize*ss
		if spc := int64(b[0x0d]); spc > 0 && g.fatBase > 0 {
			g.fatOff, g.cluster = reserved*ss, spc*ss
			data := g.fatBase/ss + (le16(0x11)*32+ss-1)/ss // the first data sector
			g.clusters = (min(total, length/ss) - data) / spc
			switch {
			case g.clusters < 4085:
				g.fatBits = 12
			case g.clusters < 65525:
				g.fatBits = 16
			default:
				g.fatBits = 32
			}
		}
		if roots := le16(0x11); roots > 0 {
			g.rootOff, g.rootLen = g.fatBase, roots*32
		} else if cluster := ss * int64(b[0x0d]); g.fatBase > 0 && cluster > 0 && le32(0x2c) >= 2 {
			g.rootOff, g.rootLen = g.fatBase+(le32(0x2c)-2)*cluster, cluster
		}
	case "exfat":
		shift := b[0x6c]
		if shift < 9 || shift > 12 {
			return g
		}
		g.setFAT(1<<shift, le32(0x58), int64(binary.LittleEndian.Uint64(b[0x48:])), length, int(b[0x6e]))
		g.sector, g.fatBytes = 1<<shift, le32(0x54)<<shift
		if cshift := b[0x6d]; g.fatBase > 0 && cshift <= 25-shift && le32(0x60) >= 2 {
			cluster := int64(1) << (shift + cshift)
			g.rootOff, g.rootLen = g.fatBase+(le32(0x60)-2)*cluster, cluster
		}
	}
	return g
}

// setFAT derives the Sleuth Kit's FAT numbering: inode 3 is the first
// directory entry of sector first, 32 bytes an entry, and the virtual
// files follow the last entry the volume could hold.
func (g *flsGeometry) setFAT(ss, first, total, length int64, fats int) {
	if ss < 512 || ss > 4096 || first <= 0 || total <= first || fats < 1 || fats > 2 {
		return
	}
	total = min(total, length/ss)
	g.fatBase = first * ss
	g.fats = fats
	g.fatMBR = uint64((total-first)*(ss/32)+3-1) + 1
	g.orphans = g.fatMBR + uint64(fats) + 1
}

// flsVisitor prints entries as fls -r -p does (with -l, fls -l's columns):
//
//	r/r 70-128-5:	docs/ads.txt:secret
//	-/r * 76-128-2:	gone-small.txt
//	r/r * 12(realloc):	old.txt
type flsVisitor struct {
	w       *bufio.Writer
	errw    io.Writer
	long    bool
	zone    *time.Location
	img     io.ReaderAt
	table   *volume.Table
	geo     map[int]*flsGeometry
	cur     int // the volume of the entries printed last, -1 before any
	mftSize int64
	// sawOrphans: the walk gave the volume's $OrphanFiles folder (NTFS
	// gives it only when it holds entries; fls always lists it).
	sawOrphans bool
	// buffer holds the rows of an NTFS volume back in pending until the
	// volume ends.
	buffer  bool
	fatTree bool // the rows held back are of a FAT or exFAT volume
	// slack: the names of NTFS index slack are listed (--ntfs-index-slack).
	slack bool
	// lastInfo is the raw record of MFT entry lastInode of volume lastVol.
	lastInfo  *ntfsfs.RecordInfo
	lastVol   int
	lastInode uint64
	pending   []*flsRow
	problems  int
	buf       []byte
	json      bool
	// only is the one volume listed (--volume), -1 for all; headers
	// prints "# vN" before the entries of each volume when the image
	// has several.
	only    int
	headers bool
	headed  int
	// ntfs holds the NTFS volumes opened again for what the walk does
	// not give: index streams, unnamed MFT entries, index order.
	ntfs map[int]*ntfsfs.FS
	// held are the rows of an ext file's other names waiting for the
	// row listed before them (cmd_ls_ext.go).
	held map[string][]*flsRow
}

// ntfsVolume opens NTFS volume vol of the image for the listing's own
// questions (nil when it cannot).
func (v *flsVisitor) ntfsVolume(vol int) *ntfsfs.FS {
	if f, ok := v.ntfs[vol]; ok {
		return f
	}
	var f *ntfsfs.FS
	if v.table != nil {
		for _, p := range v.table.Partitions {
			if p.Index == vol {
				f, _ = ntfsfs.Open(io.NewSectionReader(v.img, p.Offset, p.Length), p.Offset, p.Length)
			}
		}
	}
	if v.ntfs == nil {
		v.ntfs = map[int]*ntfsfs.FS{}
	}
	v.ntfs[vol] = f
	return f
}

func (v *flsVisitor) geometry(vol int) *flsGeometry {
	if g, ok := v.geo[vol]; ok {
		return g
	}
	g := &flsGeometry{}
	if v.table != nil {
		for _, p := range v.table.Partitions {
			if p.Index == vol {
				*g = readFlsGeometry(v.img, p.Offset, p.Length)
				g.volOff = p.Offset
				g.system = fatSystemEntries(v.img, g, vol)
			}
		}
	}
	v.geo[vol] = g
	return g
}

// endVolume prints the virtual entries the Sleuth Kit lists at the end of
// the root of a volume that triage does not record: $OrphanFiles of ext,
// $MBR, $FAT1, $FAT2 and $OrphanFiles of FAT and exFAT.
func (v *flsVisitor) endVolume() {
	if v.cur < 0 {
		return
	}
	v.releaseAll()
	g := v.geometry(v.cur)
	switch {
	case v.buffer && v.fatTree:
		v.systemBefore(g, -1)
		v.virtualSized("v/v", g.fatMBR, "$MBR", g.sector)
		for i := 1; i <= g.fats; i++ {
			v.virtualSized("v/v", g.fatMBR+uint64(i), "$FAT"+strconv.Itoa(i), g.fatBytes)
		}
		v.virtual("V/V", g.orphans, "$OrphanFiles")
		v.flush()
	case v.buffer:
		if !v.sawOrphans && v.mftSize > 0 {
			v.virtual("V/V", uint64(v.mftSize), "$OrphanFiles")
		}
		v.ntfsOrphans()
		v.flush()
	case g.fs == "ext" && g.orphans > 0 && !v.sawOrphans:
		v.virtual("V/V", g.orphans, "$OrphanFiles")
	case (g.fs == "fat" || g.fs == "exfat") && g.fatMBR > 0:
		v.systemBefore(g, -1)
		v.virtualSized("v/v", g.fatMBR, "$MBR", g.sector)
		for i := 1; i <= g.fats; i++ {
			v.virtualSized("v/v", g.fatMBR+uint64(i), "$FAT"+strconv.Itoa(i), g.fatBytes)
		}
		v.virtual("V/V", g.orphans, "$OrphanFiles")
	}
}

func (v *flsVisitor) virtual(typ string, addr uint64, name string) {
	v.virtualSized(typ, addr, name, 0)
}

func (v *flsVisitor) virtualSized(typ string, addr uint64, name string, size int64) {
	v.emit(&flsRow{Volume: v.vol(), Type: typ, Address: strconv.FormatUint(addr, 10), Path: name, Size: size, Virtual: true})
}

func (v *flsVisitor) vol() *int {
	if v.cur < 0 {
		return nil
	}
	n := v.cur
	return &n
}

// flsRow is one entry of the listing; its JSON form is the --json output
// of ls --files (docs/images.md).
type flsRow struct {
	Volume  *int   `json:"volume"`
	Type    string `json:"type"` // name type / metadata type, as fls: r/r, d/d, -/r, V/V...
	Deleted bool   `json:"deleted"`
	Realloc bool   `json:"realloc"`
	// Address is the Sleuth Kit's address: inode (ext), entry-type-id
	// (NTFS), the directory entry number (FAT, exFAT).
	Address string  `json:"address"`
	Inode   *uint64 `json:"inode"`
	Path    string  `json:"path"`
	Stream  string  `json:"stream"`
	Size    int64   `json:"size"`
	Mtime   *string `json:"mtime"`
	Atime   *string `json:"atime"`
	Ctime   *string `json:"ctime"`
	Btime   *string `json:"btime"`
	UID     int64   `json:"uid"`
	GID     int64   `json:"gid"`
	Virtual bool    `json:"virtual"`
	// Index is set for an index attribute other than $I30 ($Secure:$SDH).
	Index bool `json:"index,omitempty"`

	times [4]time.Time
}

func timeOrNil(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := casedb.FormatTime(t)
	return &s
}

func (v *flsVisitor) emit(r *flsRow) error {
	if v.only >= 0 && (r.Volume == nil || *r.Volume != v.only) {
		return nil
	}
	if v.buffer {
		c := *r
		v.pending = append(v.pending, &c)
		return nil
	}
	if err := v.write(r); err != nil {
		return err
	}
	return v.release(r.Path)
}

// ntfsOrphans adds the MFT entries the Sleuth Kit lists as
// $OrphanFiles/OrphanFile-N: entries not in use that hold no name (triage
// records only named entries).
func (v *flsVisitor) ntfsOrphans() {
	f := v.ntfsVolume(v.cur)
	if f == nil {
		return
	}
	for i := int64(0); i < f.Entries(); i++ {
		// The raw record says enough: parsing every entry again through
		// the reader would cost as much as the walk.
		e, err := f.RecordInfo(i)
		if err != nil || e.InUse || e.Extension || e.Names > 0 || !e.HasSI {
			continue
		}
		n := uint64(i)
		v.emit(&flsRow{Volume: v.vol(), Type: "-/r", Deleted: true, Address: strconv.FormatInt(i, 10), Inode: &n,
			Path:  "$OrphanFiles/OrphanFile-" + strconv.FormatInt(i, 10),
			times: [4]time.Time{fileTime(e.SI[1]), fileTime(e.SI[3]), fileTime(e.SI[2]), fileTime(e.SI[0])}})
	}
}

// fileTime converts a FILETIME (100 ns since 1601), zero for 0.
func fileTime(ft uint64) time.Time {
	if ft == 0 || ft > 1<<62 {
		return time.Time{}
	}
	const epoch = 116444736000000000 // 1970 in FILETIME
	d := int64(ft) - epoch
	return time.Unix(d/10000000, d%10000000*100).UTC()
}

// flush writes the rows of an NTFS volume held back to be put in fls's
// order.
func (v *flsVisitor) flush() error {
	if v.fatTree {
		treeOrder(v.pending)
		v.fatTree = false
		return v.flushOrdered()
	}
	var idx *ntfsIndex
	if f := v.ntfsVolume(v.cur); f != nil {
		idx = &ntfsIndex{fs: f, order: map[uint64]map[indexKey]int{}, names: map[uint64][]ntfsfs.IndexName{}}
		if v.slack {
			for _, r := range idx.staleSlack(v.pending) {
				r.Volume = v.vol()
				if v.only < 0 || v.only == v.cur {
					v.pending = append(v.pending, r)
				}
			}
		}
	}
	if v.long && !v.json {
		v.ntfsLong(v.pending)
	}
	ntfsOrder(v.pending, idx)
	return v.flushOrdered()
}

func (v *flsVisitor) flushOrdered() error {
	v.buffer = false
	for _, r := range v.pending {
		if err := v.write(r); err != nil {
			return err
		}
	}
	v.pending = nil
	return nil
}

func (v *flsVisitor) write(r *flsRow) error {
	if v.json {
		r.Mtime, r.Atime, r.Ctime, r.Btime = timeOrNil(r.times[0]), timeOrNil(r.times[1]), timeOrNil(r.times[2]), timeOrNil(r.times[3])
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		v.w.Write(b)
		return v.w.WriteByte('\n')
	}
	if v.headers && r.Volume != nil && *r.Volume != v.headed {
		v.headed = *r.Volume
		fmt.Fprintf(v.w, "# v%d\n", *r.Volume)
	}
	b := append(v.buf[:0], r.Type...)
	b = append(b, ' ')
	if r.Deleted {
		b = append(b, "* "...)
	}
	b = append(b, r.Address...)
	if r.Realloc {
		b = append(b, "(realloc)"...)
	}
	b = append(b, ":\t"...)
	b = flsSanitize(b, r.Path)
	if r.Stream != "" {
		b = append(b, ':')
		b = append(b, r.Stream...)
	}
	if v.long {
		b = v.appendLong(b, r.times, r.Size, r.GID, r.UID)
	}
	b = append(b, '\n')
	v.buf = b
	_, err := v.w.Write(b)
	return err
}

// appendLong appends the columns of fls -l: the times, size, gid, uid.
func (v *flsVisitor) appendLong(b []byte, times [4]time.Time, size, gid, uid int64) []byte {
	for _, t := range times {
		b = append(b, '\t')
		b = append(b, flsTime(t, v.zone)...)
	}
	b = append(b, '\t')
	b = strconv.AppendInt(b, size, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, gid, 10) // fls prints the group first
	b = append(b, '\t')
	return strconv.AppendInt(b, uid, 10)
}

// flsTime formats t as fls -l does: "2026-11-29 09:19:25 (UTC)", zeros for
// an unknown time.
func flsTime(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return "0000-00-00 00:00:00 (" + time.Time{}.In(zone).Format("MST") + ")"
	}
	return t.In(zone).Format("2006-01-02 15:04:05 (MST)")
}

func (v *flsVisitor) Entry(e *triage.Entry) error {
	vol := -1
	if e.Volume != nil {
		vol = *e.Volume
	}
	if vol != v.cur {
		v.endVolume()
		v.cur = vol
		v.mftSize = 0
		v.sawOrphans = false
	}
	g := v.geometry(vol)
	fsName := g.fs
	if fsName == "" { // a logical volume (LVM): known by what its entries carry
		switch {
		case e.Extra["ntfs_seq"] != nil || e.Extra["ntfs_attr"] != nil:
			fsName = "ntfs"
		case e.Extra["ext_mode"] != nil:
			fsName = "ext"
		}
	}
	if e.Extra["ext_unlisted"] == true {
		return nil // below a deleted folder: fls does not list it
	}
	if fsName == "ntfs" && !v.buffer && len(v.pending) == 0 {
		// NTFS is walked in MFT order: its rows are held back and put in
		// the order of its folder indexes, as fls lists them.
		v.buffer = true
	}
	if (fsName == "fat" || fsName == "exfat") && g.fatMBR > 0 && !v.buffer && len(v.pending) == 0 {
		// The contents of a deleted folder may come after the folder's
		// siblings: fls lists them right after the folder.
		v.buffer, v.fatTree = true, true
	}
	meta, name := "r", "r"
	switch e.Type {
	case casedb.TypeDir:
		meta, name = "d", "d"
	case casedb.TypeSymlink:
		meta, name = "l", "l"
	case casedb.TypeFIFO:
		meta, name = "p", "p"
	case casedb.TypeSocket:
		meta, name = "s", "s"
	case casedb.TypeDevice:
		meta, name = "b", "b"
	}
	var addr string
	var indexes []ntfsfs.IndexAttr
	noRow := false
	switch {
	case e.Extra["virtual"] == true:
		// NTFS's $OrphanFiles: numbered after the last MFT entry.
		meta, name = "V", "V"
		v.sawOrphans = true
		addr = "-"
		if v.mftSize > 0 {
			addr = strconv.FormatInt(v.mftSize, 10)
		} else if fsName == "ext" && g.orphans > 0 {
			addr = strconv.FormatUint(g.orphans, 10)
		}
	case e.Extra["ext_index_slack"] == true:
		meta, name, addr = extIndexSlack(e)
	case e.Extra["ntfs_index_slack"] == true:
		// A name carved from index slack: no MFT entry (fls: "r/- * 0").
		meta, name, addr = "r", "-", "0"
	case e.Inode == nil:
		addr = "-"
	case fsName == "ext" && e.Extra["orphan"] == true:
		meta, addr = "-", strconv.FormatUint(*e.Inode, 10) // fls: no name type
	case fsName == "ntfs":
		attr, _ := e.Extra["ntfs_attr"].(string)
		info := v.ntfsRecord(vol, *e.Inode)
		if e.Stream == "" && info != nil {
			indexes = info.Indexes
		}
		if id, ok := strings.CutPrefix(attr, "128-"); ok && info != nil {
			// A $DATA attribute of an extension record whose id the base
			// record uses too: the Sleuth Kit numbers it NextID.
			if n, err := strconv.ParseUint(id, 10, 16); err == nil && !info.Data[uint16(n)] && info.IDs[uint16(n)] {
				attr = "128-" + strconv.Itoa(int(info.NextID))
			}
		}
		if attr == "" && e.Type != casedb.TypeDir {
			noRow = true // no $DATA: fls lists its other attributes only
		}
		if *e.Inode == 0 && e.Stream == "" {
			// $MFT: its size in 1 KiB records numbers $OrphanFiles (the
			// record size of every volume made since Windows NT)
			v.mftSize = e.Size / 1024
		}
		addr = strconv.FormatUint(*e.Inode, 10)
		if attr != "" {
			addr += "-" + attr
		}
		if e.Deleted {
			meta = "-" // the MFT entry is not in use
		}
	case (g.fs == "fat" || g.fs == "exfat") && g.fatBase > 0 && int64(*e.Inode) >= g.fatBase:
		addr = strconv.FormatInt((int64(*e.Inode)-g.fatBase)/32+3, 10)
	default:
		addr = strconv.FormatUint(*e.Inode, 10)
	}
	if e.Inode != nil && !strings.Contains(strings.Trim(e.Path, "/"), "/") {
		v.systemBefore(g, int64(*e.Inode))
	}
	size := e.Size
	if n, ok := e.Extra["ntfs_declared_size"].(int64); ok {
		size = n // $BadClus:$Bad: fls gives the declared size
	}
	times := [4]time.Time{e.Mtime, e.Atime, e.Ctime, e.Btime}
	if v.long && !v.json && (g.fs == "fat" || g.fs == "exfat") {
		if e.Type == casedb.TypeDir && e.Inode != nil {
			size = fatDirSize(v.img, g, int64(*e.Inode), e.Deleted)
		}
		// The Sleuth Kit 4.11 counts the 10 ms increments of a FAT
		// creation time as one second when they exceed 100 (1 s), leaves
		// them out of exFAT's creation and modification times, and reads
		// exFAT's access time as a date.
		if g.fs == "fat" && e.Inode != nil {
			times[3] = fatCreated(v.img, g, int64(*e.Inode), times[3])
		}
		if g.fs == "exfat" {
			times[3] = times[3].Truncate(2 * time.Second)
			times[0] = times[0].Truncate(2 * time.Second)
			if a := times[1].In(v.zone); !a.IsZero() {
				times[1] = time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, v.zone)
			}
		}
	}
	if e.Type == casedb.TypeSymlink && size == 0 {
		size = int64(len(e.LinkTarget)) // an ext link's size is its target's length
	}
	r := &flsRow{Volume: e.Volume, Type: meta + "/" + name, Deleted: e.Deleted && e.Extra["ext_index_live"] != true, Realloc: e.Extra["ext_realloc"] == true && e.Extra["ext_index_live"] != true,
		Address: addr, Inode: e.Inode, Path: strings.TrimPrefix(casedb.DisplayString(e.Path), "/"), Stream: e.Stream,
		Size: size, UID: extraNumber(e.Extra, "ext_uid", "uid"), GID: extraNumber(e.Extra, "ext_gid", "gid"),
		Virtual: e.Extra["virtual"] == true, times: times}
	var rows []*flsRow
	if !noRow {
		rows = append(rows, r)
	}
	for _, x := range indexes {
		ir := *r
		ir.Type, ir.Stream, ir.Index = "r/r", x.Name, true
		ir.Address = strconv.FormatUint(*e.Inode, 10) + "-144-" + strconv.Itoa(int(x.ID))
		rows = append(rows, &ir)
	}
	for _, r := range rows {
		if err := v.emitNames(r, e); err != nil {
			return err
		}
	}
	return nil
}

// ntfsLong gives the rows of an NTFS volume what fls -l prints from the
// raw MFT record: the $STANDARD_INFORMATION times as stored (also those
// the walk leaves out as impossible, as $MFT's on some volumes), the
// owner id as the uid (gid 0), and the size of the $INDEX_ROOT of a
// folder or an index stream.
func (v *flsVisitor) ntfsLong(rows []*flsRow) {
	f := v.ntfsVolume(v.cur)
	if f == nil {
		return
	}
	infos := map[uint64]*ntfsfs.RecordInfo{}
	for _, r := range rows {
		if r.Inode == nil || r.Virtual {
			continue
		}
		info, ok := infos[*r.Inode]
		if !ok {
			info, _ = f.RecordInfo(int64(*r.Inode))
			infos[*r.Inode] = info
		}
		if info == nil {
			continue
		}
		r.times = [4]time.Time{tskNTFSTime(info.SI[1]), tskNTFSTime(info.SI[3]), tskNTFSTime(info.SI[2]), tskNTFSTime(info.SI[0])}
		r.UID, r.GID = int64(info.OwnerID), 0
		if _, id, ok := strings.Cut(r.Address, "-144-"); ok {
			if n, err := strconv.ParseUint(id, 10, 16); err == nil {
				r.Size = info.IndexSizes[uint16(n)]
			}
		}
	}
}

// tskNTFSTime converts a FILETIME as the Sleuth Kit 4.11 does: seconds
// since 1970 cut to 32 bits, so that 0 (not set) and times before 1970
// wrap around (0 reads 2076-11-29 08:54:34 UTC); a result of 0 is no time.
func tskNTFSTime(ft uint64) time.Time {
	s := uint32((ft - 116444736000000000) / 10000000)
	if s == 0 {
		return time.Time{}
	}
	return time.Unix(int64(s), 0).UTC()
}

// ntfsRecord returns what the raw MFT record of entry inode holds for the
// listing (nil when it cannot be read); the last one is kept, as the rows
// of one entry come together.
func (v *flsVisitor) ntfsRecord(vol int, inode uint64) *ntfsfs.RecordInfo {
	if v.lastInfo != nil && v.lastVol == vol && v.lastInode == inode {
		return v.lastInfo
	}
	f := v.ntfsVolume(vol)
	if f == nil {
		return nil
	}
	info, err := f.RecordInfo(int64(inode))
	if err != nil {
		return nil
	}
	v.lastInfo, v.lastVol, v.lastInode = info, vol, inode
	return info
}

// emitNames emits r and, for a file with hard links, r under each of its
// other names.
func (v *flsVisitor) emitNames(r *flsRow, e *triage.Entry) error {
	if err := v.emit(r); err != nil {
		return err
	}
	// fls lists every name of a file with hard links; triage records
	// the file once, with its other names in extra.
	for _, k := range []string{"ntfs_hard_links", "ext_hard_links"} {
		links, _ := e.Extra[k].([]string)
		after, _ := e.Extra["ext_hard_link_after"].([]string)
		for i, l := range links {
			link := *r
			link.Path = strings.TrimPrefix(casedb.DisplayString(l), "/")
			if len(after) == len(links) && v.holdLink(&link, after[i]) {
				continue
			}
			if err := v.emit(&link); err != nil {
				return err
			}
		}
	}
	return nil
}

func extraNumber(m map[string]any, keys ...string) int64 {
	for _, k := range keys {
		switch n := m[k].(type) {
		case uint32:
			return int64(n)
		case uint16:
			return int64(n)
		case int:
			return int64(n)
		case int64:
			return n
		case uint64:
			return int64(n)
		case float64:
			return int64(n)
		}
	}
	return 0
}

func (v *flsVisitor) Problem(path string, offset int64, err error) {
	v.problems++
	v.w.Flush()
	fmt.Fprintf(v.errw, "triage: warning: %s\n", triage.Message(err))
}
