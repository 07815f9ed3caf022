package hashset

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const ssdeepCSV = `ssdeep,1.1--blocksize:hash:hash,filename
96:Bi2bIjzp7upNVZDrLpXmHJfJvX7dTaQkrkmZ4c3y5XtrQslUqlvP17/SVtJAm1ko:RI/p+XZDrsFJvX78Qkrj4c3O6sl331bU,"/tmp/r5k"
384:+YWv11iDCQIZYkmt6ptaG+7gbVzCI720BglDFl2ZeH8Ou8fieYtYFk:FhmbZzmt6ptaG7bVzN72sCuYJu8qh,"/tmp/a ""quoted"" name"
not a digest,"x"
384:+YWv11iDCQIZYkmt6ptaG+7gbVzCI720BglDFl2ZeH8Ou8fieYtYFk:FhmbZzmt6ptaG7bVzN72sCuYJu8qh,"/tmp/dup"
`

const tlshList = `# from tlsh -r
EAA19F34FC1639862BB4338BE173F7FBAF25889E4D3470B399055092CA7185D1A41DD6	/tmp/r5k
T18A52324BB4A925D29B06F47BF007903F422A6A26F7D73021772D72458B3B52F5EE8913
ZZ
`

func TestImportFuzzySets(t *testing.T) {
	dir := t.TempDir()
	lib := &Library{Dir: filepath.Join(dir, "lib")}
	csv := filepath.Join(dir, "known.csv")
	lst := filepath.Join(dir, "known.tlsh")
	os.WriteFile(csv, []byte(ssdeepCSV), 0o644)
	os.WriteFile(lst, []byte(tlshList), 0o644)
	ctx := context.Background()
	res, err := lib.Import(ctx, []string{csv}, ImportOptions{Name: "ss", Category: KnownBad})
	if err != nil {
		t.Fatal(err)
	}
	src := res.Sources[0]
	if src.Format != FormatSSDeep || src.Records != 3 || src.Malformed != 1 || len(src.Problems) != 1 ||
		!strings.Contains(src.Problems[0].String(), "known.csv: line 4:") {
		t.Errorf("source %+v", src)
	}
	if want := fmt.Sprintf("%x", sha256.Sum256([]byte(ssdeepCSV))); src.SHA256 != want {
		t.Errorf("source SHA-256 %s, want %s", src.SHA256, want)
	}
	if res.Header.Counts["ssdeep"] != 2 {
		t.Errorf("counts %v: the duplicate digest counted", res.Header.Counts)
	}
	res, err = lib.Import(ctx, []string{lst}, ImportOptions{Name: "tl", Category: Notable})
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Counts["tlsh"] != 2 || res.Sources[0].Malformed != 1 {
		t.Errorf("tlsh import %+v", res)
	}
	names, _ := lib.FuzzyNames()
	if strings.Join(names, ",") != "ss,tl" {
		t.Errorf("fuzzy names %v", names)
	}
	s, err := lib.OpenFuzzy("ss")
	if err != nil {
		t.Fatal(err)
	}
	if s.SSDeep.Len() != 2 || s.Category != KnownBad || s.Sources[0].SHA256 != src.SHA256 {
		t.Errorf("opened %+v", s.Header)
	}
	tl, err := lib.OpenFuzzy("tl")
	if err != nil {
		t.Fatal(err)
	}
	if tl.TLSH.Len() != 2 {
		t.Errorf("%d TLSH digests", tl.TLSH.Len())
	}
	// The same name again needs Replace.
	if _, err := lib.Import(ctx, []string{csv}, ImportOptions{Name: "ss", Category: KnownBad}); !errors.Is(err, ErrExists) {
		t.Errorf("second import: %v", err)
	}
	// A changed digest line is refused at open.
	p := filepath.Join(lib.Dir, "ss"+FuzzyExt)
	b, _ := os.ReadFile(p)
	b[len(b)-5] ^= 1
	os.WriteFile(p, b, 0o644)
	if _, err := lib.OpenFuzzy("ss"); err == nil || !strings.Contains(err.Error(), "do not match the header's SHA-256") {
		t.Errorf("damaged set opened: %v", err)
	}
	if err := lib.Remove("tl"); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.OpenFuzzy("tl"); !errors.Is(err, ErrNotFound) {
		t.Errorf("removed set: %v", err)
	}
	// Neither format: an error naming the file.
	bad := filepath.Join(dir, "x.txt")
	os.WriteFile(bad, []byte("hello\n"), 0o644)
	if _, err := lib.ImportFuzzy(ctx, []string{bad}, ImportOptions{Name: "x", Category: KnownBad}); err == nil || !strings.Contains(err.Error(), "x.txt") {
		t.Errorf("import of a text file: %v", err)
	}
}

