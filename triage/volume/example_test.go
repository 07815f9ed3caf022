package volume_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/triagekit/triage/triage/volume"
)

func ExampleRead() {
	f, _ := os.Open("../../testdata/images/gpt-ntfs.raw.gz")
	defer f.Close()
	z, _ := gzip.NewReader(f)
	img, _ := io.ReadAll(z)

	t, err := volume.Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Scheme, t.DiskGUID)
	for _, p := range t.Partitions {
		fmt.Printf("%d: sectors %d-%d, %s, %q, fs %s\n", p.Index, p.Start, p.End, p.Type, p.Label,
			volume.DetectFS(bytes.NewReader(img), p.Offset))
	}
	// Output:
	// gpt 11111111-2222-3333-4444-555555555555
	// 0: sectors 2048-18431, Microsoft basic data, "Evidence Data", fs ntfs
}
