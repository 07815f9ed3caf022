package hashset

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgainstHfind indexes the same md5sum file with the Sleuth Kit's hfind
// and with Import, then looks up a mix of present and absent digests (in
// both cases) with both and compares every answer.
func TestAgainstHfind(t *testing.T) {
	hfind, err := exec.LookPath("hfind")
	if err != nil {
		t.Skip("hfind not installed (apt-get install sleuthkit): ", err)
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "db.md5")
	n := 20000
	if testing.Short() {
		n = 2000
	}
	genMD5sum(t, db, n, 5)
	if out, err := exec.Command(hfind, "-i", "md5sum", db).CombinedOutput(); err != nil {
		t.Fatalf("hfind -i md5sum: %v\n%s", err, out)
	}
	lib := &Library{Dir: filepath.Join(dir, "lib")}
	if _, err := lib.Import(context.Background(), []string{db}, ImportOptions{Name: "h", Category: KnownBad}); err != nil {
		t.Fatal(err)
	}
	s, err := lib.Open("h")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	var queries []string
	for i := 0; i < 3000; i++ {
		k := i * 7 % (2 * n) // about half beyond n: absent
		d := md5.Sum(fmt.Appendf(nil, "file-%d", k))
		h := hex.EncodeToString(d[:])
		if i%2 == 0 {
			h = strings.ToUpper(h)
		}
		queries = append(queries, h)
	}
	qf := filepath.Join(dir, "q.txt")
	os.WriteFile(qf, []byte(strings.Join(queries, "\n")+"\n"), 0o644)
	out, err := exec.Command(hfind, "-f", qf, db).Output()
	if err != nil {
		t.Fatalf("hfind -f: %v", err)
	}
	hfindFound := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 2)
		if len(f) == 2 {
			h := strings.ToLower(f[0])
			hfindFound[h] = hfindFound[h] || f[1] != "Hash Not Found"
		}
	}
	found := 0
	for _, q := range queries {
		_, d, err := ParseDigest(q)
		if err != nil {
			t.Fatal(err)
		}
		want, ok := hfindFound[strings.ToLower(q)]
		if !ok {
			t.Fatalf("hfind gave no answer for %s", q)
		}
		if got := s.Contains(MD5, d); got != want {
			t.Errorf("%s: found %v, hfind %v", q, got, want)
		}
		if want {
			found++
		}
	}
	if found == 0 || found == len(queries) {
		t.Fatalf("%d of %d queries found: the mix is not a mix", found, len(queries))
	}
}
