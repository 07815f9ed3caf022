package triage

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"
	"time"

	md5simd "github.com/minio/md5-simd"
	"golang.org/x/sync/errgroup"

	"github.com/triagekit/triage/internal/buildinfo"
	"github.com/triagekit/triage/internal/mbhash"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/classify"
	"github.com/triagekit/triage/triage/fuzzy"
	"github.com/triagekit/triage/triage/mediahash"
)

// Matcher looks up the digests of a file in hash sets. It must be safe for
// concurrent use; it is called by every worker.
type Matcher interface {
	// Match returns the record status (casedb.StatusKnownBad, ...) and the
	// names of every matching set, sorted. An error (a hash set that cannot
	// be read) is recorded on the file's record, whose status stays
	// unknown: a failed lookup is not a digest missing from the sets.
	Match(d Digests) (status string, sets []string, err error)
}

// FuzzyMatcher is implemented by a Matcher that also finds near matches
// of similarity digests (ssdeep, TLSH; "" when not computed).
type FuzzyMatcher interface {
	MatchFuzzy(ssdeep, tlsh string) (FuzzyMatch, bool)
}

// FuzzyMatch is a near match: the set and its category, and the closest
// digest with its score (ssdeep) or distance (TLSH).
type FuzzyMatch struct {
	Set      string
	Category string
	fuzzy.Match
}

// HitMatcher is a Matcher that also says which digest matched each set.
// The engine records the hits in the record's extra "hash_match"
// (casedb.HashMatch) with the run and the time of the match.
type HitMatcher interface {
	Matcher
	// MatchHits returns the record status and, for each matching set in
	// name order, the digest that matched it.
	MatchHits(d Digests) (status string, hits []casedb.HashHit, err error)
}

// Progress holds counters a scan updates as it goes, for a progress display
// that polls them. All fields are safe for concurrent use.
//
// The work of one evidence item is counted in bytes: the content bytes of
// its files, then the media bytes of a media pass (the whole image hashed
// to verify it). Bytes counts both; Expected is their expected sum.
type Progress struct {
	Files  atomic.Int64 // entries read and hashed (the case may lag behind: it is written in walk order)
	Bytes  atomic.Int64 // bytes read: content bytes, then media bytes
	Errors atomic.Int64
	// Total is the content bytes known before the walk, 0 (or -1) while
	// unknown: the size of a single file, or what a display's own count
	// of a folder found.
	Total atomic.Int64
	// Found is the content bytes of the entries the walk has found so
	// far; FoundAll is set when the walk has ended, Found is then the
	// content total.
	Found    atomic.Int64
	FoundAll atomic.Bool
	// Estimate is the content bytes an image's walk expects to find
	// before it has found them: the bytes its file systems say they use
	// (allocated clusters or blocks), each replaced by what its walk found
	// once done; a volume not yet opened counts its length. 0 when none.
	Estimate atomic.Int64
	// Media is the bytes of the media pass that follows the files (0:
	// none), known before the scan starts.
	Media atomic.Int64

	phase atomic.Pointer[string]
}

// The phases of the work on one evidence item (Progress.Phase).
const (
	PhaseMetadata = "metadata" // opening the item, reading its volumes and file systems
	PhaseFiles    = "files"    // reading and hashing file contents
	PhaseMedia    = "media"    // hashing the whole media of an image
)

// SetPhase records the phase the work is in.
func (p *Progress) SetPhase(phase string) { p.phase.Store(&phase) }

// Phase returns the phase the work is in (PhaseMetadata before any).
func (p *Progress) Phase() string {
	if ph := p.phase.Load(); ph != nil {
		return *ph
	}
	return PhaseMetadata
}

// Expected returns the bytes all the work is expected to read, and
// whether that total is final (it may still grow while the walk finds
// content and no count or estimate made before the walk is known). It is
// -1 when nothing is known yet. An estimate counts as final: the total
// follows the walk where it finds more, and is what the walk found once it
// ends.
func (p *Progress) Expected() (total int64, final bool) {
	files, all := p.Found.Load(), p.FoundAll.Load()
	if t := p.Total.Load(); !all && t > 0 {
		files, all = max(files, t), true
	}
	if e := p.Estimate.Load(); !all && e > 0 {
		files, all = max(files, e), true
	}
	media := p.Media.Load()
	if files == 0 && !all && media == 0 {
		return -1, false
	}
	return files + media, all
}

