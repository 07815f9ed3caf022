//go:build linux

package hashset

import "golang.org/x/sys/unix"

// anonHuge returns n bytes of anonymous memory (outside the Go heap) backed
// by huge pages where the kernel allows, and a function releasing it.
func anonHuge(n int) ([]byte, func() error, error) {
	const huge = 2 << 20
	size := (n + huge - 1) / huge * huge
	b, err := unix.Mmap(-1, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return nil, nil, err
	}
	unix.Madvise(b, unix.MADV_HUGEPAGE)
	return b[:n], func() error { return unix.Munmap(b) }, nil
}

// allocRun returns n bytes of anonymous memory for a sort run: outside the
// Go heap, so the collector's pacing (which lets garbage grow up to the live
// heap) does not double the import's footprint.
func allocRun(n int) ([]byte, func()) {
	b, err := unix.Mmap(-1, 0, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return make([]byte, n), func() {}
	}
	return b, func() { unix.Munmap(b) }
}
