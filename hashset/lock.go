package hashset

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrBusy is returned when another process imports a set of the same name.
var ErrBusy = errors.New("hash set being imported")

// fileLock is an advisory lock on a file, with the holder's process id
// written into it. The file exists while the lock is held and is removed
// on release.
type fileLock struct {
	f    *os.File
	path string
}

// tryLockFile takes the lock of path without waiting; held is true (and
// pid the holder's, 0 when unknown) when another process holds it.
func tryLockFile(path string) (l *fileLock, pid int, held bool, err error) {
	for range 100 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, 0, false, err
		}
		if err := tryFlock(f); err != nil {
			defer f.Close()
			if errors.Is(err, errLocked) {
				b := make([]byte, 32)
				n, _ := f.ReadAt(b, 0)
				pid, _ := strconv.Atoi(string(bytes.TrimSpace(b[:n])))
				return nil, pid, true, nil
			}
			return nil, 0, false, err
		}
		// The holder before us removes the file as it releases it: the
		// lock counts only on the file that is still at path.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(path)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			unflock(f)
			f.Close()
			continue
		}
		if err := f.Truncate(0); err == nil {
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
		}
		return &fileLock{f: f, path: path}, 0, false, nil
	}
	return nil, 0, false, fmt.Errorf("cannot lock %s: it keeps being replaced", path)
}

func (l *fileLock) release() {
	if l == nil {
		return
	}
	os.Remove(l.path)
	unflock(l.f)
	l.f.Close()
}

// lockName takes the import lock of set name in the library: one import
// of a name at a time. While it is held, the temporary files left by an
// import of that name that was killed are removed.
func (l *Library) lockName(name string) (*fileLock, error) {
	lk, pid, held, err := tryLockFile(filepath.Join(l.Dir, "."+name+".lock"))
	if err != nil {
		return nil, fmt.Errorf("cannot lock hash set %q: %w", name, err)
	}
	if held {
		if pid > 0 {
			return nil, fmt.Errorf("%w: %q is being imported by PID %d; wait for it to finish", ErrBusy, name, pid)
		}
		return nil, fmt.Errorf("%w: %q is being imported by another process; wait for it to finish", ErrBusy, name)
	}
	// Index files being written for this name (".NAME.tset.tmp-*") belong
	// to a killed import: this process holds the name.
	if olds, _ := filepath.Glob(filepath.Join(l.Dir, "."+name+Ext+".tmp-*")); len(olds) > 0 {
		for _, o := range olds {
			os.Remove(o)
		}
	}
	l.removeStaleImports()
	return lk, nil
}

// importLockName is the lock file inside an import's temporary folder.
const importLockName = "lock"

// staleAge is how old a temporary import folder without its lock file must
// be to be removed (one being created has no lock file for an instant).
const staleAge = time.Minute

// removeStaleImports removes the temporary folders (".import-*") of
// imports that were killed: those whose lock nobody holds.
func (l *Library) removeStaleImports() {
	ents, err := os.ReadDir(l.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), ".import-") {
			continue
		}
		dir := filepath.Join(l.Dir, e.Name())
		lp := filepath.Join(dir, importLockName)
		if _, err := os.Stat(lp); err != nil {
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleAge {
				os.RemoveAll(dir)
			}
			continue
		}
		lk, _, held, err := tryLockFile(lp)
		if err != nil || held {
			continue
		}
		os.RemoveAll(dir)
		lk.release()
	}
}
