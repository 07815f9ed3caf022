package triage

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/triagekit/triage/internal/mbhash"
	"github.com/triagekit/triage/triage/archive"
	"github.com/triagekit/triage/triage/casedb"
)

// ArchiveOptions turn on the recursion into archives (Options.Archives):
// a file whose content is an archive (zip, tar, gzip, bzip2, xz, zstd, 7z,
// rar) has its members recorded
// after it, each with its own digests, type and hash-set status.
type ArchiveOptions struct {
	Limits archive.Limits // zero fields: archive.DefaultLimits
	// TempDir holds temporary copies of archives that need random access
	// (zip, 7z) when their content is not a plain file, and of nested
	// archives; "" makes a folder in the case's folder, removed after
	// the scan.
	TempDir string
}

// archiveMIMEs are the content types (classify) of the archives opened.
var archiveMIMEs = map[string]bool{
	"application/zip":              true,
	"application/java-archive":     true,
	"application/x-tar":            true,
	"application/gzip":             true,
	"application/x-bzip2":          true,
	"application/x-xz":             true,
	"application/zstd":             true,
	"application/x-7z-compressed":  true,
	"application/vnd.rar":          true,
	"application/x-rar-compressed": true,
}

// Evidence metadata key of the archive recursion's settings and counts.
const archivesMetaKey = "archives"

// expander opens archives. An archive is opened by the worker that made
// its record, right after: its members are read, hashed and classified
// there, and handed to the writer in order on the job (archiveJob), which
// records them before the archive's own record, so a resumed scan that
// finds the archive recorded knows all its members are. Different
// archives are so opened on different workers at once; the members of one
// archive are read in its order. At most one archive per CPU is opened by
// the workers at a time (slots), which bounds the decoders' memory and the
// temporary copies; an archive found while they are all busy, and those of
// the records the disk-order pass made, are opened in the writer's
// goroutine when it reaches them (expandInWriter), as the writer never
// waits for a slot.
type expander struct {
	s     *scanner
	opts  ArchiveOptions
	h     *hasher       // the writer's
	slots chan struct{} // archives being opened by the workers

	tmpMu  sync.Mutex
	tmp    string // the temporary folder made for this scan
	tmpErr error

	// batchers hash the small members of archives in batches (memberBatch),
	// one per archive being opened, kept for the next.
	batchMu  sync.Mutex
	batchers []*hasher

	opened  atomic.Int64 // archives walked
	members atomic.Int64
	notOpen atomic.Int64 // archives not opened or not completely
	// existing counts members skipped because an earlier run recorded
	// them (writer only), added to Result.Existing once the writer is
	// done (the walk counts there meanwhile).
	existing int64
}

// archiveQueue is how many member records and problems of one archive a
// worker makes ahead of the writer.
const archiveQueue = 64

// memberItem is a member's record or a problem of an archive, made by the
// worker that opens the archive and recorded by the writer.
type memberItem struct {
	rec     *casedb.FileRecord
	problem *problem
}

// archiveJob carries the members of the archive of a job to the writer.
// The worker sets it on the job before it sends the archive's record,
// sends the members on items and closes items once the archive's record
// is final (its extra filled in).
type archiveJob struct {
	items chan memberItem
	err   error // set before items is closed: what stops the scan (a cancellation)
}

