package container

import (
	"errors"
	"io"
	"testing"
)

func TestRegionError(t *testing.T) {
	inner := errors.New("ewf: chunk 1 (media bytes 0x8000-0xffff) in x.E01 unreadable at byte 0xfd8: checksum mismatch")
	var err error = &RegionError{Off: 0x8000, Length: 0x8000, Err: inner}
	var re *RegionError
	if !errors.As(err, &re) || re.Offset() != 0x8000 || !errors.Is(err, inner) || err.Error() != inner.Error() {
		t.Errorf("%v", err)
	}
	if got := (&RegionError{Off: 0, Length: 512}).Error(); got != "media bytes 0x0-0x1ff unreadable" {
		t.Errorf("bare region error %q", got)
	}
	if errors.Is(&RegionError{Err: io.EOF}, io.ErrUnexpectedEOF) {
		t.Error("unwraps to the wrong error")
	}
}
