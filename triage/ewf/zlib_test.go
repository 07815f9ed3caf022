package ewf

import (
	"bytes"
	"compress/zlib"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/triagekit/triage/triage/image/container"
)

// TestZlibChunkChecks damages the zlib stream of a compressed chunk (not
// the last of its table, so its stored size is exact) three ways: its
// header, its Adler-32 (the deflate data intact: only the checksum tells),
// and a stream of other data of the chunk's length with the chunk's own
// checksum. Each is a bad chunk naming what failed, read
// as zeros, and the other chunks read as before.
func TestZlibChunkChecks(t *testing.T) {
	for _, tc := range []struct {
		name, want string
		damage     func(t *testing.T, z []byte) []byte
	}{
		{"header", "zlib: invalid header", func(t *testing.T, z []byte) []byte { z[0] = 0x79; return z }},
		{"checksum", "zlib: invalid checksum", func(t *testing.T, z []byte) []byte { z[len(z)-1] ^= 1; return z }},
		{"data", "zlib: invalid checksum", func(t *testing.T, z []byte) []byte {
			// Other data of the chunk's length, deflated, with the
			// checksum of the chunk's own data.
			var out bytes.Buffer
			w := zlib.NewWriter(&out)
			w.Write(bytes.Repeat([]byte("other data "), 64<<10)[:32<<10]) // the fixture's chunks are 32 KiB
			w.Close()
			o := out.Bytes()
			if len(o) > len(z) {
				t.Fatalf("stream of %d bytes does not fit in %d", len(o), len(z))
			}
			copy(o[len(o)-4:], z[len(z)-4:])
			// Padded to the stored size: bytes after the stream are
			// not read.
			return append(o, make([]byte, len(z)-len(o))...)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := fixture(t, "ewf-best-mixed.E01")
			r0 := openClean(t, p)
			ci := int64(-1)
			var off, size int64
			for c := int64(0); c < r0.nchunks-1; c++ {
				g := &r0.groups[0]
				if c+1 >= int64(len(g.entries)) {
					break
				}
				o, n, compressed := g.span(int(c))
				if compressed {
					ci, off, size = c, o, n
					break
				}
			}
			if ci < 0 {
				t.Fatal("no compressed chunk")
			}
			r0.Close()
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			z := tc.damage(t, bytes.Clone(b[off:off+size]))
			copy(b[off:off+size], z)
			os.Chmod(p, 0o644)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			var bad []*container.RegionError
			err = r.Stream(context.Background(), 2, func(data []byte, e *container.RegionError) error {
				if e != nil {
					bad = append(bad, e)
				}
				return nil
			})
			if err != nil || len(bad) != 1 || bad[0].Off != ci*r.chunkSize || !strings.Contains(bad[0].Error(), tc.want) {
				t.Fatalf("chunk %d damaged: %v, bad regions %v; want one at %d with %q", ci, err, bad, ci*r.chunkSize, tc.want)
			}
			got := make([]byte, r.chunkSize)
			r.ReadAt(got, ci*r.chunkSize)
			if !bytes.Equal(got, make([]byte, len(got))) {
				t.Error("the bad chunk does not read as zeros")
			}
		})
	}
}
