package triage

import (
	"runtime/debug"
	"testing"
)

// The pass sets the soft memory limit above the live heap, raises it as the
// collection grows, restores the limit it found, and leaves it alone when
// the examiner chose the collector's settings.
func TestDiskPassMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	t.Setenv("GOGC", "")
	before := debug.SetMemoryLimit(-1)
	p := &diskPass{}
	restore := p.limitMemory()
	got := debug.SetMemoryLimit(-1)
	if got < diskMemoryFloor || got == before {
		t.Errorf("limit %d during the pass, want at least %d (and not %d, the limit before)", got, diskMemoryFloor, before)
	}
	// A live heap larger than the floor raises the limit above it.
	keep := make([][]byte, 0, 64)
	for range cap(keep) {
		keep = append(keep, make([]byte, 2<<20))
	}
	debug.FreeOSMemory() // a collection: the live heap is known
	p.adjustLimit()
	if raised := debug.SetMemoryLimit(-1); raised < 128<<20+diskMemoryHeadroom {
		t.Errorf("limit %d with 128 MiB live, want at least %d", raised, 128<<20+diskMemoryHeadroom)
	}
	keep[0][0] = 1
	restore()
	if after := debug.SetMemoryLimit(-1); after != before {
		t.Errorf("limit %d after the pass, want %d", after, before)
	}

	for _, env := range []string{"GOMEMLIMIT", "GOGC"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, "off")
			p := &diskPass{}
			restore := p.limitMemory()
			p.adjustLimit()
			if got := debug.SetMemoryLimit(-1); got != before {
				t.Errorf("%s set: limit %d, want %d as set", env, got, before)
			}
			restore()
		})
	}
}
