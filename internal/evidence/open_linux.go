package evidence

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// openNoAtime opens path read-only with O_NOATIME (retried without it on
// EPERM: it needs the file's owner or CAP_FOWNER) and O_NONBLOCK, so a
// FIFO put in place of the file after the check cannot block the open;
// O_NONBLOCK is cleared once open, as reads of files and block devices
// never block.
func openNoAtime(path string) (*os.File, error) {
	flags := unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK
	for _, extra := range []int{unix.O_NOATIME, 0} {
		fd, err := unix.Open(path, flags|extra, 0)
		for errors.Is(err, unix.EINTR) {
			fd, err = unix.Open(path, flags|extra, 0)
		}
		if errors.Is(err, unix.EPERM) && extra != 0 {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: path, Err: err}
		}
		_ = unix.SetNonblock(fd, false)
		return os.NewFile(uintptr(fd), path), nil
	}
	return nil, &os.PathError{Op: "open", Path: path, Err: unix.EPERM}
}
