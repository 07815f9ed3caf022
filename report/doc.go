// Package report turns a triage case into the examination report an
// examiner hands over, and makes it checkable by anyone.
//
// # Content
//
// [Build] reads a case (triage/casedb) and its custody log (triage/custody)
// into a [Report]: case header ([casedb.CaseInfo], stored in the case's meta table),
// evidence items with their exhibit details and full-media hashes, the tools
// and command lines used, hash sets and what a match in each means, summary
// counts, known-bad and notable hits, extension mismatches, errors and
// limitations, the custody log, the scope statement. The full listing is not
// held in memory: renderers stream it from the case ([Report.Files]).
//
// # Formats
//
// [WriteHTML] (one self-contained file, html/template escaping),
// [WritePDF] (fpdf, embedded Go fonts, fallback TrueType fonts for CJK,
// \uXXXX escapes otherwise), [WriteJSON] (the whole report as data),
// [WriteCSV] (RFC 4180, formula-injection safe) and [WriteDFXML] (valid
// against the DFXML 2.0.0-beta.0 schema). Given the same case, id, time and
// tool identity ([Options]), HTML, JSON, CSV and DFXML output is
// byte-for-byte the same.
//
// # Integrity
//
// [Write] renders the chosen formats to temporary files, writes a
// [Manifest] with the SHA-256 of each and the custody log head, optionally
// signs it in the minisign format ([Signer], [GenerateKey]), and renames
// everything into place only when all of it is complete. [VerifyCase] and
// [VerifyReport] re-check the custody chain, manifests, signatures and
// evidence hashes.
//
// The package does not import the scan engine (triage/triage): it reads
// cases, it never writes evidence records.
package report
