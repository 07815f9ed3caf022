// Package timeline writes the time stamps a case holds as a timeline: the
// Sleuth Kit's body file (read by mactime) and a sorted CSV.
//
// Each record of the case gives its modification, access, change and birth
// times (M, A, C, B) as its file system records them; NTFS records also
// give the times of their $FILE_NAME attribute (extra fn_mtime...), which
// become rows of their own, as fls -m writes them.
package timeline

import (
	"context"
	"time"

	"github.com/triagekit/triage/triage/casedb"
)

// Options select the time stamps written.
type Options struct {
	// From and To bound the times written (From included, To excluded);
	// zero values do not bound.
	From, To time.Time
}

func (o *Options) in(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	if !o.From.IsZero() && t.Before(o.From) {
		return false
	}
	if !o.To.IsZero() && !t.Before(o.To) {
		return false
	}
	return true
}

// Attributes a set of times comes from.
const (
	// AttrMain is the times of the record (NTFS: $STANDARD_INFORMATION).
	AttrMain = ""
	// AttrFileName is the times of an NTFS $FILE_NAME attribute.
	AttrFileName = "$FILE_NAME"
)

// times is one set of M, A, C, B times of a record.
type times struct {
	attr       string
	m, a, c, b time.Time
}

// timesOf returns the sets of times of r: its own, then those of its
// $FILE_NAME when the record carries them (once per NTFS file: on the
// first record of the file, see fnDone).
func timesOf(r *casedb.FileRecord, withFN bool) []times {
	out := []times{{attr: AttrMain, m: r.Mtime, a: r.Atime, c: r.Ctime, b: r.Btime}}
	if !withFN {
		return out
	}
	fn := times{attr: AttrFileName, m: extraTime(r, "fn_mtime"), a: extraTime(r, "fn_atime"), c: extraTime(r, "fn_ctime"), b: extraTime(r, "fn_btime")}
	if !fn.m.IsZero() || !fn.a.IsZero() || !fn.c.IsZero() || !fn.b.IsZero() {
		out = append(out, fn)
	}
	return out
}

func extraTime(r *casedb.FileRecord, k string) time.Time {
	s, _ := r.Extra[k].(string)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// fileKey identifies the file (not the stream) of a record, so that the
// $FILE_NAME times of a file with several data streams are written once.
type fileKey struct {
	evidence int64
	volume   int
	inode    uint64
}

// walk calls fn for each record of the case with the sets of times to
// write for it, skipping virtual folders and records without any time.
func walk(ctx context.Context, c *casedb.Case, fn func(r *casedb.FileRecord, ts []times) error) error {
	fnDone := map[fileKey]bool{}
	return c.Files(ctx, casedb.FileFilter{}, func(r *casedb.FileRecord) error {
		if v, _ := r.Extra["virtual"].(bool); v {
			return nil
		}
		withFN := false
		if _, ok := r.Extra["fn_mtime"]; ok {
			withFN = true
			if r.Inode != nil && r.Volume != nil {
				k := fileKey{r.Evidence, *r.Volume, *r.Inode}
				withFN = !fnDone[k]
				fnDone[k] = true
			}
		}
		ts := timesOf(r, withFN)
		if err := fn(r, ts); err != nil {
			return err
		}
		// The other names of a file with hard links share its times
		// (NTFS: those of $STANDARD_INFORMATION; the $FILE_NAME of each
		// name is not recorded), as fls -m lists each name.
		for _, k := range []string{"ntfs_hard_links", "ext_hard_links"} {
			links, _ := r.Extra[k].([]any)
			for _, l := range links {
				p, ok := l.(string)
				if !ok || p == "" {
					continue
				}
				link := *r
				link.Path = p
				if err := fn(&link, ts[:1]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
