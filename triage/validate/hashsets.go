package validate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
)

// The files of ntfs-basic.raw the hash-set cases look up, with their MD5
// and size as fls/icat and md5sum give them (ntfs-basic.raw.expected.tsv).
const (
	hsImage = "ntfs-basic.raw"
	hsFile  = "/docs/report.txt"
)

// hashSetText writes a one-entry hash set in each text format for a file
// of that MD5, size and name, following the layout of the format's
// publisher (md5sum, hashdeep's header, HashKeeper's columns, the NSRL
// RDS 2.x NSRLFile.txt columns, VICS 2.0 Media JSON).
func hashSetText(format, md5, name string, size int64) string {
	base := name[strings.LastIndex(name, "/")+1:]
	up := strings.ToUpper(md5)
	switch format {
	case "md5sum":
		return fmt.Sprintf("%s  .%s\n", md5, name)
	case "hashdeep":
		return fmt.Sprintf("%%%%%%%% HASHDEEP-1.0\n%%%%%%%% size,md5,filename\n## Invoked from: /evidence\n## $ hashdeep -c md5 -r -l .\n##\n%d,%s,.%s\n", size, md5, name)
	case "plain":
		return "# MD5 Hash\n" + md5 + "\n"
	case "csv":
		return fmt.Sprintf("FileName,MD5,Size\n%q,%s,%d\n", strings.TrimPrefix(name, "/"), md5, size)
	case "nsrl-txt":
		return "\"SHA-1\",\"MD5\",\"CRC32\",\"FileName\",\"FileSize\",\"ProductCode\",\"OpSystemCode\",\"SpecialCode\"\n" +
			fmt.Sprintf("\"%s\",\"%s\",\"00000000\",\"%s\",%d,1234,\"358\",\"\"\n", strings.Repeat("0", 40), up, base, size)
	case "hashkeeper":
		return "\"file_id\",\"hashset_id\",\"file_name\",\"directory\",\"hash\",\"file_size\",\"date_modified\",\"time_modified\",\"time_zone\",\"comments\",\"date_accessed\",\"time_accessed\"\n" +
			fmt.Sprintf("1,671,\"%s\",,\"%s\",%d,,,,,,\n", base, up, size)
	case "vics":
		b, _ := json.Marshal(map[string]any{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",
			"value": []any{map[string]any{"MediaID": 1, "Category": 1, "MD5": up, "MediaSize": size, "MediaFiles": []any{map[string]any{"FileName": base}}}}})
		return string(b)
	}
	return ""
}

// tsvFor returns the recorded stream of path in the image's expected.tsv.
func (e *env) tsvFor(image, path string) (tsvRow, error) {
	rows, err := e.readTSV(image)
	if err != nil {
		return tsvRow{}, err
	}
	for _, r := range rows {
		if r.path == path {
			return r, nil
		}
	}
	return tsvRow{}, fmt.Errorf("%s.expected.tsv has no %s", image, path)
}

// importSet imports one hash-set file into a scratch library.
func (e *env) importSet(name, category, format, text string) (*hashset.Set, error) {
	dir := filepath.Join(e.tmp, "hashsets")
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		return nil, err
	}
	src := filepath.Join(dir, "src", name+".txt")
	if err := os.WriteFile(src, []byte(text), 0o644); err != nil {
		return nil, err
	}
	lib := &hashset.Library{Dir: filepath.Join(dir, "lib"), NoBuiltin: true}
	if _, err := lib.Import(e.ctx, []string{src}, hashset.ImportOptions{Name: name, Category: category, Format: format, Workers: 1}); err != nil {
		return nil, err
	}
	return lib.Open(name)
}

