package hashset_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/triagekit/triage/hashset"
)

func ExampleParseDigest() {
	alg, d, err := hashset.ParseDigest("sha1:DA39A3EE5E6B4B0D3255BFEF95601890AFD80709")
	fmt.Println(alg, len(d), err)
	// Output: sha1 20 <nil>
}

func ExampleMatcher_Match() {
	lib := &hashset.Library{Dir: os.TempDir()}
	eicar, err := lib.Open(hashset.EICARName) // built in
	if err != nil {
		panic(err)
	}
	m := hashset.NewMatcher([]*hashset.Set{eicar})
	fmt.Println(m.Match("44d88612fea8a8f36de82e1278abb02f", "", ""))
	fmt.Println(m.Match("d41d8cd98f00b204e9800998ecf8427e", "", ""))
	// Output:
	// known-bad [eicar]
	// unknown []
}

func ExampleLibrary_Import() {
	dir, _ := os.MkdirTemp("", "example-")
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "list.md5")
	os.WriteFile(src, []byte("900150983cd24fb0d6963f7d28e17f72  abc.txt\nnot a hash\n"), 0o644)
	lib := &hashset.Library{Dir: filepath.Join(dir, "lib")}
	res, err := lib.Import(context.Background(), []string{src}, hashset.ImportOptions{Name: "agency", Category: hashset.KnownBad})
	if err != nil {
		panic(err)
	}
	s := res.Sources[0]
	fmt.Println(s.Format, s.Records, s.Malformed, res.Header.Counts["md5"])
	fmt.Println(s.Problems[0])
	// Output:
	// md5sum 1 1 1
	// list.md5: line 2: "not" is not a hex digest
}
