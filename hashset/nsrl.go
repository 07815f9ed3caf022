package hashset

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// nsrlBatchRows is how many rows go into one batch.
const nsrlBatchRows = 1 << 16

// SQLiteRowReader reads the digest columns (sha256, sha1, md5) of every row
// of an NSRL RDSv3 database at path, read-only, calling row for each with
// its rowid (and the error of a row that could not be scanned). Calls may
// come from several goroutines but never at the same time. It is provided
// by package nsrlsqlite, which keeps the SQLite library out of this package.
type SQLiteRowReader func(ctx context.Context, path string, row func(rowid int64, v [3][]byte, err error) error) error

var sqliteRows SQLiteRowReader

// RegisterSQLite installs the NSRL RDSv3 reader; package nsrlsqlite calls
// it from its init function.
func RegisterSQLite(r SQLiteRowReader) { sqliteRows = r }

// ErrNoSQLite is returned for an SQLite source when no reader is built in.
var ErrNoSQLite = errors.New("NSRL RDSv3 (SQLite) support is not built in: import github.com/triagekit/triage/hashset/nsrlsqlite")

// parseNSRLSQLite streams the digests of an NSRL RDSv3 database.
func parseNSRLSQLite(ctx context.Context, path, name string, emit consumer) (*sourceStats, error) {
	if sqliteRows == nil {
		return nil, ErrNoSQLite
	}
	st := &sourceStats{}
	b := &batch{}
	var n int64
	cols := [3]Algorithm{SHA256, SHA1, MD5}
	err := sqliteRows(ctx, path, func(rowid int64, v [3][]byte, rerr error) error {
		n++
		if rerr != nil {
			b.problem(name, "row", rowid, rerr)
			return nil
		}
		var saved [numAlgorithms]int
		for a := range saved {
			saved[a] = len(b.d[a])
		}
		got := 0
		var bad error
		for i, a := range cols {
			h := v[i]
			if len(h) == 0 {
				continue
			}
			if len(h) != 2*a.Size() || !b.addHex(a, h) {
				bad = fmt.Errorf("%s column: %q is not a digest", strings.ToLower(a.String()), trunc(h))
				break
			}
			got++
		}
		switch {
		case bad != nil:
			for a := range saved {
				b.d[a] = b.d[a][:saved[a]]
			}
			b.problem(name, "row", rowid, bad)
		case got == 0:
			b.problem(name, "row", rowid, fmt.Errorf("no digest in the row"))
		default:
			b.records++
		}
		if n%nsrlBatchRows == 0 {
			st.merge(b)
			if err := emit(b); err != nil {
				return err
			}
			b.reset()
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	st.merge(b)
	if err := emit(b); err != nil {
		return nil, err
	}
	return st, nil
}
