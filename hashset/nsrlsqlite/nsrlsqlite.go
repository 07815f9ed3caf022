// Package nsrlsqlite reads NIST NSRL RDSv3 SQLite databases for package
// hashset. Importing it (for its side effect) enables the nsrl-sqlite
// import format; it is separate so that hashset itself does not link the
// SQLite library.
//
// Both layouts are read: the minimal database, where FILE is a table, and
// the full database, where FILE is a view joining METADATA — there the
// digests are read straight from METADATA, skipping the join. The database
// is opened read-only and immutable, so nothing (no journal, no lock file)
// is written next to it.
package nsrlsqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // pure-Go SQLite

	"github.com/triagekit/triage/hashset"
)

func init() { hashset.RegisterSQLite(Rows) }

// Rows calls row with the sha256, sha1 and md5 columns of every row.
func Rows(ctx context.Context, path string, row func(v [3][]byte, err error) error) (err error) {
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
	db.SetMaxOpenConns(1)
	q, err := query(ctx, db)
	if err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		n++
		var v [3]sql.RawBytes
		serr := rows.Scan(&v[0], &v[1], &v[2])
		if err := row([3][]byte{v[0], v[1], v[2]}, serr); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("failed to read row %d: %w", n+1, err)
	}
	return nil
}

// query chooses what to read from the layout of the database.
func query(ctx context.Context, db *sql.DB) (string, error) {
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
		return `SELECT sha256, sha1, md5 FROM METADATA`, nil
	case kinds["FILE"] == "table" || kinds["FILE"] == "view":
		return `SELECT sha256, sha1, md5 FROM FILE`, nil
	}
	return "", fmt.Errorf("an SQLite database without the NSRL RDSv3 FILE table or METADATA table")
}
