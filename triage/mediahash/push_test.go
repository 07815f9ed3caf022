package mediahash

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"testing"
)

// TestPusherResume hashes a medium in blocks, saves the state half way,
// resumes it in a new Pusher and checks the digests against crypto's over
// the whole medium.
func TestPusherResume(t *testing.T) {
	b := make([]byte, 5<<20+123)
	for i := range b {
		b[i] = byte(i * 31 / 7)
	}
	p := NewPusher(int64(len(b)))
	half := 3<<20 + 17
	for off := 0; off < half; off += 100000 {
		p.Write(b[off:min(off+100000, half)], nil)
	}
	state, err := p.State()
	if err != nil {
		t.Fatal(err)
	}
	p.Write(b[half:half+10], nil) // the first Pusher goes on, unaffected
	q, err := ResumePusher(state, int64(len(b)))
	if err != nil || q.Offset() != int64(half) {
		t.Fatalf("resume: %v at %d", err, q.Offset())
	}
	q.Write(b[half:], nil)
	r := q.Finish()
	m, s1, s2 := md5.Sum(b), sha1.Sum(b), sha256.Sum256(b)
	if r.MD5 != hex.EncodeToString(m[:]) || r.SHA1 != hex.EncodeToString(s1[:]) || r.SHA256 != hex.EncodeToString(s2[:]) {
		t.Errorf("resumed digests %s %s %s", r.MD5, r.SHA1, r.SHA256)
	}
	p.Finish()
	for _, bad := range []string{"", "{}", `{"version":1,"size":5,"offset":1,"states":["x","y","z"]}`} {
		if _, err := ResumePusher([]byte(bad), int64(len(b))); err == nil {
			t.Errorf("state %q accepted", bad)
		}
	}
	if _, err := ResumePusher(state, int64(len(b))+1); err == nil {
		t.Errorf("state accepted for another size")
	}
}
