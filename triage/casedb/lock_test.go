package casedb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// One writer per case: a second open for writing fails at once, naming the
// process that holds the case, and succeeds once the first is closed.
func TestOneWriterPerCase(t *testing.T) {
	dir := t.TempDir() + "/case"
	c, created, err := OpenOrCreate(dir)
	if err != nil || !created {
		t.Fatal(err)
	}
	for _, open := range []func() error{
		func() error { c, _, err := OpenOrCreate(dir); closeIf(c); return err },
		func() error { c, err := OpenWriter(dir); closeIf(c); return err },
	} {
		err := open()
		var iu *InUseError
		if !errors.As(err, &iu) || !errors.Is(err, ErrInUse) || iu.PID != os.Getpid() ||
			!strings.Contains(err.Error(), fmt.Sprintf("in use by PID %d", os.Getpid())) {
			t.Errorf("second writer: %v", err)
		}
	}
	// Readers are not locked out.
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	c.Close()
	c2, err := OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

func closeIf(c *Case) {
	if c != nil {
		c.Close()
	}
}

// A run left `running` by a crashed process is `interrupted` once a writer
// holds the case.
func TestCrashedRunIsEnded(t *testing.T) {
	dir := t.TempDir()
	c, _, err := OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ev := &Evidence{Source: "/src", Type: "folder", State: StateRunning, StartedAt: time.Now()}
	if _, err := c.AddEvidence(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartRun(ctx, &Run{EvidenceID: ev.ID, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c.Close() // the process "crashed": nothing finished the run
	c, err = OpenWriter(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got, err := c.FindEvidence(ctx, "/src")
	if err != nil || got.State != StateInterrupted {
		t.Fatalf("evidence %+v, %v", got, err)
	}
	var running int
	if err := c.db.QueryRow(`SELECT count(*) FROM runs WHERE state = ?`, StateRunning).Scan(&running); err != nil || running != 0 {
		t.Errorf("%d runs still running (%v)", running, err)
	}
}
