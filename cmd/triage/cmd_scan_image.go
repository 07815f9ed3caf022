package main

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/triagekit/triage/triage/casework"
	"github.com/triagekit/triage/triage/mediahash"
)

// printImageCheck prints the verification of a scanned disk image: its
// verdict and the digests compared, unless quiet (a MISMATCH or FAILED
// verdict is always printed).
func printImageCheck(w io.Writer, quiet bool, ic *casework.ImageCheck) {
	check, res := ic.Check, ic.Media
	if quiet && check.Verdict != mediahash.Mismatch && check.Verdict != mediahash.Failed {
		return
	}
	fmt.Fprintf(w, "triage: %s: image %s", filepath.Base(ic.Path), check.Verdict)
	for _, cmp := range check.Comparisons {
		fmt.Fprintf(w, "; %s %s (%s) vs computed %s", algName(cmp.Algorithm), cmp.Value, cmp.Source, cmp.Computed)
	}
	if check.Verdict == mediahash.NoStoredHash {
		fmt.Fprintf(w, "; MD5 %s, SHA-256 %s recorded", res.MD5, res.SHA256)
	}
	if check.Reason != "" {
		fmt.Fprintf(w, " (%s)", check.Reason)
	}
	fmt.Fprintln(w)
}
