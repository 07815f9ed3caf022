//go:build !linux

package evidence

import "os"

func openNoAtime(path string) (*os.File, error) { return os.Open(path) }
