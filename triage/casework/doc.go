// Package casework runs the workflows of a case that a command or another Go
// program asks for: creating a case and changing its header, recording
// custody events, scanning sources into the case with the hash sets of a
// library, and verifying the disk images it scanned.
//
// Everything the workflows take from their surroundings comes through an
// [Env] (the clock and host name of custody events) and the options of each
// call; they print nothing. What a command shows while they run (progress,
// notices, summaries) it draws from the hooks of [ScanOptions] and from the
// per-source [SourceResult].
//
// # Custody
//
// Every change a workflow makes to a case is recorded in its custody log
// (triage/custody): "case created" and "case updated" by [Env.ApplyCaseHeader],
// "evidence updated" by [Env.UpdateExhibit], the human events of
// [Env.AddCustodyEvent], and for a scan "evidence added", "scan started",
// "hash set used", "scan finished" or "scan interrupted", and the image
// verification verdict; "report generated" by [Env.WriteReport].
package casework
