package casedb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenOrCreateRefusesForeignDirectories(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "evidence.txt"), []byte("x"), 0o644)
	if _, _, err := OpenOrCreate(dir); !errors.Is(err, ErrNotCase) {
		t.Errorf("non-empty folder accepted as a case: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, DBName)); err == nil {
		t.Error("case.db written into a foreign folder")
	}
	if _, err := Open(t.TempDir()); !errors.Is(err, ErrNotCase) {
		t.Errorf("empty folder opened as a case: %v", err)
	}
	// An SQLite database of another application.
	other := t.TempDir()
	db, _ := sql.Open("sqlite", filepath.Join(other, DBName))
	db.Exec(`CREATE TABLE x(y)`)
	db.Close()
	if _, err := Open(other); !errors.Is(err, ErrNotCase) {
		t.Errorf("foreign database opened: %v", err)
	}
	// A file that is not a database at all.
	junk := t.TempDir()
	os.WriteFile(filepath.Join(junk, DBName), []byte("not sqlite at all, just text"), 0o644)
	if _, err := Open(junk); err == nil {
		t.Error("junk case.db opened")
	}
}

func TestSchemaVersionIsChecked(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c, created, err := OpenOrCreate(dir)
	if err != nil || !created {
		t.Fatal(err)
	}
	v, _ := c.Meta(context.Background(), "schema_version")
	if v != fmt.Sprint(SchemaVersion) {
		t.Errorf("schema_version %q", v)
	}
	c.db.Exec(`PRAGMA user_version = 99`)
	c.Close()
	if _, err := Open(dir); !errors.Is(err, ErrSchema) {
		t.Errorf("future schema opened: %v", err)
	}
}

func TestRecordRoundTrip(t *testing.T) {
	c, _, err := OpenOrCreate(filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ev := &Evidence{Source: "/ev\xffidence", Type: "folder", State: StateRunning, StartedAt: time.Now(),
		CommandLine: []string{"triage", "scan"}, HashAlgorithms: []string{"md5"}}
	id, err := c.AddEvidence(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	run := &Run{EvidenceID: id, StartedAt: time.Now()}
	c.StartRun(ctx, run)
	w := c.NewWriter(id, run.ID)
	ino, vol, ent := uint64(42), 2, 7.5
	mt := time.Date(2020, 1, 2, 3, 4, 5, 123456700, time.UTC)
	in := &FileRecord{Evidence: id, Key: "k\xff", Path: "/a\xff/b\nc", Type: TypeFile, Size: 9, MD5: "aa", SHA1: "bb",
		SHA256: "cc", MIME: "text/plain", Extension: "c", ExtensionMismatch: true, Entropy: &ent, Deleted: true,
		Stream: "Zone.Identifier", Inode: &ino, Volume: &vol, Mtime: mt, Status: StatusKnownBad,
		Hashsets: []string{"x"}, Complete: false, Error: "boom", Extra: map[string]any{"fn_mtime": "2020"}}
	if err := w.AddFile(in); err != nil {
		t.Fatal(err)
	}
	w.Commit()
	var out *FileRecord
	c.Files(ctx, FileFilter{EvidenceID: id}, func(r *FileRecord) error { out = r; return nil })
	a, _ := json.Marshal(in)
	b, _ := json.Marshal(out)
	if string(a) != string(b) {
		t.Errorf("round trip:\n in %s\nout %s", a, b)
	}
	got, _ := c.FindEvidence(ctx, "/ev\xffidence")
	if got == nil || got.ID != id {
		t.Errorf("FindEvidence with raw bytes: %+v", got)
	}
}

func TestJSONContract(t *testing.T) {
	dir := &FileRecord{Evidence: 1, Key: "/d", Path: "/d", Type: TypeDir, Complete: true}
	b, _ := json.Marshal(dir)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"md5", "sha1", "sha256", "mime", "entropy", "inode", "volume", "mtime", "error"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("folder %s = %v, want null", k, v)
		}
	}
	if m["status"] != "unknown" || fmt.Sprint(m["hashsets"]) != "[]" || m["deleted"] != false || m["stream"] != "" {
		t.Errorf("defaults: %s", b)
	}
	if _, ok := m["name_bytes_b64"]; ok {
		t.Error("name_bytes_b64 present for a valid UTF-8 name")
	}
	bad := &FileRecord{Path: "/x\xff\n<y>", Type: TypeFile}
	b, _ = json.Marshal(bad)
	if !strings.Contains(string(b), `"name_bytes_b64":"L3j/Cjx5Pg=="`) || !strings.Contains(string(b), `\n\u003cy\u003e`) {
		t.Errorf("invalid UTF-8 name: %s", b)
	}
	tm := &FileRecord{Path: "/t", Mtime: time.Date(2021, 1, 1, 13, 37, 0, 0, time.FixedZone("x", 3600))}
	b, _ = json.Marshal(tm)
	if !strings.Contains(string(b), `"mtime":"2021-01-01T12:37:00Z"`) {
		t.Errorf("time not UTC RFC 3339: %s", b)
	}
}

