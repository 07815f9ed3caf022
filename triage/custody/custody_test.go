package custody

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func appendN(t *testing.T, dir string, n int) {
	t.Helper()
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for i := range n {
		_, err := Append(dir, Event{Action: ActionNote, Actor: "examiner", Host: "lab",
			Details: map[string]any{"text": "note <b>" + string(rune('a'+i)) + "</b>", "n": i, "zeta": true, "alpha": []any{1, "x"}}},
			Options{Now: func() time.Time { return clock.Add(time.Duration(i) * time.Second) }})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestChainVerifies(t *testing.T) {
	dir := t.TempDir()
	appendN(t, dir, 5)
	evs, head, err := Verify(dir)
	if err != nil || len(evs) != 5 {
		t.Fatalf("verify: %v (%d events)", err, len(evs))
	}
	raw, _ := os.ReadFile(filepath.Join(dir, FileName))
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	// Independent recomputation with the standard library only: prev is
	// the SHA-256 of the previous line's bytes, hash the SHA-256 of the
	// line without its hash member, keys sorted.
	prev := GenesisPrev
	for i, line := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		if m["prev"] != prev {
			t.Errorf("line %d prev %v, want %s", i+1, m["prev"], prev)
		}
		want := m["hash"]
		delete(m, "hash")
		b, _ := json.Marshal(m) // encoding/json sorts map keys
		b = bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<"))
		b = bytes.ReplaceAll(b, []byte(`\u003e`), []byte(">"))
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != want {
			t.Errorf("line %d: hash does not match an independent recomputation", i+1)
		}
		s := sha256.Sum256([]byte(line))
		prev = hex.EncodeToString(s[:])
	}
	if head != prev {
		t.Errorf("head %s, want %s", head, prev)
	}
	if evs[4].Seq != 5 || evs[0].Prev != GenesisPrev || evs[2].Time != "2026-01-02T03:04:07Z" {
		t.Errorf("events: %+v", evs[2])
	}
}

func TestTamperingIsFoundAtTheRightLine(t *testing.T) {
	dir := t.TempDir()
	appendN(t, dir, 6)
	p := filepath.Join(dir, FileName)
	orig, _ := os.ReadFile(p)
	lines := strings.SplitAfter(string(orig), "\n")
	tests := []struct {
		name string
		edit func() string
		line int
	}{
		{"flip a byte in line 3", func() string {
			b := []byte(orig)
			i := len(lines[0]) + len(lines[1]) + strings.Index(lines[2], "note")
			b[i] ^= 0x20
			return string(b)
		}, 3},
		{"delete line 2", func() string { return lines[0] + strings.Join(lines[2:], "") }, 2},
		{"swap lines 4 and 5", func() string {
			return strings.Join(lines[:3], "") + lines[4] + lines[3] + strings.Join(lines[5:], "")
		}, 4},
		{"re-encode line 1 with spaces", func() string {
			var m map[string]any
			json.Unmarshal([]byte(lines[0]), &m)
			b, _ := json.MarshalIndent(m, "", "")
			return strings.ReplaceAll(string(b), "\n", " ") + "\n" + strings.Join(lines[1:], "")
		}, 1},
		{"change the last line's hash consistently", func() string {
			var e Event
			json.Unmarshal([]byte(lines[5]), &e)
			e.Actor = "someone else"
			e.Hash, _ = EventHash(&e)
			b, _ := Canonical(&e, true)
			return strings.Join(lines[:5], "") + string(b) + "\n"
		}, 0}, // a consistent rewrite of the last line is only caught by the head anchor
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.WriteFile(p, []byte(tt.edit()), 0o644)
			_, head, err := Verify(dir)
			var ce *ChainError
			if tt.line == 0 {
				_, origHead, _ := VerifyReader(strings.NewReader(string(orig)))
				if err != nil || head == origHead {
					t.Errorf("err %v; head must differ from the anchored head", err)
				}
				return
			}
			if !errors.As(err, &ce) || ce.Line != tt.line {
				t.Errorf("got %v, want a break at line %d", err, tt.line)
			}
		})
	}
	os.WriteFile(p, orig, 0o644)
	// A damaged last line is never appended to.
	os.WriteFile(p, append(append([]byte{}, orig...), []byte("{garbage\n")...), 0o644)
	if _, err := Append(dir, Event{Action: ActionNote}, Options{}); err == nil {
		t.Error("appended after a damaged line")
	}
}

func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 10 {
				if _, err := Append(dir, Event{Action: ActionNote}, Options{}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	evs, _, err := Verify(dir)
	if err != nil || len(evs) != 80 {
		t.Fatalf("%v, %d events", err, len(evs))
	}
}
