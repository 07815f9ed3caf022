//go:build !unix

package report

import "os"

func lockTemp(f *os.File) {}

// tryLockTemp cannot tell here: temporary files are kept.
func tryLockTemp(f *os.File) bool { return false }