// Options control a scan.
type Options struct {
	Algorithms []Algorithm // DefaultAlgorithms when empty
	Workers    int         // runtime.NumCPU() when 0
	Matcher    Matcher     // nil: every record is "unknown"
	// MismatchPolicy decides extension mismatches; classify.Default() when
	// nil.
	MismatchPolicy *classify.Policy
	// JSONL receives one JSON object per record written, when not nil.
	JSONL io.Writer
	// Progress is updated as the scan goes, when not nil.
	Progress *Progress
	// Identity of the run, stored on the evidence item and run.
	CommandLine []string
	Host        string
	Examiner    string
	// Rescan adds an evidence item again when the case already holds a
	// finished scan of the same source; otherwise that source is skipped.
	Rescan bool
	// Now returns the current time; time.Now when nil (a test hook).
	Now func() time.Time
	// Watchdog bounds the work spent on one item's content; the zero
	// value takes DefaultItemTimeout and DefaultItemBytes.
	Watchdog Watchdog
	// Archives, when not nil, opens the archives found in files (by
	// content) and records their members after them (see ArchiveOptions).
	Archives *ArchiveOptions
	// OnEvidence is called once the evidence item and run are recorded,
	// before the walk (for custody events and hash-set provenance).
	OnEvidence func(ev *casedb.Evidence, runID int64, resumed bool) error
	// MediaHash hashes the whole media of a disk-image source in the same
	// read as its files: the media is read once, from start to end, each
	// block feeding the media hash and the contents it holds (see
	// diskorder.go). Result.Media holds the digests, Result.MediaRead how
	// the media was read (also recorded on the evidence item, key
	// MediaReadKey). Other sources ignore it.
	MediaHash bool

	// afterCheckpoint is called once a checkpoint of the disk-order pass
	// is committed, with its media offset (a test hook).
	afterCheckpoint func(off int64)
}

// Result summarises the scan of one source.
type Result struct {
	EvidenceID int64
	RunID      int64
	State      string // casedb.StateComplete, StatePartial, StateInterrupted, StateFailed
	Resumed    bool   // an interrupted scan of the same source was continued
	Skipped    bool   // the case already held a finished scan of the source
	Files      int64  // records written by this run
	Bytes      int64  // content bytes hashed by this run
	Errors     int64  // problems recorded by this run
	Existing   int64  // records skipped because an earlier run wrote them
	Started    time.Time
	Finished   time.Time
	// Media holds the digests of the whole media of an image scanned with
	// Options.MediaHash, nil when it was not hashed in the scan (the
	// per-file path, an interrupted scan).
	Media *mediahash.Result
	// MediaRead says how the media was read, with Media.
	MediaRead *MediaRead
	// RecordsSeal is the records' part of the item's seal, computed as
	// the records were written (casedb.Case.SealEvidenceWith); nil when
	// the item holds records of an earlier run or the writing failed.
	RecordsSeal *casedb.RecordsSeal
}

// job is one entry travelling through the pipeline. The writer takes jobs in
// walk order and waits on each one's result, so output never depends on
// goroutine scheduling.
type job struct {
	entry   *Entry
	problem *problem
	res     chan *casedb.FileRecord // capacity 1; nil result: cancelled
	// arch carries the members of an archive opened by the worker, set
	// before the record is sent on res (archives.go).
	arch *archiveJob
	// checkpoint is a media hash checkpoint to commit after the records
	// before it.
	checkpoint *checkpointJob
}

type checkpointJob struct {
	state json.RawMessage
	off   int64
}

type problem struct {
	path   string
	offset int64
	msg    string
}

