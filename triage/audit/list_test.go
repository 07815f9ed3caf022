package audit

import (
	"errors"
	"strings"
	"testing"
)

// Lists as md5sum, sha256sum, hashdeep 4.4 and hashdeep -d (DFXML) write
// them for two files holding "a\n" and "b\n".
var (
	md5sumList    = "60b725f10c9c85c70d97880dfe8191b3  u/a\n3b5d5c3712955042212316173ccf37be *u/b\n"
	sha256sumList = "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7  u/a\n"
	hashdeepList  = `%%%% HASHDEEP-1.0
%%%% size,md5,sha256,filename
## Invoked from: /tmp
## # hashdeep -r -l u
## 
2,3b5d5c3712955042212316173ccf37be,0263829989b6fd954f72baaf2fc64bc2e2f01d692d4de72986ea808f6e99813f,u/b
2,60b725f10c9c85c70d97880dfe8191b3,87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7,u/a,with,commas
`
	dfxmlList = `<?xml version='1.0' encoding='UTF-8'?>
<dfxml xmlns='http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML' xmlns:deep='http://md5deep.sourceforge.net/md5deep/' version='1.0'>
  <deep:configuration><algorithms><algorithm name='md5' enabled='1'/></algorithms></deep:configuration>
  <fileobject>
    <filename>u/b</filename>
    <filesize>2</filesize>
    <mtime>2026-11-30T19:30:01Z</mtime>
    <hashdigest type='MD5'>3b5d5c3712955042212316173ccf37be</hashdigest>
    <hashdigest type='SHA256'>0263829989b6fd954f72baaf2fc64bc2e2f01d692d4de72986ea808f6e99813f</hashdigest>
  </fileobject>
</dfxml>
`
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		name, list, format string
		algs               string
		files              int
		first              Known
	}{
		{"md5sum", md5sumList, FormatSum, "md5", 2, Known{Name: "u/a", Size: -1}},
		{"sha256sum", sha256sumList, FormatSum, "sha256", 1, Known{Name: "u/a", Size: -1}},
		{"hashdeep", hashdeepList, FormatHashdeep, "md5,sha256", 2, Known{Name: "u/b", Size: 2}},
		{"dfxml", dfxmlList, FormatDFXML, "md5,sha256", 1, Known{Name: "u/b", Size: 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(tt.list))
			if err != nil {
				t.Fatal(err)
			}
			if l.Format != tt.format || strings.Join(l.Algorithms, ",") != tt.algs || len(l.Files) != tt.files {
				t.Fatalf("format %s, algorithms %v, %d files", l.Format, l.Algorithms, len(l.Files))
			}
			if f := l.Files[0]; f.Name != tt.first.Name || f.Size != tt.first.Size {
				t.Errorf("first file %+v", f)
			}
		})
	}
	l, _ := Parse(strings.NewReader(hashdeepList))
	if l.Files[1].Name != "u/a,with,commas" {
		t.Errorf("name with commas: %q", l.Files[1].Name)
	}
}

func TestParseBad(t *testing.T) {
	for _, tt := range []struct{ name, list, want string }{
		{"empty", "", "not recognised"},
		{"text", "hello world\n", "not recognised"},
		{"json", `{"md5":"60b725f10c9c85c70d97880dfe8191b3"}`, "not recognised"},
		{"sum-then-junk", md5sumList + "junk\n", "at byte 0x4c"},
		{"mixed-algorithms", md5sumList + sha256sumList, "sha256 digest in a list of md5 digests at byte 0x4c"},
		{"hashdeep-short-line", "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n2,abc\n", "has 2 columns, want 3 at byte 0x29"},
		{"hashdeep-bad-digest", "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n2,zz,a\n", "bad md5 digest"},
		{"hashdeep-no-columns", "%%%% HASHDEEP-1.0\n2,abc,a\n", "before the column line"},
		{"dfxml-broken", "<?xml version='1.0'?><dfxml><fileobject><filename>a</fileobject>", "bad DFXML"},
		{"long-line", "60b725f10c9c85c70d97880dfe8191b3  " + strings.Repeat("x", MaxLine) + "\n", "line longer than"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.list))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			if tt.want == "not recognised" && !errors.Is(err, ErrUnknownFormat) {
				t.Errorf("not ErrUnknownFormat: %v", err)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	l, _ := Parse(strings.NewReader(hashdeepList))
	a := New(l)
	a_ := map[string]string{"md5": "60b725f10c9c85c70d97880dfe8191b3", "sha256": "87428fc522803d31065e7bce3cf03fe475096631e5e07bbd7a0fde60c4cf25c7"}
	if r := a.Check("u/a,with,commas", a_); r.Status != Matched {
		t.Errorf("same name: %v", r)
	}
	if r := a.Check("elsewhere", a_); r.Status != Moved || r.String() != "elsewhere: Moved from u/a,with,commas" {
		t.Errorf("moved: %v", r)
	}
	half := map[string]string{"md5": "3b5d5c3712955042212316173ccf37be", "sha256": strings.Repeat("0", 64)}
	if r := a.Check("u/b", half); r.Status != Partial {
		t.Errorf("partial: %v", r)
	}
	if r := a.Check("new", map[string]string{"md5": strings.Repeat("1", 32)}); r.Status != NoMatch {
		t.Errorf("new: %v", r)
	}
	s := a.Summary()
	if s != (Summary{Examined: 4, Expecting: 2, Matched: 1, Partial: 1, Moved: 1, New: 1}) || s.Passed() {
		t.Errorf("summary %+v", s)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{md5sumList, sha256sumList, hashdeepList, dfxmlList, "\\60b725f10c9c85c70d97880dfe8191b3  a\\nb\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			return
		}
		a := New(l)
		for _, k := range l.Files {
			a.Check(k.Name, k.Hashes)
		}
		if s := a.Summary(); s.New != 0 {
			t.Fatalf("the list's own files are not all found: %+v", s)
		}
	})
}
