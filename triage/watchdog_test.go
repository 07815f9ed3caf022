package triage

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// zeros reads as endless zero bytes, slowly when delay is set.
type zeros struct{ delay time.Duration }

func (z zeros) Read(p []byte) (int, error) {
	time.Sleep(z.delay)
	clear(p)
	return len(p), nil
}
func (zeros) Close() error { return nil }

// A runaway item (a declared size of petabytes, or a read that never ends)
// is stopped by the watchdog and recorded incomplete with the reason; the
// items after it are recorded and the scan ends.
func TestWatchdogStopsRunawayItems(t *testing.T) {
	endless := func(path string, delay time.Duration) *Entry {
		return &Entry{Key: path, Path: path, Type: "file", Size: 1 << 55,
			Open: func() (io.ReadCloser, error) { return zeros{delay}, nil }}
	}
	small := &Entry{Key: "/small", Path: "/small", Type: "file", Size: 3,
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("abc")), nil }}
	for _, tt := range []struct {
		name  string
		entry *Entry
		wd    Watchdog
		want  string
	}{
		{"bytes", endless("/huge", 0), Watchdog{MaxBytes: 64 << 20}, "--item-max-bytes"},
		{"time", endless("/slow", 10*time.Millisecond), Watchdog{Timeout: 300 * time.Millisecond}, "--item-timeout"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCase(t)
			done := make(chan *Result, 1)
			go func() {
				res, err := Scan(context.Background(), c, entriesSource{[]*Entry{tt.entry, small}}, Options{Watchdog: tt.wd})
				if err != nil {
					t.Error(err)
				}
				done <- res
			}()
			var res *Result
			select {
			case res = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("the scan did not end")
			}
			if res == nil {
				return
			}
			recs := records(t, c, res.EvidenceID)
			r := recs[tt.entry.Path]
			if r == nil || r.Complete || !strings.Contains(r.Error, "stopped by the watchdog") || !strings.Contains(r.Error, tt.want) {
				t.Errorf("runaway item: %+v", r)
			}
			if s := recs["/small"]; s == nil || !s.Complete {
				t.Errorf("the next item: %+v", s)
			}
		})
	}
}

// The watchdog does not cut an item whose content ends exactly at the limit.
func TestWatchdogContentAtLimit(t *testing.T) {
	w := newWatchdogReader(strings.NewReader("abcd"), Watchdog{MaxBytes: 4}, time.Now())
	b, err := io.ReadAll(w)
	if err != nil || string(b) != "abcd" {
		t.Errorf("read %q, %v", b, err)
	}
}
