// Package fuzzy computes and compares similarity digests: ssdeep
// (context-triggered piecewise hashing, output identical to the ssdeep 2.14
// command) and TLSH (Trend Micro's locality-sensitive hash, output identical
// to TLSH 4.x with 128 buckets and a 1-byte checksum, "T1" prefix).
//
// Both are streaming: a [SSDeep] or [TLSH] value takes the content in
// writes of any size, in one pass, without knowing the total size up
// front, and allocates nothing after it is made. ssdeep keeps the piecewise
// hashes of every candidate block size in parallel, as ssdeep's own
// fuzzy_update does, and picks the block size when the digest is taken.
// A value belongs to one goroutine at a time; separate values are
// independent, and the package has no mutable global state.
//
// Content too small or too uniform gets no digest: TLSH needs at least 50
// bytes and more than half of its 128 buckets non-empty; [TLSH.Sum] then
// returns "". ssdeep gives a digest for any content, even empty, but
// digests of less than about 4 KiB are short and rarely compare well.
//
// Digests from evidence or hash sets are untrusted: [ParseSSDeep] and
// [ParseTLSH] check them, and comparison is bounded (ssdeep's parts are at
// most 64 characters).
package fuzzy