func newExpander(s *scanner) *expander {
	if s.opts.Archives == nil {
		return nil
	}
	return &expander{s: s, opts: *s.opts.Archives, slots: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

// wants reports whether the record is an archive to open.
func (x *expander) wants(e *Entry, rec *casedb.FileRecord) bool {
	return x != nil && e != nil && e.Open != nil && rec != nil && rec.Type == casedb.TypeFile && rec.Size > 0 && archiveMIMEs[rec.MIME]
}

func (x *expander) tempDir() (string, error) {
	if x.opts.TempDir != "" {
		return x.opts.TempDir, nil
	}
	x.tmpMu.Lock()
	defer x.tmpMu.Unlock()
	if x.tmp == "" && x.tmpErr == nil {
		// Copies left by a scan that crashed are removed: the case has one
		// writer at a time.
		if olds, _ := filepath.Glob(x.s.c.Path(".archive-tmp-*")); len(olds) > 0 {
			for _, o := range olds {
				os.RemoveAll(o)
			}
		}
		x.tmp, x.tmpErr = os.MkdirTemp(x.s.c.Dir, ".archive-tmp-")
	}
	return x.tmp, x.tmpErr
}

// close removes the temporary folder and releases the hasher, once the
// writer and the workers are done.
func (x *expander) close() {
	if x == nil {
		return
	}
	x.s.res.Existing += x.existing
	if x.h != nil {
		x.h.close()
	}
	for _, h := range x.batchers {
		h.close()
	}
	if x.tmp != "" {
		os.RemoveAll(x.tmp)
	}
}

// deliver hands the record of j to the writer. When it is an archive to
// open, its members are read and hashed here with h, in the worker, and
// follow on j.arch.
func (s *scanner) deliver(ctx context.Context, h *hasher, j *job, rec *casedb.FileRecord) {
	if !s.arch.wants(j.entry, rec) {
		j.res <- rec
		return
	}
	select {
	case s.arch.slots <- struct{}{}:
		defer func() { <-s.arch.slots }()
	default:
		// Opened by the writer: a worker waiting for a slot could wait
		// for the writer, itself waiting for this record.
		j.res <- rec
		return
	}
	aj := &archiveJob{items: make(chan memberItem, archiveQueue)}
	j.arch = aj
	j.res <- rec
	send := func(it memberItem) error {
		select {
		case aj.items <- it:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() {
		if r := recover(); r != nil {
			_ = send(memberItem{problem: &problem{path: rec.Path, offset: -1,
				msg: fmt.Sprintf("archive not opened completely: internal error: %v", r)}})
		}
		close(aj.items)
	}()
	aj.err = s.arch.expand(ctx, h, j.entry, rec, send)
}

// take records a member or problem of an archive in the writer; a member
// an earlier run recorded is skipped.
func (x *expander) take(ctx context.Context, it memberItem, put func(*casedb.FileRecord) error,
	problem func(path string, offset int64, msg string) error) error {
	if p := it.problem; p != nil {
		return problem(p.path, p.offset, p.msg)
	}
	if x.s.res.Resumed {
		done, err := x.s.c.HasKey(ctx, x.s.ev.ID, it.rec.Key)
		if err != nil {
			return err
		}
		if done {
			x.existing++
			return nil
		}
	}
	return put(it.rec)
}

// expandInWriter opens an archive in the writer's goroutine: one found
// while every slot was taken, or one the disk-order pass made the record of.
func (x *expander) expandInWriter(ctx context.Context, e *Entry, rec *casedb.FileRecord,
	put func(*casedb.FileRecord) error, problem func(path string, offset int64, msg string) error) error {
	if x.h == nil {
		x.h = newHasher(x.s.algs, nil)
	}
	return x.expand(ctx, x.h, e, rec, func(it memberItem) error { return x.take(ctx, it, put, problem) })
}

// expand reads, hashes and hands to emit the members of the archive whose
// record is rec, and its problems; it adds what it found to rec's extra.
// The error returned stops the scan (cancellation, a case that cannot be
// written).
func (x *expander) expand(ctx context.Context, h *hasher, e *Entry, rec *casedb.FileRecord, emit func(memberItem) error) error {
	problem := func(path string, offset int64, msg string) error {
		return emit(memberItem{problem: &problem{path: path, offset: offset, msg: msg}})
	}
	tmp, err := x.tempDir()
	if err != nil {
		return problem(rec.Path, -1, fmt.Sprintf("archive not opened: failed to make a temporary folder: %v", err))
	}
	rc, err := e.Open()
	if err != nil {
		return problem(rec.Path, -1, fmt.Sprintf("archive not opened: failed to open: %v", err))
	}
	defer rc.Close()
	v := &memberVisitor{x: x, h: h, ctx: ctx, parent: rec, emit: emit}
	defer v.release()
	sum, err := archive.WalkReader(ctx, rc, rec.Size, path.Base(rec.Path), archive.Options{Limits: x.opts.Limits, TempDir: tmp}, v)
	if v.err == nil && err == nil {
		v.flush()
	}
	if v.err != nil {
		return v.err
	}
	if err != nil {
		return err
	}
	if sum.Format == "" {
		return nil // not an archive after all
	}
	x.opened.Add(1)
	x.members.Add(sum.Members)
	extra := make(map[string]any, len(rec.Extra)+3)
	maps.Copy(extra, rec.Extra)
	extra["archive"] = sum.Format
	extra["archive_members"] = sum.Members
	if sum.NotOpened > 0 || sum.Err != nil {
		x.notOpen.Add(1)
		why := fmt.Sprintf("%d members or nested archives not opened or not read completely", sum.NotOpened)
		if sum.Err != nil {
			why = sum.Err.Error()
		}
		extra["archive_incomplete"] = why
	}
	rec.Extra = extra
	return nil
}

// memberVisitor makes the records of the members of one archive.
type memberVisitor struct {
	x      *expander
	h      *hasher
	ctx    context.Context
	parent *casedb.FileRecord
	emit   func(memberItem) error
	err    error // the writer's error or a cancellation: stops the walk
	batch  memberBatch
}

// memberBatch holds small members read but not yet hashed: as plain
// files in batches (processBatch), up to batchMax members of at most
// batchFileMax bytes are read into one buffer and hashed at once, sixteen
// at a time in vector lanes (mbhash), which costs about two thirds of
// hashing them one by one. Their records are made and handed on in order
// when the batch is hashed: when it is full, before a problem or a larger
// member, before the members of a nested archive, and at the end.
type memberBatch struct {
	h     *hasher // its own: the worker's batch buffer may still hold the batch its archive came in
	items []batchMember
	spans []mbhash.Span
	off   int
}

type batchMember struct {
	rec *casedb.FileRecord
	e   *Entry
	m   *archive.Member
	err error // read error after the bytes read
}

func (x *expander) batcher() *hasher {
	x.batchMu.Lock()
	defer x.batchMu.Unlock()
	if n := len(x.batchers); n > 0 {
		h := x.batchers[n-1]
		x.batchers = x.batchers[:n-1]
		return h
	}
	return newHasher(x.s.algs, nil)
}

// release returns the batch hasher for the next archive.
func (v *memberVisitor) release() {
	if h := v.batch.h; h != nil {
		v.batch.h = nil
		v.x.batchMu.Lock()
		v.x.batchers = append(v.x.batchers, h)
		v.x.batchMu.Unlock()
	}
}

// flush hashes the members of the batch and hands their records on.
func (v *memberVisitor) flush() error {
	b := &v.batch
	if v.err != nil || len(b.items) == 0 {
		return v.err
	}
	results := b.h.sumBatch(b.spans)
	for i := range b.items {
		it := &b.items[i]
		hr := &results[i]
		hr.err = it.err
		v.finishMember(it.rec, it.e, it.m, hr)
		if err := v.emit(memberItem{rec: it.rec}); err != nil {
			v.err = err
			break
		}
	}
	clear(b.items)
	b.items, b.spans, b.off = b.items[:0], b.spans[:0], 0
	return v.err
}

// finishMember completes a member's record from what reading it gave.
func (v *memberVisitor) finishMember(rec *casedb.FileRecord, e *Entry, m *archive.Member, hr *hashResult) {
	if m.Size < 0 {
		// A stream that declares no size: its size is what it held,
		// or what was read of it.
		e.Size, rec.Size = hr.n, hr.n
	}
	v.x.s.finish(rec, e, hr, "", false)
	if m.Size < 0 && hr.err != nil {
		rec.Error = fmt.Sprintf("read error after %d bytes (the size is not declared): %v", hr.n, hr.err)
	}
	if f, why := m.Nested(); f != "" {
		extra := make(map[string]any, len(rec.Extra)+2)
		maps.Copy(extra, rec.Extra)
		extra["archive"] = f
		if why != "" {
			extra["archive_incomplete"] = why
		}
		rec.Extra = extra
	}
}

// readSmall reads the content of a member declaring at most batchFileMax
// bytes into the batch. It reports false, with the bytes read in head, when
// the content is larger than declared: it is then read as a stream.
func (v *memberVisitor) readSmall(rec *casedb.FileRecord, e *Entry, m *archive.Member, r io.Reader) (head []byte, batched bool, err error) {
	b := &v.batch
	if b.h == nil {
		b.h = v.x.batcher()
	}
	// A batch of members holds at most what a batch of small files does
	// (the buffer is allocated whole: members arrive one by one).
	const full = batchBytes + batchMax*(mbhash.Pad+1)
	if len(b.items) == batchMax || b.off+int(m.Size)+1+mbhash.Pad > full {
		if err := v.flush(); err != nil {
			return nil, false, err
		}
	}
	buf := b.h.batchBuffer(full)[b.off : b.off+int(m.Size)+1]
	// One byte more than declared tells a content larger than declared.
	n, rerr := io.ReadFull(ctxReader{v.ctx, r}, buf)
	if p := v.x.s.opts.Progress; p != nil {
		p.Bytes.Add(int64(n))
	}
	switch {
	case rerr == nil:
		return buf, false, nil
	case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
		rerr = nil
	case v.ctx.Err() != nil:
		return nil, false, v.ctx.Err()
	}
	b.items = append(b.items, batchMember{rec: rec, e: e, m: m, err: rerr})
	b.spans = append(b.spans, mbhash.Span{Off: b.off, Len: n})
	// Room for the MD5 padding after the content.
	b.off += n + mbhash.Pad
	return nil, true, nil
}

func (v *memberVisitor) Member(m *archive.Member) error {
	s := v.x.s
	cpath, ckey := v.parent.Path, v.parent.Key
	if m.Container != "" {
		cpath, ckey = v.parent.Path+"!/"+m.Container, v.parent.Key+"!"+m.ContainerKey
	}
	e := &Entry{
		Key: v.parent.Key + "!" + m.Key, Path: v.parent.Path + "!/" + m.Path, Type: m.Type, Size: max(m.Size, 0),
		LinkTarget: m.LinkTarget, Volume: v.parent.Volume, Deleted: v.parent.Deleted,
		Mtime: m.Mtime, Atime: m.Atime, Ctime: m.Ctime, Btime: m.Btime,
		Extra: map[string]any{"container": cpath, "container_key": ckey, "archive_format": m.Format},
	}
	if m.Encrypted {
		e.Extra["encrypted"] = true
	}
	rec := s.newRecord(e)
	switch {
	case m.Err != nil:
		rec.Complete, rec.Error = false, m.Err.Error()
	case m.Type == casedb.TypeFile:
		r, err := m.Open()
		if err != nil {
			rec.Complete, rec.Error = false, fmt.Sprintf("failed to open: %v", err)
			break
		}
		var head []byte
		if m.Size >= 0 && m.Size <= batchFileMax {
			var batched bool
			head, batched, err = v.readSmall(rec, e, m, r)
			if err != nil {
				v.err = err
				return err
			}
			if batched {
				if f, _ := m.Nested(); f != "" {
					// Its record is made now, with what Nested reports
					// before the walk of the archive it holds, which follows.
					return v.flush()
				}
				return nil
			}
			r = io.MultiReader(bytes.NewReader(head), r)
		}
		if err := v.flush(); err != nil {
			return err
		}
		var onRead func(int)
		if p := s.opts.Progress; p != nil {
			onRead = func(n int) { p.Bytes.Add(int64(n)) }
		}
		// A member is a stream like a large file's content (process):
		// its MD5 goes to the multi-buffer server while three or more
		// are hashed at once. Alone (one archive and nothing else to
		// read), a member from 256 KiB (or of an unknown size) has its
		// digests computed in the hasher's two lanes while the next block
		// is decompressed, so that the archive uses two cores.
		busy := s.streams.Add(1)
		hint := e.Size
		if busy == 1 && (m.Size < 0 || hint >= 256<<10) {
			hint = max(hint, parallelThreshold)
		}
		hr := v.h.sum(ctxReader{v.ctx, r}, hint, busy >= 3, onRead)
		s.streams.Add(-1)
		if hr.err != nil && v.ctx.Err() != nil {
			return v.ctx.Err()
		}
		if len(head) > 0 && onRead != nil {
			onRead(-len(head)) // counted when read into the batch
		}
		v.finishMember(rec, e, m, &hr)
	}
	if err := v.flush(); err != nil {
		return err
	}
	if err := v.emit(memberItem{rec: rec}); err != nil {
		v.err = err
		return err
	}
	return nil
}

func (v *memberVisitor) Problem(p string, err error) {
	if v.flush() != nil {
		return
	}
	full := v.parent.Path
	if p != "" {
		full += "!/" + p
	}
	msg := err.Error()
	if p == "" {
		msg = "archive not opened completely: " + msg
	}
	if perr := v.emit(memberItem{problem: &problem{path: full, offset: ErrorOffset(err), msg: msg}}); perr != nil {
		v.err = perr
	}
}

// record stores the settings and counts of the recursion on the evidence
// item, adding to those of the runs before a resume.
func (x *expander) record(ctx context.Context) error {
	if x == nil {
		return nil
	}
	l := x.opts.Limits
	d := archive.DefaultLimits
	pick := func(v, def int64) int64 {
		if v == 0 {
			return def
		}
		return v
	}
	t := l.Time
	if t == 0 {
		t = d.Time
	}
	depth := l.Depth
	if depth == 0 {
		depth = d.Depth
	}
	opened, members, notOpen := x.opened.Load(), x.members.Load(), x.notOpen.Load()
	if prev, ok := x.s.ev.Metadata[archivesMetaKey].(map[string]any); ok && x.s.res.Resumed {
		n := func(k string) int64 { f, _ := prev[k].(float64); return int64(f) }
		opened, members, notOpen = opened+n("opened"), members+n("members"), notOpen+n("not_opened")
	}
	return x.s.c.UpdateEvidenceMetadata(ctx, x.s.ev.ID, map[string]any{archivesMetaKey: map[string]any{
		"opened": opened, "members": members, "not_opened": notOpen,
		"limits": map[string]any{
			"member_bytes": pick(l.MemberBytes, d.MemberBytes), "archive_bytes": pick(l.ArchiveBytes, d.ArchiveBytes),
			"ratio": pick(l.Ratio, d.Ratio), "members": pick(l.Members, d.Members), "depth": depth,
			"time": t.Round(time.Millisecond).String(),
		},
	}})
}
