package validate

import (
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/triagekit/triage/hashset"
	_ "github.com/triagekit/triage/hashset/nsrlsqlite" // HS-09 imports an RDSv3 database
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/image/container"
	"github.com/triagekit/triage/triage/mediahash"
)

// fatImage is the FAT12 volume of make_val.sh; lvmImage holds its bytes in
// an LVM2 logical volume, and fat-small.raw.001.. are its split segments.
const (
	fatImage = "fat-small.raw"
	lvmImage = "lvm-fat.raw"
)

// ewfverify is what `ewfverify -d sha1` printed for an E01 image: the
// hashes stored in the file and those it calculated over the data.
type ewfverify struct {
	stored, calculated map[string]string // "md5", "sha1" -> hex
	success            bool
}

// readEwfverify parses IMAGE.ewfverify.txt, recorded by make_val.sh.
func (e *env) readEwfverify(img string) (*ewfverify, error) {
	b, err := iofs.ReadFile(e.data, img+".ewfverify.txt")
	if err != nil {
		return nil, err
	}
	v := &ewfverify{stored: map[string]string{}, calculated: map[string]string{}}
	for _, l := range lines(b) {
		k, val, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		alg := strings.ToLower(strings.Fields(k + " x")[0])
		switch {
		case strings.HasSuffix(k, "hash stored in file"):
			v.stored[alg] = val
		case strings.HasSuffix(k, "hash calculated over data"):
			v.calculated[alg] = val
		case strings.HasPrefix(l, "ewfverify: SUCCESS"):
			v.success = true
		}
	}
	if len(v.stored) == 0 || len(v.calculated) == 0 || !v.success {
		return nil, fmt.Errorf("%s.ewfverify.txt does not record a successful verification with hashes", img)
	}
	return v, nil
}

// checkE01 compares the hashes an E01 image stores, as triage reads them,
// and the hashes of its media, as triage computes them, with those
// ewfverify printed. A split image's segments are all written first.
func checkE01(e *env, s *spec) (string, string, []string, error) {
	want, err := e.readEwfverify(s.image)
	if err != nil {
		return "", "", nil, err
	}
	p, err := e.segments(s.image)
	if err != nil {
		return "", "", nil, err
	}
	exp := fmt.Sprintf("stored MD5 %s SHA-1 %s; computed MD5 %s SHA-1 %s", want.stored["md5"], want.stored["sha1"], want.calculated["md5"], want.calculated["sha1"])
	img, err := image.Open(p)
	if err != nil {
		return exp, "", nil, err
	}
	stored := map[string]string{}
	for _, r := range mediahash.StoredReferences(img) {
		stored[r.Algorithm] = r.Value
	}
	img.Close()
	sums, err := rehashMedia(e, p)
	if err != nil {
		return exp, "", nil, err
	}
	act := fmt.Sprintf("stored MD5 %s SHA-1 %s; computed MD5 %s SHA-1 %s", stored["md5"], stored["sha1"], sums["md5"], sums["sha1"])
	var diffs []string
	for _, alg := range []string{"md5", "sha1"} {
		if stored[alg] != want.stored[alg] {
			diffs = append(diffs, fmt.Sprintf("stored %s %q, ewfverify read %s", alg, stored[alg], want.stored[alg]))
		}
		if sums[alg] != want.calculated[alg] {
			diffs = append(diffs, fmt.Sprintf("computed %s %s, ewfverify calculated %s", alg, sums[alg], want.calculated[alg]))
		}
	}
	return exp, act, diffs, nil
}

