package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/custody"
)

// waitMatch waits until the file at p exists and matches re, or the
// process ends first (done closed): a state, never a clock.
func waitMatch(t *testing.T, p, re string, done <-chan struct{}) {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if b, err := os.ReadFile(p); err == nil && rx.Match(b) {
			return
		}
		select {
		case <-done:
			t.Fatalf("triage ended before %s matched %q", p, re)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never matched %q", p, re)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// termScan runs `triage ARGS` as its own process, sends it SIGTERM once
// the file p matches re, and returns its exit status, its standard error
// and how long it took to exit after the signal.
func termScan(t *testing.T, p, re string, args ...string) (int, string, time.Duration) {
	t.Helper()
	bin, err := exec.LookPath("triage")
	if err != nil {
		t.Skip("no triage command on PATH (TestMain installs the test binary as triage)")
	}
	var errb bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stderr = &errb
	cmd.Env = append(os.Environ(), "TRIAGE_EXAMINER=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var werr error
	go func() { werr = cmd.Wait(); close(done) }()
	waitMatch(t, p, re, done)
	sent := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("triage %s still running 10 s after SIGTERM", strings.Join(args, " "))
	}
	took := time.Since(sent)
	st := 0
	if ee, ok := werr.(*exec.ExitError); ok {
		st = ee.ExitCode()
	}
	return st, errb.String(), took
}

// caseRecords lists the records of a case, one line each (path, stream,
// size, digests, status, completeness), in path order, and the evidence
// items' states.
func caseRecords(t *testing.T, dir string) (records []string, states string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "case.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT path, stream, size, coalesce(md5, ''), coalesce(sha256, ''), status, complete FROM files ORDER BY path, stream`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p, s, md5, sha, st string
		var size, complete int64
		if err := rows.Scan(&p, &s, &size, &md5, &sha, &st, &complete); err != nil {
			t.Fatal(err)
		}
		records = append(records, fmt.Sprintf("%s:%s %d %s %s %s %d", p, s, size, md5, sha, st, complete))
	}
	rows.Close()
	var sb strings.Builder
	rows, err = db.Query(`SELECT state, coalesce(json_extract(metadata, '$.media_hashes.md5'), '') FROM evidence ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st, md5 string
		rows.Scan(&st, &md5)
		fmt.Fprintf(&sb, "%s %s;", st, md5)
	}
	return records, sb.String()
}

// eventsOf returns the custody events of a case with the given action.
func eventsOf(t *testing.T, dir, action string) []custody.Event {
	var out []custody.Event
	for _, e := range custodyEvents(t, dir) {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestSIGTERMResume: SIGTERM during a scan's file phase, and during the
// media hash of a disk image, ends the process within seconds with exit
// status 130 and the interruption recorded (the evidence item's state,
// the custody event); the same command then resumes, and the case holds
// the same records and verdicts as a clean run of that command.
func TestSIGTERMResume(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes a 1 GB sparse image twice")
	}
	t.Run("file phase", func(t *testing.T) {
		d := t.TempDir()
		ev := filepath.Join(d, "ev")
		os.MkdirAll(ev, 0o755)
		buf := make([]byte, 4<<20)
		for j := range buf {
			buf[j] = byte(j * 2654435761 >> 13)
		}
		for i := range 32 {
			copy(buf, fmt.Sprintf("file %d", i))
			os.WriteFile(filepath.Join(ev, fmt.Sprintf("f%03d.bin", i)), buf, 0o644)
		}
		c := filepath.Join(d, "c")
		// SIGTERM once the scan has started its file walk.
		st, errs, took := termScan(t, filepath.Join(c, custody.FileName), `"scan started"`, "scan", ev, "--case", c)
		if st != 130 || !strings.Contains(errs, "interrupted; run the same command again to resume") || took > 5*time.Second {
			t.Fatalf("SIGTERM in the file phase: exit %d after %v\n%s", st, took, errs)
		}
		recs, states := caseRecords(t, c)
		if len(recs) >= 32 || states != "interrupted ;" || len(eventsOf(t, c, custody.ActionScanInterrupted)) != 1 {
			t.Fatalf("after SIGTERM: %d records, states %q, custody %v", len(recs), states, eventsOf(t, c, custody.ActionScanInterrupted))
		}
		if st, _, errs := tri(t, "scan", ev, "--case", c); st != 0 || !strings.Contains(errs, "resumed;") {
			t.Fatalf("resume: %d\n%s", st, errs)
		}
		clean := filepath.Join(d, "clean")
		if st, _, errs := tri(t, "scan", ev, "--case", clean); st != 0 {
			t.Fatalf("clean run: %d\n%s", st, errs)
		}
		compareCases(t, c, clean, 32)
		if st, out, _ := tri(t, "verify", c); st != 0 {
			t.Errorf("verify of the resumed case: %d\n%s", st, out)
		}
	})
	t.Run("media hash", func(t *testing.T) {
		// A default scan of a disk image reads the media once, in disk
		// order, hashing the files and the whole media in the same pass,
		// and saves the media hash's state every GiB (docs/images.md).
		// The image is zeros after its file system: the signal comes
		// once the first checkpoint is in the case, while the pass reads
		// the second GiB; the resumed run starts at the checkpoint.
		d := t.TempDir()
		img := filepath.Join(d, "disk.raw")
		ntfs := testfixture.Image(t, "ntfs-basic.raw")
		os.WriteFile(img, ntfs, 0o644)
		os.Truncate(img, 2<<30)
		// ntfs-basic.raw holds a file triage cannot decode (WOF
		// compression): a clean run ends with status 3, partial.
		// The clean run skips the media hash, which md5sum checks below.
		clean := filepath.Join(d, "clean")
		cst, _, cerrs := tri(t, "scan", img, "--as", "image", "--case", clean, "--verify-image=false")
		if cst != 0 && cst != 3 {
			t.Fatalf("clean run: %d\n%s", cst, cerrs)
		}
		c := filepath.Join(d, "c")
		st, errs, took := termScan(t, filepath.Join(c, "case.db-wal"), `media_hash_checkpoint":\{`, "scan", img, "--as", "image", "--case", c)
		if st != 130 || !strings.Contains(errs, "interrupted") || took > 5*time.Second {
			t.Fatalf("SIGTERM in the media hash: exit %d after %v\n%s", st, took, errs)
		}
		_, states := caseRecords(t, c)
		ie := eventsOf(t, c, custody.ActionScanInterrupted)
		if (states != "interrupted ;" && states != "media hash pending ;") || len(ie) != 1 {
			t.Fatalf("after SIGTERM: states %q, custody %+v", states, ie)
		}
		rst, _, rerrs := tri(t, "scan", img, "--as", "image", "--case", c)
		if rst != cst {
			t.Fatalf("resume: %d\n%s\nclean run: %d\n%s", rst, rerrs, cst, cerrs)
		}
		g, gs := caseRecords(t, c)
		w, ws := caseRecords(t, clean)
		if len(w) < 20 || strings.Join(g, "\n") != strings.Join(w, "\n") {
			t.Errorf("%d records, a clean run %d", len(g), len(w))
		}
		if gs[:strings.IndexByte(gs, ' ')] != ws[:strings.IndexByte(ws, ' ')] {
			t.Errorf("evidence state %q, a clean run %q", gs, ws)
		}
		if sum := coreutilsSum(t, "md5sum", img); sum != "" && !strings.HasSuffix(gs, " "+sum+";") {
			t.Errorf("resumed media hash: %q, md5sum %s", gs, sum)
		}
	})
}

