//go:build unix

package hashset

import (
	"os"

	"golang.org/x/sys/unix"
)

// openFile maps f read-only. The mapping outlives the descriptor, which is
// closed here.
func openFile(f *os.File, size int64) (*Set, error) {
	if size <= 0 || size != int64(int(size)) {
		s, err := parse(f, size, nil)
		if err != nil {
			return nil, err
		}
		s.closeFn = f.Close
		return s, nil
	}
	mem, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		// Fall back to reading through the file.
		s, err := parse(f, size, nil)
		if err != nil {
			return nil, err
		}
		s.closeFn = f.Close
		return s, nil
	}
	s, err := parse(bytesReaderAt(mem), size, mem)
	if err != nil {
		unix.Munmap(mem)
		return nil, err
	}
	f.Close()
	s.closeFn = func() error { return unix.Munmap(mem) }
	return s, nil
}
