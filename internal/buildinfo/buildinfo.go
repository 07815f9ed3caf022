// Package buildinfo reports the identity of the running triage binary: its
// version, the commit it was built from, the Go toolchain, the platform and the
// SHA-256 of the executable itself. Every case, hash-set index and report
// records this identity so a third party can tell exactly which tool did what.
package buildinfo

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// Version and Commit may be set at link time:
//
//	go build -ldflags "-X github.com/triagekit/triage/internal/buildinfo.Version=v0.1.0"
var (
	Version = ""
	Commit  = ""
)

// devVersion is reported when neither the linker nor the module build info
// carry a release version.
const devVersion = "0.1.0-dev"

// Info is the identity of a triage build.
type Info struct {
	Program   string `json:"program"`
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Modified  bool   `json:"modified,omitempty"`
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
}

// Get returns the identity of the running binary.
func Get() Info {
	in := Info{
		Program:   "triage",
		Version:   Version,
		Commit:    Commit,
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if in.Commit == "" {
					in.Commit = s.Value
				}
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
	}
	if in.Version == "" {
		in.Version = devVersion
	}
	if in.Commit == "" {
		in.Commit = "unknown"
	}
	return in
}

// String renders the identity on one line, as `triage version` prints it.
func (in Info) String() string {
	commit := in.Commit
	if in.Modified {
		commit += "+modified"
	}
	return fmt.Sprintf("triage %s (commit %s, %s, %s/%s)", in.Version, commit, in.GoVersion, in.OS, in.Arch)
}

var (
	exeOnce sync.Once
	exeSum  string
	exeErr  error
)

// ExecutableSHA256 returns the hex SHA-256 of the running executable, computed
// once per process.
func ExecutableSHA256() (string, error) {
	exeOnce.Do(func() {
		p, err := os.Executable()
		if err != nil {
			exeErr = fmt.Errorf("failed to locate the triage executable: %w", err)
			return
		}
		f, err := os.Open(p)
		if err != nil {
			exeErr = fmt.Errorf("failed to open the triage executable: %w", err)
			return
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			exeErr = fmt.Errorf("failed to hash the triage executable: %w", err)
			return
		}
		exeSum = hex.EncodeToString(h.Sum(nil))
	})
	return exeSum, exeErr
}
