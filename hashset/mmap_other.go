//go:build !unix

package hashset

import "os"

// openFile reads the index through f with ReadAt where mmap is not available.
func openFile(f *os.File, size int64) (*Set, error) {
	s, err := parse(f, size, nil)
	if err != nil {
		return nil, err
	}
	s.closeFn = f.Close
	return s, nil
}
