//go:build !linux

package triage

import (
	"os"
	"path/filepath"
)

// dirHandle is an open folder of the walk, by path here.
type dirHandle struct{ path string }

func openDirPath(path string) (*dirHandle, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return &dirHandle{path: path}, nil
}

func (d *dirHandle) close() {}

func (d *dirHandle) names() ([]string, error) {
	f, err := os.Open(d.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

func (d *dirHandle) lstat(name string) (fileStat, error) { return lstat(filepath.Join(d.path, name)) }

func (d *dirHandle) readlink(name string) (string, error) {
	return os.Readlink(filepath.Join(d.path, name))
}

func (d *dirHandle) openDir(name string) (*dirHandle, error) {
	return &dirHandle{path: filepath.Join(d.path, name)}, nil
}

func openLongPath(abs string) (*os.File, error) { return openNoAtime(abs, false) }
