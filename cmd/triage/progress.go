package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/triagekit/triage/triage"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startProgress shows a progress bar on w while a scan runs, when w is a
// terminal and quiet is false. It returns the function that stops it.
func startProgress(ctx context.Context, w io.Writer, quiet bool, src triage.Source, p *triage.Progress) func() {
	if quiet || !isTerminal(w) {
		return func() {}
	}
	info := src.Info()
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionFullWidth(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetDescription("scanning"),
	)
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	if info.Size < 0 && info.Type == "folder" {
		// The total of a folder is not known before the walk: count it
		// alongside (metadata only), so the ETA becomes meaningful.
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
			if ctx.Err() == nil {
				p.Total.Store(total)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(150 * time.Millisecond)
		defer t.Stop()
		max := int64(-1)
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			if total := p.Total.Load(); total > 0 && total != max {
				max = total
				bar.ChangeMax64(total)
			}
			bar.Describe(fmt.Sprintf("%d files, %d errors", p.Files.Load(), p.Errors.Load()))
			bar.Set64(p.Bytes.Load())
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		bar.Finish()
		bar.Clear()
	}
}
