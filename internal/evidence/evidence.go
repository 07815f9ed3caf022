// Package evidence opens the files an examiner names as sources (images,
// their segment files, hash-set files) the one safe way: the path is
// checked with stat before it is opened, so a named pipe, a socket or a
// character device is refused with a clear message instead of blocking in
// open(2) or reading for ever, and files are opened read-only without
// updating their access time where the kernel allows it.
package evidence

import (
	"fmt"
	"os"
)

// Check returns the file information of path (links followed) and an error
// when path is not something evidence can be read from: a regular file, a
// folder or a block device.
func Check(path string) (os.FileInfo, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return fi, CheckMode(path, fi.Mode())
}

// CheckMode is Check for a mode already known.
func CheckMode(path string, m os.FileMode) error {
	switch {
	case m&os.ModeNamedPipe != 0:
		return fmt.Errorf("cannot read %s: it is a named pipe (FIFO), which can be read only once; give a regular file, a folder or a block device", path)
	case m&os.ModeSocket != 0:
		return fmt.Errorf("cannot read %s: it is a socket; give a regular file, a folder or a block device", path)
	case m&os.ModeCharDevice != 0:
		return fmt.Errorf("cannot read %s: it is a character device, which has no fixed size; give a regular file or a block device (a disk such as /dev/sdb)", path)
	case m&os.ModeIrregular != 0:
		return fmt.Errorf("cannot read %s: not a regular file, folder or block device", path)
	}
	return nil
}

// Open checks path with Check and opens it read-only (see OpenFile).
func Open(path string) (*os.File, error) {
	if _, err := Check(path); err != nil {
		return nil, err
	}
	f, err := openNoAtime(path)
	if err != nil {
		return nil, err
	}
	// The path may have been replaced between the stat and the open: check
	// what was opened (the open itself cannot block, see openNoAtime).
	fi, err := f.Stat()
	if err == nil {
		err = CheckMode(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
