package udf

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/triagekit/triage/triage/fs"
)

// head returns the first fs.ProbeSize bytes of the file at p.
func head(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b[:min(len(b), fs.ProbeSize)]
}

// TestProbe: volumes made by mkudffs (udftools; 2048- and 512-byte
// blocks) and bridge discs made by genisoimage -udf are UDF; a plain ISO
// 9660 disc and a truncated sequence are not.
func TestProbe(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "a.txt"), []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		name string
		want bool
	}
	if _, err := exec.LookPath("mkudffs"); err == nil {
		for _, media := range []string{"dvd", "hd"} {
			p := filepath.Join(dir, media+".udf")
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(p, 4<<20); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("mkudffs", "--media-type="+media, p).CombinedOutput(); err != nil {
				t.Fatalf("mkudffs: %v\n%s", err, out)
			}
			cases = append(cases, struct {
				name string
				want bool
			}{p, true})
		}
	} else {
		t.Log("mkudffs not installed (Debian package udftools): no pure UDF volume")
	}
	if _, err := exec.LookPath("genisoimage"); err == nil {
		for _, tt := range []struct {
			args []string
			want bool
		}{{[]string{"-udf", "-R", "-J"}, true}, {[]string{"-R", "-J"}, false}} {
			p := filepath.Join(dir, filepath.Base(t.Name())+tt.args[0]+".iso")
			args := append(append([]string{"-quiet"}, tt.args...), "-o", p, src)
			if out, err := exec.Command("genisoimage", args...).CombinedOutput(); err != nil {
				t.Fatalf("genisoimage: %v\n%s", err, out)
			}
			cases = append(cases, struct {
				name string
				want bool
			}{p, tt.want})
		}
	} else {
		t.Log("genisoimage not installed: no bridge disc")
	}
	if len(cases) == 0 {
		t.Skip("neither mkudffs nor genisoimage installed")
	}
	for _, c := range cases {
		b := head(t, c.name)
		if got := Probe(b); got != c.want {
			t.Errorf("%s: Probe = %v, want %v", filepath.Base(c.name), got, c.want)
		}
		if c.want && Probe(b[:16*2048+2048]) {
			t.Errorf("%s: a sequence cut after its first descriptor is UDF", filepath.Base(c.name))
		}
	}
}

// FuzzProbe: any bytes are probed without a panic.
func FuzzProbe(f *testing.F) {
	b := make([]byte, 20*2048)
	copy(b[16*2048:], "\x00BEA01\x01")
	copy(b[17*2048:], "\x00NSR03\x01")
	copy(b[18*2048:], "\x00TEA01\x01")
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) { Probe(b) })
}
