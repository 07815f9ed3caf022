package mediahash

import (
	"encoding"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/triagekit/triage/triage/image/container"
)

// Pusher hashes a medium whose blocks are handed to it in order, from
// offset 0, by a reader that has other uses for them (the scan's disk-order
// pass). Its state can be saved with the offset it reached (State) and
// restored (ResumePusher), so that an interrupted pass goes on without
// hashing again what it did.
type Pusher struct {
	h     *hasher
	res   Result
	off   int64
	start time.Time
}

// NewPusher returns a Pusher for a medium of size bytes.
func NewPusher(size int64) *Pusher {
	return &Pusher{h: newHasher(nil), res: Result{Size: size}, start: time.Now()}
}

// NewImagePusher returns a Pusher for the medium of img, of size bytes,
// that also hashes the files of a split raw image (Result.Segments).
func NewImagePusher(img io.ReaderAt, size int64) *Pusher {
	return &Pusher{h: newHasher(splitSizes(img, size)), res: Result{Size: size}, start: time.Now()}
}

// Offset is the number of bytes hashed so far.
func (p *Pusher) Offset() int64 { return p.off }

// Write hashes b, the next bytes of the medium. bad, when not nil, says
// that b (zero-filled) covers a range that could not be read.
func (p *Pusher) Write(b []byte, bad *container.RegionError) {
	if bad != nil {
		p.res.Bad = append(p.res.Bad, BadRange{Offset: bad.Off, Length: bad.Length, Error: bad.Error()})
	}
	p.h.write(b)
	p.off += int64(len(b))
}

// WriteBad hashes b, the next bytes of the medium, which a read covering
// them could not give (zero-filled): err is that read's error.
func (p *Pusher) WriteBad(b []byte, err error) {
	p.res.Bad = append(p.res.Bad, BadRange{Offset: p.off, Length: int64(len(b)), Error: err.Error()})
	p.h.write(b)
	p.off += int64(len(b))
}

// Finish returns the digests of the medium. The Pusher must not be used
// afterwards.
func (p *Pusher) Finish() *Result {
	p.h.finish(&p.res)
	p.res.Elapsed = time.Since(p.start)
	return &p.res
}

// checkpoint is the saved state of a Pusher.
type checkpoint struct {
	Version int        `json:"version"`
	Size    int64      `json:"size"`
	Offset  int64      `json:"offset"`
	States  []string   `json:"states"` // MD5, SHA-1, SHA-256 (encoding.BinaryMarshaler), base64
	Bad     []BadRange `json:"unreadable,omitempty"`
}

// maxCheckpoint bounds the saved state read back (a case is trusted, but
// a damaged one must not make us allocate without end).
const maxCheckpoint = 1 << 20

// State saves the state of the hashing: the offset reached, the digests'
// internal states and the unreadable ranges so far, as a JSON document.
// It waits until every block handed over is hashed.
func (p *Pusher) State() ([]byte, error) {
	p.h.sync()
	c := checkpoint{Version: 1, Size: p.res.Size, Offset: p.off, Bad: p.res.Bad}
	// The three media digests; the files of a split raw image are not
	// saved (a resumed pass reads them again after it).
	for _, hh := range p.h.hs[:3] {
		m, ok := hh.(encoding.BinaryMarshaler)
		if !ok {
			return nil, fmt.Errorf("hash %T cannot save its state", hh)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			return nil, err
		}
		c.States = append(c.States, base64.StdEncoding.EncodeToString(b))
	}
	return json.Marshal(c)
}

// ResumePusher restores a Pusher saved by State for a medium of size
// bytes. It fails when the state is not one State wrote for this size.
func ResumePusher(state []byte, size int64) (*Pusher, error) {
	if len(state) > maxCheckpoint {
		return nil, fmt.Errorf("media hash checkpoint of %d bytes is too large", len(state))
	}
	var c checkpoint
	if err := json.Unmarshal(state, &c); err != nil {
		return nil, fmt.Errorf("media hash checkpoint: %w", err)
	}
	if c.Version != 1 || c.Size != size || c.Offset < 0 || c.Offset > size || len(c.States) != 3 {
		return nil, fmt.Errorf("media hash checkpoint does not fit this medium (version %d, size %d, offset %d)", c.Version, c.Size, c.Offset)
	}
	p := NewPusher(size)
	for i, s := range c.States {
		b, err := base64.StdEncoding.DecodeString(s)
		if err == nil {
			err = p.h.hs[i].(encoding.BinaryUnmarshaler).UnmarshalBinary(b)
		}
		if err != nil {
			p.h.finish(&Result{})
			return nil, fmt.Errorf("media hash checkpoint: %w", err)
		}
	}
	p.off, p.res.Bad = c.Offset, c.Bad
	return p, nil
}
