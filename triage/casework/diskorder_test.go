package casework

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/triagekit/triage/internal/testfixture"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/mediahash"
)

// TestScanVerifyOneRead: a default scan of an NTFS image (--verify-image)
// hashes its files and its media in one read; the verification has the
// image file's MD5 (crypto/md5 over its bytes), and the evidence item says
// how the media was read.
func TestScanVerifyOneRead(t *testing.T) {
	env := fixedEnv(t)
	img := testfixture.ImageFile(t, "ntfs-basic.raw")
	b, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "case")
	c, _, err := env.OpenCase(context.Background(), dir, nil, "A. Smith")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var mediaPhase bool
	o := &ScanOptions{VerifyImage: true, Hashsets: HashsetOptions{None: true, FileCategory: "known-bad"},
		MediaProgress: func(string, int64) (func(int64), func()) { mediaPhase = true; return func(int64) {}, func() {} }}
	res, err := env.Scan(context.Background(), c, []string{img}, o)
	if err != nil || len(res) != 1 || res[0].Image == nil {
		t.Fatalf("scan: %+v %v", res, err)
	}
	sum := md5.Sum(b)
	if res[0].Image.Media.MD5 != hex.EncodeToString(sum[:]) || res[0].Verdict() != mediahash.NoStoredHash {
		t.Errorf("media MD5 %s (%s), want %x", res[0].Image.Media.MD5, res[0].Verdict(), sum)
	}
	if mediaPhase {
		t.Errorf("the media was hashed again after the scan")
	}
	items, _ := c.EvidenceItems(context.Background())
	mr, ok := items[0].Metadata[triage.MediaReadKey].(map[string]any)
	if !ok || mr["passes"] != float64(1) || mr["sequential_bytes"] != float64(len(b)) || !strings.HasPrefix(fmt.Sprint(mr["summary"]), "the media was read once, in full, from start to end") {
		t.Errorf("evidence metadata %s: %v", triage.MediaReadKey, items[0].Metadata[triage.MediaReadKey])
	}
}
