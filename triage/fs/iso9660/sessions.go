package iso9660

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/triagekit/triage/triage/fs"
)

// Limits of the search for the sessions of a multi-session disc.
const (
	// MaxSessions is the number of sessions read.
	MaxSessions = 32
	// MaxSessionGap is how far past the end of a session, in 2048-byte
	// sectors, the start of the next one is searched: on a CD the
	// lead-out, lead-in and pre-gap between two sessions take at most
	// 11,400 + 150 sectors; xorriso aligns sessions to 32 sectors.
	MaxSessionGap = 11400 + 150 + 32
	// xorrisoFirst is where xorriso and libisoburn start the first
	// session on overwritable media and image files, keeping sectors 0-31
	// for a copy of the newest session's descriptors.
	xorrisoFirst = 32
)

// session is one session of a multi-session disc.
type session struct {
	number int   // 1 for the oldest
	start  int64 // sector (2048 bytes) it starts at: its descriptors are at start+16
	blocks int64 // its volume space size, in logical blocks
	label  string
	root   uint32 // the root folder's extent
	d      *descriptors
}

// sessionAt reads the descriptors of a session starting at sector start
// and checks that they describe a session there: the same block size as
// the volume, and a root folder in the session whose "." record points
// to itself. It returns nil when they do not.
func (v *volume) sessionAt(start int64) *session {
	off := (start + 16) * sector
	if start <= 0 || off+sector > v.size {
		return nil
	}
	// the primary descriptor and the root folder first (two reads): a
	// hostile disc may have a signature in every sector searched
	pvd := make([]byte, sector)
	if _, err := v.r.ReadAt(pvd, off); err != nil || pvd[0] != vdTypePV || string(pvd[1:6]) != "CD001" || int64(le16(pvd[128:])) != v.block ||
		v.checkSession(start, &descriptors{pvd: pvd, pvdOff: off}) == nil {
		return nil
	}
	d, err := v.readDescriptors(off)
	if err != nil || d == nil || int64(le16(d.pvd[128:])) != v.block {
		return nil
	}
	return v.checkSession(start, d)
}

func (v *volume) checkSession(start int64, d *descriptors) *session {
	root, err := v.parseRecord(d.pvd[156:190], d.pvdOff+156)
	if err != nil || int64(root.extent)*v.block < start*sector {
		return nil
	}
	dot, err := v.firstRecord(root)
	if err != nil || dot.extent != root.extent {
		return nil
	}
	return &session{start: start, blocks: int64(le32(d.pvd[80:])), label: trimPad(string(d.pvd[40:72])), root: root.extent, d: d}
}