// compareCases checks that two cases hold the same records (at least min)
// and the same evidence states and media hashes.
func compareCases(t *testing.T, got, want string, min int) {
	t.Helper()
	g, gs := caseRecords(t, got)
	w, ws := caseRecords(t, want)
	if gs != ws {
		t.Errorf("evidence states %q, a clean run %q", gs, ws)
	}
	if len(w) < min || strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("%d records, a clean run %d (at least %d expected):\n%s\n---\n%s", len(g), len(w), min, strings.Join(g, "\n"), strings.Join(w, "\n"))
	}
}

// TestInterruptedMessage: an interrupted scan says that running it again
// resumes it; any other command, which starts over, does not say so. Only
// scan is marked resumable.
func TestInterruptedMessage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := fmt.Errorf("hashing the media: %w", context.Canceled)
	for _, c := range []struct {
		resumable bool
		want      string
	}{
		{true, "triage: interrupted; run the same command again to resume\n"},
		{false, "triage: interrupted\n"},
	} {
		var b bytes.Buffer
		if st := exitStatus(err, ctx, &b, c.resumable); st != exitInterrupted || b.String() != c.want {
			t.Errorf("resumable %v: status %d, %q; want %d, %q", c.resumable, st, b.String(), exitInterrupted, c.want)
		}
	}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if got, want := c.Annotations[resumableAnnotation] != "", c.CommandPath() == "triage scan"; got != want {
			t.Errorf("%s: resumable %v, want %v", c.CommandPath(), got, want)
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(newRootCommand(&globalOptions{}))
}