// hashSetFormat: a set in FORMAT listing the MD5 of hsFile is imported as
// known-bad, and the file scanned from the image matches it.
func hashSetFormat(format string) func(*env, *spec) (string, string, []string, error) {
	return func(e *env, s *spec) (string, string, []string, error) {
		w, err := e.tsvFor(hsImage, hsFile)
		if err != nil {
			return "", "", nil, err
		}
		set, err := e.importSet("fmt-"+format, hashset.KnownBad, format, hashSetText(format, w.md5, hsFile, w.size))
		if err != nil {
			return "", "", nil, err
		}
		defer set.Close()
		recs, err := e.scanImage(hsImage)
		if err != nil {
			return "", "", nil, err
		}
		exp := fmt.Sprintf("%s (MD5 %s): known-bad, set fmt-%s; 1 entry imported", hsFile, w.md5, format)
		if n := set.Counts["md5"]; n != 1 {
			return exp, "", []string{fmt.Sprintf("%d MD5 digests imported", n)}, nil
		}
		m := hashset.NewMatcher([]*hashset.Set{set})
		for _, r := range recs {
			if r.Path == hsFile && r.Stream == "" && r.MD5 != nil {
				st, sets := m.Match(*r.MD5, "", "")
				act := fmt.Sprintf("%s (MD5 %s): %s, set %s; 1 entry imported", r.Path, *r.MD5, st, strings.Join(sets, ","))
				if act != exp {
					return exp, act, []string{"the file does not match the imported set as expected"}, nil
				}
				return exp, act, nil, nil
			}
		}
		return exp, "", []string{hsFile + " not reported"}, nil
	}
}

// checkStatuses scans the image with a known-bad, a notable and a
// known-good set and checks each status and the precedence.
func checkStatuses(e *env, s *spec) (string, string, []string, error) {
	md5Of := map[string]string{}
	for _, p := range []string{"/hello.txt", "/docs/ads.txt", "/docs/report.txt"} {
		w, err := e.tsvFor(hsImage, p)
		if err != nil {
			return "", "", nil, err
		}
		md5Of[p] = w.md5
	}
	var sets []*hashset.Set
	defer func() {
		for _, s := range sets {
			s.Close()
		}
	}()
	for _, x := range []struct{ name, cat, text string }{
		{"bad", hashset.KnownBad, md5Of["/hello.txt"] + "\n"},
		{"notable", hashset.Notable, md5Of["/docs/ads.txt"] + "\n"},
		{"good", hashset.KnownGood, md5Of["/docs/report.txt"] + "\n" + md5Of["/hello.txt"] + "\n"},
	} {
		set, err := e.importSet("status-"+x.name, x.cat, "plain", x.text)
		if err != nil {
			return "", "", nil, err
		}
		sets = append(sets, set)
	}
	p, err := e.imagePath(hsImage)
	if err != nil {
		return "", "", nil, err
	}
	src, err := triage.OpenSourceWith(p, triage.SourceOptions{As: triage.AsImage})
	if err != nil {
		return "", "", nil, err
	}
	defer src.Close()
	c, _, err := casedb.OpenOrCreate(filepath.Join(e.tmp, "case-status"))
	if err != nil {
		return "", "", nil, err
	}
	defer c.Close()
	var buf bytes.Buffer
	m := hashset.NewMatcher(sets)
	if _, err := triage.Scan(e.ctx, c, src, triage.Options{JSONL: &buf, Workers: 2, Matcher: matcher{m}}); err != nil {
		return "", "", nil, err
	}
	want := []string{"/hello.txt known-bad [status-bad status-good]", "/docs/ads.txt notable [status-notable]",
		"/docs/report.txt known-good [status-good]", "/sparse.bin unknown []"}
	got := map[string]string{}
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var r struct {
			Path     string   `json:"path"`
			Stream   string   `json:"stream"`
			Status   string   `json:"status"`
			Hashsets []string `json:"hashsets"`
		}
		if err := dec.Decode(&r); err != nil {
			return "", "", nil, err
		}
		if r.Stream == "" {
			got[r.Path] = fmt.Sprintf("%s %s %v", r.Path, r.Status, r.Hashsets)
		}
	}
	var act, diffs []string
	for _, w := range want {
		p, _, _ := strings.Cut(w, " ")
		act = append(act, got[p])
		if got[p] != w {
			diffs = append(diffs, fmt.Sprintf("%s: %q, expected %q", p, got[p], w))
		}
	}
	return strings.Join(want, "; "), strings.Join(act, "; "), diffs, nil
}

// matcher adapts a hashset.Matcher to the scan engine.
type matcher struct{ m *hashset.Matcher }

func (s matcher) Match(d triage.Digests) (string, []string, error) {
	return s.m.Find(d.MD5, d.SHA1, d.SHA256)
}