// Scan walks src and records every entry in the case. It resumes an
// interrupted, crashed or failed scan of the same source. The case stays consistent whatever
// happens: records are committed in batches, in walk order.
func Scan(ctx context.Context, c *casedb.Case, src Source, opts Options) (*Result, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	algs := opts.Algorithms
	if len(algs) == 0 {
		algs = DefaultAlgorithms
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	info := src.Info()
	res := &Result{Started: now().UTC()}

	ev, err := c.FindEvidence(ctx, info.Path)
	if err != nil {
		return nil, err
	}
	switch {
	case ev != nil && (ev.State == casedb.StateRunning || ev.State == casedb.StateInterrupted || ev.State == casedb.StateFailed):
		// An interrupted, crashed or failed scan (a full disk) goes on
		// where its records end.
		res.Resumed = true
		if fmt.Sprint(hashNames(algs)) != fmt.Sprint(ev.HashAlgorithms) {
			return nil, fmt.Errorf("cannot resume evidence item %d with different hash algorithms (%v, the interrupted scan used %v)", ev.ID, hashNames(algs), ev.HashAlgorithms)
		}
	case ev != nil && !opts.Rescan:
		res.Skipped = true
		res.EvidenceID = ev.ID
		res.State = ev.State
		return res, nil
	default:
		bi := buildinfo.Get()
		exe, _ := buildinfo.ExecutableSHA256()
		ev = &casedb.Evidence{
			Source: info.Path, Type: info.Type, Size: info.Size, State: casedb.StateRunning, StartedAt: res.Started,
			ToolVersion: bi.Version, ToolCommit: bi.Commit, ToolSHA256: exe, GoVersion: bi.GoVersion,
			Platform: bi.OS + "/" + bi.Arch, CommandLine: opts.CommandLine, Host: opts.Host, Examiner: opts.Examiner,
			HashAlgorithms: hashNames(algs), Metadata: info.Metadata,
		}
		if _, err := c.AddEvidence(ctx, ev); err != nil {
			return nil, err
		}
	}
	res.EvidenceID = ev.ID
	bi := buildinfo.Get()
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: res.Started, CommandLine: opts.CommandLine, ToolVersion: bi.Version,
		ToolCommit: bi.Commit, Host: opts.Host, Examiner: opts.Examiner}
	if _, err := c.StartRun(ctx, run); err != nil {
		return nil, err
	}
	res.RunID = run.ID
	if opts.OnEvidence != nil {
		if err := opts.OnEvidence(ev, run.ID, res.Resumed); err != nil {
			_ = c.FinishRun(run.ID, ev.ID, casedb.StateFailed, 0, 0, 0, now())
			return res, err
		}
	}
	if p := opts.Progress; p != nil {
		if info.Type == "file" && info.Size > 0 {
			p.Total.Store(info.Size)
		}
		p.SetPhase(PhaseFiles)
	}

	s := &scanner{ctx: ctx, src: src, c: c, ev: ev, opts: opts, algs: algs, now: now, res: res}
	s.arch = newExpander(s)
	s.pass = s.newDiskPass()
	if s.pass != nil {
		defer s.pass.limitMemory()()
		if opts.Workers <= 0 {
			workers = diskWorkers()
		}
	}
	s.opts.Workers = workers
	err = s.run(workers)
	if p := opts.Progress; p != nil {
		// What was read is what there was to read (items cut short,
		// records an earlier run made).
		// The media bytes a disk-order pass read are the media's work.
		found := p.Bytes.Load()
		if s.pass != nil {
			found -= s.pass.counted
		}
		p.Found.Store(max(found, 0))
		p.FoundAll.Store(true)
	}
	s.arch.close()
	if aerr := s.arch.record(context.WithoutCancel(ctx)); aerr != nil && err == nil {
		err = fmt.Errorf("failed to record the archives opened: %w", aerr)
	}
	if s.pass != nil {
		s.pass.close()
		if err == nil && ctx.Err() == nil && s.media != nil {
			res.Media, res.MediaRead = s.media, &s.pass.stat
			md := map[string]any{MediaReadKey: res.MediaRead}
			if _, ok := ev.Metadata[CheckpointKey]; ok || s.checkpointed {
				md[CheckpointKey] = nil
			}
			if merr := c.UpdateEvidenceMetadata(context.WithoutCancel(ctx), ev.ID, md); merr != nil {
				err = fmt.Errorf("failed to record how the media was read: %w", merr)
			}
		}
	}
	if vl, ok := src.(VolumeLister); ok {
		for _, vol := range vl.Volumes() {
			if verr := c.AddVolume(context.WithoutCancel(ctx), ev.ID, vol); verr != nil && err == nil {
				err = fmt.Errorf("failed to record volume %d: %w", vol.Index, verr)
			}
		}
	}
	res.Finished = now().UTC()
	// A resumed scan is partial when an earlier run of the item recorded
	// a problem, as a run that did it all at once would be.
	var earlier int64
	if res.Errors == 0 && err == nil && ctx.Err() == nil {
		earlier, _ = c.CountErrors(context.WithoutCancel(ctx), ev.ID)
	}
	switch {
	case ctx.Err() != nil:
		res.State = casedb.StateInterrupted
	case err != nil:
		res.State = casedb.StateFailed
	case res.Errors > 0 || earlier > 0:
		res.State = casedb.StatePartial
	default:
		res.State = casedb.StateComplete
	}
	if ferr := c.FinishRunWith(run.ID, ev.ID, res.State, res.Files, res.Bytes, res.Errors, res.Finished, res.RecordsSeal); ferr != nil && err == nil {
		err = fmt.Errorf("failed to record the end of the scan: %w", ferr)
	}
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	return res, err
}

func hashNames(algs []Algorithm) []string {
	out := make([]string, len(algs))
	for i, a := range algs {
		out[i] = string(a)
	}
	return out
}

type scanner struct {
	// streams counts the large contents being hashed as streams.
	streams atomic.Int32
	ctx     context.Context
	src     Source
	c       *casedb.Case
	ev      *casedb.Evidence
	opts    Options
	algs    []Algorithm
	now     func() time.Time
	res     *Result
	arch    *expander // nil: archives are not opened
	// pass is the disk-order pass of an image scanned with its media
	// hash, nil otherwise; media its result.
	pass         *diskPass
	media        *mediahash.Result
	checkpointed bool
}

