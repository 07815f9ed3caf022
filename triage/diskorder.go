package triage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/fs"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/mediahash"
)

// The disk-order pass. With Options.MediaHash, the scan of a disk image
// reads the media once from start to end: the walk of the file systems
// (their metadata, small and read first) collects the contents whose
// extents it knows (fs.Entry.Extents) instead of reading them, then the
// media is read in large sequential blocks, each block feeding the media
// hash and the contents it holds, in each content's own order.
//
//   - A content of at most diskSmallMax bytes is assembled in memory and
//     goes through the usual pipeline once its last piece is read.
//   - A larger content is streamed, in its own order, to a hasher of its
//     own; a piece that comes before the piece it follows is held until
//     its turn.
//   - What is held across blocks is bounded (diskHeldMax). A content that
//     would pass the bound, that touches an unreadable range of the media
//     (container.RegionError) or that finds no free stream hasher is read
//     on its own, through its Open, in a short targeted pass at the end:
//     it gets exactly the record and problems of the per-file path.
//   - Every other content (resident, compressed, sparse NTFS data; file
//     systems without extents; logical volumes) is read through its Open
//     during the walk, as without the pass.
//
// The media hash state is saved in the case every diskCheckpointEvery bytes
// (mediahash.Pusher.State), with the offset reached: an interrupted pass
// resumes there, the contents that lie wholly after it read in the pass,
// the others (not yet recorded) on their own.

// Limits of the disk-order pass.
const (
	// diskSmallMax: a content of at most this many bytes is assembled in
	// memory; larger ones are streamed.
	diskSmallMax = 4 << 20
	// diskHeldMax bounds the bytes held for contents whose pieces are not
	// all read yet (assembled contents and out-of-order pieces).
	diskHeldMax = 64 << 20
	// diskStreams is the most large contents streamed at once.
	diskStreams = 8
	// diskMaxFiles and diskMaxPieces bound what the pass collects (each
	// collected entry stays in memory until its content is read: about
	// 700 bytes on NTFS, its entry encoded (entryArena), its opener, its
	// extents): beyond, contents are read on their own during the walk.
	diskMaxFiles  = 1 << 18
	diskMaxPieces = 1 << 20
	// diskMaxActive bounds the pieces being read at once (pieces overlap
	// only on a corrupt volume); beyond, the contents are read on their own.
	diskMaxActive = 4096
)

// diskBlock is the read size of the pass when the image has no ordered
// stream: the unit of mediahash.Sum, so that unreadable ranges are the same
// as a verification's (a variable for tests).
var diskBlock = 1 << 20

// diskCheckpointEvery is how many media bytes the pass reads between
// checkpoints of the media hash (a variable for tests).
var diskCheckpointEvery int64 = 1 << 30

// forcePerFile disables the disk-order pass (for tests that compare it
// with the per-file path).
var forcePerFile = false

// CheckpointKey is the key of the evidence metadata that holds the saved
// state of an interrupted disk-order pass (see mediahash.Pusher.State).
const CheckpointKey = "media_hash_checkpoint"

// MediaReadKey is the key of the evidence metadata that says how the media
// was read (MediaRead).
const MediaReadKey = "media_read"

// MediaRead says how the media of an image was read by a disk-order scan.
type MediaRead struct {
	Size int64 `json:"size"` // the media size
	// Bytes is every byte read from the media: the sequential pass, the
	// targeted reads at the end.
	Bytes int64 `json:"bytes_read"`
	// Sequential is the bytes read in the pass from start to end (from
	// ResumedAt when an interrupted pass was resumed).
	Sequential int64 `json:"sequential_bytes"`
	// Passes is 1 when every content was read in the sequential pass, 2
	// when a targeted pass followed.
	Passes int `json:"passes"`
	// OutOfOrder counts the pieces of content that came before the piece
	// they follow in their content and were held until their turn.
	OutOfOrder int64 `json:"out_of_order_pieces"`
	// Files is the contents read in the pass; Targeted and TargetedBytes
	// those read on their own in the targeted pass.
	Files         int64 `json:"files_in_pass"`
	Targeted      int64 `json:"targeted_files"`
	TargetedBytes int64 `json:"targeted_bytes"`
	// ResumedAt is the offset an interrupted pass resumed from, 0 for a
	// pass that started at the beginning.
	ResumedAt int64 `json:"resumed_at,omitempty"`
	// Text says it in one line, for the report (Summary).
	Text string `json:"summary"`
	// fromWalk is the bytes of the pass the walk read (diskfeed.go): not
	// read again by the pass, and not recorded (the same scan fed or not
	// records the same).
	fromWalk int64
}

