package ntfsfs

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// longReader returns more bytes than it was asked for.
type longReader struct{}

func (longReader) ReadAt(p []byte, off int64) (int, error) { return len(p) + 10, nil }

// TestStreamReaderOverlongRead: a reader that claims more bytes than asked
// is an error that says how many it claimed.
func TestStreamReaderOverlongRead(t *testing.T) {
	r := &StreamReader{rr: longReader{}, direct: true, size: 100, entry: 7}
	n, err := r.Read(make([]byte, 50))
	if n != 0 || err == nil || !strings.Contains(err.Error(), "reader returned 60 bytes for 50") {
		t.Errorf("Read = %d, %v; want 0 and \"reader returned 60 bytes for 50\"", n, err)
	}
}

// TestReadEntryUnmapped: an MFT entry that no $MFT run maps has no offset;
// the error says none rather than the byte before the volume.
func TestReadEntryUnmapped(t *testing.T) {
	fs := &FS{size: 1 << 20, record: 1024, cluster: 4096, base: 0x100000}
	_, err := fs.ReadEntry(3)
	var e *Error
	if !errors.As(err, &e) || e.Off != -1 || e.Entry != 3 || strings.Contains(err.Error(), "at byte") {
		t.Errorf("ReadEntry of an unmapped entry: %#v (%v), want offset -1", err, err)
	}
}

// TestRunOutside: the bound check on a data run holds for runs whose end
// does not fit in 64 bits.
func TestRunOutside(t *testing.T) {
	fs := &FS{size: 1 << 30, cluster: 4096} // 262144 clusters
	for _, tt := range []struct {
		off, length int64
		want        bool
	}{
		{0, 262144, false},
		{262143, 1, false},
		{262143, 2, true},
		{-1, 1, true},
		{1, -1, true},
		{1 << 52, 1 << 52, true}, // (off+length)*cluster wraps to 0
		{math.MaxInt64, math.MaxInt64, true},
		{0, 1 << 52, true},
	} {
		if got := fs.runOutside(tt.off, tt.length); got != tt.want {
			t.Errorf("runOutside(%d, %d) = %v, want %v", tt.off, tt.length, got, tt.want)
		}
	}
}
