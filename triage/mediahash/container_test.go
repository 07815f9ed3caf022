package mediahash

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// streamImage is a container that streams its media in pieces of 1000
// bytes, the second one unreadable, and stores an MD5.
type streamImage struct {
	*bytes.Reader
	md5 string
}

func (s streamImage) Stream(ctx context.Context, workers int, fn func([]byte, *container.RegionError) error) error {
	for off := int64(0); off < s.Size(); off += 1000 {
		b := make([]byte, min(1000, s.Size()-off))
		s.ReadAt(b, off)
		var bad *container.RegionError
		if off == 1000 {
			clear(b)
			bad = &container.RegionError{Off: off, Length: int64(len(b)), Err: errors.New("block 1 does not decompress")}
		}
		if err := fn(b, bad); err != nil {
			return err
		}
	}
	return nil
}

func (s streamImage) StoredHashes() []container.StoredHash {
	return []container.StoredHash{{Algorithm: "md5", Value: s.md5, Source: "footer"}}
}

func TestSumStreamer(t *testing.T) {
	data := bytes.Repeat([]byte{7}, 2500)
	want := append([]byte(nil), data...)
	clear(want[1000:2000])
	m := md5.Sum(want)
	img := streamImage{bytes.NewReader(data), hex.EncodeToString(m[:])}
	res, err := Sum(context.Background(), img, img.Size(), 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.MD5 != img.md5 || len(res.Bad) != 1 || res.Bad[0].Offset != 1000 || res.Bad[0].Length != 1000 || res.Bad[0].Error != "block 1 does not decompress" {
		t.Errorf("result %+v", res)
	}
	refs := StoredReferences(img)
	if len(refs) != 1 || refs[0] != (Reference{Algorithm: "md5", Value: img.md5, Source: "footer"}) {
		t.Errorf("stored references %+v", refs)
	}
	if c := Verify(res, refs); c.Verdict != Failed {
		t.Errorf("verdict %s, want FAILED", c.Verdict)
	}
	if refs := StoredReferences(bytes.NewReader(nil)); refs != nil {
		t.Errorf("a raw image stores %+v", refs)
	}
}
