package casedb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// TestSealEncoding: the seal's records digest is the documented canonical
// encoding, one encoding/json array per record, also for names and messages
// that encoding/json escapes (markup, quotes, control characters, invalid
// UTF-8, non-ASCII), empty and several hash sets, and NULL digests.
func TestSealEncoding(t *testing.T) {
	c, _, err := OpenOrCreate(filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	id, err := c.AddEvidence(ctx, &Evidence{Source: "/ev", Type: "folder", State: StateRunning, StartedAt: time.Now(),
		CommandLine: []string{"triage"}, HashAlgorithms: []string{"md5"}})
	if err != nil {
		t.Fatal(err)
	}
	run := &Run{EvidenceID: id, StartedAt: time.Now()}
	c.StartRun(ctx, run)
	w := c.NewWriter(id, run.ID)
	recs := []*FileRecord{
		{Key: "1", Path: "/plain.txt", Type: TypeFile, Size: 3, MD5: "aa", SHA1: "bb", SHA256: "cc", Status: StatusUnknown, Complete: true},
		{Key: "2\xff", Path: "/<script>&\"q\"\\", Type: TypeFile, Stream: "Zone.Identifier<\x01>", Status: StatusKnownBad,
			Hashsets: []string{"b<&>", "a"}, Deleted: true, Error: "bad \x7f byte \xff at é\u2028", ExtensionMismatch: true},
		{Key: "3", Path: "/dir", Type: TypeDir, Status: StatusUnknown, Complete: true, Hashsets: []string{}},
		{Key: "4", Path: "/ads", Type: TypeFile, Stream: "a<b>&c", Status: StatusUnknown, Error: `say "hi" \ back`},
	}
	for _, r := range recs {
		if err := w.AddFile(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// The reference: what the encoding documented on SealEvidence gives,
	// computed with encoding/json over the records as read back.
	h := sha256.New()
	n := 0
	err = c.Files(ctx, FileFilter{EvidenceID: id}, func(r *FileRecord) error {
		line, err := json.Marshal([]any{hex.EncodeToString([]byte(r.Key)), hex.EncodeToString([]byte(r.Path)), r.Stream, r.Type, r.Size,
			r.MD5, r.SHA1, r.SHA256, r.BLAKE3, r.Status, r.Hashsets, r.Deleted, r.Complete, r.ExtensionMismatch, r.Error})
		h.Write(append(line, '\n'))
		n++
		return err
	})
	if err != nil || n != len(recs) {
		t.Fatalf("read back %d records: %v", n, err)
	}
	s, err := c.SealEvidence(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(h.Sum(nil)); s.RecordsSHA256 != want || s.Records != 4 || s.Statuses[StatusKnownBad] != 1 {
		t.Errorf("seal %+v, want records digest %s", s, want)
	}
}

// TestWriterSeal: the records' seal a writer makes as it inserts is the
// seal read back from the case (SealEvidence), for the records of
// TestSealEncoding and more; records it did not write, or discarded, make
// SealEvidenceWith read them back.
func TestWriterSeal(t *testing.T) {
	c, _, err := OpenOrCreate(filepath.Join(t.TempDir(), "c"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	item := func() (int64, *Run) {
		id, err := c.AddEvidence(ctx, &Evidence{Source: "/ev" + time.Now().String(), Type: "folder", State: StateRunning,
			StartedAt: time.Now(), CommandLine: []string{"triage"}, HashAlgorithms: []string{"md5"}})
		if err != nil {
			t.Fatal(err)
		}
		run := &Run{EvidenceID: id, StartedAt: time.Now()}
		if _, err := c.StartRun(ctx, run); err != nil {
			t.Fatal(err)
		}
		return id, run
	}
	recs := func(prefix string) []*FileRecord {
		ent := 7.5
		return []*FileRecord{
			{Key: prefix + "1", Path: "/plain.txt", Type: TypeFile, Size: 3, MD5: "aa", SHA1: "bb", SHA256: "cc", Status: StatusUnknown, Complete: true, Entropy: &ent},
			{Key: prefix + "2\xff", Path: "/<script>&\"q\"\\", Type: TypeFile, Stream: "Zone.Identifier<\x01>", Status: StatusKnownBad,
				Hashsets: []string{"b<&>", "a"}, Deleted: true, Error: "bad \x7f byte \xff at é\u2028", ExtensionMismatch: true},
			{Key: prefix + "3", Path: "/dir", Type: TypeDir, Complete: true, Hashsets: []string{}},
			{Key: prefix + "4", Path: "/ads\x00é", Type: TypeFile, Stream: "a<b>&c", Status: StatusNotable, Error: `say "hi" \ back`,
				BLAKE3: "dd", Extra: map[string]any{"recovered": "yes"}},
			{Key: prefix, Path: "", Type: TypeFile, Status: StatusKnownGood, Hashsets: []string{"nsrl"}, Complete: true},
		}
	}
	check := func(id int64, rs *RecordsSeal, want string) {
		t.Helper()
		got, err := c.SealEvidenceWith(ctx, id, rs)
		if err != nil {
			t.Fatal(err)
		}
		read, err := c.SealEvidence(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Compare(read) != "" || got.RecordsSHA256 != read.RecordsSHA256 || got.ErrorsSHA256 != read.ErrorsSHA256 {
			t.Errorf("%s: writer's seal %+v, read back %+v", want, got, read)
		}
	}

	// Many batches, with errors between the records.
	id, run := item()
	w := c.NewWriter(id, run.ID)
	w.BatchSize = 7
	w.SealRecords()
	for i := range 40 {
		for _, r := range recs(fmt.Sprint(i, "/")) {
			if err := w.AddFile(r); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.AddError("/x", int64(i), "problem", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	rs := w.RecordsSeal()
	if rs == nil || rs.records != 200 {
		t.Fatalf("writer's seal %+v, want 200 records", rs)
	}
	check(id, rs, "written")

	// Another writer adds records: the seal is read back.
	w2 := c.NewWriter(id, run.ID)
	if err := w2.AddFile(recs("more/")[0]); err != nil {
		t.Fatal(err)
	}
	if err := w2.Commit(); err != nil {
		t.Fatal(err)
	}
	check(id, rs, "records of another writer")
	// The item's totals count them too: the writer's count no longer
	// matches the case's.
	if err := c.FinishRunWith(run.ID, id, StateComplete, 0, 0, 0, time.Now(), rs); err != nil {
		t.Fatal(err)
	}
	items, err := c.EvidenceItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range items {
		if ev.ID == id && (ev.Files != 201 || ev.Bytes != 40*3+3) {
			t.Errorf("item totals %d records, %d bytes; want 201, %d", ev.Files, ev.Bytes, 40*3+3)
		}
	}

	// Discarded records: no writer's seal.
	id, run = item()
	w = c.NewWriter(id, run.ID)
	w.SealRecords()
	for _, r := range recs("a/") {
		w.AddFile(r)
	}
	w.Commit()
	for _, r := range recs("b/") {
		w.AddFile(r)
	}
	w.Abort()
	if rs := w.RecordsSeal(); rs != nil {
		t.Fatalf("writer's seal after Abort: %+v", rs)
	}
	check(id, nil, "aborted")
}
