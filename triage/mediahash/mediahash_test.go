package mediahash

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func TestSum(t *testing.T) {
	for _, n := range []int{0, 1, blockSize - 1, blockSize, 3*blockSize + 17} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i * 7 >> 3)
		}
		res, err := Sum(context.Background(), bytes.NewReader(data), int64(n), 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		m, s1, s2 := md5.Sum(data), sha1.Sum(data), sha256.Sum256(data)
		if res.MD5 != hex.EncodeToString(m[:]) || res.SHA1 != hex.EncodeToString(s1[:]) || res.SHA256 != hex.EncodeToString(s2[:]) {
			t.Errorf("size %d: %+v", n, res)
		}
	}
}

// badReader fails reads that touch [bad, bad+1).
type badReader struct {
	r   *bytes.Reader
	bad int64
}

func (b badReader) ReadAt(p []byte, off int64) (int, error) {
	if off <= b.bad && b.bad < off+int64(len(p)) {
		return 0, errors.New("i/o error")
	}
	return b.r.ReadAt(p, off)
}

func TestSumReadError(t *testing.T) {
	data := bytes.Repeat([]byte{1}, 3*blockSize)
	res, err := Sum(context.Background(), badReader{bytes.NewReader(data), blockSize + 5}, int64(len(data)), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Bad) != 1 || res.Bad[0].Offset != blockSize || res.Bad[0].Length != blockSize {
		t.Fatalf("bad = %+v", res.Bad)
	}
	want := append([]byte(nil), data...)
	clear(want[blockSize : 2*blockSize])
	if m := md5.Sum(want); res.MD5 != hex.EncodeToString(m[:]) {
		t.Error("unreadable block not hashed as zeros")
	}
	// Unreadable and nothing to compare: FAILED. A stored hash that
	// happens to match still does not verify.
	if c := Verify(res, nil); c.Verdict != Failed {
		t.Errorf("verdict %q, want FAILED", c.Verdict)
	}
	if c := Verify(res, []Reference{{Algorithm: "md5", Value: res.MD5}}); c.Verdict != Failed {
		t.Errorf("verdict %q, want FAILED", c.Verdict)
	}
	if c := Verify(res, []Reference{{Algorithm: "md5", Value: "00"}}); c.Verdict != Mismatch {
		t.Errorf("verdict %q, want MISMATCH", c.Verdict)
	}
}

func TestVerify(t *testing.T) {
	res := &Result{MD5: "aa", SHA1: "bb", SHA256: "cc"}
	for _, tt := range []struct {
		refs []Reference
		want string
	}{
		{nil, NoStoredHash},
		{[]Reference{{Algorithm: "md5", Value: ""}}, NoStoredHash},
		{[]Reference{{Algorithm: "md5", Value: "AA"}}, Verified},
		{[]Reference{{Algorithm: "md5", Value: "aa"}, {Algorithm: "sha1", Value: "bc"}}, Mismatch},
		{[]Reference{{Algorithm: "sha256", Value: "cc"}, {Algorithm: "sha1", Value: "bb"}}, Verified},
	} {
		if c := Verify(res, tt.refs); c.Verdict != tt.want {
			t.Errorf("Verify(%v) = %q, want %q", tt.refs, c.Verdict, tt.want)
		}
	}
}

func TestSumCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Sum(ctx, bytes.NewReader(make([]byte, 3*blockSize)), 3*blockSize, 0, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}
