package casedb

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// LockName is the lock file of a case: the command that writes to the case
// holds an advisory lock on it and writes its process id into it.
const LockName = "case.lock"

// ErrInUse is returned when another process writes to the case.
var ErrInUse = errors.New("case in use")

// InUseError says which process holds the case.
type InUseError struct {
	Dir string
	PID int // 0 when not known
}

func (e *InUseError) Error() string {
	if e.PID > 0 {
		return fmt.Sprintf("case %s in use by PID %d (another triage command is writing to it; wait for it to finish)", e.Dir, e.PID)
	}
	return fmt.Sprintf("case %s in use by another process (another triage command is writing to it; wait for it to finish)", e.Dir)
}

func (e *InUseError) Unwrap() error { return ErrInUse }

// caseLock is the writer lock of a case, held until release.
type caseLock struct{ f *os.File }

// lockCase takes the writer lock of the case in dir without waiting.
func lockCase(dir string) (*caseLock, error) {
	p := filepath.Join(dir, LockName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot lock the case: %w", err)
	}
	if err := tryLock(f); err != nil {
		defer f.Close()
		if errors.Is(err, errLocked) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			pid, _ := strconv.Atoi(string(bytes.TrimSpace(b[:n])))
			abs, _ := filepath.Abs(dir)
			return nil, &InUseError{Dir: abs, PID: pid}
		}
		return nil, fmt.Errorf("cannot lock the case: %w", err)
	}
	// The process id is for the message of a process that finds the case
	// locked; a failure to write it changes nothing to the lock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &caseLock{f: f}, nil
}

func (l *caseLock) release() {
	if l == nil || l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	unlockFile(l.f)
	l.f.Close()
	l.f = nil
}
