// Command hashsetgen writes deterministic synthetic hash-set inputs for the
// hash-set benchmarks:
//
//	hashsetgen md5sum N          N md5sum lines to standard output
//	hashsetgen lookup N          N MD5 digests, half of them from "md5sum N"
//	hashsetgen nsrl N FILE.db    an NSRL RDSv3 minimal database of N FILE rows
//
// Digests are MD5/SHA-1/SHA-256 of "file-i", so a run is reproducible.
package main

import (
	"bufio"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"

	_ "modernc.org/sqlite"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: hashsetgen md5sum|lookup N | nsrl N FILE.db")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	var hx [64]byte
	switch os.Args[1] {
	case "md5sum":
		for i := 0; i < n; i++ {
			s := md5.Sum(strconv.AppendInt([]byte("file-"), int64(i), 10))
			hex.Encode(hx[:], s[:])
			w.Write(hx[:32])
			fmt.Fprintf(w, "  data/dir%03d/file-%d.bin\n", i%1000, i)
		}
	case "lookup":
		for i := 0; i < n; i++ {
			k := int64(i)
			if i%2 == 1 {
				k = -int64(i) // absent
			}
			s := md5.Sum(strconv.AppendInt([]byte("file-"), k, 10))
			hex.Encode(hx[:], s[:])
			w.Write(hx[:32])
			w.WriteByte('\n')
		}
	case "nsrl":
		if len(os.Args) != 4 {
			fmt.Fprintln(os.Stderr, "usage: hashsetgen nsrl N FILE.db")
			os.Exit(2)
		}
		if err := nsrl(n, os.Args[3]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", os.Args[1])
		os.Exit(2)
	}
}

// nsrl builds the minimal RDSv3 schema (FORMATS.md 1.1.2) with n FILE rows;
// every digest appears in about 6 rows (several packages), as in NSRL.
func nsrl(n int, path string) error {
	os.Remove(path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	defer db.Close()
	for _, s := range []string{
		`PRAGMA journal_mode=OFF`, `PRAGMA synchronous=OFF`,
		`CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL, CONSTRAINT PK_FILE__FILE PRIMARY KEY (sha256, sha1, md5, crc32, file_name, file_size, package_id))`,
		`CREATE TABLE MFG (manufacturer_id INTEGER NOT NULL, name VARCHAR NOT NULL, CONSTRAINT PK_MFG__MFG_ID PRIMARY KEY (manufacturer_id))`,
		`CREATE TABLE OS (operating_system_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL, manufacturer_id INTEGER NOT NULL, CONSTRAINT PK_OS__OS_ID PRIMARY KEY (operating_system_id, manufacturer_id))`,
		`CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL, version VARCHAR NOT NULL, operating_system_id INTEGER NOT NULL, manufacturer_id INTEGER NOT NULL, language VARCHAR NOT NULL, application_type VARCHAR NOT NULL, CONSTRAINT PK_PGK__PKG_ID PRIMARY KEY (package_id, operating_system_id, manufacturer_id, language, application_type))`,
		`CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL, build_date TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL, CONSTRAINT PK_VERSION__VERSION PRIMARY KEY (version))`,
		`CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE`,
	} {
		if _, err := db.Exec(s); err != nil {
			return err
		}
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	const per = 200
	stmt, err := tx.Prepare(`INSERT INTO FILE VALUES ` + strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?),", per), ","))
	if err != nil {
		return err
	}
	args := make([]any, 0, 7*per)
	up := func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
	for i := 0; i < n; i++ {
		k := []byte("file-" + strconv.Itoa(i/6))
		m, s1, s2 := md5.Sum(k), sha1.Sum(k), sha256.Sum256(k)
		args = append(args, up(s2[:]), up(s1[:]), up(m[:]), "00000000", fmt.Sprintf("f%d.dll", i/6), i%100000, i%6)
		if len(args) == cap(args) {
			if _, err := stmt.Exec(args...); err != nil {
				return err
			}
			args = args[:0]
		}
	}
	stmt.Close()
	for len(args) > 0 {
		if _, err := tx.Exec(`INSERT INTO FILE VALUES (?,?,?,?,?,?,?)`, args[:7]...); err != nil {
			return err
		}
		args = args[7:]
	}
	if _, err := tx.Exec(`INSERT INTO VERSION VALUES ('synthetic','modern minimal',CURRENT_TIMESTAMP,CURRENT_TIMESTAMP,'synthetic benchmark database')`); err != nil {
		return err
	}
	return tx.Commit()
}
