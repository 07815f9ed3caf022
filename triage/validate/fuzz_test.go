package validate

import (
	"encoding/json"
	"testing"
)

// FuzzParse: any bytes given as an older record to --compare give a record
// or an error, and comparing it with itself finds no change.
func FuzzParse(f *testing.F) {
	b, _ := json.Marshal(&Record{Kind: RecordKind, ID: "TV-1", Cases: []Case{{ID: "NTFS-01", Pass: true, Actual: "1 of 1"}, {ID: "E01-02"}}})
	f.Add(b)
	f.Add([]byte(`{"kind":"triage validation record","cases":[{"id":"A"},{"id":"A"}]}`))
	f.Add([]byte(`{"kind":"x"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		if err != nil {
			return
		}
		for _, c := range Compare(r, r) {
			if c.What != "result changed" && c.What != "added" {
				t.Errorf("self-compare: %+v", c)
			}
		}
		Compare(r, &Record{})
		Compare(&Record{}, r)
	})
}
