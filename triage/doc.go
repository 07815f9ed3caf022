// Package triage is the scan engine of the triage toolkit: it walks an
// evidence item (a folder, a file, a disk image), reads every file and data
// stream once, computes its digests, classifies its content and records the
// result in a case (package casedb).
//
// # Architecture
//
// A Source yields Entries in a deterministic order. The scan is an errgroup
// pipeline: one producer walks the source; N workers (one per CPU by
// default) each own a hasher that reads content in 1 MiB blocks and feeds
// MD5, SHA-1, SHA-256 (and optionally BLAKE3) plus an entropy histogram from
// that single read, spreading the algorithms over two goroutines for large
// content so one big file still uses both cores; a single writer takes the
// results in walk order and commits them to the case in batches and to the
// JSON-lines stream. Memory is bounded by the channel depths and the
// per-worker buffers, not by the number of files.
//
// Because the writer stores results in walk order, the records of an
// interrupted scan are a prefix of the walk; running the same scan again
// resumes it, skipping the entries whose keys the case already holds.
//
// # Disk images
//
// OpenSource reads a block device, or a file whose first bytes are a
// partition table, a file-system boot sector or an E01 signature, as a disk
// image (package image: raw, split raw, E01). The image source reads the
// volume system (package volume: MBR with its extended chain, GPT, or none),
// names the file system of each volume from the table of package
// fs/formats, walks those it can read through the fs.FS interface (NTFS:
// package fs/ntfs, go-ntfs behind a panic boundary; FAT and exFAT: packages
// fs/fat and fs/exfat), and reports every other volume as a problem. File-system options (fs.Options) reach the readers
// by name through ImageOptions. Volumes are stored in the case through the
// VolumeLister interface. docs/images.md is the contract.
//
// # Evidence is read-only
//
// Sources open evidence read-only (O_NOATIME where permitted), never follow
// symbolic links inside the evidence and never open special files. Digests
// are computed from the bytes actually read; a record says complete: false,
// with the reason, when they do not cover the whole logical content. The
// similarity digests ssdeep and TLSH (package fuzzy, chosen with the
// algorithms SSDEEP and TLSH) come from the same read; a Matcher that is
// also a FuzzyMatcher reports near matches, recorded as extra.fuzzy_match.
package triage