// visitor feeds the pipeline from a Source walk. Entries with little or no
// content travel in batches: a worker reads a batch into one buffer and
// hashes it at once, sixteen contents at a time in vector lanes (mbhash),
// with far fewer channel operations than one job per file.
type visitor struct {
	ctx   context.Context
	s     *scanner
	jobs  chan<- []*job
	order chan<- *job
	batch []*job
	bytes int64 // content bytes of the batch
}

// Batching limits: an entry with at most batchFileMax bytes of content may
// join a batch of at most batchMax entries and batchBytes bytes.
const (
	batchMax     = 64
	batchBytes   = 2 << 20
	batchFileMax = 256 << 10
)

// dispatch sends a batch in walk order to the writer, then to the workers.
func (v *visitor) dispatch(b []*job) error {
	for _, j := range b {
		select {
		case <-v.ctx.Done():
			return v.ctx.Err()
		case v.order <- j:
		}
	}
	if b[0].entry == nil {
		return nil // a problem: nothing to process
	}
	select {
	case <-v.ctx.Done():
		return v.ctx.Err()
	case v.jobs <- b:
	}
	return nil
}

// flush dispatches the pending batch.
func (v *visitor) flush() error {
	if len(v.batch) == 0 {
		return nil
	}
	b := v.batch
	v.batch, v.bytes = make([]*job, 0, batchMax), 0
	return v.dispatch(b)
}

func (v *visitor) Entry(e *Entry) error {
	if v.s.res.Resumed {
		done, err := v.s.c.HasKey(v.ctx, v.s.ev.ID, e.Key)
		if err != nil {
			return err
		}
		if done {
			v.s.res.Existing++
			return v.s.pass.drain(v)
		}
	}
	if v.s.pass == nil {
		return v.enqueue(e)
	}
	if !v.s.pass.take(e) { // else read in the disk-order pass
		if err := v.enqueue(e); err != nil {
			return err
		}
	}
	return v.s.pass.drain(v)
}

// estimate adds to the progress's estimate of the content (estimator).
func (v *visitor) estimate(delta int64) {
	if p := v.s.opts.Progress; p != nil {
		p.Estimate.Add(delta)
	}
}

// enqueue sends e to the pipeline.
func (v *visitor) enqueue(e *Entry) error {
	j := &job{entry: e, res: make(chan *casedb.FileRecord, 1)}
	var size int64
	if e.Open != nil {
		size = max(e.Size, 0)
	}
	if p := v.s.opts.Progress; p != nil {
		p.Found.Add(size)
	}
	if size > batchFileMax {
		if err := v.flush(); err != nil {
			return err
		}
		return v.dispatch([]*job{j})
	}
	if v.bytes+size > batchBytes {
		if err := v.flush(); err != nil {
			return err
		}
	}
	v.batch = append(v.batch, j)
	v.bytes += size
	if len(v.batch) == batchMax {
		return v.flush()
	}
	return nil
}

func (v *visitor) Problem(p string, offset int64, err error) {
	if offset < 0 {
		offset = ErrorOffset(err)
	}
	if v.flush() != nil {
		return
	}
	_ = v.dispatch([]*job{{problem: &problem{path: p, offset: offset, msg: err.Error()}}})
}

func (s *scanner) run(workers int) error {
	g, gctx := errgroup.WithContext(s.ctx)
	jobs := make(chan []*job, workers)
	order := make(chan *job, (workers+2)*batchMax)

	g.Go(func() error {
		defer close(jobs)
		defer close(order)
		v := &visitor{ctx: gctx, s: s, jobs: jobs, order: order, batch: make([]*job, 0, batchMax)}
		err := s.walk(gctx, v)
		if p := s.opts.Progress; p != nil {
			p.FoundAll.Store(true)
		}
		// An image without contents to read in disk order (no file
		// system read, nothing but resident data) has its media hashed
		// on its own after the scan, as without the pass: one read too.
		if err == nil && s.pass != nil && (len(s.pass.files) > 0 || s.pass.off > 0) {
			if err = v.flush(); err == nil {
				s.media, err = s.pass.run(gctx, v)
			}
		}
		if ferr := v.flush(); err == nil {
			// What the walk found before it stopped is recorded too.
			err = ferr
		}
		if errors.Is(err, context.Canceled) && s.ctx.Err() != nil {
			return nil // an interrupt, not a failure
		}
		return err
	})
	// Large contents are hashed as streams; their MD5 goes to the
	// multi-buffer server while three or more are hashed at once (see
	// process). Measured on two AVX-512 cores, MD5 over 1, 4, 8 and 16
	// lanes gives 0.66, 1.09, 2.6 and 3.6 GB/s in all, against 1.76 GB/s for
	// the scalar code on both cores. Small contents are hashed in batches by
	// mbhash instead.
	simd := md5simd.NewServer()
	defer simd.Close()
	for range workers {
		g.Go(func() error {
			h := newHasher(s.algs, simd)
			defer h.close()
			for b := range jobs {
				if len(b) == 1 && b[0].entry.Open != nil && b[0].entry.Size > batchFileMax {
					s.deliver(gctx, h, b[0], s.process(gctx, h, b[0].entry))
				} else {
					s.processBatch(gctx, h, b)
				}
				if p := s.opts.Progress; p != nil {
					p.Files.Add(int64(len(b)))
				}
			}
			return nil
		})
	}
	g.Go(func() error { return s.write(order) })
	return g.Wait()
}

