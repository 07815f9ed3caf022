package qcow2_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/triagekit/triage/triage/qcow2"
)

func ExampleNew() {
	f, err := os.Open("../../testdata/images/vdisk-tiny-c.qcow2.gz")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		log.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		log.Fatal(err)
	}
	r, err := qcow2.New(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println(r.Describe().Format, r.Size(), "bytes")
	buf := make([]byte, 28)
	if _, err := r.ReadAt(buf, 64*512); err != nil { // the first partition
		log.Fatal(err)
	}
	fmt.Printf("%q\n", buf)
	// Output:
	// qcow2 1048576 bytes
	// "triage virtual disk fixture:"
}
