package triage

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

type fileStat struct {
	mode                       os.FileMode
	size                       int64
	ino                        uint64
	mtime, atime, ctime, btime time.Time
}

func stxTime(t unix.StatxTimestamp) time.Time { return time.Unix(t.Sec, int64(t.Nsec)).UTC() }

func fromStatx(st *unix.Statx_t) fileStat {
	fs := fileStat{
		size:  int64(st.Size),
		ino:   st.Ino,
		mtime: stxTime(st.Mtime),
		atime: stxTime(st.Atime),
		ctime: stxTime(st.Ctime),
	}
	if st.Mask&unix.STATX_BTIME != 0 {
		fs.btime = stxTime(st.Btime)
	}
	m := os.FileMode(st.Mode & 0o777)
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= os.ModeDir
	case unix.S_IFLNK:
		m |= os.ModeSymlink
	case unix.S_IFIFO:
		m |= os.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= os.ModeSocket
	case unix.S_IFBLK:
		m |= os.ModeDevice
	case unix.S_IFCHR:
		m |= os.ModeDevice | os.ModeCharDevice
	}
	fs.mode = m
	return fs
}

const statxMask = unix.STATX_BASIC_STATS | unix.STATX_BTIME

func lstat(path string) (fileStat, error) {
	var st unix.Statx_t
	for {
		err := unix.Statx(unix.AT_FDCWD, path, unix.AT_SYMLINK_NOFOLLOW|unix.AT_STATX_SYNC_AS_STAT, statxMask, &st)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.ENOSYS) {
			return lstatPortable(path)
		}
		if err != nil {
			return fileStat{}, &os.PathError{Op: "lstat", Path: path, Err: err}
		}
		return fromStatx(&st), nil
	}
}

func fstat(f *os.File) (fileStat, error) {
	var st unix.Statx_t
	err := unix.Statx(int(f.Fd()), "", unix.AT_EMPTY_PATH|unix.AT_STATX_SYNC_AS_STAT, statxMask, &st)
	if err != nil {
		return fileStat{}, &os.PathError{Op: "fstat", Path: f.Name(), Err: err}
	}
	return fromStatx(&st), nil
}

func lstatPortable(path string) (fileStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileStat{}, err
	}
	fs := fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UTC()}
	if st, ok := fi.Sys().(*unix.Stat_t); ok {
		fs.ino = st.Ino
		fs.atime = time.Unix(st.Atim.Sec, st.Atim.Nsec).UTC()
		fs.ctime = time.Unix(st.Ctim.Sec, st.Ctim.Nsec).UTC()
	}
	return fs, nil
}

// openNoAtime opens path read-only without updating its access time where
// the kernel allows it (O_NOATIME needs the file's owner or CAP_FOWNER; on
// EPERM the open is retried without it). O_NONBLOCK keeps a FIFO that
// replaced a listed file from blocking the open.
func openNoAtime(path string, dir bool) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NOFOLLOW | unix.O_NONBLOCK
	if dir {
		flags |= unix.O_DIRECTORY
	}
	for _, extra := range []int{unix.O_NOATIME, 0} {
		fd, err := unix.Open(path, flags|extra, 0)
		if errors.Is(err, unix.EINTR) {
			fd, err = unix.Open(path, flags|extra, 0)
		}
		if errors.Is(err, unix.EPERM) && extra != 0 {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		if !dir {
			// Reads of a regular file never block; clear O_NONBLOCK so the
			// runtime uses plain blocking reads.
			_ = unix.SetNonblock(fd, false)
		}
		return os.NewFile(uintptr(fd), path), nil
	}
	panic("unreachable")
}
