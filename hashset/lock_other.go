//go:build !unix

package hashset

import (
	"errors"
	"os"
)

var errLocked = errors.New("locked")

func tryFlock(f *os.File) error { return nil }
func unflock(f *os.File)        {}
