package casedb

import (
	"encoding/json"
	"testing"
)

// TestHashMatchRoundTrip: a match set on a record reads back the same once
// stored as JSON (as case.db and the JSON lines hold it), and the record's
// Extra map is copied, not changed in place.
func TestHashMatchRoundTrip(t *testing.T) {
	shared := map[string]any{"ntfs_seq": 3}
	r := &FileRecord{Extra: shared}
	m := &HashMatch{Run: 2, At: "2026-11-30T19:23:05Z", Hits: []HashHit{{Set: "vic", Category: StatusKnownBad, Algorithm: "md5", Digest: "ab"}}}
	r.SetHashMatch(m)
	if _, ok := shared[ExtraHashMatch]; ok {
		t.Fatal("SetHashMatch changed the shared map")
	}
	var back map[string]any
	if err := json.Unmarshal([]byte(extraJSON(r.Extra)), &back); err != nil {
		t.Fatal(err)
	}
	got := (&FileRecord{Extra: back}).HashMatch()
	if got == nil || got.Run != 2 || got.At != m.At || len(got.Hits) != 1 || got.Hits[0] != m.Hits[0] {
		t.Errorf("round trip: %+v", got)
	}
	r.SetHashMatch(nil)
	if r.HashMatch() != nil || r.Extra["ntfs_seq"] != 3 {
		t.Errorf("after removal: %v", r.Extra)
	}
}

// FuzzHashMatch: whatever a case's extra column holds, reading the match
// recorded in it never panics.
func FuzzHashMatch(f *testing.F) {
	f.Add(`{"hash_match":{"run":2,"at":"2026-11-30T19:23:05Z","hits":[{"set":"vic","category":"known-bad","algorithm":"md5","digest":"ab"}]}}`)
	f.Add(`{"hash_match":[1,2]}`)
	f.Add(`{"hash_match":{"hits":"x","run":"y"}}`)
	f.Add(`{"hash_match":null}`)
	f.Fuzz(func(t *testing.T, s string) {
		var extra map[string]any
		if json.Unmarshal([]byte(s), &extra) != nil {
			return
		}
		r := &FileRecord{Extra: extra}
		if m := r.HashMatch(); m != nil {
			r.SetHashMatch(m)
			if r.HashMatch() == nil {
				t.Fatal("a match set reads back as none")
			}
		}
	})
}
