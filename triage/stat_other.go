//go:build !linux

package triage

import (
	"os"
	"time"
)

type fileStat struct {
	mode                       os.FileMode
	size                       int64
	ino                        uint64
	mtime, atime, ctime, btime time.Time
}

func fromFileInfo(fi os.FileInfo) fileStat {
	return fileStat{mode: fi.Mode(), size: fi.Size(), mtime: fi.ModTime().UTC(), ino: inodeOf(fi)}
}

func lstat(path string) (fileStat, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return fileStat{}, err
	}
	return fromFileInfo(fi), nil
}

func fstat(f *os.File) (fileStat, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileStat{}, err
	}
	return fromFileInfo(fi), nil
}

func openNoAtime(path string, dir bool) (*os.File, error) { return os.Open(path) }
