package fs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zone names resolve the same on every machine
)

// SourceTimezone is the zone in which times that a file system stores as
// local times, without a zone, are read: every FAT time, and exFAT times
// without a valid UTC offset. It is one option shared by the file systems
// that list it (one flag, --source-timezone). Its value is an IANA zone name
// ("Europe/Berlin"), "UTC", or a fixed offset ("+02:00", "-0530").
var SourceTimezone = Option{
	Name:        "source-timezone",
	Usage:       `time zone the device's clock was set to: FAT (and exFAT times without a UTC offset) store local times, read in this zone (an IANA name such as "Europe/Berlin", or "+02:00")`,
	Kind:        Text,
	DefaultText: "UTC",
	Check:       func(s string) error { _, err := ParseZone(s); return err },
}

// ParseZone returns the zone named s: an IANA zone name, "UTC", or a fixed
// offset from UTC ("+02:00", "-0530", "+2"). "Local" and "" are refused:
// the zone must not depend on the examiner's machine.
func ParseZone(s string) (*time.Location, error) {
	switch {
	case s == "" || strings.EqualFold(s, "local"):
		return nil, fmt.Errorf("time zone %q: name the zone (\"UTC\", \"Europe/Berlin\", \"+02:00\")", s)
	case s[0] == '+' || s[0] == '-':
		off, ok := parseOffset(s[1:])
		if !ok || off > 14*60 {
			return nil, fmt.Errorf("time zone %q: an offset is ±HH:MM, at most 14 hours", s)
		}
		if s[0] == '-' {
			off = -off
		}
		return time.FixedZone(fmt.Sprintf("UTC%c%02d:%02d", s[0], abs(off)/60, abs(off)%60), off*60), nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		var e error = err
		if errors.Is(err, errors.ErrUnsupported) {
			e = errors.New("unknown zone")
		}
		return nil, fmt.Errorf("time zone %q: %v", s, e)
	}
	return loc, nil
}

// parseOffset reads "HH:MM", "HHMM" or "H" as minutes.
func parseOffset(s string) (int, bool) {
	h, m, colon := strings.Cut(s, ":")
	if !colon && len(s) == 4 {
		h, m = s[:2], s[2:]
	}
	if h == "" || len(h) > 2 || len(m) > 2 || (colon && len(m) != 2) {
		return 0, false
	}
	hh, err := strconv.Atoi(h)
	if err != nil || hh < 0 {
		return 0, false
	}
	mm := 0
	if m != "" {
		if mm, err = strconv.Atoi(m); err != nil || mm < 0 || mm > 59 {
			return 0, false
		}
	}
	return hh*60 + mm, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