// walk runs the source walk behind a panic boundary: a panic in a parser
// becomes an error of this evidence item instead of killing the process.
func (s *scanner) walk(ctx context.Context, v *visitor) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("walk of %q stopped by an internal error: %v", s.ev.Source, r)
		}
	}()
	return s.src.Walk(ctx, v)
}

// Watchdog limits the content read of one item: a runaway item (a size
// no check caught, a device that never ends) becomes a recorded problem
// instead of a scan that never finishes.
type Watchdog struct {
	Timeout  time.Duration // reading one item's content; 0: DefaultItemTimeout, <0: no limit
	MaxBytes int64         // bytes read from one item; 0: DefaultItemBytes, <0: no limit
}

// Generous defaults of the watchdog: no real file takes an hour to read or
// holds more than 16 TiB.
const (
	DefaultItemTimeout = time.Hour
	DefaultItemBytes   = 16 << 40
)

// ErrWatchdog is the error of a content read the watchdog stopped.
var ErrWatchdog = errors.New("stopped by the watchdog")

func (w Watchdog) limits() (time.Duration, int64) {
	t, b := w.Timeout, w.MaxBytes
	if t == 0 {
		t = DefaultItemTimeout
	}
	if b == 0 {
		b = DefaultItemBytes
	}
	return t, b
}

// watchdogReader stops a content read when the item has taken longer than
// the watchdog's time or delivered more than its bytes.
type watchdogReader struct {
	r        io.Reader
	deadline time.Time // zero: none
	max, n   int64     // max < 0: none
	limit    time.Duration
}

func newWatchdogReader(r io.Reader, w Watchdog, now time.Time) *watchdogReader {
	t, b := w.limits()
	wr := &watchdogReader{r: r, max: b, limit: t}
	if t > 0 {
		wr.deadline = now.Add(t)
	}
	return wr
}

