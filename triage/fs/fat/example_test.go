package fat

import (
	"bytes"
	"context"
	"fmt"
	"io"
)

func ExampleOpen() {
	img := basic().b // a small FAT12 volume made in memory
	fs, err := Open(bytes.NewReader(img), 0, int64(len(img)), nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(fs.Type, fs.Label, fs.Zone())
	err = fs.Walk(context.Background(), func(it *Item) error {
		n, _ := io.Copy(io.Discard, fs.Open(it))
		fmt.Printf("%s entry %#x deleted %v: %d bytes %q\n", it.Path, it.Entry, it.Deleted, n, it.Recovered)
		return nil
	}, func(problem error) { fmt.Println(problem) })
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// FAT12 TESTVOL UTC
	// /HELLO.TXT entry 0xa00 deleted false: 700 bytes ""
	// /SUB entry 0xa20 deleted false: 0 bytes ""
	// /SUB/INNER.BIN entry 0x1240 deleted false: 1500 bytes ""
	// /Long name.txt entry 0xa80 deleted false: 10 bytes ""
	// /_ONE.DAT entry 0xa40 deleted true: 1000 bytes "contiguous"
}
