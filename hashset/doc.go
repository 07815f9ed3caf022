// Package hashset imports hash sets from the formats examiners use (coreutils
// md5sum/sha1sum/sha256sum and BSD tags, hashdeep, plain lists, CSV, NIST NSRL
// RDSv3 SQLite and RDS 2.x text, HashKeeper, Project VIC / CAID JSON) into a
// compact sorted index, one file per set, and looks digests up in it without
// loading it into the heap.
//
// # Index
//
// An index file holds, per algorithm (MD5, SHA-1, SHA-256), the set's unique
// digests as sorted fixed-width binary records, a prefix table over their
// leading bits, and a JSON header naming the set, its category, its sources
// with their SHA-256 and the tool that built it. The header is protected by a
// SHA-256 checksum and records the SHA-256 of every data section, so the
// header checksum commits to the whole file. [Open] maps the file read-only
// (mmap where the OS has it, ReadAt otherwise) and refuses truncated or
// corrupted files. The layout is documented in docs/hashsets.md.
//
// # Import
//
// [Import] parses sources in parallel (text formats are split into blocks at
// line boundaries), sorts the digests in bounded runs with a radix sort,
// spills runs to temporary files and merges them with duplicates removed, so
// memory stays bounded whatever the size of the set. The index is written to
// a temporary file and renamed into place: an interrupted import never leaves
// a half-written set.
//
// # Library and matching
//
// A [Library] is a directory of index files plus the built-in EICAR set. A
// [Matcher] answers, for the digests of one file, the status
// (known-bad > notable > known-good > unknown) and every matching set.
// [Matcher.Find] also returns the error of a set read through [NewReader]
// that cannot be read: a failed read is never taken for a digest not in
// the set.
//
// This package does not depend on the scan engine.
package hashset