// Summary is the one line a report gives of how the media was read.
func (m *MediaRead) Summary() string {
	var s string
	switch {
	case m.ResumedAt > 0:
		s = fmt.Sprintf("the media was read from start to end in one pass resumed at byte %d", m.ResumedAt)
	default:
		s = "the media was read once, in full, from start to end"
	}
	if m.Targeted > 0 {
		s += fmt.Sprintf(", then %d file(s) (%d bytes) on their own", m.Targeted, m.TargetedBytes)
	}
	return s + fmt.Sprintf(" (%d bytes read for %d bytes of media)", m.Bytes, m.Size)
}

// dpiece is one media extent of a collected content.
type dpiece struct {
	off, n int64 // media offset and length
	file   int32
	ext    int32 // the extent's index in its content
}

// dheld is an extent of a streamed content held until its turn.
type dheld struct {
	b []byte
	n int64 // bytes received
}

// dfile is a collected content: its entry is kept encoded in the arena
// (or as is, big, when it cannot be), its extents in diskPass.exts. What
// reading it needs (dstate) is created when its first bytes arrive and
// let go when it is done.
type dfile struct {
	open  func() (io.ReadCloser, error)
	big   *Entry // the entry, when it is not in the arena
	st    *dstate
	at    int64 // place of the entry in the arena
	first int64 // media offset of its first piece
	left  int64 // media bytes still to come
	size  int64
	ext0  int32 // its first extent in diskPass.exts
	nexts int32 // and their count
	next  int32 // next extent to feed (streamed contents)
	late  bool  // read on its own at the end
	done  bool
}

// dstate is the state of a content being read.
type dstate struct {
	// assembled contents
	buf []byte
	// streamed contents
	pw   *io.PipeWriter
	job  *job
	fed  int64 // content bytes fed
	held map[int32]*dheld
}

// dactive is a piece being read.
type dactive struct {
	p   dpiece
	pos int64 // bytes of the piece read
}

// diskPass collects contents during the walk and reads them after it.
type diskPass struct {
	s      *scanner
	img    image.Image
	size   int64
	start  int64 // offset the pass starts at (a resumed pass)
	push   *mediahash.Pusher
	files  []dfile
	exts   []fs.Extent
	arena  entryArena
	pieces []dpiece
	active []dactive
	held   int64 // bytes held
	stat   MediaRead
	// stream hashers, at most diskStreams, and the contents streamed
	hashers   chan *hasher
	nhash     int
	streaming map[int32]bool
	limited   bool  // the soft memory limit is the pass's
	counted   int64 // media bytes added to the progress's Bytes
	wg        sync.WaitGroup
	zeros     []byte
	// off is the media bytes hashed so far, next the next piece to
	// start (once sorted), nextCheckpoint the offset of the next
	// checkpoint, nextLimit the offset of the next update of the soft
	// memory limit.
	off, nextCheckpoint, nextLimit int64
	next                           int
	walkFeed                       // the walk's reads that feed the pass (diskfeed.go)
}

// newDiskPass prepares the pass for the image of s, or returns nil when the
// scan reads contents one by one (not an image, no media hash wanted). A
// resumed scan resumes the media hash from its checkpoint.
func (s *scanner) newDiskPass() *diskPass {
	if !s.opts.MediaHash || forcePerFile {
		return nil
	}
	img := SourceImage(s.src)
	if img == nil {
		return nil
	}
	p := &diskPass{s: s, img: img, size: img.Size(), hashers: make(chan *hasher, diskStreams)}
	if s.res.Resumed {
		if v, ok := s.ev.Metadata[CheckpointKey]; ok && v != nil {
			b, _ := json.Marshal(v)
			if push, err := mediahash.ResumePusher(b, p.size); err == nil {
				p.push, p.start = push, push.Offset()
			}
		}
	}
	if p.push == nil {
		p.push = mediahash.NewImagePusher(p.img, p.size)
	}
	p.stat = MediaRead{Size: p.size, Passes: 1, ResumedAt: p.start}
	p.off, p.nextCheckpoint, p.nextLimit = p.start, p.start+diskCheckpointEvery, p.start+diskLimitMedia
	p.feedFrom(s.src)
	return p
}