// findSessions looks for the later sessions of a multi-session disc whose
// descriptors at sector 16 are first:
//
//   - xorriso's layout (image files and overwritable media): the first
//     session at sector 32, each next one after the end of the one before,
//     and sector 16 holding a copy of the newest session's descriptors;
//   - a disc written session by session (mkisofs/genisoimage -C and -M,
//     cdrecord -multi) and read back sector by sector: the first session
//     at sector 0, the next ones after the end of the one before and the
//     gap between sessions.
//
// The end of a session is its volume space size, read as absolute (mkisofs
// -C) or as counted from the session's start (xorriso on image files);
// the next session's descriptors are searched from there, at most
// MaxSessionGap sectors further, and every sector is searched once. When
// several sessions are found, the newest one's tree becomes the volume's.
func (v *volume) findSessions(first *descriptors) {
	s0 := v.checkSession(0, first)
	if s0 == nil {
		return
	}
	found := []*session{s0}
	last := s0
	if s := v.sessionAt(xorrisoFirst); s != nil {
		found = append(found, s)
		last = s
	}
	sectors := v.size / sector
	next := last.start + 1 // the first sector not searched yet
	for len(found) < MaxSessions+1 {
		var hit *session
		ends := []int64{last.start + last.blocks*v.block/sector}
		if e := last.blocks * v.block / sector; e > last.start {
			ends = append([]int64{e}, ends...)
		}
		for _, e := range ends {
			from := max(e, next)
			to := min(e+MaxSessionGap, sectors-17)
			if hit = v.searchSession(from, to); hit != nil {
				break
			}
			next = max(next, to)
		}
		if hit == nil {
			break
		}
		found = append(found, hit)
		last, next = hit, hit.start+1
	}
	// The copy at sector 16 of a later session's descriptors is not a
	// session of its own.
	var out []session
	for _, s := range found {
		dup := false
		for _, t := range found {
			if t != s && t.root == s.root && t.start > s.start {
				dup = true
			}
		}
		if !dup {
			out = append(out, *s)
		}
	}
	if len(out) < 2 {
		return
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	out = out[:min(len(out), MaxSessions)]
	for i := range out {
		out[i].number = i + 1
	}
	v.sessions = out
	v.session = len(out)
	if newest := out[len(out)-1]; newest.d != first {
		_ = v.use(newest.d) // checked by checkSession
	}
}

// searchSession returns the first session that starts in sectors from to
// to (excluded): where a primary volume descriptor lies 16 sectors after
// the start and describes a session there.
func (v *volume) searchSession(from, to int64) *session {
	const chunk = 32
	buf := make([]byte, chunk*sector)
	for x := from; x < to; x += chunk {
		n := min(chunk, to-x)
		b := buf[:n*sector]
		if _, err := v.r.ReadAt(b, (x+16)*sector); err != nil {
			return nil
		}
		for i := int64(0); i < n; i++ {
			if bytes.HasPrefix(b[i*sector:], []byte("\x01CD001\x01")) {
				if s := v.sessionAt(x + i); s != nil {
					return s
				}
			}
		}
	}
	return nil
}

// walkSessions walks the newest session's tree with w, then the older
// sessions' trees, newest first, yielding only their files whose content
// no later tree holds (by extent and size): deleted or replaced files,
// marked deleted and named by the last session that lists them.
func (v *volume) walkSessions(w *walker) error {
	held := map[span]bool{}
	emptyPaths := map[string]bool{}
	w.keep = func(e *fs.Entry, spans []span) bool {
		for _, s := range spans {
			held[s] = true
		}
		if e.Type == fs.TypeFile && e.Size == 0 {
			emptyPaths[e.Path] = true
		}
		return true
	}
	if err := w.walk(); err != nil {
		return err
	}
	for i := len(v.sessions) - 2; i >= 0; i-- {
		s := v.sessions[i]
		ov := *v
		ov.sessions = nil
		if err := ov.use(s.d); err != nil {
			w.problem(fmt.Errorf("session %d at sector %d: %w", s.number, s.start, err))
			continue
		}
		ow := &walker{v: &ov, ctx: w.ctx, visit: w.visit, seen: map[uint32]bool{},
			problem: func(err error) { w.problem(fmt.Errorf("session %d at sector %d: %w", s.number, s.start, err)) }}
		ow.keep = func(e *fs.Entry, spans []span) bool {
			if e.Type != fs.TypeFile {
				return false
			}
			all := true
			for _, x := range spans {
				all = all && held[x]
			}
			if all && (len(spans) > 0 && e.Size > 0 || emptyPaths[e.Path]) {
				return false
			}
			for _, x := range spans {
				held[x] = true // recorded once, with the newest session that lists it
			}
			if e.Size == 0 {
				emptyPaths[e.Path] = true
			}
			e.Deleted = true
			e.Extra["iso_session"] = s.number
			e.Extra["iso_session_start"] = s.start
			return true
		}
		if err := ow.dir("/", ov.root, 0); err != nil {
			return err
		}
	}
	return nil
}

// sessionList describes the sessions for the root's Extra and the
// volume's details.
func (v *volume) sessionList() []map[string]any {
	out := make([]map[string]any, 0, len(v.sessions))
	for _, s := range v.sessions {
		out = append(out, map[string]any{"session": s.number, "start": s.start, "blocks": s.blocks, "volume_id": s.label, "root_block": s.root})
	}
	return out
}

// Details gives, for a multi-session disc, its sessions and the one whose
// tree is the volume; for a bridge disc, that its UDF side is not read.
func (v *volume) Details() map[string]any {
	d := map[string]any{}
	if len(v.sessions) > 0 {
		d["fs_iso_sessions"], d["fs_iso_session"] = v.sessionList(), v.session
	}
	if v.udf {
		d["fs_udf"] = "UDF bridge disc: read through its ISO 9660 side, the UDF side is not read"
	}
	return d
}