// TestExportFuzzyAndNear exports the sets of TestImportFuzzySets' sources
// back (the malformed and duplicate lines left out, quotes doubled as in
// the source) and looks their digests up.
func TestExportFuzzyAndNear(t *testing.T) {
	dir := t.TempDir()
	lib := &Library{Dir: filepath.Join(dir, "lib")}
	csv := filepath.Join(dir, "known.csv")
	lst := filepath.Join(dir, "known.tlsh")
	os.WriteFile(csv, []byte(ssdeepCSV), 0o644)
	os.WriteFile(lst, []byte(tlshList), 0o644)
	ctx := context.Background()
	if _, err := lib.Import(ctx, []string{csv}, ImportOptions{Name: "ss", Category: KnownBad}); err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Import(ctx, []string{lst}, ImportOptions{Name: "tl", Category: Notable}); err != nil {
		t.Fatal(err)
	}
	ss, err := lib.OpenFuzzy("ss")
	if err != nil {
		t.Fatal(err)
	}
	tl, err := lib.OpenFuzzy("tl")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := ss.ExportFuzzy(&b, ""); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(ssdeepCSV, "\n")
	if want := strings.Join(lines[:3], "\n") + "\n"; b.String() != want {
		t.Errorf("ssdeep export:\n%s\nwant:\n%s", b.String(), want)
	}
	b.Reset()
	if err := tl.ExportFuzzy(&b, FormatTLSH); err != nil {
		t.Fatal(err)
	}
	lines = strings.Split(tlshList, "\n")
	if want := "T1" + lines[1] + "\n" + lines[2] + "\n"; b.String() != want {
		t.Errorf("TLSH export:\n%s\nwant:\n%s", b.String(), want)
	}
	if err := tl.ExportFuzzy(&b, "md5sum"); err == nil {
		t.Error("a fuzzy set exported as md5sum")
	}

	sets := []*FuzzySet{ss, tl}
	q := "96:Bi2bIjzp7upNVZDrLpXmHJfJvX7dTaQkrkmZ4c3y5XtrQslUqlvP17/SVtJAm1ko:RI/p+XZDrsFJvX78Qkrj4c3O6sl331bU"
	alg, d, near, err := NearMatches(sets, q, 80, 40, 10)
	if err != nil || alg != FormatSSDeep || d != q || len(near) != 1 || near[0].Score != 100 ||
		near[0].Set != ss || near[0].Category != KnownBad || near[0].Name != "/tmp/r5k" {
		t.Errorf("ssdeep lookup: %s %s %+v %v", alg, d, near, err)
	}
	alg, d, near, err = NearMatches(sets, "8A52324BB4A925D29B06F47BF007903F422A6A26F7D73021772D72458B3B52F5EE8913", 80, 40, 10)
	if err != nil || alg != FormatTLSH || !strings.HasPrefix(d, "T18A52") || len(near) != 1 || near[0].Score != 0 || near[0].Set != tl {
		t.Errorf("TLSH lookup: %s %s %+v %v", alg, d, near, err)
	}
	if _, _, _, err := NearMatches(sets, "3:abc", 80, 40, 10); err == nil {
		t.Error("a malformed ssdeep digest looked up")
	}
	for q, want := range map[string]bool{q: true, "T1" + lines[1][:70]: true, "md5:44d88612fea8a8f36de82e1278abb02f": false, "44d88612fea8a8f36de82e1278abb02f": false, "3:abc": true} {
		if IsFuzzyDigest(q) != want {
			t.Errorf("IsFuzzyDigest(%q) = %v", q, !want)
		}
	}
}
