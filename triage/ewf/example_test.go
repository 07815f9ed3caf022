package ewf_test

import (
	"fmt"
	"log"

	"github.com/triagekit/triage/triage/ewf"
)

func ExampleOpen() {
	r, err := ewf.Open("../../testdata/images/ewf-tiny.E01")
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	m := r.Metadata()
	fmt.Println(m.CaseNumber, m.EvidenceNumber, m.Examiner)
	fmt.Println(r.Size(), "bytes in", len(m.Segments), "segment file")
	buf := make([]byte, 12)
	if _, err := r.ReadAt(buf, 0); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%q\n", buf)
	// Output:
	// CASE-2024-017 EV-03 J. Examiner
	// 25088 bytes in 1 segment file
	// "line 0 of th"
}