// TestDiskFullLeavesCaseConsistent fills the database (SQLite's
// max_page_count gives the same SQLITE_FULL a full disk gives) and checks
// that the writer fails cleanly and every committed record survives.
func TestDiskFullLeavesCaseConsistent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c, _, err := OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	id, _ := c.AddEvidence(ctx, &Evidence{Source: "/e", Type: "folder", State: StateRunning, StartedAt: time.Now(), HashAlgorithms: []string{"md5"}})
	run := &Run{EvidenceID: id, StartedAt: time.Now()}
	c.StartRun(ctx, run)
	c.db.SetMaxOpenConns(1) // one connection, so the pragma below applies to the writer
	var pages int
	c.db.QueryRow(`PRAGMA page_count`).Scan(&pages)
	if _, err := c.db.Exec(fmt.Sprintf(`PRAGMA max_page_count = %d`, pages+40)); err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(id, run.ID)
	w.BatchSize = 50
	var werr error
	written := 0
	for i := 0; i < 100000 && werr == nil; i++ {
		werr = w.AddFile(&FileRecord{Key: fmt.Sprint(i), Path: fmt.Sprintf("/%06d-%s", i, strings.Repeat("n", 100)), Type: TypeFile, Complete: true})
		if werr == nil && w.Pending() == 0 {
			written = i + 1
		}
	}
	if werr == nil || !strings.Contains(werr.Error(), "full") {
		t.Fatalf("expected a full-database error, got %v", werr)
	}
	w.Abort()
	c.Close()

	c, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var check string
	c.db.QueryRow(`PRAGMA integrity_check`).Scan(&check)
	if check != "ok" {
		t.Errorf("integrity_check: %s", check)
	}
	var n int
	c.db.QueryRow(`SELECT count(*) FROM files`).Scan(&n)
	if n != written || n == 0 {
		t.Errorf("%d records survive, %d were committed", n, written)
	}
}

// TestWriterCheckpointsLate checks that the records of a scan stay in the
// write-ahead log until it holds walCheckpointPages pages: SQLite's default
// (1,000 pages, 4 MB) copied the log into case.db, reading it back, every
// few batches.
func TestWriterCheckpointsLate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "c")
	c, _, err := OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	ev := &Evidence{Source: "/disk.raw", Type: "raw", State: StateRunning, StartedAt: time.Now()}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	run := &Run{EvidenceID: ev.ID, StartedAt: time.Now()}
	if _, err := c.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(filepath.Join(dir, DBName))
	if err != nil {
		t.Fatal(err)
	}
	w := c.NewWriter(ev.ID, run.ID)
	// 12,000 records of about 500 bytes, committed 2,000 at a time: some
	// 6 MB of pages, past SQLite's default checkpoint.
	for i := range 12000 {
		r := &FileRecord{Evidence: ev.ID, Key: fmt.Sprintf("v0/%d", i), Path: fmt.Sprintf("/d%03d/f%06d.bin", i%100, i),
			Type: TypeFile, Size: int64(i), MD5: strings.Repeat("a", 32), SHA1: strings.Repeat("b", 40),
			SHA256: strings.Repeat("c", 64), Extra: map[string]any{"pad": strings.Repeat("x", 200)}, Complete: true}
		if err := w.AddFile(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	wal, err := os.Stat(filepath.Join(dir, DBName+"-wal"))
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(filepath.Join(dir, DBName))
	if err != nil {
		t.Fatal(err)
	}
	if wal.Size() < 5<<20 {
		t.Fatalf("the log holds %d bytes after 12,000 records, want more than 5 MiB", wal.Size())
	}
	if after.Size() != before.Size() {
		t.Errorf("case.db grew from %d to %d bytes: the log (%d bytes) was checkpointed before %d pages", before.Size(), after.Size(), wal.Size(), walCheckpointPages)
	}
	var n int
	if err := c.db.QueryRow(`SELECT count(*) FROM files`).Scan(&n); err != nil || n != 12000 {
		t.Errorf("%d records, %v; want 12000", n, err)
	}
}
