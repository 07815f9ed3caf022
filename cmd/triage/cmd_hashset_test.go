package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidateHashsetImport(t *testing.T) {
	tests := []struct {
		name string
		opts HashsetImportOptions
		args []string
		want string // error substring, "" for none
	}{
		{"ok", HashsetImportOptions{Name: "a", Category: "known-bad", Format: "auto"}, []string{"f"}, ""},
		{"alias", HashsetImportOptions{Name: "a", Category: "known-good", Format: "SHA256SUM"}, []string{"f"}, ""},
		{"no-name", HashsetImportOptions{Category: "known-bad"}, []string{"f"}, "--name is required"},
		{"bad-name", HashsetImportOptions{Name: "../x", Category: "known-bad"}, []string{"f"}, "invalid set name"},
		{"no-category", HashsetImportOptions{Name: "a"}, []string{"f"}, "--category is required"},
		{"bad-category", HashsetImportOptions{Name: "a", Category: "good"}, []string{"f"}, `--category "good"`},
		{"bad-format", HashsetImportOptions{Name: "a", Category: "notable", Format: "xml"}, []string{"f"}, `--format "xml"`},
		{"workers", HashsetImportOptions{Name: "a", Category: "notable", Workers: -1}, []string{"f"}, "--workers"},
		{"empty-arg", HashsetImportOptions{Name: "a", Category: "notable"}, []string{""}, "empty FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.opts
			err := validateHashsetImport(&o, tt.args)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

func TestHashsetImportFlagParsing(t *testing.T) {
	var got *HashsetImportOptions
	var gotArgs []string
	g := &globalOptions{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}
	cmd := newHashsetImportCommand(g, &HashsetOptions{}, func(o *HashsetImportOptions, args []string) error { got, gotArgs = o, args; return nil })
	cmd.SetArgs([]string{"a.md5", "b.md5", "--name", "n", "--category", "notable", "--format", "rdsv3", "--replace", "--description", "d"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "n" || got.Category != "notable" || got.Format != "nsrl-sqlite" || !got.Replace || got.Description != "d" || len(gotArgs) != 2 {
		t.Errorf("parsed %+v %v", got, gotArgs)
	}
}

// TestHashsetDamagedIndex: a truncated index is refused by list, lookup and
// scan with a clear message and a non-zero exit status.
func TestHashsetDamagedIndex(t *testing.T) {
	lib := t.TempDir()
	t.Setenv("TRIAGE_HASHSET_DIR", lib)
	src := filepath.Join(t.TempDir(), "s.md5")
	os.WriteFile(src, []byte("0bee89b07a248e27c83fc3d5951213c1  abc.txt\n"), 0o644)
	var out, errb bytes.Buffer
	if st := run([]string{"hashset", "import", src, "--name", "s", "--category", "known-bad", "-q"}, nil, &out, &errb); st != 0 {
		t.Fatalf("import: %d %s", st, errb.String())
	}
	p := filepath.Join(lib, "s.tset")
	b, _ := os.ReadFile(p)
	os.WriteFile(p, b[:len(b)-10], 0o644)
	ev := t.TempDir()
	os.WriteFile(filepath.Join(ev, "a"), []byte("abc\n"), 0o644)
	for _, args := range [][]string{
		{"hashset", "list"},
		{"hashset", "lookup", "0bee89b07a248e27c83fc3d5951213c1"},
		{"hashset", "info", "s"},
		{"scan", ev, "--case", filepath.Join(t.TempDir(), "c"), "-q"},
	} {
		out.Reset()
		errb.Reset()
		if st := run(args, nil, &out, &errb); st != 1 {
			t.Errorf("%v: status %d, want 1; stderr %s", args, st, errb.String())
		}
		if !strings.Contains(errb.String(), "index is truncated or corrupted") {
			t.Errorf("%v: stderr %q", args, errb.String())
		}
	}
	// naming other sets still works
	out.Reset()
	if st := run([]string{"hashset", "lookup", "--hashset", "eicar", "44d88612fea8a8f36de82e1278abb02f"}, nil, &out, &errb); st != 0 || !strings.Contains(out.String(), "known-bad  eicar") {
		t.Errorf("lookup in eicar: %d %q", st, out.String())
	}
}
