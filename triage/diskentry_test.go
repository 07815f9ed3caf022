package triage

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestEntryArena: an entry comes back from the arena with the same values
// of the same types (the record of the per-file path depends on them);
// one that cannot be encoded is refused.
func TestEntryArena(t *testing.T) {
	vol, other := 1, 2
	ino := uint64(1 << 40)
	local := time.Date(2020, 5, 6, 7, 8, 9, 123456789, time.Local)
	entries := []*Entry{
		{Key: "v1/5", Path: "/a/b\xff.txt", Type: "file", Size: 12345, Inode: &ino, Volume: &vol, Deleted: true,
			Mtime: time.Date(1601, 1, 1, 0, 0, 0, 100, time.UTC), Atime: local, Btime: time.Date(30828, 9, 14, 2, 48, 5, 0, time.UTC),
			Ctime: time.Date(2001, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600)),
			Extra: map[string]any{"s": "x", "t": true, "f": false, "i": -5, "i64": int64(-1 << 40), "u16": uint16(65535),
				"u32": uint32(1 << 31), "u64": uint64(1 << 63), "l": []string{"/c", "/d"}, "n": nil, "empty": ""}},
		{Key: "v2/7:ads", Path: "/x", Stream: "ads", Type: "file", Size: 1, Volume: &other, LinkTarget: "t"},
		{Key: "k", Path: "/", Type: "dir", Volume: &vol, Extra: map[string]any{}},
	}
	var a entryArena
	var at []int64
	for _, e := range entries {
		o, ok := a.put(e)
		if !ok {
			t.Fatalf("put %+v refused", e)
		}
		at = append(at, o)
	}
	for i, e := range entries {
		got := a.get(at[i])
		if got.Volume != e.Volume {
			t.Errorf("entry %d: volume pointer %p, want %p", i, got.Volume, e.Volume)
		}
		for _, p := range []struct{ got, want time.Time }{{got.Mtime, e.Mtime}, {got.Atime, e.Atime}, {got.Ctime, e.Ctime}, {got.Btime, e.Btime}} {
			if !p.got.Equal(p.want) || p.got.IsZero() != p.want.IsZero() || p.got.UTC().Format(time.RFC3339Nano) != p.want.UTC().Format(time.RFC3339Nano) {
				t.Errorf("entry %d: time %v, want %v", i, p.got, p.want)
			}
		}
		g, w := *got, *e
		g.Mtime, g.Atime, g.Ctime, g.Btime, w.Mtime, w.Atime, w.Ctime, w.Btime = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	if _, ok := a.put(&Entry{Extra: map[string]any{"x": 1.5}}); ok {
		t.Error("a float64 in Extra was encoded")
	}
	if _, ok := a.put(&Entry{Path: strings.Repeat("x", arenaBlock)}); ok {
		t.Error("an entry larger than a block was encoded")
	}
	// entries fill blocks without straddling them
	for i := range 3000 {
		e := &Entry{Key: strings.Repeat("k", 700), Size: int64(i)}
		o, ok := a.put(e)
		if !ok || a.get(o).Size != int64(i) || o%arenaBlock+int64(len(e.Key)) > arenaBlock {
			t.Fatalf("entry %d at %d", i, o)
		}
	}
}
