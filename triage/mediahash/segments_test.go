package mediahash

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// splitImage is a medium described as cut into files of the given sizes,
// as a split raw image describes itself; bad, when not nil, fails the
// reads that cover it.
type splitImage struct {
	*bytes.Reader
	sizes []int64
	bad   *container.RegionError
}

func (s splitImage) Describe() container.Info {
	info := container.Info{Format: "split-raw"}
	var at int64
	for _, n := range s.sizes {
		info.Segments = append(info.Segments, container.Segment{Path: "x", Offset: at, Size: n})
		at += n
	}
	return info
}

func (s splitImage) ReadAt(b []byte, off int64) (int, error) {
	n, err := s.Reader.ReadAt(b, off)
	if s.bad != nil && off < s.bad.Off+s.bad.Length && off+int64(n) > s.bad.Off {
		return n, s.bad
	}
	return n, err
}

// TestSegments: the digests of the pieces of a split medium, made by Sum
// and by a Pusher fed in blocks of any size, are the SHA-256 of each piece
// (pieces smaller and larger than a block, empty pieces, boundaries inside
// blocks); none when a range could not be read, when the sizes do not
// add up to the medium, or for a Pusher that resumed from a checkpoint.
func TestSegments(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, sizes := range [][]int64{
		{1, blockSize - 1, 0, blockSize + 3, 17},
		{3 * blockSize, 5},
		{0, 100, 0},
		{blockSize, blockSize},
	} {
		var total int64
		for _, n := range sizes {
			total += n
		}
		data := make([]byte, total)
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		var want [][sha256.Size]byte
		var at int64
		for _, n := range sizes {
			want = append(want, sha256.Sum256(data[at:at+n]))
			at += n
		}
		img := splitImage{Reader: bytes.NewReader(data), sizes: sizes}
		res, err := Sum(context.Background(), img, total, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !equalSums(res.Segments, want) {
			t.Errorf("sizes %v: Sum gave %x, want %x", sizes, res.Segments, want)
		}
		for _, step := range []int{1, 4095, blockSize + 1} {
			p := NewImagePusher(img, total)
			for off := 0; off < len(data); off += step {
				p.Write(data[off:min(off+step, len(data))], nil)
			}
			if got := p.Finish().Segments; !equalSums(got, want) {
				t.Errorf("sizes %v, pushed %d at a time: %x, want %x", sizes, step, got, want)
			}
		}
		// A Pusher saved and resumed hashes no pieces.
		p := NewImagePusher(img, total)
		p.Write(data[:total/2], nil)
		st, err := p.State()
		if err != nil {
			t.Fatal(err)
		}
		p.Finish()
		if p, err = ResumePusher(st, total); err != nil {
			t.Fatal(err)
		}
		p.Write(data[total/2:], nil)
		if r := p.Finish(); r.Segments != nil || r.SHA256 != hexSum(sha256.Sum256(data)) {
			t.Errorf("resumed: pieces %x, sha256 %s", r.Segments, r.SHA256)
		}
	}
	// An unreadable range (hashed as zeros) leaves the files unhashed.
	data := make([]byte, 3*blockSize)
	bad := &container.RegionError{Off: blockSize, Length: 10, Err: errors.New("unreadable")}
	res, err := Sum(context.Background(), splitImage{Reader: bytes.NewReader(data), sizes: []int64{blockSize, 2 * blockSize}, bad: bad}, int64(len(data)), 0, nil)
	if err != nil || len(res.Bad) == 0 || res.Segments != nil {
		t.Errorf("unreadable range: %v, bad %v, pieces %x", err, res.Bad, res.Segments)
	}
	// Sizes that do not add up to the medium: none.
	res, err = Sum(context.Background(), splitImage{Reader: bytes.NewReader(data), sizes: []int64{blockSize, blockSize}}, int64(len(data)), 0, nil)
	if err != nil || res.Segments != nil {
		t.Errorf("sizes short of the medium: %v, pieces %x", err, res.Segments)
	}
	// Not a split image: none.
	if res, _ := Sum(context.Background(), io.NewSectionReader(bytes.NewReader(data), 0, int64(len(data))), int64(len(data)), 0, nil); res.Segments != nil {
		t.Errorf("one file: pieces %x", res.Segments)
	}
}

func equalSums(a, b [][sha256.Size]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func hexSum(s [sha256.Size]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(s))
	for _, c := range s {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}
