//go:build unix

package report

import (
	"os"

	"golang.org/x/sys/unix"
)

// lockTemp marks a temporary file as being written by this process (the
// lock goes with the file's descriptor).
func lockTemp(f *os.File) { _ = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) }

// tryLockTemp tells whether nobody holds f's lock.
func tryLockTemp(f *os.File) bool {
	return unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
}
