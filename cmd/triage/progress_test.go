package main

import (
	"strings"
	"testing"
	"time"

	"github.com/triagekit/triage/triage"
)

// The bar's total is all the work (the content found by the walk, then
// the media pass), and its ETA is the bytes left at the rate of the
// recent window: fed a clock and byte counts, no timing.
func TestProgressTotalAndETA(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p := &triage.Progress{}
	p.Total.Store(-1)
	p.Media.Store(1000 << 20) // a 1000 MiB image is hashed after its files
	b := newProgressBar(t0)

	// The walk has found 200 MiB of content so far and goes on: the
	// total may still grow, so no ETA yet.
	p.SetPhase(triage.PhaseFiles)
	p.Found.Store(200 << 20)
	p.Bytes.Store(100 << 20)
	line := b.line(t0.Add(10*time.Second), p, 200)
	if total, final := p.Expected(); total != 1200<<20 || final {
		t.Errorf("expected %d final %v during the walk, want %d and not final", total, final, 1200<<20)
	}
	if !strings.Contains(line, "hashing files") || !strings.Contains(line, "100.0 MiB / 1.2 GiB") || !strings.Contains(line, "ETA: counting") {
		t.Errorf("line during the walk: %q", line)
	}

	// The walk ends with 500 MiB of content: total 1500 MiB. 300 MiB read
	// after 30 s: 10 MiB/s, 1200 MiB left: 2 minutes.
	p.Found.Store(500 << 20)
	p.FoundAll.Store(true)
	p.Bytes.Store(300 << 20)
	line = b.line(t0.Add(30*time.Second), p, 200)
	if eta, ok := b.eta(300<<20, 1500<<20, true); !ok || eta != 2*time.Minute {
		t.Errorf("eta %v %v, want 2m0s", eta, ok)
	}
	if !strings.Contains(line, " 20% ") || !strings.Contains(line, "10.0 MiB/s") || !strings.Contains(line, "ETA 2:00") {
		t.Errorf("line after the walk: %q", line)
	}

	// The media pass runs at 25 MiB/s: once the window (the samples of
	// the last 20 s, from the newest one at least that old) has moved
	// past the files, the ETA follows the new rate. The files ended at
	// 500 MiB at t=50 s; at t=80 s 1250 MiB are read, 250 MiB are left,
	// and the window from t=60 s (750 MiB) gives 25 MiB/s: 10 s.
	p.SetPhase(triage.PhaseMedia)
	for s := 50; s <= 80; s += 5 {
		p.Bytes.Store(int64(500+(s-50)*25) << 20)
		line = b.line(t0.Add(time.Duration(s)*time.Second), p, 200)
	}
	if !strings.Contains(line, "hashing media") || !strings.Contains(line, " 83% ") || !strings.Contains(line, "25.0 MiB/s") || !strings.Contains(line, "ETA 0:10") {
		t.Errorf("line in the media pass: %q", line)
	}
	p.Bytes.Store(1500 << 20)
	if line = b.line(t0.Add(90*time.Second), p, 200); !strings.Contains(line, "100%") {
		t.Errorf("line at the end: %q", line)
	}
	b2 := newProgressBar(t0)
	b2.observe(t0.Add(20*time.Second), 500<<20)
	b2.observe(t0.Add(30*time.Second), 1000<<20)
	b2.observe(t0.Add(45*time.Second), 1750<<20)
	// The window (20 s) keeps the samples from t=20 s: 1250 MiB in 25 s.
	if r := b2.rate(); r != 50<<20 {
		t.Errorf("rate %v, want %v", r, 50<<20)
	}
	if eta, ok := b2.eta(1750<<20, 2000<<20, true); !ok || eta != 5*time.Second {
		t.Errorf("eta %v %v, want 5s", eta, ok)
	}
	// A narrow terminal keeps the bytes and the ETA, and leaves out the
	// rate and the counts.
	narrow := newProgressBar(t0)
	narrow.observe(t0.Add(10*time.Second), 100<<20)
	if line := narrow.line(t0.Add(20*time.Second), p, 60); len(line) > 59 || !strings.Contains(line, "ETA") || strings.Contains(line, "/s") {
		t.Errorf("narrow line %q (%d columns)", line, len(line))
	}
	// Nothing known: no total, no ETA.
	if total, _ := (&triage.Progress{}).Expected(); total != -1 {
		t.Errorf("empty progress: total %d, want -1", total)
	}
}

// A folder's count made before the walk is a final total.
func TestProgressFolderCount(t *testing.T) {
	p := &triage.Progress{}
	p.Found.Store(10)
	p.Total.Store(4096)
	if total, final := p.Expected(); total != 4096 || !final {
		t.Errorf("%d %v, want 4096 final", total, final)
	}
	p.FoundAll.Store(true)
	p.Found.Store(4000) // the walk's own count wins once it is complete
	if total, final := p.Expected(); total != 4000 || !final {
		t.Errorf("%d %v, want 4000 final", total, final)
	}
}

// An image's walk gives an estimate of its content (the bytes its file
// systems use) before it has found it: the bar shows a total and an ETA
// during the walk, not "counting"; the total follows the walk where it
// finds more, and is what the walk found once it ends.
func TestProgressEstimate(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	p := &triage.Progress{}
	p.Total.Store(-1)
	p.Media.Store(1000 << 20)
	b := newProgressBar(t0)
	p.SetPhase(triage.PhaseMetadata)
	if total, final := p.Expected(); total != 1000<<20 || final {
		t.Errorf("before the estimate: %d %v, want the media alone, not final", total, final)
	}
	// The file system uses 500 MiB; the walk has found 100 MiB.
	p.Estimate.Store(500 << 20)
	p.Found.Store(100 << 20)
	if total, final := p.Expected(); total != 1500<<20 || !final {
		t.Errorf("with the estimate: %d %v, want %d final", total, final, 1500<<20)
	}
	// Contents are read at 10 MiB/s: 150 MiB after 15 s, 1350 MiB left.
	p.SetPhase(triage.PhaseFiles)
	b.observe(t0.Add(5*time.Second), 50<<20)
	p.Bytes.Store(150 << 20)
	line := b.line(t0.Add(15*time.Second), p, 200)
	if !strings.Contains(line, "150.0 MiB / 1.5 GiB") || !strings.Contains(line, "ETA 2:15") || strings.Contains(line, "counting") {
		t.Errorf("line during the walk: %q", line)
	}
	// The walk finds more than the estimate (sparse or rebuilt content):
	// the total follows it.
	p.Found.Store(600 << 20)
	if total, _ := p.Expected(); total != 1600<<20 {
		t.Errorf("walk past the estimate: total %d, want %d", total, 1600<<20)
	}
	// The walk ends with 450 MiB: the total is what it found.
	p.Found.Store(450 << 20)
	p.FoundAll.Store(true)
	if total, final := p.Expected(); total != 1450<<20 || !final {
		t.Errorf("after the walk: %d %v, want %d final", total, final, 1450<<20)
	}
}
