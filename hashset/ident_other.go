//go:build !linux

package hashset

import "os"

// fileIdentity is unknown here: sets are checked every time.
func fileIdentity(fi os.FileInfo) string { return "" }