// take collects e for the pass; false when e is read through its Open.
func (p *diskPass) take(e *Entry) bool {
	if e.Err != nil || e.Open == nil || e.Extents == nil || e.Size <= 0 || len(p.files) >= diskMaxFiles {
		return false
	}
	ext := e.Extents()
	if len(ext) == 0 || len(p.pieces)+len(ext) > diskMaxPieces {
		return false
	}
	var pos, media int64
	first := int64(-1)
	from := max(p.start, p.off) // what lies before is hashed already
	for _, x := range ext {
		if x.Off != pos || x.Len <= 0 || x.Len > e.Size-pos {
			return false
		}
		if x.VolOff >= 0 {
			if x.VolOff < from || x.VolOff > p.size-x.Len {
				return false
			}
			if first < 0 {
				first = x.VolOff
			}
			media += x.Len
		}
		pos += x.Len
	}
	if pos != e.Size || media == 0 {
		return false
	}
	i := int32(len(p.files))
	f := dfile{open: e.Open, first: first, left: media, size: e.Size, ext0: int32(len(p.exts)), nexts: int32(len(ext))}
	if at, ok := p.arena.put(e); ok {
		f.at = at
	} else {
		f.big = e
	}
	for k, x := range ext {
		if x.VolOff >= 0 {
			p.addPiece(dpiece{off: x.VolOff, n: x.Len, file: i, ext: int32(k)})
		}
	}
	p.exts = append(p.exts, ext...)
	p.files = append(p.files, f)
	if len(p.files)%diskLimitEvery == 0 {
		p.adjustLimit()
	}
	return true
}

// entry returns the entry of f, its Open set to open.
func (p *diskPass) entry(f *dfile, open func() (io.ReadCloser, error)) *Entry {
	var e *Entry
	if f.big != nil {
		c := *f.big
		e = &c
	} else {
		e = p.arena.get(f.at)
	}
	e.Open = open
	return e
}

// run reads the media in disk order, then the contents left for the
// targeted pass, sending every record to the pipeline through v. It
// returns the media digests, nil when cancelled.
func (p *diskPass) run(ctx context.Context, v *visitor) (*mediahash.Result, error) {
	if err := p.endWalk(v); err != nil {
		p.stopStreams(err)
		p.wg.Wait()
		return nil, err
	}
	slices.SortFunc(p.pieces, cmpPiece)
	p.next = 0
	p.adjustLimit()
	err := p.read(ctx, v)
	p.stopStreams(err)
	p.wg.Wait()
	if err != nil {
		return nil, err
	}
	// The targeted pass: what could not be read in disk order, in the
	// order of its first piece.
	var late []int32
	for i := range p.files {
		if p.files[i].late {
			late = append(late, int32(i))
		}
	}
	slices.SortStableFunc(late, func(a, b int32) int { return cmpInt64(p.files[a].first, p.files[b].first) })
	for _, i := range late {
		f := &p.files[i]
		p.stat.Targeted++
		p.stat.TargetedBytes += f.size
		if err := v.enqueue(p.entry(f, f.open)); err != nil {
			return nil, err
		}
	}
	if p.stat.Targeted > 0 {
		p.stat.Passes = 2
	}
	p.stat.Bytes = p.stat.Sequential + p.stat.TargetedBytes
	p.stat.Text = p.stat.Summary()
	return p.push.Finish(), nil
}

// The soft memory limit (runtime/debug.SetMemoryLimit) of a scan with the
// pass: the live heap (mostly the collected entries) plus
// diskMemoryHeadroom, and at least diskMemoryFloor. The pass allocates the
// contents it assembles and the records it sends; the collector, left to
// its default (a heap twice the live one), let the 2 GB image of 100,000
// files reach 165 MB of heap for 82 MB live. The live heap is mostly
// byte blocks without pointers (the arena, the assembled contents), which
// the collector marks quickly: a collection every 48 MiB allocated costs
// little.
var (
	diskMemoryFloor    int64 = 96 << 20
	diskMemoryHeadroom int64 = 48 << 20
)

// The soft memory limit is updated every diskLimitEvery collected
// contents as the collection grows, and every diskLimitMedia bytes of the
// pass: what the walk held may be let go once the pass has started (an
// E01's cache of chunks read at random).
const (
	diskLimitEvery = 4096
	diskLimitMedia = 64 << 20
)

// limitMemory sets the soft memory limit for the scan, unless the
// examiner set one (GOMEMLIMIT) or chose the collector's pace (GOGC). It
// returns the restore.
func (p *diskPass) limitMemory() func() {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return func() {}
	}
	p.limited = true
	old := debug.SetMemoryLimit(-1)
	p.adjustLimit()
	return func() { debug.SetMemoryLimit(old) }
}

