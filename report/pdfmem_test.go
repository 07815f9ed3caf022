package report

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/custody"
)

// The PDF listing is streamed (pdfstream.go): memory does not grow with
// the number of records. 20,000 records stay under 40 MB of heap (fpdf
// holding the whole listing took about 4 KB a record, 100 MB here; before
// that, 61 KB a record).
func TestPDFListingMemory(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("builds a 20,000-record PDF")
	}
	const n = 20000
	dir := filepath.Join(t.TempDir(), "c")
	c, _, err := casedb.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	custody.Append(dir, custody.Event{Action: custody.ActionCaseCreated}, custody.Options{})
	ctx := context.Background()
	ev := &casedb.Evidence{Source: "/src", Type: "folder", State: casedb.StateRunning, StartedAt: testNow, HashAlgorithms: []string{"md5", "sha256"}}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	run := &casedb.Run{EvidenceID: ev.ID, StartedAt: testNow}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	for i := range n {
		p := fmt.Sprintf("/folder%03d/some/deeper/path/file-%06d.txt", i%100, i)
		if err := w.AddFile(&casedb.FileRecord{Evidence: ev.ID, Key: p, Path: p, Type: "file", Size: int64(i), Status: "unknown",
			Complete: true, ErrorOffset: -1, MD5: "d41d8cd98f00b204e9800998ecf8427e",
			SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Mtime: testNow}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	c.FinishRun(run.ID, ev.ID, casedb.StateComplete, n, 0, 0, testNow)
	r, err := Build(ctx, c, Options{ID: testID, Now: testNow, Tool: &testTool})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var peak atomic.Uint64
	stop, done := make(chan bool), make(chan bool)
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	err = WritePDF(ctx, io.Discard, r, PDFOptions{})
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > 40<<20 {
		t.Errorf("peak heap %d MB for %d records", p>>20, n)
	} else {
		t.Logf("peak heap %d MB for %d records", p>>20, n)
	}
}
