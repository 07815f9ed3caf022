package fat

import (
	"fmt"
	"sort"
	"time"
)

// MaxRecoverySkip bounds how many clusters the rebuilding of one deleted
// file may pass over.
const MaxRecoverySkip = 1 << 16

// recover rebuilds the content of the deleted files found by the walk.
//
// A deleted entry keeps its start cluster and size; its FAT chain is gone.
// The content is read from the start cluster, for the file's size, over
// clusters that are free in the FAT. When deleted files interleave (the
// allocator gave clusters to two files written at the same time), that
// walk would run into the other files, so it skips:
//   - clusters already given to a deleted file or folder rebuilt before it
//     (files are rebuilt in the order of their start clusters);
//   - the start cluster of every other deleted entry, and the contiguous
//     run that entry claims from it (its size in free clusters, up to the
//     next start cluster).
//
// One thing limits how far a file may reach: a file last written before
// another deleted file was created cannot hold clusters allocated after that
// one's start (clusters are allocated upwards). When skipping whole runs
// would take the file past such a start, it is rebuilt again skipping only
// start clusters. FAT times are in 2 s steps: only gaps larger than that
// count.
func (w *walker) recover() {
	fs := w.fs
	cands := w.claims
	for _, it := range w.pending {
		if it.Size == 0 {
			continue
		}
		if it.FirstCluster == 0 {
			it.Complete, it.Incomplete = false, "no start cluster recorded"
			continue
		}
		if !fs.validCluster(it.FirstCluster) {
			it.Complete, it.Incomplete = false, fmt.Sprintf("start cluster %d lies outside the volume", it.FirstCluster)
			continue
		}
		if fs.fat.get(it.FirstCluster) != entryFree || w.used.get(it.FirstCluster) {
			it.Complete, it.Incomplete = false, "overwritten"
			continue
		}
		cands = append(cands, claim{it: it, start: it.FirstCluster, need: (it.Size + fs.ClusterSize - 1) / fs.ClusterSize})
	}
	if len(cands) == 0 {
		return
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].start < cands[j].start })
	starts := make(map[uint32]int, len(cands))
	startBits := fs.newBitmap() // the keys of starts, for a quick test
	for i, c := range cands {
		if _, ok := starts[c.start]; !ok {
			starts[c.start] = i
			startBits.set(c.start)
		}
	}
	taken := fs.newBitmap()
	for _, c := range cands {
		if c.dir {
			for k := uint32(0); k < uint32(c.need); k++ {
				taken.set(c.start + k)
			}
		}
	}
	r := &rebuilder{fs: fs, used: w.used, taken: taken, starts: starts, startBits: startBits, cands: cands, end: uint32(fs.imageClusters() + 2)}
	for i := range cands {
		c := &cands[i]
		if c.dir {
			continue
		}
		if taken.get(c.start) {
			// A deleted folder (or file) rebuilt before holds the start
			// cluster: it was reused after this file was deleted.
			c.it.Complete, c.it.Incomplete = false, "overwritten"
			continue
		}
		runs, skipped, wall := r.build(i, true)
		if wall && clusters(runs) < c.need {
			runs, skipped, _ = r.build(i, false)
		}
		for _, ru := range runs {
			for k := uint32(0); k < ru.n; k++ {
				taken.set(ru.first + k)
			}
		}
		it := c.it
		it.runs = runs
		got := clusters(runs)
		it.Readable = min(it.Size, got*fs.ClusterSize)
		it.Recovered = "contiguous"
		if skipped || len(runs) > 1 {
			it.Recovered = "skip-claimed"
		}
		if got < c.need {
			it.Complete = false
			it.Incomplete = fmt.Sprintf("only %d of %d clusters could be rebuilt from free clusters", got, c.need)
		}
		w.clip(it)
	}
}

type rebuilder struct {
	fs        *FS
	used      bitmap
	taken     bitmap
	starts    map[uint32]int
	startBits bitmap
	cands     []claim
	end       uint32 // the first cluster past the image
}

// start returns the candidate whose start cluster is c.
func (r *rebuilder) start(c uint32) (int, bool) {
	if !r.startBits.get(c) {
		return 0, false
	}
	j, ok := r.starts[c]
	return j, ok
}

// free reports whether cluster c may belong to a deleted file.
func (r *rebuilder) free(c uint32) bool {
	return r.fs.validCluster(c) && r.fs.fat.get(c) == entryFree && !r.used.get(c) && !r.taken.get(c)
}

// build rebuilds candidate i. It returns its runs, whether clusters were
// skipped, and whether it stopped at the start of a file created after
// candidate i was last written.
func (r *rebuilder) build(i int, skipRuns bool) (runs []run, skipped, wall bool) {
	e := r.cands[i]
	runs = []run{{first: e.start, n: 1}}
	got := int64(1)
	c := e.start + 1
	for steps := 0; got < e.need && steps < MaxRecoverySkip && c < r.end; steps++ {
		if j, ok := r.start(c); ok && r.cands[j].start != e.start {
			s := r.cands[j]
			if createdAfter(s.it.Created, e.it.Modified) {
				return runs, skipped, true
			}
			skipped = true
			if skipRuns {
				c = r.claimEnd(j)
			} else {
				c++
			}
			continue
		}
		if !r.free(c) {
			skipped = true
			c++
			continue
		}
		if k := len(runs) - 1; runs[k].first+runs[k].n == c {
			runs[k].n++
		} else {
			runs = append(runs, run{first: c, n: 1})
		}
		got++
		c++
	}
	return runs, skipped, false
}

// claimEnd returns the cluster after the run candidate j claims from its
// start: its size in free clusters, up to the next start cluster.
func (r *rebuilder) claimEnd(j int) uint32 {
	s := r.cands[j]
	c := s.start + 1
	for n := int64(1); n < s.need && c < r.end; n++ {
		if _, ok := r.start(c); ok || (!r.free(c) && !s.dir) {
			break
		}
		c++
	}
	return c
}

// createdAfter reports whether a creation time lies more than the 2 s step
// of modification times after a modification time (both known).
func createdAfter(created, modified time.Time) bool {
	return !created.IsZero() && !modified.IsZero() && created.Sub(modified) > 2*time.Second
}
