package casework_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/triage/casework"
)

// A program scans a folder into a new case, matching against one hash-set
// file and no library, and reads each source's outcome.
func ExampleEnv_Scan() {
	tmp, err := os.MkdirTemp("", "casework-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	evidence := filepath.Join(tmp, "evidence")
	os.Mkdir(evidence, 0o755)
	os.WriteFile(filepath.Join(evidence, "eicar.com"), []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`), 0o644)
	list := filepath.Join(tmp, "agency.md5")
	os.WriteFile(list, []byte("44d88612fea8a8f36de82e1278abb02f  eicar.com\n"), 0o644)

	env := &casework.Env{}
	ctx := context.Background()
	c, _, err := env.OpenCase(ctx, filepath.Join(tmp, "case"), casework.HeaderChanges{"case-number": "2026/042"}, "A. Smith")
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	results, err := env.Scan(ctx, c, []string{evidence}, &casework.ScanOptions{
		Examiner: "A. Smith",
		Hashsets: casework.HashsetOptions{None: true, Files: []string{list}, FileCategory: hashset.KnownBad},
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(filepath.Base(r.Path), r.Result.State, r.Result.Files, "records, failed:", r.Failed())
	}
	n, _ := c.CountFiles(ctx)
	fmt.Println("known-bad files:", n.KnownBad)
	// Output:
	// evidence complete 1 records, failed: false
	// known-bad files: 1
}
