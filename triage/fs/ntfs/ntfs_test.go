package ntfs

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/fs"
)

func walk(t *testing.T, vol []byte, opts fs.Options) []fs.Entry {
	t.Helper()
	if !Probe(vol) {
		t.Fatal("Probe: not NTFS")
	}
	v, err := Format.Open(bytes.NewReader(vol), 0, int64(len(vol)), opts)
	if err != nil {
		t.Fatal(err)
	}
	var out []fs.Entry
	err = v.Walk(context.Background(), func(e *fs.Entry) error {
		out = append(out, *e)
		return nil
	}, func(err error) { t.Errorf("problem: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOptions: the options reach the walk, and every entry has an address
// or its own key.
func TestOptions(t *testing.T) {
	vol := testfixture.Image(t, "gpt-ntfs.raw")[2048*512:][:8<<20]
	all := walk(t, vol, nil)
	skip := walk(t, vol, fs.Options{SkipMetafiles.Name: true})
	slack := walk(t, vol, fs.Options{IndexSlack.Name: true})
	meta := 0
	for _, e := range all {
		if e.Extra["ntfs_metafile"] == true {
			meta++
		}
		if (e.Addr < 0) == (e.Key == "") || e.Extra == nil {
			t.Errorf("%s: address %d, key %q, extra %v", e.Path, e.Addr, e.Key, e.Extra)
		}
		if e.Open != nil {
			r, err := e.Open()
			if err != nil {
				t.Fatal(err)
			}
			n, err := io.Copy(io.Discard, r)
			if err != nil || n != e.Size {
				t.Errorf("%s: read %d of %d bytes: %v", e.Path, n, e.Size, err)
			}
		}
	}
	if meta == 0 || len(skip) != len(all)-meta {
		t.Errorf("%d entries, %d metafiles, %d with %s", len(all), meta, len(skip), SkipMetafiles.Name)
	}
	for _, e := range skip {
		if e.Extra["ntfs_metafile"] == true {
			t.Errorf("%s: metafile walked", e.Path)
		}
	}
	for _, e := range slack[len(all):] {
		if e.Addr != -1 || !strings.HasPrefix(e.Key, "slack/") || e.Extra["ntfs_index_slack"] != true {
			t.Errorf("slack entry %+v", e)
		}
	}
}
