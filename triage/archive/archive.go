// Package archive opens the archives found inside evidence files and walks
// their members with bomb limits: zip (with ZIP64), tar, gzip, bzip2, xz,
// zstd, 7z and rar (RAR 4 and RAR 5).
//
// Formats are recognised by content, never by name (the table is Formats in
// formats.go). Walk visits every member in the archive's own order; a
// member that is itself an archive is opened in turn, to Limits.Depth, and
// its members follow it with paths joined by "!/" ("inner/b.tar.gz!/x").
//
// Every read is bounded: the uncompressed bytes of one member and of one
// archive, the compression ratio, the member count, the nesting depth and
// the time spent on one archive (Limits). A member stopped by a limit gives
// a *LimitError from its reader; a limit of the whole archive also ends the
// walk. A member that cannot be read is reported and the walk goes on.
//
// Members are streamed. Random access is needed by zip and 7z only: a
// nested archive is copied to a temporary file in Options.TempDir while its
// content is read (at most Limits.MemberBytes), walked from there and
// removed. The evidence is never written to.
package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Limits bound the work spent on one archive (a file of the evidence that
// is an archive), the archives nested in it included.
type Limits struct {
	MemberBytes  int64         // uncompressed bytes of one member
	ArchiveBytes int64         // uncompressed bytes of all members of one archive, nested ones included
	Ratio        int64         // uncompressed to compressed bytes, checked past RatioFloor uncompressed bytes
	Members      int64         // members of one archive, nested ones included
	Depth        int           // archives opened one inside another (1: the archive's own members only)
	Time         time.Duration // time spent on one archive
}

// DefaultLimits are generous for real archives and stop bombs early: a
// deflated member expands at most about 1,000 times, real content rarely
// more than 100 times beyond its first mebibyte.
var DefaultLimits = Limits{
	MemberBytes:  4 << 30,
	ArchiveBytes: 16 << 30,
	Ratio:        100,
	Members:      100_000,
	Depth:        5,
	Time:         10 * time.Minute,
}

// RatioFloor is the uncompressed size below which the ratio is not
// checked: a small file of zeros compresses far past any sane ratio.
const RatioFloor = 1 << 20

// The names of the limits, as LimitError.Limit gives them, with the scan
// flags that set them.
const (
	LimitMemberBytes  = "member bytes"
	LimitArchiveBytes = "archive bytes"
	LimitRatio        = "compression ratio"
	LimitMembers      = "member count"
	LimitDepth        = "depth"
	LimitTime         = "time"
)

var limitFlags = map[string]string{
	LimitMemberBytes:  "--archive-max-member-bytes",
	LimitArchiveBytes: "--archive-max-bytes",
	LimitRatio:        "--archive-max-ratio",
	LimitMembers:      "--archive-max-members",
	LimitDepth:        "--archive-max-depth",
	LimitTime:         "--archive-timeout",
}

// LimitError is the error of a read or walk a limit stopped.
type LimitError struct {
	Limit string // LimitMemberBytes, ...
	Value any    // the limit's value
	Whole bool   // the limit ends the walk of the whole archive (or of a compressed layer), not only the member
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("archive: %s limit of %v reached (%s)", e.Limit, e.Value, limitFlags[e.Limit])
}

// Errors of members and archives not opened.
var (
	ErrEncrypted = errors.New("archive: encrypted: not opened")
)

// FormatError is a structure error of an archive, at an offset of the
// archive's own bytes when known (-1 otherwise).
type FormatError struct {
	Format string
	Off    int64
	Msg    string
}

func (e *FormatError) Error() string {
	if e.Off < 0 {
		return fmt.Sprintf("%s: %s", e.Format, e.Msg)
	}
	return fmt.Sprintf("%s: %s at byte %#x", e.Format, e.Msg, e.Off)
}

// Offset returns the offset of the problem in the archive, -1 when unknown.
func (e *FormatError) Offset() int64 { return e.Off }

// Member types, the values of casedb's record types.
const (
	TypeFile    = "file"
	TypeDir     = "dir"
	TypeSymlink = "symlink"
	TypeFIFO    = "fifo"
	TypeDevice  = "device"
	TypeOther   = "other"
)

// Member is one item of an archive, valid during the Visitor's Member call.
type Member struct {
	// Path is the member's path inside the top archive, without a leading
	// "/"; members of a nested archive follow its path and "!/".
	Path string
	// Key identifies the member within the top archive: its index in its
	// archive, nested ones joined by "!" ("3!0"). It is the same on every
	// walk of the same bytes.
	Key string
	// Container is the Path of the nested archive holding the member, ""
	// for a member of the top archive.
	Container    string
	ContainerKey string
	Format       string // format of the archive holding it ("zip", "tar", "gzip", ...)
	Depth        int    // 1 for members of the top archive
	Type         string // TypeFile, TypeDir, ...
	// Size is the declared uncompressed size; -1 when the format does not
	// declare one (a gzip stream).
	Size                       int64
	LinkTarget                 string
	Mtime, Atime, Ctime, Btime time.Time
	Encrypted                  bool
	// Err is why the content is not opened (encrypted, unsupported
	// method), known before reading; Open then returns it.
	Err error

	open    func() (io.Reader, error)
	packed  int64 // compressed size of the member, 0 when unknown
	openErr error
	w       *walker
	mr      *memberReader
}

// Open returns the content of the member, read through the limits. It is
// called at most once, during the Visitor's Member call.
func (m *Member) Open() (io.Reader, error) {
	if m.Err != nil {
		return nil, m.Err
	}
	if m.open == nil {
		return nil, errors.New("archive: member has no content")
	}
	if m.mr != nil {
		return nil, errors.New("archive: member opened twice")
	}
	r, err := m.open()
	if err != nil {
		m.openErr = err
		return nil, err
	}
	m.mr = &memberReader{w: m.w, m: m, r: r}
	return m.mr, nil
}

// Nested reports, once the member's content has been read, the format of
// the archive it holds ("" when none) and why that archive will not be
// opened ("" when it will be: its members follow).
func (m *Member) Nested() (format, notOpened string) {
	if m.mr == nil || m.mr.nested == nil {
		return "", ""
	}
	return m.mr.nested.Name, m.mr.notOpened
}

// Visitor receives what Walk finds.
type Visitor interface {
	// Member is called for every member in order. A returned error ends
	// the walk and is returned by Walk.
	Member(m *Member) error
	// Problem reports an archive or member that could not be opened or
	// read completely; path is the member's path ("" for the top archive).
	Problem(path string, err error)
}

// Options control a walk.
type Options struct {
	Limits Limits // zero fields take DefaultLimits
	// TempDir holds the copies of nested archives while they are walked;
	// os.TempDir() when "".
	TempDir string
}

// Summary tells what a walk of an archive found.
type Summary struct {
	Format  string // the top archive's format
	Members int64  // members visited, nested ones included
	Nested  int64  // nested archives opened
	// NotOpened counts members and nested archives not opened or not
	// read completely (encrypted, unsupported, corrupt, stopped by a limit).
	NotOpened int64
	// Err is why the walk of the top archive stopped early or never
	// started (a corrupt directory, a limit of the whole archive, an
	// unsupported format); nil when every member was reached.
	Err error
}

// Walk walks the archive held in the size bytes of r, whose name (the
// last element of its path, used to name the content of a gzip stream
// without a stored name) is name. It returns a zero Summary when r holds
// no archive of a known format. The error returned is the Visitor's or
// ctx's; problems of the archive go to the Visitor and the Summary.
func Walk(ctx context.Context, r io.ReaderAt, size int64, name string, opts Options, v Visitor) (*Summary, error) {
	head := make([]byte, HeadSize)
	n, err := r.ReadAt(head, 0)
	if n < len(head) && err != nil && err != io.EOF {
		return &Summary{}, nil
	}
	f := Detect(head[:n])
	if f == nil {
		return &Summary{}, nil
	}
	w := newWalker(ctx, opts, v, f)
	return w.finish(w.walkArchive(f, r, nil, size, name, "", "", 1))
}

// WalkReader is Walk for content read as a stream. A format that needs
// random access (zip, 7z) is first copied to a temporary file in
// opts.TempDir, at most Limits.ArchiveBytes of it, and removed after.
func WalkReader(ctx context.Context, r io.Reader, size int64, name string, opts Options, v Visitor) (*Summary, error) {
	if ra, ok := r.(io.ReaderAt); ok {
		return Walk(ctx, ra, size, name, opts, v)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(HeadSize)
	f := Detect(head)
	if f == nil {
		return &Summary{}, nil
	}
	w := newWalker(ctx, opts, v, f)
	if !f.RandomAccess {
		return w.finish(w.walkArchive(f, nil, br, size, name, "", "", 1))
	}
	tmp, err := os.CreateTemp(opts.TempDir, "triage-archive-*")
	if err != nil {
		return w.finish(fmt.Errorf("archive: %s not opened: failed to make its temporary copy: %w", f.Name, err))
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name())
	}()
	n, err := io.Copy(tmp, io.LimitReader(ctxReader{w, br}, w.lim.ArchiveBytes+1))
	switch {
	case err != nil:
		return w.finish(fmt.Errorf("archive: %s not opened: failed to copy it to a temporary file: %w", f.Name, err))
	case n > w.lim.ArchiveBytes:
		return w.finish(fmt.Errorf("archive: %s not opened: %w", f.Name, &LimitError{Limit: LimitArchiveBytes, Value: w.lim.ArchiveBytes, Whole: true}))
	}
	return w.finish(w.walkArchive(f, tmp, nil, n, name, "", "", 1))
}

type ctxReader struct {
	w *walker
	r io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.w.check(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func newWalker(ctx context.Context, opts Options, v Visitor, f *Format) *walker {
	w := &walker{ctx: ctx, opts: opts, v: v, sum: &Summary{Format: f.Name}}
	w.lim = opts.Limits.withDefaults()
	if w.lim.Time > 0 {
		w.deadline = time.Now().Add(w.lim.Time)
	}
	return w
}

// finish ends a walk: werr, unless the Visitor's or a cancellation, is
// the archive's problem.
func (w *walker) finish(werr error) (*Summary, error) {
	if werr != nil && !w.visitorErr && w.ctx.Err() == nil {
		w.sum.Err = werr
		w.sum.NotOpened++
		w.v.Problem("", werr)
		werr = nil
	}
	if werr == nil {
		werr = w.ctx.Err()
	}
	return w.sum, werr
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MemberBytes != 0 {
		d.MemberBytes = l.MemberBytes
	}
	if l.ArchiveBytes != 0 {
		d.ArchiveBytes = l.ArchiveBytes
	}
	if l.Ratio != 0 {
		d.Ratio = l.Ratio
	}
	if l.Members != 0 {
		d.Members = l.Members
	}
	if l.Depth != 0 {
		d.Depth = l.Depth
	}
	if l.Time != 0 {
		d.Time = l.Time
	}
	return d
}

// walker is the state of one Walk.
type walker struct {
	ctx        context.Context
	opts       Options
	lim        Limits
	v          Visitor
	sum        *Summary
	deadline   time.Time
	total      int64 // uncompressed bytes of members read
	stop       error // a limit of the whole archive: no more members
	visitorErr bool  // the error ending the walk is the Visitor's
}

// check returns the error that stops every read: cancellation, the time
// limit, the archive's byte limit.
func (w *walker) check() error {
	if w.stop != nil {
		return w.stop
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if !w.deadline.IsZero() && time.Now().After(w.deadline) {
		w.stop = &LimitError{Limit: LimitTime, Value: w.lim.Time, Whole: true}
		return w.stop
	}
	return nil
}

// archiveSource is what a format walks: the archive's bytes (ReaderAt) and
// position in the tree.
type archiveSource struct {
	ra        io.ReaderAt // nil for a stream
	r         io.Reader   // the stream when ra is nil
	size      int64
	name      string // last element of the archive's name, for gzip
	prefix    string // path prefix of its members ("" or "inner/a.zip!/")
	keyPrefix string
	container string // Path of the archive as a member, "" for the top
	ckey      string
	depth     int // depth of its members
}

func (w *walker) walkArchive(f *Format, ra io.ReaderAt, r io.Reader, size int64, name, container, ckey string, depth int) (err error) {
	src := &archiveSource{ra: ra, r: r, size: size, name: name, container: container, ckey: ckey, depth: depth}
	if container != "" {
		src.prefix = container + "!/"
		src.keyPrefix = ckey + "!"
	}
	defer func() {
		if r := recover(); r != nil {
			err = &FormatError{Format: f.Name, Off: -1, Msg: fmt.Sprintf("reader stopped by an internal error: %v", r)}
		}
	}()
	return f.walk(w, src)
}

// visit hands one member to the Visitor, then walks the archive it holds.
// A returned error ends the walk of the archive being walked.
func (w *walker) visit(src *archiveSource, m *Member) error {
	if err := w.check(); err != nil {
		return err
	}
	if w.sum.Members >= w.lim.Members {
		w.stop = &LimitError{Limit: LimitMembers, Value: w.lim.Members, Whole: true}
		return w.stop
	}
	w.sum.Members++
	m.Path = src.prefix + m.Path
	m.Key = src.keyPrefix + m.Key
	m.Container, m.ContainerKey, m.Depth, m.w = src.container, src.ckey, src.depth, w
	if m.Encrypted && m.Err == nil {
		m.Err = ErrEncrypted
	}
	err := w.v.Member(m)
	if m.Err != nil || m.openErr != nil {
		w.sum.NotOpened++
	}
	mr := m.mr
	if mr != nil {
		if c, ok := mr.r.(io.Closer); ok {
			defer c.Close()
		}
	}
	if mr != nil && mr.spill != nil {
		defer func() {
			mr.spill.Close()
			os.Remove(mr.spill.Name())
		}()
	}
	if err != nil {
		w.visitorErr = true
		return err
	}
	if mr == nil {
		return w.check()
	}
	if mr.err != nil && mr.err != io.EOF {
		w.sum.NotOpened++
		var le *LimitError
		if errors.As(mr.err, &le) && le.Whole {
			return mr.err
		}
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
	}
	if mr.nested == nil {
		return w.check()
	}
	if mr.notOpened != "" || mr.err != io.EOF {
		if mr.notOpened == "" {
			mr.notOpened = "its content was not read completely"
		}
		w.sum.NotOpened++
		w.v.Problem(m.Path, fmt.Errorf("archive: nested %s archive not opened: %s", mr.nested.Name, mr.notOpened))
		return w.check()
	}
	if err := mr.spillErr; err != nil {
		w.sum.NotOpened++
		w.v.Problem(m.Path, fmt.Errorf("archive: nested %s archive not opened: %w", mr.nested.Name, err))
		return w.check()
	}
	w.sum.Nested++
	nerr := w.walkArchive(mr.nested, mr.spill, nil, mr.n, baseName(m.Path), m.Path, m.Key, src.depth+1)
	if w.visitorErr {
		return nerr
	}
	if nerr != nil {
		w.sum.NotOpened++
		w.v.Problem(m.Path, nerr)
		var le *LimitError
		if errors.As(nerr, &le) && le.Whole && w.stop != nil {
			return nerr
		}
	}
	return w.check()
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}

// memberReader reads a member's content through the limits, and copies a
// nested archive to a temporary file as it goes.
type memberReader struct {
	w      *walker
	m      *Member
	r      io.Reader
	n      int64
	err    error // sticky; io.EOF once the content ended within the limits
	head   []byte
	looked bool // the head was looked at
	// nested is the format of the archive the content holds; spill its copy.
	nested    *Format
	notOpened string
	spill     *os.File
	spillErr  error
}

func (r *memberReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if err := r.w.check(); err != nil {
		r.err = err
		return 0, err
	}
	lim := r.w.lim
	room := min(lim.MemberBytes-r.n, lim.ArchiveBytes-r.w.total)
	if room <= 0 {
		// At the limit: only the end of the content is allowed.
		var one [1]byte
		if n, err := r.r.Read(one[:]); n == 0 && err != nil {
			return 0, r.fail(err)
		}
		if lim.MemberBytes-r.n <= 0 {
			return 0, r.fail(&LimitError{Limit: LimitMemberBytes, Value: lim.MemberBytes})
		}
		r.w.stop = &LimitError{Limit: LimitArchiveBytes, Value: lim.ArchiveBytes, Whole: true}
		return 0, r.fail(r.w.stop)
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := r.r.Read(p)
	if n < 0 || n > len(p) {
		return 0, r.fail(fmt.Errorf("archive: reader returned %d bytes for a buffer of %d", n, len(p)))
	}
	r.n += int64(n)
	r.w.total += int64(n)
	r.track(p[:n], err != nil)
	if err != nil {
		return n, r.fail(err)
	}
	// The ratio of what was read, or of the declared sizes: a member
	// that declares a bomb is stopped past the floor.
	if r.m.packed > 0 && r.n > RatioFloor && (r.n/lim.Ratio > r.m.packed || r.m.Size/lim.Ratio > r.m.packed) {
		return n, r.fail(&LimitError{Limit: LimitRatio, Value: lim.Ratio})
	}
	return n, nil
}

func (r *memberReader) fail(err error) error {
	r.err = err
	return err
}

// track finds a nested archive in the first bytes and copies its content.
func (r *memberReader) track(b []byte, end bool) {
	if !r.looked {
		k := min(len(b), HeadSize-len(r.head))
		r.head = append(r.head, b[:k]...)
		if len(r.head) < HeadSize && !end {
			return
		}
		r.looked = true
		f := Detect(r.head)
		if f == nil {
			r.head = nil
			return
		}
		r.nested = f
		switch {
		case r.m.Depth >= r.w.lim.Depth:
			r.notOpened = (&LimitError{Limit: LimitDepth, Value: r.w.lim.Depth}).Error()
		default:
			sp, err := os.CreateTemp(r.w.opts.TempDir, "triage-archive-*")
			if err != nil {
				r.spillErr = fmt.Errorf("failed to make its temporary copy: %w", err)
				break
			}
			r.spill = sp
			if _, err := sp.Write(r.head); err != nil {
				r.spillErr = fmt.Errorf("failed to write its temporary copy: %w", err)
			}
		}
		b = b[k:]
	}
	if r.spill != nil && r.spillErr == nil && len(b) > 0 {
		if _, err := r.spill.Write(b); err != nil {
			r.spillErr = fmt.Errorf("failed to write its temporary copy: %w", err)
		}
	}
}

// layerReader counts the bytes a decompressor yields and stops a bomb: the
// ratio to the compressed bytes of the layer, the time, cancellation.
type layerReader struct {
	w      *walker
	r      io.Reader
	packed int64
	n      int64
	err    error
}

func (l *layerReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if err := l.w.check(); err != nil {
		l.err = err
		return 0, err
	}
	n, err := l.r.Read(p)
	if n < 0 || n > len(p) {
		l.err = fmt.Errorf("archive: decompressor returned %d bytes for a buffer of %d", n, len(p))
		return 0, l.err
	}
	l.n += int64(n)
	if err == nil && l.n > RatioFloor && l.n/l.w.lim.Ratio > max(l.packed, 1) {
		l.err = &LimitError{Limit: LimitRatio, Value: l.w.lim.Ratio, Whole: true}
		return n, l.err
	}
	if err != nil {
		l.err = err
	}
	return n, err
}
