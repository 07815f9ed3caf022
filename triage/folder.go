package triage

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/triagekit/triage/triage/casedb"
)

// folderSource walks a folder, or records a single file, read-only.
//
// Nothing is written to the evidence: files and folders are opened
// read-only, with O_NOATIME where the OS allows so that reading does not
// change access times. Symbolic links are recorded with their target and not
// followed; FIFOs, sockets and devices are recorded without being opened, so
// the walk never blocks on them.
type folderSource struct {
	root   string
	single bool
	size   int64
	// openErr, when set (a test seam), can make opening a file fail: a
	// root test process can read any file, so permissions cannot.
	openErr func(abs string) error
}

func (s *folderSource) Info() SourceInfo {
	if s.single {
		return SourceInfo{Path: s.root, Type: "file", Size: s.size}
	}
	return SourceInfo{Path: s.root, Type: "folder", Size: -1}
}

func (s *folderSource) Close() error { return nil }

func (s *folderSource) Walk(ctx context.Context, v Visitor) error {
	if s.single {
		e, _ := s.entry(s.root, "/"+filepath.Base(s.root))
		return v.Entry(e)
	}
	return s.walkDir(ctx, v, s.root, "")
}

func (s *folderSource) walkDir(ctx context.Context, v Visitor, dir, rel string) error {
	d, err := openDirPath(dir)
	if err != nil {
		v.Problem("/", -1, fmt.Errorf("failed to list folder: %w", err))
		return nil
	}
	defer d.close()
	return s.walkIn(ctx, v, d, dir, rel)
}

// walkIn walks the open folder d, whose path is dir: entries are read
// relative to d, so that no path handed to the kernel is longer than a
// name, however deep the tree (one open folder per level).
func (s *folderSource) walkIn(ctx context.Context, v Visitor, d *dirHandle, dir, rel string) error {
	names, err := d.names()
	if err != nil {
		p := rel
		if p == "" {
			p = "/"
		}
		v.Problem(p, -1, fmt.Errorf("failed to list folder: %w", err))
		if names == nil {
			return nil
		}
	}
	// Sorted byte-wise, so every walk of the same folder has one order.
	sort.Strings(names)
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		abs := dir + string(os.PathSeparator) + name
		e, isDir := s.entryIn(d, name, abs, rel+"/"+name)
		if err := v.Entry(e); err != nil {
			return err
		}
		if isDir {
			sub, err := d.openDir(name)
			if err != nil {
				v.Problem(rel+"/"+name, -1, fmt.Errorf("failed to list folder: %w", err))
				continue
			}
			err = s.walkIn(ctx, v, sub, abs, rel+"/"+name)
			sub.close()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// entry describes the file at abs (without following links).
func (s *folderSource) entry(abs, rel string) (*Entry, bool) {
	return s.entryIn(nil, filepath.Base(abs), abs, rel)
}

// entryIn describes the entry name of the open folder d (nil: by the path
// abs), without following links.
func (s *folderSource) entryIn(d *dirHandle, name, abs, rel string) (*Entry, bool) {
	e := &Entry{Key: rel, Path: rel}
	var st fileStat
	var err error
	if d != nil {
		st, err = d.lstat(name)
	} else {
		st, err = lstat(abs)
	}
	if err != nil {
		e.Type = casedb.TypeOther
		e.Err = fmt.Errorf("failed to read file metadata: %w", err)
		return e, false
	}
	e.Size = st.size
	ino := st.ino
	e.Mtime, e.Atime, e.Ctime, e.Btime = st.mtime, st.atime, st.ctime, st.btime
	switch mode := st.mode; {
	case mode.IsDir():
		e.Type = casedb.TypeDir
		e.Size = 0
		return e, true
	case mode&os.ModeSymlink != 0:
		e.Type = casedb.TypeSymlink
		e.Inode = &ino
		var t string
		var err error
		if d != nil {
			t, err = d.readlink(name)
		} else {
			t, err = os.Readlink(abs)
		}
		if err != nil {
			e.Err = fmt.Errorf("failed to read link target: %w", err)
		}
		e.LinkTarget = t
	case mode&os.ModeNamedPipe != 0:
		e.Type, e.Inode = casedb.TypeFIFO, &ino
	case mode&os.ModeSocket != 0:
		e.Type, e.Inode = casedb.TypeSocket, &ino
	case mode&os.ModeDevice != 0:
		e.Type, e.Inode = casedb.TypeDevice, &ino
	case mode.IsRegular():
		e.Type, e.Inode = casedb.TypeFile, &ino
		e.Open = func() (io.ReadCloser, error) {
			if s.openErr != nil {
				if err := s.openErr(abs); err != nil {
					return nil, err
				}
			}
			return openEvidenceFile(abs, st)
		}
	default:
		e.Type, e.Inode = casedb.TypeOther, &ino
	}
	if e.Type != casedb.TypeFile {
		e.Size = 0
	}
	return e, false
}

// evidenceFile reads a regular file and checks, at EOF, that it did not
// change while it was read.
type evidenceFile struct {
	f      *os.File
	before fileStat
	read   int64
	reason string
	eof    bool
}

func openEvidenceFile(abs string, before fileStat) (io.ReadCloser, error) {
	f, err := openLongPath(abs)
	if err != nil {
		return nil, err
	}
	// Whether the file is still the one listed is checked at EOF, with
	// the same fstat that checks its size: one system call per file.
	return &evidenceFile{f: f, before: before}, nil
}

func (r *evidenceFile) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.read += int64(n)
	if err == io.EOF && !r.eof {
		r.eof = true
		if st, serr := fstat(r.f); serr == nil {
			switch {
			case !st.mode.IsRegular() || st.ino != r.before.ino:
				r.reason = "file was replaced while the scan ran"
			case st.size != r.before.size || r.read != r.before.size:
				r.reason = fmt.Sprintf("file changed size while read: %d bytes when listed, %d read, %d now", r.before.size, r.read, st.size)
			case !st.mtime.Equal(r.before.mtime):
				r.reason = "file was modified while read"
			}
		}
	}
	return n, err
}

func (r *evidenceFile) Incomplete() (string, bool) { return r.reason, r.reason != "" }

func (r *evidenceFile) Close() error { return r.f.Close() }

// ReadAt reads the file at an offset, for the archives that need random
// access (see archives.go); the check for a changed file is Read's.
func (r *evidenceFile) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
