package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/triagekit/triage/triage"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// terminalWidth is the width of the terminal w, 80 when unknown.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 20 {
			return c
		}
	}
	return 80
}

// startProgress shows one progress bar on w for all the work on a source
// (its files, then the media pass of an image), when w is a terminal and
// quiet is false. It returns the function that stops and clears it.
func startProgress(ctx context.Context, w io.Writer, quiet bool, src triage.Source, p *triage.Progress) func() {
	if quiet || !isTerminal(w) {
		return func() {}
	}
	info := src.Info()
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if info.Type == "folder" {
		// The content total of a folder is not known before the walk,
		// and the scan's walk runs only a little ahead of the reading:
		// count it alongside (metadata only), so the ETA holds early.
		wg.Add(1)
		go func() {
			defer wg.Done()
			var total int64
			filepath.WalkDir(info.Path, func(_ string, d fs.DirEntry, err error) error {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if err == nil && d.Type().IsRegular() {
					if fi, err := d.Info(); err == nil {
						total += fi.Size()
					}
				}
				return nil
			})
			if ctx.Err() == nil && total > 0 {
				p.Total.Store(total)
			}
		}()
	}
	bar := newProgressBar(time.Now())
	width := terminalWidth(w)
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				fmt.Fprintf(w, "\r%s\x1b[K", bar.line(now, p, width))
			}
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		fmt.Fprint(w, "\r\x1b[K")
	}
}

// progressBar computes what the bar shows from the counters of a
// triage.Progress and the times they were read at; it reads no clock, so
// tests feed it times.
type progressBar struct {
	start   time.Time
	samples []progressSample // recent (time, bytes) pairs, oldest first
}

type progressSample struct {
	at    time.Time
	bytes int64
}

// rateWindow is how far back the rate is measured: long enough to smooth
// bursts of small files, short enough to follow a change of phase (files
// to media) within a few seconds.
const rateWindow = 20 * time.Second

func newProgressBar(start time.Time) *progressBar {
	return &progressBar{start: start, samples: []progressSample{{start, 0}}}
}

// observe records that done bytes were read at now.
func (b *progressBar) observe(now time.Time, done int64) {
	if n := len(b.samples); n > 0 && done < b.samples[n-1].bytes {
		b.samples = b.samples[:0] // counters restarted: start afresh
	}
	b.samples = append(b.samples, progressSample{now, done})
	cut := 0
	for cut < len(b.samples)-2 && now.Sub(b.samples[cut+1].at) >= rateWindow {
		cut++
	}
	b.samples = b.samples[cut:]
}

// rate returns the bytes per second over the window, 0 when unknown.
func (b *progressBar) rate() float64 {
	if len(b.samples) < 2 {
		return 0
	}
	first, last := b.samples[0], b.samples[len(b.samples)-1]
	d := last.at.Sub(first.at).Seconds()
	if d <= 0 {
		return 0
	}
	return float64(last.bytes-first.bytes) / d
}

// eta returns the time the rest of the work will take at the current
// rate, and whether it is known: it is not while the total may still grow
// or nothing has been read in the window.
func (b *progressBar) eta(done, total int64, final bool) (time.Duration, bool) {
	r := b.rate()
	if !final || total < 0 || r <= 0 {
		return 0, false
	}
	left := max(total-done, 0)
	return time.Duration(float64(left) / r * float64(time.Second)).Round(time.Second), true
}

// line is the bar as one line of at most width columns.
func (b *progressBar) line(now time.Time, p *triage.Progress, width int) string {
	done := p.Bytes.Load()
	total, final := p.Expected()
	b.observe(now, done)
	phase := map[string]string{triage.PhaseMetadata: "reading metadata", triage.PhaseFiles: "hashing files", triage.PhaseMedia: "hashing media"}[p.Phase()]
	var parts []string
	percent := ""
	if total > 0 {
		percent = fmt.Sprintf("%3d%%", min(done*100/total, 100))
		parts = append(parts, fmt.Sprintf("%s / %s", shortBytes(done), shortBytes(total)))
	} else {
		parts = append(parts, shortBytes(done))
	}
	if eta, ok := b.eta(done, total, final); ok {
		parts = append(parts, "ETA "+formatETA(eta))
	} else if total > 0 && !final {
		parts = append(parts, "ETA: counting")
	}
	if n := p.Errors.Load(); n > 0 {
		parts = append(parts, plural(n, "problem", "problems"))
	}
	parts = append(parts, plural(p.Files.Load(), "file", "files"))
	if r := b.rate(); r > 0 {
		parts = append(parts, shortBytes(int64(r))+"/s")
	}
	head := phase
	if percent != "" {
		head += " " + percent
	}
	// What does not fit is left out from the end: the rate first.
	for len(parts) > 1 && len(head)+len(strings.Join(parts, ", "))+2 > width {
		parts = parts[:len(parts)-1]
	}
	text := strings.Join(parts, ", ")
	// The bar takes what the text leaves, between 10 and 30 columns.
	barWidth := min(width-len(head)-len(text)-5, 30)
	out := head
	if total > 0 && barWidth >= 10 {
		filled := int(min(done, total) * int64(barWidth) / total)
		out += " [" + strings.Repeat("=", filled) + strings.Repeat(" ", barWidth-filled) + "]"
	}
	out += " " + text
	if len(out) > width-1 {
		out = out[:width-1]
	}
	return out
}

// formatETA prints a duration as h:mm:ss or m:ss.
func formatETA(d time.Duration) string {
	s := int64(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// shortBytes prints n in binary units with one decimal ("14.0 MiB").
func shortBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
