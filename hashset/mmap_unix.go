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
	release := s.hotPrefixTables()
	s.closeFn = func() error {
		if release != nil {
			release()
		}
		return unix.Munmap(mem)
	}
	return s, nil
}

// hotPrefixTables copies the prefix tables of a mapped index into anonymous
// huge-page memory: a lookup then pays one page walk (for the digests)
// instead of two. The digests stay mapped. It returns the release function,
// or nil when the tables stay where they are.
func (s *Set) hotPrefixTables() func() error {
	total := 0
	for a := range s.sec {
		total += len(s.sec[a].praw)
	}
	if total < 64<<10 {
		return nil
	}
	mem, release, err := anonHuge(total)
	if err != nil {
		return nil
	}
	off := 0
	for a := range s.sec {
		x := &s.sec[a]
		n := copy(mem[off:], x.praw)
		x.praw = mem[off : off+n]
		off += n
	}
	return release
}
