package lvm_test

import (
	"bytes"
	"fmt"

	"github.com/triagekit/triage/internal/lvmtest"
	"github.com/triagekit/triage/triage/volume/lvm"
)

// Read a physical volume and map its linear logical volumes; the others
// say which segment type keeps them from being read.
func ExampleRead() {
	b := lvmtest.Fixture(nil)
	pv, err := lvm.Read(bytes.NewReader(b), 0, int64(len(b)))
	if err != nil {
		fmt.Println(err)
		return
	}
	g := pv.Group
	for i := range g.LVs {
		lv := &g.LVs[i]
		if !lv.Visible {
			continue
		}
		if t := lv.Unsupported(); t != "" {
			fmt.Printf("%s/%s: %s, not mapped\n", g.Name, lv.Name, t)
			continue
		}
		ext, _ := g.Map(lv)
		for _, e := range ext {
			fmt.Printf("%s/%s: %d MiB at %d MiB of the physical volume\n", g.Name, lv.Name, e.Length>>20, e.PVOffset>>20)
		}
	}
	// Output:
	// vg0/data: 4 MiB at 7 MiB of the physical volume
	// vg0/data: 4 MiB at 2 MiB of the physical volume
	// vg0/fast: striped, not mapped
	// vg0/pool: thin-pool, not mapped
	// vg0/thin1: thin, not mapped
}
