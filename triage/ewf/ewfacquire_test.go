package ewf

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEwfacquireFormats acquires known data with ewfacquire in every EWF
// variant it writes and checks the media read back, the stored hashes and
// the case metadata against the data's own digests and the values given.
func TestEwfacquireFormats(t *testing.T) {
	if _, err := exec.LookPath("ewfacquire"); err != nil {
		t.Skip("ewfacquire not installed (ewf-tools):", err)
	}
	if testing.Short() {
		t.Skip("acquires many images; skipped with -short")
	}
	rng := rand.New(rand.NewSource(7))
	small := make([]byte, 0, 200<<10+512)
	for len(small) < 64<<10 {
		small = fmt.Appendf(small, "record %d of the acquisition test\n", len(small))
	}
	small = small[:64<<10]
	rnd := make([]byte, 70<<10)
	rng.Read(rnd)
	small = append(small, rnd...)
	small = append(small, make([]byte, cap(small)-len(small))...)
	// big: 2.5 MiB, half random, to split a compressed image (segments
	// are at least 1 MiB).
	big := make([]byte, 5<<19)
	rng.Read(big[:5<<18])
	for i := 5 << 18; i < len(big); i++ {
		big[i] = byte(i % 251)
	}
	type tc struct {
		name string
		data []byte
		args []string
		segs int
	}
	var cases []tc
	for _, f := range []string{"ewf", "smart", "ftk", "encase2", "encase3", "encase4", "encase5", "encase6", "encase7", "linen5", "linen6", "linen7", "ewfx"} {
		for _, c := range []string{"none", "best"} {
			cases = append(cases, tc{f + "-" + c, small, []string{"-f", f, "-c", c}, 1})
		}
	}
	cases = append(cases,
		tc{"encase6-best-split", big, []string{"-c", "best", "-S", "1048576"}, 2},
		tc{"encase6-fast-b128-split", big, []string{"-c", "fast", "-b", "128", "-S", "1048576"}, 2},
	)
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			raw := filepath.Join(dir, "media.raw")
			if err := os.WriteFile(raw, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			args := append([]string{"-u", "-q", "-d", "sha1", "-C", "case " + tt.name, "-E", "ev-9", "-e", "examiner",
				"-D", "desc", "-N", "notes", "-t", filepath.Join(dir, "img")}, tt.args...)
			if out, err := exec.Command("ewfacquire", append(args, raw)...).CombinedOutput(); err != nil {
				t.Fatalf("ewfacquire: %v\n%s", err, out)
			}
			first, _ := filepath.Glob(filepath.Join(dir, "img.[Ees]01"))
			if len(first) != 1 {
				t.Fatalf("first segment not found: %v", first)
			}
			r := openClean(t, first[0])
			m := r.Metadata()
			wm, ws := md5.Sum(tt.data), sha1.Sum(tt.data)
			gm, gs := hashReadAt(t, r)
			if gm != hex.EncodeToString(wm[:]) || gs != hex.EncodeToString(ws[:]) || r.Size() != int64(len(tt.data)) {
				t.Errorf("media md5 %s sha1 %s size %d; want %x %x %d", gm, gs, r.Size(), wm, ws, len(tt.data))
			}
			if m.StoredMD5() != hex.EncodeToString(wm[:]) {
				t.Errorf("stored md5 %q", m.StoredMD5())
			}
			if s := m.StoredSHA1(); s != "" && s != hex.EncodeToString(ws[:]) {
				t.Errorf("stored sha1 %q", s)
			}
			if len(m.Segments) != tt.segs {
				t.Errorf("%d segments, want %d", len(m.Segments), tt.segs)
			}
			if m.CaseNumber != "case "+tt.name || !strings.HasPrefix(m.EvidenceNumber, "ev-9") {
				t.Errorf("case %q evidence %q", m.CaseNumber, m.EvidenceNumber)
			}
		})
	}
}
