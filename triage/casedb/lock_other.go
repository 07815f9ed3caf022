//go:build !unix

package casedb

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

func tryLock(f *os.File) error { return nil }
func unlockFile(f *os.File)    {}