// adjustLimit sets the soft memory limit to diskMemoryHeadroom above the
// live heap (as the last collection found it), at least diskMemoryFloor,
// so that the collector runs often enough to keep the heap near what is
// live, but not without end while the collected entries grow.
func (p *diskPass) adjustLimit() {
	if !p.limited {
		return
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		debug.SetMemoryLimit(max(diskMemoryFloor, int64(sample[0].Value.Uint64())+diskMemoryHeadroom))
	}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// read runs the sequential pass from p.off to the end of the media.
func (p *diskPass) read(ctx context.Context, v *visitor) error {
	if st, ok := p.img.(container.Streamer); ok && p.off == 0 {
		// One decoder per CPU (Stream's default), not one per scan worker:
		// decoding is all CPU, and more decoders only hold more chunks
		// and share the same cores (500 MB E01 on 2 cores: 5% less CPU
		// than with the scan's 16 workers).
		err := st.Stream(ctx, 0, func(b []byte, bad *container.RegionError) error {
			return p.block(ctx, v, b, bad, nil)
		})
		if err == nil && p.off != p.size {
			err = fmt.Errorf("media stream gave %d bytes, want %d", p.off, p.size)
		}
		return err
	}
	buf := make([]byte, diskBlock)
	for p.off < p.size {
		off := p.off
		n := int(min(int64(len(buf)), p.size-off))
		b := buf[:n]
		m, rerr := p.img.ReadAt(b, off)
		if rerr != nil && !(errors.Is(rerr, io.EOF) && m == n) {
			if m < n && errors.Is(rerr, io.EOF) {
				return fmt.Errorf("image ends at byte %#x, before its size %d: %w", off+int64(m), p.size, rerr)
			}
			var ce *container.RegionError
			if !errors.As(rerr, &ce) {
				clear(b[max(m, 0):])
			}
		} else {
			rerr = nil
		}
		if err := p.block(ctx, v, b, nil, rerr); err != nil {
			return err
		}
	}
	return nil
}

// block hands b, the media bytes at p.off, to the media hash and to the
// contents it holds, and moves p.off past it. bad, when not nil, is an
// unreadable range within b (zero-filled); readErr, when not nil, the
// error of a read that could not give b.
func (p *diskPass) block(ctx context.Context, v *visitor, b []byte, bad *container.RegionError, readErr error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	off := p.off
	switch {
	case readErr != nil:
		p.push.WriteBad(b, readErr)
	default:
		p.push.Write(b, bad)
	}
	end := off + int64(len(b))
	p.stat.Sequential += int64(len(b))
	if pr := p.s.opts.Progress; pr != nil {
		// The media bytes count as the media phase's work; the
		// files' bytes fed from them below as the files'.
		pr.Bytes.Add(int64(len(b)))
		p.counted += int64(len(b))
	}
	for {
		pc, ok := p.nextPiece(end)
		if !ok {
			break
		}
		f := &p.files[pc.file]
		if f.late {
			continue
		}
		if len(p.active) >= diskMaxActive {
			p.abandon(f)
			continue
		}
		p.active = append(p.active, dactive{p: pc})
	}
	badLo, badHi := int64(-1), int64(-1)
	if readErr != nil {
		badLo, badHi = off, end
	} else if bad != nil {
		badLo, badHi = max(bad.Off, off), min(bad.Off+bad.Length, end)
	}
	keep := p.active[:0]
	for _, a := range p.active {
		f := &p.files[a.p.file]
		if f.late {
			continue
		}
		lo := a.p.off + a.pos
		hi := min(a.p.off+a.p.n, end)
		if lo >= hi {
			keep = append(keep, a)
			continue
		}
		if badLo < hi && lo < badHi {
			p.abandon(f)
			continue
		}
		if err := p.feed(ctx, v, a.p.file, a.p.ext, a.pos, b[lo-off:hi-off]); err != nil {
			return err
		}
		if pr := p.s.opts.Progress; pr != nil {
			pr.Bytes.Add(hi - lo)
		}
		a.pos += hi - lo
		if a.pos < a.p.n && !f.late {
			keep = append(keep, a)
		}
	}
	clear(p.active[len(keep):])
	p.active = keep
	p.off = end
	if p.off >= p.nextLimit {
		p.nextLimit = p.off + diskLimitMedia
		p.adjustLimit()
	}
	if p.off >= p.nextCheckpoint && p.off < p.size {
		p.nextCheckpoint = p.off + diskCheckpointEvery
		if err := p.checkpoint(ctx, v); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint saves the media hash state through the writer, after the
// records sent before it.
func (p *diskPass) checkpoint(ctx context.Context, v *visitor) error {
	state, err := p.push.State()
	if err != nil {
		return nil // a checkpoint is an optimisation
	}
	j := &job{checkpoint: &checkpointJob{state: json.RawMessage(state), off: p.push.Offset()}}
	return p.emit(func() error {
		if err := v.flush(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case v.order <- j:
		}
		return nil
	})
}

// hold reserves n bytes of the held bound; false when it is reached.
func (p *diskPass) hold(n int64) bool {
	if p.held+n > diskHeldMax {
		return false
	}
	p.held += n
	return true
}

// abandon leaves f to the targeted pass, releasing what it holds.
func (p *diskPass) abandon(f *dfile) {
	if f.late || f.done {
		return
	}
	f.late = true
	p.release(f)
}

// release lets go of what f holds.
func (p *diskPass) release(f *dfile) {
	st := f.st
	if st == nil {
		return
	}
	f.st = nil
	if st.buf != nil {
		p.held -= int64(len(st.buf))
		putContentBuf(st.buf)
		st.buf = nil
	}
	for _, h := range st.held {
		p.held -= int64(len(h.b))
	}
	st.held = nil
	if st.pw != nil {
		st.pw.CloseWithError(errAbandoned)
		st.pw = nil
	}
}

var errAbandoned = errors.New("read on its own")

// feed hands b, the bytes at offset pos of extent k of file i, to it.
func (p *diskPass) feed(ctx context.Context, v *visitor, i int32, k int32, pos int64, b []byte) error {
	f := &p.files[i]
	if f.done || f.late {
		return nil
	}
	x := p.exts[f.ext0+k]
	if f.size <= diskSmallMax {
		if f.st == nil {
			if !p.hold(f.size) {
				p.abandon(f)
				return nil
			}
			f.st = &dstate{buf: getContentBuf(f.size)}
		}
		copy(f.st.buf[x.Off+pos:], b)
		f.left -= int64(len(b))
		if f.left > 0 {
			return nil
		}
		// complete: the usual pipeline reads it from memory
		data, orig := f.st.buf, f.open
		var once sync.Mutex
		// The assembled bytes serve the first open (the pipeline's) and
		// are let go then: they would otherwise stay in memory until the
		// record is written. Later opens read the image again.
		e := p.entry(f, func() (io.ReadCloser, error) {
			once.Lock()
			d := data
			data = nil
			once.Unlock()
			if d == nil {
				return orig()
			}
			return &memContent{Reader: bytes.NewReader(d), buf: d}, nil
		})
		f.st, f.done = nil, true
		p.stat.Files++
		n := int64(len(data))
		return p.emit(func() error {
			p.held -= n
			return v.enqueue(e)
		})
	}
	if f.st == nil && !p.startStream(ctx, i) {
		p.abandon(f)
		return nil
	}
	st := f.st
	if k != f.next || x.Off+pos != st.fed {
		// out of order: held until its turn
		h := st.held[k]
		if h == nil {
			if !p.hold(x.Len) {
				p.abandon(f)
				return nil
			}
			h = &dheld{b: make([]byte, x.Len)}
			if st.held == nil {
				st.held = map[int32]*dheld{}
			}
			st.held[k] = h
			p.stat.OutOfOrder++
		}
		copy(h.b[pos:], b)
		h.n = pos + int64(len(b))
		return nil
	}
	if err := p.write(v, i, b); err != nil || f.st == nil {
		return err
	}
	return p.advance(v, i)
}

// write streams b to the hasher of file i. When the hasher stopped
// (cancelled, the watchdog), the content is done: its record says why.
func (p *diskPass) write(v *visitor, i int32, b []byte) error {
	f := &p.files[i]
	if _, err := f.st.pw.Write(b); err != nil {
		return p.complete(v, i)
	}
	f.st.fed += int64(len(b))
	return nil
}

// advance feeds file i what follows the bytes fed so far, as far as it is
// known: sparse extents, held extents. A content fed to its end is sent to
// the writer.
func (p *diskPass) advance(v *visitor, i int32) error {
	f := &p.files[i]
	for f.next < f.nexts && f.st != nil {
		x := p.exts[f.ext0+f.next]
		end := x.Off + x.Len
		if f.st.fed < end {
			if x.VolOff < 0 {
				if p.zeros == nil {
					p.zeros = make([]byte, blockSize)
				}
				for f.st != nil && f.st.fed < end {
					if err := p.write(v, i, p.zeros[:min(int64(len(p.zeros)), end-f.st.fed)]); err != nil {
						return err
					}
				}
			} else if h := f.st.held[f.next]; h != nil && x.Off+h.n > f.st.fed {
				if err := p.write(v, i, h.b[f.st.fed-x.Off:h.n]); err != nil {
					return err
				}
			}
			if f.st == nil || f.st.fed < end {
				return nil // the rest comes directly
			}
		}
		if h := f.st.held[f.next]; h != nil {
			p.held -= int64(len(h.b))
			delete(f.st.held, f.next)
		}
		f.next++
	}
	if f.st != nil && f.next == f.nexts {
		return p.complete(v, i)
	}
	return nil
}

// complete ends the stream of file i and sends its record to the writer.
func (p *diskPass) complete(v *visitor, i int32) error {
	f := &p.files[i]
	st := f.st
	st.pw.Close()
	st.pw = nil
	f.done = true
	p.release(f)
	delete(p.streaming, i)
	p.stat.Files++
	return p.emit(func() error {
		select {
		case <-v.ctx.Done():
			return v.ctx.Err()
		case v.order <- st.job:
		}
		return nil
	})
}

// startStream starts hashing file i as a stream; false when no stream
// hasher is free.
func (p *diskPass) startStream(ctx context.Context, i int32) bool {
	var h *hasher
	select {
	case h = <-p.hashers:
	default:
		if p.nhash >= diskStreams {
			return false
		}
		p.nhash++
		h = newHasher(p.s.algs, nil)
	}
	f := &p.files[i]
	pr, pw := io.Pipe()
	e := p.entry(f, func() (io.ReadCloser, error) { return pr, nil })
	j := &job{entry: e, res: make(chan *casedb.FileRecord, 1)}
	f.st = &dstate{pw: pw, job: j}
	if p.streaming == nil {
		p.streaming = map[int32]bool{}
	}
	p.streaming[i] = true
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		rec := p.s.process(ctx, h, e)
		pr.CloseWithError(errAbandoned) // unblock a writer of an abandoned stream
		p.hashers <- h
		j.res <- rec
	}()
	return true
}

// stopStreams ends the streams still open when the pass stops.
func (p *diskPass) stopStreams(err error) {
	if err == nil {
		err = errAbandoned
	}
	for i := range p.streaming {
		if st := p.files[i].st; st != nil && st.pw != nil {
			st.pw.CloseWithError(err)
			st.pw = nil
		}
	}
}

// close releases the stream hashers (and ends the streams a walk that
// stopped before the pass left open).
func (p *diskPass) close() {
	p.stopStreams(nil)
	p.wg.Wait()
	for {
		select {
		case h := <-p.hashers:
			h.close()
		default:
			return
		}
	}
}

// memContent is an assembled content, read by the pipeline; closing it
// gives its buffer back for the next content (the pipeline has copied or
// hashed the bytes by then).
type memContent struct {
	*bytes.Reader
	buf []byte
}

func (m *memContent) Close() error {
	if m.buf != nil {
		putContentBuf(m.buf)
		m.buf = nil
	}
	return nil
}

// contentBufs recycles the buffers contents are assembled in, by size
// class (powers of two from 4 KiB to diskSmallMax): a pass over 100,000
// files otherwise allocates their whole size anew, and the collector runs
// for it.
var contentBufs [12]sync.Pool

func bufClass(n int64) int {
	c := 0
	for int64(4096)<<c < n {
		c++
	}
	return c
}

// getContentBuf returns a zeroed buffer of n bytes (n <= diskSmallMax).
func getContentBuf(n int64) []byte {
	c := bufClass(n)
	if c < len(contentBufs) {
		if b, ok := contentBufs[c].Get().(*[]byte); ok {
			buf := (*b)[:n]
			clear(buf)
			return buf
		}
		return make([]byte, n, int64(4096)<<c)
	}
	return make([]byte, n)
}

func putContentBuf(b []byte) {
	c := bufClass(int64(cap(b)))
	if c < len(contentBufs) && int64(4096)<<c == int64(cap(b)) {
		contentBufs[c].Put(&b)
	}
}
