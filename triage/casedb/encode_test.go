package casedb

import (
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// The hand-written encoders must give byte for byte what the standard
// library gives: time.Format and encoding/json are the reference.

func TestAppendTimeMatchesFormat(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	cases := []time.Time{
		time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 100, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 120000000, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 1, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(30828, 9, 14, 2, 48, 5, 477580700, time.UTC), // largest FILETIME
	}
	for range 100000 {
		// FILETIME-like values: 100 ns steps, often whole seconds.
		ns := rnd.Int64N(1 << 62)
		if rnd.IntN(4) == 0 {
			ns -= ns % 1e9
		}
		cases = append(cases, time.Unix(0, ns).UTC(), time.Unix(rnd.Int64N(1<<40)-1<<39, rnd.Int64N(1e9)).UTC())
	}
	for _, tm := range cases {
		want := tm.Format(time.RFC3339Nano)
		if got := string(appendTime(nil, tm)); got != want {
			t.Fatalf("appendTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

func checkExtraJSON(t *testing.T, m map[string]any) {
	t.Helper()
	want, err := json.Marshal(m)
	if err != nil {
		return
	}
	if got := extraJSON(m); got != string(want) {
		t.Fatalf("extraJSON(%#v) = %s, want %s", m, got, want)
	}
}

func TestExtraJSONMatchesEncodingJSON(t *testing.T) {
	strs := []string{"", "plain", `quote"`, `back\slash`, "<script>", "a&b", "tab\t", "\x00", "é", "\xff\xfe", "\u2028", "=1+2", "v0/123:ads"}
	vals := []any{true, false, 0, -5, int64(1) << 60, uint16(65535), uint32(7), uint64(1) << 63, 1.5, nil,
		[]string{}, []string(nil), []string{"/a", "/b<"}, map[string]any{"x": 1}, struct{ A int }{3}}
	for _, s := range strs {
		vals = append(vals, s, []string{s, "x"})
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		m := map[string]any{}
		for range rnd.IntN(8) {
			k := strs[rnd.IntN(len(strs))]
			if rnd.IntN(3) > 0 {
				k = "fn_" + k
			}
			m[k] = vals[rnd.IntN(len(vals))]
		}
		checkExtraJSON(t, m)
	}
}

func FuzzExtraJSON(f *testing.F) {
	f.Add("ntfs_seq", "fn_mtime", "2024-01-01T00:00:00Z", int64(3), true)
	f.Add("<k>", "\xff", "\u2028&", int64(-1), false)
	f.Fuzz(func(t *testing.T, k1, k2, s string, n int64, b bool) {
		checkExtraJSON(t, map[string]any{k1: s, k2: n, k1 + k2: b, "links": []string{s, k1}})
	})
}
