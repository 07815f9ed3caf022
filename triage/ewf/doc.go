// Package ewf reads Expert Witness Compression Format (EWF-E01, SMART S01)
// disk images: the segment file set, the case metadata of the header and
// header2 sections, the media geometry, the chunk tables and the stored
// acquisition hashes, and exposes the media as an io.ReaderAt.
//
// The reader is written from the libyal "Expert Witness Compression
// Format" specification. It treats every length, count and offset in the
// image as hostile: section descriptors, tables, volume and integrity
// sections are checked against their Adler-32 checksums and against the
// segment file sizes before anything is allocated or followed.
//
// # Damaged images
//
// Structural damage that makes the media unaddressable (a missing segment
// file, a broken section chain, a chunk table that fails its checksum with
// no usable table2 copy) makes Open fail with an error that names the
// segment file, the section and the byte offset in that file.
//
// Damage to single chunks does not: ReadAt zero-fills the bytes of a chunk
// that does not decompress or fails its checksum, goes on with the rest of
// the request, and returns a *container.RegionError (the container-neutral
// error for an unreadable media range) wrapping a *ChunkError that names
// the chunk, the segment file and the media range, so that callers can
// mark what touches it incomplete.
// BadChunks lists every bad chunk found so far.
//
// Damage to metadata (a header section that does not decompress, a hash
// section with a bad checksum) is not fatal either: it is listed in
// Metadata().Problems.
//
// # Concurrency
//
// A Reader is safe for concurrent use: ReadAt may be called from several
// goroutines at once; Close must not run concurrently with them.
// Decompressed chunks are kept in an LRU cache of about 32 MiB, each chunk
// is decoded by one goroutine at a time, and a ReadAt that continues where
// the previous one ended has the following chunks decoded ahead in the
// background. Stream decodes the whole media in order on several
// goroutines, for hashing.
//
// # As a container
//
// A Reader implements the optional interfaces of package
// triage/image/container (Describer, SegmentFiler, Streamer, HashStorer,
// DamageRecorder, ProblemReporter, AcquisitionReporter), through which
// triage/image, the scan and the image commands use it without naming the
// format; MetadataLabel names its metadata keys for reports.
package ewf
