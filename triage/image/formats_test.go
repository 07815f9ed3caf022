package image

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage/image/container"
)

// TestFormatTableTail: a format recognised by its last bytes (as a VHD by
// its footer) is detected and opened through the table, whatever the
// size of the file.
func TestFormatTableTail(t *testing.T) {
	const kindFooter Kind = "footer"
	footer := []byte("conectix")
	errOpened := errors.New("opened by the footer format")
	saved := formats
	defer func() { formats = saved }()
	formats = append(append([]format(nil), formats...), format{
		name: "footer", kind: kindFooter,
		match: func(head, tail []byte) bool {
			return len(tail) >= 512 && bytes.HasPrefix(tail[len(tail)-512:], footer)
		},
		open: func(string, OpenOptions) (Image, error) { return nil, errOpened },
	})
	dir := t.TempDir()
	for _, size := range []int{512, 1000, matchSize, matchSize + 1, 3*matchSize + 7, 1 << 20} {
		b := make([]byte, size)
		copy(b[size-512:], footer)
		if got := Detect(bytes.NewReader(b), int64(size)); got != kindFooter {
			t.Errorf("size %d: Detect = %q", size, got)
		}
		p := filepath.Join(dir, "disk.img")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(p); err != errOpened {
			t.Errorf("size %d: Open = %v", size, err)
		}
		// Not at the end: a raw image.
		b = append(b, make([]byte, 512)...)
		if got := Detect(bytes.NewReader(b), int64(len(b))); got != KindNone {
			t.Errorf("size %d, footer not at the end: Detect = %q", size, got)
		}
	}
}

// TestOpenE01Interfaces: an E01 opened through the table offers the
// optional container interfaces; a raw image none of them.
func TestOpenE01Interfaces(t *testing.T) {
	img, err := Open(filepath.Join(testfixture.Root(t), "testdata", "images", "ewf-tiny.E01"))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if d, ok := img.(Describer); !ok || d.Describe().Format != "e01" {
		t.Errorf("Describe: %v", ok)
	}
	if h, ok := img.(container.HashStorer); !ok || len(h.StoredHashes()) == 0 {
		t.Errorf("no stored hashes (%v)", ok)
	}
	if s, ok := img.(container.SegmentFiler); !ok || len(s.SegmentFiles()) != 1 {
		t.Errorf("segment files (%v)", ok)
	}
	for _, ok := range []bool{is[container.Streamer](img), is[container.AcquisitionReporter](img), is[container.DamageRecorder](img), is[container.ProblemReporter](img)} {
		if !ok {
			t.Error("an optional interface is missing")
		}
	}
	raw := filepath.Join(t.TempDir(), "raw.img")
	os.WriteFile(raw, make([]byte, 4096), 0o644)
	r, err := Open(raw)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if is[container.HashStorer](r) || is[container.Streamer](r) || is[container.SegmentFiler](r) || is[container.DamageRecorder](r) {
		t.Error("a raw image claims container interfaces")
	}
	if l, ok := MetadataLabel("ewf.acquisition.examiner"); !ok || l != "E01 header: examiner" {
		t.Errorf("MetadataLabel = %q, %v", l, ok)
	}
	if _, ok := MetadataLabel("image_format"); ok {
		t.Error("MetadataLabel knows a key no format records")
	}
}

func is[T any](v any) bool { _, ok := v.(T); return ok }