func (w *watchdogReader) Read(p []byte) (int, error) {
	if w.max >= 0 && w.n >= w.max {
		var one [1]byte
		if n, err := w.r.Read(one[:]); n == 0 && err != nil {
			return 0, err // the content ends at the limit
		}
		return 0, fmt.Errorf("%w after %d bytes (the limit per item; --item-max-bytes)", ErrWatchdog, w.n)
	}
	if !w.deadline.IsZero() && time.Now().After(w.deadline) {
		return 0, fmt.Errorf("%w after %v reading %d bytes (the limit per item; --item-timeout)", ErrWatchdog, w.limit, w.n)
	}
	if w.max >= 0 && int64(len(p)) > w.max-w.n {
		p = p[:w.max-w.n]
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}

// ctxReader stops a content read promptly when the scan is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// newRecord returns the record of e before its content is read.
func (s *scanner) newRecord(e *Entry) *casedb.FileRecord {
	rec := &casedb.FileRecord{
		Evidence: s.ev.ID, Key: e.Key, Path: e.Path, Type: e.Type, LinkTarget: e.LinkTarget, Size: e.Size,
		Deleted: e.Deleted, Stream: e.Stream, Inode: e.Inode, Volume: e.Volume,
		Mtime: e.Mtime, Atime: e.Atime, Ctime: e.Ctime, Btime: e.Btime,
		Status: casedb.StatusUnknown, Complete: true, Extra: e.Extra,
		ErrorOffset: -1, // no offset known (see ErrorOffset)
	}
	if e.Type == casedb.TypeFile {
		rec.Extension = classify.Extension(e.Path)
	}
	return rec
}

// open opens the content of e. It returns a nil reader when the record is
// final without content (no content, or an error recorded in rec).
func (s *scanner) open(e *Entry, rec *casedb.FileRecord) io.ReadCloser {
	if e.Err != nil {
		rec.Error = e.Err.Error()
		rec.Complete = false
		return nil
	}
	if e.Open == nil {
		return nil
	}
	rc, err := e.Open()
	if err != nil {
		rec.Error = fmt.Sprintf("failed to open: %v", err)
		rec.Complete = false
		return nil
	}
	return rc
}

// process turns an entry into a record: reads, hashes, classifies, matches.
// It returns nil when the scan was cancelled before the content was read.
func (s *scanner) process(ctx context.Context, h *hasher, e *Entry) (rec *casedb.FileRecord) {
	rec = s.newRecord(e)
	defer func() {
		if r := recover(); r != nil {
			rec.Complete = false
			rec.Error = fmt.Sprintf("internal error while reading: %v", r)
		}
	}()
	rc := s.open(e, rec)
	if rc == nil {
		return rec
	}
	var onRead func(int)
	if p := s.opts.Progress; p != nil {
		onRead = func(n int) { p.Bytes.Add(int64(n)) }
	}
	// The multi-buffer MD5 pays off only while several large streams are
	// hashed at once (a folder of large files); one or two alone are
	// hashed faster by the scalar code, without the round trips.
	busy := s.streams.Add(1)
	defer s.streams.Add(-1)
	hr := h.sum(ctxReader{ctx, newWatchdogReader(rc, s.opts.Watchdog, time.Now())}, e.Size, busy >= 3, onRead)
	var reason string
	var partial bool
	if pr, ok := rc.(PartialReader); ok {
		reason, partial = pr.Incomplete()
	}
	rc.Close()
	if hr.err != nil && ctx.Err() != nil {
		return nil
	}
	s.finish(rec, e, &hr, reason, partial)
	return rec
}

// finish completes a record from what reading its content gave.
func (s *scanner) finish(rec *casedb.FileRecord, e *Entry, hr *hashResult, reason string, partial bool) {
	rec.MD5, rec.SHA1, rec.SHA256, rec.BLAKE3 = hr.MD5, hr.SHA1, hr.SHA256, hr.BLAKE3
	ent := hr.entropy
	rec.Entropy = &ent
	t := classify.Detect(hr.head)
	rec.MIME = t.MIME
	pol := s.opts.MismatchPolicy
	if pol == nil {
		pol = classify.Default()
	}
	var why string
	rec.ExtensionMismatch, why = pol.Check(rec.Extension, t)
	if rec.ExtensionMismatch {
		setExtra(rec, "mismatch_reason", why)
	}
	// Similarity digests go to extra (docs/jsonl.md). Empty content gets
	// no ssdeep digest, as the ssdeep command prints none.
	if hr.SSDeep != "" && hr.n > 0 {
		setExtra(rec, "ssdeep", hr.SSDeep)
	}
	if hr.TLSH != "" {
		setExtra(rec, "tlsh", hr.TLSH)
	}
	switch {
	case hr.err != nil:
		rec.Complete = false
		rec.Error = fmt.Sprintf("read error after %d of %d bytes: %v", hr.n, e.Size, hr.err)
		rec.ErrorOffset = ErrorOffset(hr.err)
	case partial:
		rec.Complete = false
		rec.Error = reason
	case hr.n != e.Size:
		rec.Complete = false
		rec.Error = fmt.Sprintf("read %d bytes, expected %d", hr.n, e.Size)
	}
	if s.opts.Matcher != nil {
		var status string
		var sets []string
		var hits []casedb.HashHit
		var err error
		if hm, ok := s.opts.Matcher.(HitMatcher); ok {
			status, hits, err = hm.MatchHits(hr.Digests)
			for _, h := range hits {
				sets = append(sets, h.Set)
			}
		} else {
			status, sets, err = s.opts.Matcher.Match(hr.Digests)
		}
		if len(hits) > 0 && err == nil {
			rec.SetHashMatch(&casedb.HashMatch{Run: s.res.RunID, At: s.now().UTC().Format(time.RFC3339), Hits: hits})
		}
		if err != nil {
			msg := fmt.Sprintf("hash-set lookup failed: %v", err)
			if rec.Error != "" {
				msg = rec.Error + "; " + msg
			}
			rec.Error = msg
			status, sets = casedb.StatusUnknown, nil
		}
		rec.Status, rec.Hashsets = status, sets
		// Digests that do not cover the whole content prove nothing
		// benign: an unreadable file read as zero bytes carries the empty
		// file's digests, which known-good sets list. The matching sets
		// stay listed; a known-bad or notable match stands, since the
		// bytes read are that content.
		// Content rebuilt from free clusters (extra.recovered) is a
		// reconstruction: the clusters may hold what another file left
		// there, so a known-good match says nothing of the deleted file.
		// A known-bad or notable match stands: those bytes are there.
		rec.Status = MatchStatus(rec, rec.Status)
		// A near match of a similarity digest in a known-bad or notable
		// set makes an unknown file notable; an exact match's status
		// stands (known-bad above all).
		if fm, ok := s.opts.Matcher.(FuzzyMatcher); ok && hr.n > 0 && (hr.SSDeep != "" || hr.TLSH != "") {
			if m, ok := fm.MatchFuzzy(hr.SSDeep, hr.TLSH); ok {
				fmj := map[string]any{"set": m.Set, "category": m.Category, "algorithm": m.Algorithm, "digest": m.Digest, "score": m.Score}
				if m.Name != "" {
					fmj["name"] = m.Name
				}
				setExtra(rec, "fuzzy_match", fmj)
				if (rec.Status == casedb.StatusUnknown || rec.Status == "") && m.Category != casedb.StatusKnownGood {
					rec.Status = casedb.StatusNotable
				}
			}
		}
	}
}

// setExtra sets rec.Extra[k] to v on a copy of the map: the entry's Extra
// may be shared with the source.
func setExtra(rec *casedb.FileRecord, k string, v any) {
	extra := make(map[string]any, len(rec.Extra)+1)
	for k, v := range rec.Extra {
		extra[k] = v
	}
	extra[k] = v
	rec.Extra = extra
}

// MatchStatus returns the status a record gets from the status its digests
// matched: a known-good match of a record whose digests do not cover its
// whole content (incomplete), or whose content was rebuilt from free
// clusters (extra "recovered"), proves nothing and gives unknown. The scan
// and `triage match` apply the same rule.
func MatchStatus(rec *casedb.FileRecord, status string) string {
	r, _ := rec.Extra["recovered"].(string)
	if (!rec.Complete || r != "") && status == casedb.StatusKnownGood {
		return casedb.StatusUnknown
	}
	return status
}

// batchItem is one entry of a batch while it is read and hashed.
type batchItem struct {
	rec     *casedb.FileRecord
	data    []byte // the content read, in the hasher's batch buffer
	err     error  // read error after len(data) bytes
	reason  string
	partial bool
	read    bool // content was read: hash it
	stream  bool // larger than declared: read it as a stream instead
}

// processBatch reads the small entries of b into one buffer, hashes them
// together and sends each record on its job's channel.
func (s *scanner) processBatch(ctx context.Context, h *hasher, b []*job) {
	items := h.items[:0]
	// Room for each content, one byte more (a content larger than
	// declared) and the MD5 padding after it.
	need := 1
	for _, j := range b {
		if j.entry.Open != nil {
			need += int(max(j.entry.Size, 0)) + mbhash.Pad
		}
	}
	buf := h.batchBuffer(need)
	spans := h.spans[:0]
	off := 0
	for _, j := range b {
		it := batchItem{rec: s.newRecord(j.entry)}
		s.readSmall(ctx, j.entry, &it, buf[off:])
		if it.read {
			spans = append(spans, mbhash.Span{Off: off, Len: len(it.data)})
			// Room for the MD5 padding after the content.
			off += len(it.data) + mbhash.Pad
		}
		items = append(items, it)
	}
	h.spans = spans
	results := h.sumBatch(spans)
	k := 0
	for i, j := range b {
		it := &items[i]
		switch {
		case it.stream:
			// The content is larger than its declared size (a file
			// growing under the scan): read it whole as a stream.
			it.rec = s.process(ctx, h, j.entry)
		case it.read:
			hr := &results[k]
			k++
			hr.err = it.err
			if hr.err != nil && ctx.Err() != nil {
				it.rec = nil
				break
			}
			s.finish(it.rec, j.entry, hr, it.reason, it.partial)
		}
		s.deliver(ctx, h, j, it.rec)
	}
	clear(items)
	h.items = items[:0]
}

// readSmall reads the content of e (at most batchFileMax bytes declared)
// into buf, which holds at least its declared size plus one byte.
func (s *scanner) readSmall(ctx context.Context, e *Entry, it *batchItem, buf []byte) {
	defer func() {
		if r := recover(); r != nil {
			it.read = false
			it.rec.Complete = false
			it.rec.Error = fmt.Sprintf("internal error while reading: %v", r)
		}
	}()
	rc := s.open(e, it.rec)
	if rc == nil {
		return
	}
	defer rc.Close()
	// One byte more than declared tells a file that grew.
	n, err := io.ReadFull(ctxReader{ctx, rc}, buf[:max(e.Size, 0)+1])
	switch {
	case err == nil:
		it.stream = true
		return
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		err = nil
	}
	if pr, ok := rc.(PartialReader); ok {
		it.reason, it.partial = pr.Incomplete()
	}
	it.data, it.err, it.read = buf[:n], err, true
	if p := s.opts.Progress; p != nil {
		p.Bytes.Add(int64(n))
	}
}

// write stores results in walk order, in the case and the JSON-lines stream.
func (s *scanner) write(order <-chan *job) (err error) {
	w := s.c.NewWriter(s.ev.ID, s.res.RunID)
	if !s.res.Resumed {
		// The item has no records yet: the seal of its records is made
		// here, as they are written, rather than read back at the end.
		w.SealRecords()
		defer func() {
			if err == nil {
				s.res.RecordsSeal = w.RecordsSeal()
			}
		}()
	}
	var out *bufio.Writer
	if s.opts.JSONL != nil {
		out = bufio.NewWriterSize(s.opts.JSONL, 256<<10)
	}
	flush := func() error {
		if err := w.Commit(); err != nil {
			return err
		}
		if out != nil {
			if err := out.Flush(); err != nil {
				return fmt.Errorf("failed to write JSON lines: %w", err)
			}
		}
		return nil
	}
	lastFlush := time.Now()
	problem := func(path string, offset int64, msg string) error {
		if err := w.AddError(path, offset, MessageText(msg), s.now()); err != nil {
			w.Abort()
			return err
		}
		s.res.Errors++
		if p := s.opts.Progress; p != nil {
			p.Errors.Add(1)
		}
		return nil
	}
	put := func(rec *casedb.FileRecord) error {
		if rec.Error != "" {
			rec.Error = MessageText(rec.Error)
		}
		if err := w.AddFile(rec); err != nil {
			w.Abort()
			return err
		}
		if rec.Error != "" {
			if err := problem(rec.Path, rec.ErrorOffset, rec.Error); err != nil {
				return err
			}
		}
		s.res.Files++
		if rec.Type == casedb.TypeFile {
			s.res.Bytes += rec.Size
		}
		if out != nil {
			b, err := json.Marshal(rec)
			if err != nil {
				return fmt.Errorf("failed to encode record %q: %w", rec.DisplayPath(), err)
			}
			out.Write(b)
			if err := out.WriteByte('\n'); err != nil {
				return fmt.Errorf("failed to write JSON lines: %w", err)
			}
		}
		if len(order) == 0 || time.Since(lastFlush) > time.Second {
			if out != nil {
				if err := out.Flush(); err != nil {
					return fmt.Errorf("failed to write JSON lines: %w", err)
				}
			}
			if time.Since(lastFlush) > time.Second {
				if err := w.Commit(); err != nil {
					return err
				}
			}
			lastFlush = time.Now()
		}
		return nil
	}
	for j := range order {
		if j.checkpoint != nil {
			if err := flush(); err != nil {
				return err
			}
			if err := s.c.UpdateEvidenceMetadata(context.WithoutCancel(s.ctx), s.ev.ID, map[string]any{CheckpointKey: j.checkpoint.state}); err != nil {
				return fmt.Errorf("failed to record a media hash checkpoint: %w", err)
			}
			s.checkpointed = true
			if s.opts.afterCheckpoint != nil {
				s.opts.afterCheckpoint(j.checkpoint.off)
			}
			continue
		}
		if j.problem != nil {
			if err := problem(j.problem.path, j.problem.offset, j.problem.msg); err != nil {
				return err
			}
			continue
		}
		// A record already made is kept even when the scan is being
		// interrupted; only one still being made is given up.
		var rec *casedb.FileRecord
		select {
		case rec = <-j.res:
		default:
			select {
			case rec = <-j.res:
			case <-s.ctx.Done():
			}
		}
		if rec == nil {
			// Cancelled: everything written so far is a prefix of the
			// walk; commit it and drop the rest.
			for range order {
			}
			return flush()
		}
		// The members of an archive are recorded before it (archives.go).
		var aerr error
		if j.arch != nil {
			// Made by the worker; an error here ends the scan, which
			// stops the worker.
			for it := range j.arch.items {
				if aerr = s.arch.take(s.ctx, it, put, problem); aerr != nil {
					break
				}
			}
			if aerr == nil {
				aerr = j.arch.err
			}
		} else if s.arch.wants(j.entry, rec) {
			aerr = s.arch.expandInWriter(s.ctx, j.entry, rec, put, problem)
		}
		if aerr != nil {
			if s.ctx.Err() != nil {
				for range order {
				}
				return flush()
			}
			w.Abort()
			return aerr
		}
		if err := put(rec); err != nil {
			return err
		}
	}
	return flush()
}

// defaultWorkers sizes the pipeline to the CPU: enough concurrent large
// streams to fill the multi-buffer MD5 lanes (16 on AVX-512, 8 on AVX2) and
// enough concurrent reads to keep storage busy; the hashing itself is spread
// over the cores by the Go scheduler.
func defaultWorkers() int {
	return max(16, 2*runtime.NumCPU())
}

// diskWorkers sizes the pipeline of a scan with the disk-order pass: its
// workers hash contents already in memory (assembled by the pass, resident
// in the file system's metadata), so two per CPU keep the cores busy;
// contents larger than diskSmallMax have hashers of their own. Each worker
// and each batch queued for it holds up to batchBytes of contents: 16
// workers on two cores held about 30 MB more than 4 for no gain in time.
func diskWorkers() int {
	return max(4, 2*runtime.NumCPU())
}
