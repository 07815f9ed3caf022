//go:build unix

package casedb

import "golang.org/x/sys/unix"

// writable tells whether this process may create files in dir (false on a
// read-only mount, whoever asks).
func writable(dir string) bool { return unix.Access(dir, unix.W_OK) == nil }
