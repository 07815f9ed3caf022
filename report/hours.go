package report

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// MaxHourRows is how many of the busiest hours of the known-bad files a
// report shows.
const MaxHourRows = 10

// HourCount is one hour (UTC) of the known-bad files' time stamps: how
// many of those files have a time stamp in it, and how many time stamps
// of each kind fall in it.
type HourCount struct {
	Start    time.Time `json:"start"` // the hour's first instant, UTC
	Files    int64     `json:"files"`
	Modified int64     `json:"modified"`
	Accessed int64     `json:"accessed"`
	Changed  int64     `json:"changed"`
	Created  int64     `json:"created"`
}

// Stamps is the number of time stamps in the hour.
func (h HourCount) Stamps() int64 { return h.Modified + h.Accessed + h.Changed + h.Created }

// End is the hour's last instant shown: its start and 59:59.
func (h HourCount) End() time.Time { return h.Start.Add(time.Hour - time.Second) }

// KnownBadHours is the busiest hours of the known-bad files: every
// known-bad record of the case (superseded items left out, as in the
// findings tables) counted in the hours (UTC) of its time stamps
// (modified, accessed, changed, created), the MaxHourRows hours with the
// most files first (then the most time stamps, then the earliest).
type KnownBadHours struct {
	Hours []HourCount `json:"hours"`
	// Files is the number of known-bad files counted; Untimed of those
	// carry no time stamp at all.
	Files   int64 `json:"files"`
	Untimed int64 `json:"untimed"`
	// Distinct is the number of hours with at least one time stamp.
	Distinct int `json:"distinct_hours"`
}

// loadKnownBadHours counts the time stamps of the known-bad records.
func (r *Report) loadKnownBadHours(ctx context.Context) error {
	var kb KnownBadHours
	byHour := map[int64]*HourCount{}
	f := casedb.FileFilter{Status: []string{casedb.StatusKnownBad}, ExceptEvidence: r.superseded()}
	err := r.c.Files(ctx, f, func(rec *casedb.FileRecord) error {
		kb.Files++
		var seen [4]int64
		n := 0
		for k, t := range [4]time.Time{rec.Mtime, rec.Atime, rec.Ctime, rec.Btime} {
			if t.IsZero() {
				continue
			}
			hour := t.Unix() - ((t.Unix()%3600)+3600)%3600
			h := byHour[hour]
			if h == nil {
				h = &HourCount{Start: time.Unix(hour, 0).UTC()}
				byHour[hour] = h
			}
			switch k {
			case 0:
				h.Modified++
			case 1:
				h.Accessed++
			case 2:
				h.Changed++
			case 3:
				h.Created++
			}
			if !slices.Contains(seen[:n], hour) {
				seen[n] = hour
				n++
				h.Files++
			}
		}
		if n == 0 {
			kb.Untimed++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to read the known-bad records: %w", err)
	}
	for _, h := range byHour {
		kb.Hours = append(kb.Hours, *h)
	}
	kb.Distinct = len(kb.Hours)
	slices.SortFunc(kb.Hours, func(a, b HourCount) int {
		return cmp.Or(cmp.Compare(b.Files, a.Files), cmp.Compare(b.Stamps(), a.Stamps()), a.Start.Compare(b.Start))
	})
	kb.Hours = kb.Hours[:min(len(kb.Hours), MaxHourRows)]
	if kb.Hours == nil {
		kb.Hours = []HourCount{}
	}
	r.KnownBadHours = kb
	return nil
}

// HoursNote says what the table of busiest hours counts.
func (k *KnownBadHours) HoursNote() string {
	which := fmt.Sprintf("the %s they fall in", plural(int64(k.Distinct), "hour", "hours"))
	if len(k.Hours) < k.Distinct {
		which = fmt.Sprintf("the %d hours with the most files, of the %d they fall in", len(k.Hours), k.Distinct)
	}
	s := fmt.Sprintf("The time stamps (modified, accessed, changed, created) of the %s, counted by hour (UTC): %s.",
		plural(k.Files, "known-bad file", "known-bad files"), which)
	if k.Untimed > 0 {
		s += fmt.Sprintf(" %d of them %s no time stamp.", k.Untimed, plural2(k.Untimed, "carries", "carry"))
	}
	return s
}
