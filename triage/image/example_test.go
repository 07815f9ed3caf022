package image_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/triagekit/triage/triage/image"
)

func ExampleOpen() {
	// A raw image split by split(1) into xaa, xab: giving the first
	// segment opens both as one image.
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	os.WriteFile(filepath.Join(dir, "diskaa"), make([]byte, 1024), 0o644)
	os.WriteFile(filepath.Join(dir, "diskab"), make([]byte, 512), 0o644)

	img, err := image.Open(filepath.Join(dir, "diskaa"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer img.Close()
	info := img.(image.Describer).Describe()
	fmt.Println(info.Format, img.Size(), len(info.Segments))
	// Output: split-raw 1536 2
}