// segments writes every segment of a multi-file image (IMAGE, then
// IMAGE's name with the next extension: .E02, .E03 for an E01; .002, .003
// for a split raw .001) to the scratch folder, and returns the first's
// path.
func (e *env) segments(first string) (string, error) {
	p, err := e.imagePath(first)
	if err != nil {
		return "", err
	}
	ext := filepath.Ext(first)
	stem := strings.TrimSuffix(first, ext)
	if len(ext) != 4 {
		return p, nil
	}
	for n := 2; n < 100; n++ {
		next := fmt.Sprintf("%s%s%02d", stem, ext[:2], n)
		if _, err := iofs.Stat(e.data, next+".gz"); err != nil {
			if _, err := iofs.Stat(e.data, next); err != nil {
				break
			}
		}
		if _, err := e.imagePath(next); err != nil {
			return "", err
		}
	}
	return p, nil
}

// checkSplitRaw: the media of a split raw image is the concatenation of
// its segments, whose MD5 md5sum gave for the unsplit image.
func checkSplitRaw(e *env, s *spec) (string, string, []string, error) {
	b, err := iofs.ReadFile(e.data, fatImage+".md5")
	if err != nil {
		return "", "", nil, err
	}
	want, _, _ := strings.Cut(string(b), " ")
	p, err := e.segments(s.image)
	if err != nil {
		return "", "", nil, err
	}
	img, err := image.Open(p)
	if err != nil {
		return "", "", nil, err
	}
	nseg := 1
	if d, ok := img.(container.Describer); ok {
		nseg = len(d.Describe().Segments)
	}
	img.Close()
	exp := fmt.Sprintf("3 segments read as one image of media MD5 %s", want)
	sums, err := rehashMedia(e, p)
	if err != nil {
		return exp, "", nil, err
	}
	act := fmt.Sprintf("%d segments read as one image of media MD5 %s", nseg, sums["md5"])
	var diffs []string
	if sums["md5"] != want {
		diffs = append(diffs, "media MD5 differs from md5sum of the unsplit image")
	}
	if nseg != 3 {
		diffs = append(diffs, fmt.Sprintf("%d segments, expected 3", nseg))
	}
	return exp, act, diffs, nil
}

// checkNSRLv3: an NSRL RDSv3 database (SQLite) listing docs/report.txt of
// the FAT image is imported as known-good, and the file matches it.
func checkNSRLv3(e *env, s *spec) (string, string, []string, error) {
	const file = "/docs/report.txt"
	w, err := e.tsvFor(fatImage, file)
	if err != nil {
		return "", "", nil, err
	}
	db, err := e.imagePath(s.image)
	if err != nil {
		return "", "", nil, err
	}
	dir := filepath.Join(e.tmp, "hashsets-v3")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, err
	}
	lib := &hashset.Library{Dir: dir, NoBuiltin: true}
	if _, err := lib.Import(e.ctx, []string{db}, hashset.ImportOptions{Name: "nsrl-v3", Category: hashset.KnownGood, Format: "nsrl-sqlite", Workers: 1}); err != nil {
		return "", "", nil, err
	}
	set, err := lib.Open("nsrl-v3")
	if err != nil {
		return "", "", nil, err
	}
	defer set.Close()
	exp := fmt.Sprintf("%s (MD5 %s): known-good, set nsrl-v3; 2 MD5, 2 SHA-1, 2 SHA-256 imported", file, w.md5)
	recs, err := e.scanImage(fatImage)
	if err != nil {
		return exp, "", nil, err
	}
	m := hashset.NewMatcher([]*hashset.Set{set})
	for _, r := range recs {
		if r.Path == file && r.Stream == "" && r.MD5 != nil {
			st, sets := m.Match(*r.MD5, "", "")
			act := fmt.Sprintf("%s (MD5 %s): %s, set %s; %d MD5, %d SHA-1, %d SHA-256 imported", r.Path, *r.MD5, st, strings.Join(sets, ","),
				set.Counts["md5"], set.Counts["sha1"], set.Counts["sha256"])
			if act != exp {
				return exp, act, []string{"the file does not match the imported RDSv3 set as expected"}, nil
			}
			return exp, act, nil, nil
		}
	}
	return exp, "", []string{file + " not reported"}, nil
}
