// Command casegen writes a synthetic case of N file records for the report
// benchmarks, without a scan (a scan of a million files takes far longer
// than the report):
//
//	casegen DIR N
//
// Paths are /folderNNN/some/deeper/path/file-NNNNNNN.txt, digests those of
// "file-i", one record in 1,000 known-bad, so a run is reproducible.
package main

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: casegen DIR N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err == nil {
		err = run(os.Args[1], n)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "casegen:", err)
		os.Exit(1)
	}
}

func run(dir string, n int) error {
	ctx := context.Background()
	c, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := custody.Append(dir, custody.Event{Action: custody.ActionCaseCreated}, custody.Options{}); err != nil {
		return err
	}
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	ev := &casedb.Evidence{Source: "/synthetic", Type: "folder", State: casedb.StateRunning, StartedAt: now, HashAlgorithms: []string{"md5", "sha1", "sha256"}}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		return err
	}
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: now}
	if _, err := c.StartRun(ctx, run); err != nil {
		return err
	}
	w := c.NewWriter(ev.ID, run.ID)
	for i := range n {
		p := fmt.Sprintf("/folder%03d/some/deeper/path/file-%07d.txt", i%1000, i)
		content := []byte("file-" + strconv.Itoa(i))
		m, s1, s2 := md5.Sum(content), sha1.Sum(content), sha256.Sum256(content)
		status := casedb.StatusUnknown
		if i%1000 == 999 {
			status = casedb.StatusKnownBad
		}
		if err := w.AddFile(&casedb.FileRecord{Evidence: ev.ID, Key: p, Path: p, Type: "file", Size: int64(len(content)), Status: status,
			Complete: true, ErrorOffset: -1, MD5: hex.EncodeToString(m[:]), SHA1: hex.EncodeToString(s1[:]), SHA256: hex.EncodeToString(s2[:]),
			Mtime: now}); err != nil {
			return err
		}
	}
	if err := w.Commit(); err != nil {
		return err
	}
	return c.FinishRun(run.ID, ev.ID, casedb.StateComplete, int64(n), 0, 0, now)
}
