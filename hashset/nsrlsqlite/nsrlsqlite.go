// Package nsrlsqlite reads NIST NSRL RDSv3 SQLite databases for package
// hashset. Importing it (for its side effect) enables the nsrl-sqlite
// import format; it is separate so that hashset itself does not link the
// SQLite library.
//
// Both layouts are read: the minimal database, where FILE is a table, and
// the full database, where FILE is a view joining METADATA — there the
// digests are read straight from METADATA, skipping the join. The database
// is opened read-only and immutable, so nothing (no journal, no lock file)
// is written next to it. The table can be read by several connections over
// rowid ranges in parallel (see Workers).
package nsrlsqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
	_ "modernc.org/sqlite" // pure-Go SQLite

	"github.com/triagekit/triage/hashset"
)

func init() { hashset.RegisterSQLite(Rows) }

// Workers is the number of connections reading rowid ranges in parallel
// (GOMAXPROCS when 0). One is the default: on two cores the second core is
// busy decoding and sorting, and a second connection did not pay.
var Workers = 1

// Rows calls row with the rowid and the sha256, sha1 and md5 columns of
// every row. Calls are serialised.
func Rows(ctx context.Context, path string, row func(rowid int64, v [3][]byte, err error) error) (err error) {
	defer func() {
		// panic boundary around the SQLite library reading untrusted bytes
		if r := recover(); r != nil {
			err = fmt.Errorf("the SQLite library panicked: %v", r)
		}
	}()
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&immutable=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return err
	}
	defer db.Close()
	table, err := table(ctx, db)
	if err != nil {
		return err
	}
	workers := Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var lo, hi sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT min(rowid), max(rowid) FROM `+table).Scan(&lo, &hi); err != nil || !lo.Valid {
		// no rowid (or an empty table): one plain scan
		return scan(ctx, db, `SELECT -1, sha256, sha1, md5 FROM `+table, nil, row)
	}
	db.SetMaxOpenConns(workers)
	var mu sync.Mutex
	locked := func(id int64, v [3][]byte, err error) error {
		mu.Lock()
		defer mu.Unlock()
		return row(id, v, err)
	}
	g, ctx := errgroup.WithContext(ctx)
	span := (hi.Int64 - lo.Int64 + int64(workers)) / int64(workers)
	for w := 0; w < workers; w++ {
		a := lo.Int64 + int64(w)*span
		b := min(a+span-1, hi.Int64)
		if a > hi.Int64 {
			break
		}
		g.Go(func() error {
			return scan(ctx, db, `SELECT rowid, sha256, sha1, md5 FROM `+table+` WHERE rowid BETWEEN ? AND ?`, []any{a, b}, locked)
		})
	}
	return g.Wait()
}

// scan runs q and hands every row to row.
func scan(ctx context.Context, db *sql.DB, q string, args []any, row func(int64, [3][]byte, error) error) error {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
		var id int64
		var v [3]sql.RawBytes
		serr := rows.Scan(&id, &v[0], &v[1], &v[2])
		if err := row(id, [3][]byte{v[0], v[1], v[2]}, serr); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("failed to read row %d: %w", n+1, err)
	}
	return nil
}

// table chooses what to read from the layout of the database.
func table(ctx context.Context, db *sql.DB) (string, error) {
	kinds := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT name, type FROM sqlite_master WHERE name IN ('FILE','METADATA')`)
	if err != nil {
		return "", fmt.Errorf("not a readable SQLite database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			return "", err
		}
		kinds[n] = t
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("not a readable SQLite database: %w", err)
	}
	switch {
	case kinds["METADATA"] == "table":
		return "METADATA", nil
	case kinds["FILE"] == "table" || kinds["FILE"] == "view":
		return "FILE", nil
	}
	return "", fmt.Errorf("an SQLite database without the NSRL RDSv3 FILE table or METADATA table")
}
