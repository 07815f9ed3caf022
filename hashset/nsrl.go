package hashset

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // NSRL RDSv3 is an SQLite database
)

// nsrlBatchRows is how many rows go into one batch.
const nsrlBatchRows = 1 << 16

// parseNSRLSQLite streams the digests of an NSRL RDSv3 database: from the
// FILE table of a minimal database, or straight from METADATA (which the
// FILE view of a full database selects from) to skip the join. The database
// is opened read-only and immutable: nothing is written next to it.
func parseNSRLSQLite(ctx context.Context, path, name string, emit consumer) (*sourceStats, error) {
	u := url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro&immutable=1"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		return nil, fmt.Errorf("cannot open %s: %w", name, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	kinds := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT name, type FROM sqlite_master WHERE name IN ('FILE','METADATA')`)
	if err != nil {
		return nil, fmt.Errorf("%s is not a readable SQLite database: %w", name, err)
	}
	for rows.Next() {
		var n, t string
		if err := rows.Scan(&n, &t); err != nil {
			rows.Close()
			return nil, err
		}
		kinds[n] = t
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s is not a readable SQLite database: %w", name, err)
	}
	var q string
	switch {
	case kinds["METADATA"] == "table":
		q = `SELECT sha256, sha1, md5 FROM METADATA`
	case kinds["FILE"] == "table" || kinds["FILE"] == "view":
		q = `SELECT sha256, sha1, md5 FROM FILE`
	default:
		return nil, fmt.Errorf("%s is an SQLite database without the NSRL RDSv3 FILE table or METADATA table", name)
	}
	rows, err = db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer rows.Close()
	st := &sourceStats{}
	b := &batch{}
	var n int64
	cols := [3]Algorithm{SHA256, SHA1, MD5}
	for rows.Next() {
		n++
		var v [3]sql.RawBytes
		if err := rows.Scan(&v[0], &v[1], &v[2]); err != nil {
			b.problem(name, "row", n, err)
			continue
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
			b.problem(name, "row", n, bad)
		case got == 0:
			b.problem(name, "row", n, fmt.Errorf("no digest in the row"))
		default:
			b.records++
		}
		if n%nsrlBatchRows == 0 {
			st.merge(b)
			if err := emit(b); err != nil {
				return nil, err
			}
			b.reset()
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: failed to read row %d: %w", name, n+1, err)
	}
	st.merge(b)
	if err := emit(b); err != nil {
		return nil, err
	}
	return st, nil
}
