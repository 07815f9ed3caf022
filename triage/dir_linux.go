package triage

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// dirHandle is an open folder of the walk: its entries are listed, stat'ed
// and opened relative to it (openat), so no path is ever longer than one
// name and PATH_MAX does not cut deep trees short.
type dirHandle struct {
	f *os.File
}

// openDirPath opens the folder at path (the root of a walk).
func openDirPath(path string) (*dirHandle, error) {
	f, err := openNoAtime(path, true)
	if err != nil {
		return nil, err
	}
	return &dirHandle{f: f}, nil
}

func (d *dirHandle) close() { d.f.Close() }

// names lists the folder without sorting.
func (d *dirHandle) names() ([]string, error) { return d.f.Readdirnames(-1) }

func (d *dirHandle) fd() int { return int(d.f.Fd()) }

// lstat describes the entry name of the folder without following a link.
func (d *dirHandle) lstat(name string) (fileStat, error) {
	var st unix.Statx_t
	for {
		err := unix.Statx(d.fd(), name, unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_SYNC_AS_STAT, statxMask, &st)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return fileStat{}, &os.PathError{Op: "lstat", Path: name, Err: err}
		}
		return fromStatx(&st), nil
	}
}

// readlink returns the target of the link name of the folder.
func (d *dirHandle) readlink(name string) (string, error) {
	for size := 256; size <= 1<<16; size *= 2 {
		b := make([]byte, size)
		n, err := unix.Readlinkat(d.fd(), name, b)
		if err != nil {
			return "", &os.PathError{Op: "readlink", Path: name, Err: err}
		}
		if n < size {
			return string(b[:n]), nil
		}
	}
	return "", &os.PathError{Op: "readlink", Path: name, Err: unix.ENAMETOOLONG}
}

// openDir opens the subfolder name, never following a link.
func (d *dirHandle) openDir(name string) (*dirHandle, error) {
	f, err := openAtNoAtime(d.fd(), name, true)
	if err != nil {
		return nil, err
	}
	return &dirHandle{f: f}, nil
}

// openAtNoAtime is openNoAtime relative to the folder dirfd.
func openAtNoAtime(dirfd int, name string, dir bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK
	if dir {
		flags |= unix.O_DIRECTORY
	}
	for _, extra := range []int{unix.O_NOATIME, 0} {
		fd, err := unix.Openat(dirfd, name, flags|extra, 0)
		for errors.Is(err, unix.EINTR) {
			fd, err = unix.Openat(dirfd, name, flags|extra, 0)
		}
		if errors.Is(err, unix.EPERM) && extra != 0 {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "openat", Path: name, Err: err}
		}
		if !dir {
			_ = unix.SetNonblock(fd, false)
		}
		return os.NewFile(uintptr(fd), name), nil
	}
	return nil, &os.PathError{Op: "openat", Path: name, Err: unix.EPERM}
}

// shortPath is the longest path opened by name; longer ones are opened one
// folder at a time from their longest ancestor shorter than this.
const shortPath = 2048

// openLongPath opens the regular file at the absolute path abs, however
// long: the folders below its longest ancestor shorter than shortPath are
// opened one by one, without following links.
func openLongPath(abs string) (*os.File, error) {
	if len(abs) < shortPath {
		return openNoAtime(abs, false)
	}
	base := abs
	for len(base) >= shortPath {
		base = filepath.Dir(base)
	}
	rest := strings.Split(strings.TrimPrefix(abs[len(base):], "/"), "/")
	d, err := openDirPath(base)
	if err != nil {
		return nil, err
	}
	for _, comp := range rest[:len(rest)-1] {
		sub, err := d.openDir(comp)
		d.close()
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: abs, Err: err}
		}
		d = sub
	}
	defer d.close()
	f, err := openAtNoAtime(d.fd(), rest[len(rest)-1], false)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: abs, Err: err}
	}
	return f, nil
}
