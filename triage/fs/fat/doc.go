// Package fat reads FAT12, FAT16 and FAT32 volumes, with their deleted
// files, from an io.ReaderAt.
//
// # Use
//
//	if !fat.Probe(boot) { ... }                  // the volume's first 512 bytes
//	fs, err := fat.Open(r, base, size, &fat.Options{Location: zone})
//	err = fs.Walk(ctx, func(it *fat.Item) error {
//		rd := fs.Open(it)                        // it.Readable bytes
//		...
//	}, func(problem error) { ... })             // *fat.FormatError
//
// Open takes the volume (offset 0 is its boot sector) and the offset of
// that volume in its image, used only in messages: every offset in a
// FormatError is an image offset, to be found with a hex editor. FS carries
// the variant (Type), the label and serial number, and the time zone the
// times were read in (Zone). Options choose the code page of short names
// (LookupCodePage; CP437 by default) and that zone (UTC by default): FAT
// stores local times without a zone, so a record should say which zone was
// assumed.
//
// Walk yields an Item per file and folder: its path, long and 8.3 names,
// the raw name bytes, its address (Entry, the volume offset of its 8.3
// directory entry), attributes, times as read, size, and whether it is
// deleted. Problems go to a callback and the walk goes on.
//
// # What is read
//
// The boot sector is checked against named limits (MinSectorSize,
// MaxClusterSize, MaxFATs ...); the variant follows from the cluster count
// as fatgen103 says, except that a FAT32 boot sector is always FAT32. FAT 1
// is used; other copies are compared with it and a difference is a problem.
// FSInfo is ignored. Long names are checked against their checksum; 8.3
// names are decoded with the code page and the NT lower-case flags.
//
// Cluster chains are bounded by the size of the file (or MaxDirEntries for
// a folder) and by the cluster count: a loop, a cross-link, a chain ending
// before the file's size or pointing outside the volume is a problem with
// the offset of the FAT entry at fault, and the item has Complete false
// and the bytes that could be read (Readable).
//
// # Deleted files
//
// A deleted entry (first byte 0xe5) loses the first character of its 8.3
// name; it is shown as "_", as the Sleuth Kit does, unless the deleted
// long-name entries before it still give the whole name (their checksum is
// checked against the first character they imply). Deleted folders are
// walked when their start cluster is free and still holds a folder; all
// their entries are deleted too.
//
// A deleted file keeps its start cluster and size; its chain is gone. Its
// content is rebuilt from the start cluster, for its size, over clusters
// free in the FAT. Deleted files are rebuilt in the order of their start
// clusters, and each skips the clusters given to those before it, the
// start cluster of every other deleted entry and the run that entry claims
// (its size in free clusters, up to the next start cluster). Interleaved
// files written at the same time (DFTT #6's frag1, frag2 and frag3) come
// out whole. A file may not reach past the start of a file created after it
// was last written (clusters are given out upwards); where skipping whole
// runs would take it there, it is rebuilt again skipping start clusters
// only. Item.Recovered marks such content ("contiguous" or
// "skip-claimed"): it is a reconstruction, not what the FAT records. A
// start cluster that is allocated again gives Complete false and the reason
// "overwritten". Deleted files come after all other items in the walk,
// once all of them are known.
//
// # Records
//
// For the project's JSON-lines records: the path is Item.Path, the inode
// is Item.Entry (the 8.3 entry's volume offset; add the volume's image
// offset for an image offset), deleted is Item.Deleted, complete is
// Item.Complete. Extra fields: the entry's byte offset, LongEntry,
// Attr.Names(), ShortName, Recovered, Incomplete, and the zone the times
// were read in (FS.Zone()).
//
// # Safety
//
// Every count and offset read from the volume is checked before use; every
// loop is bounded by the cluster count or a named limit. The package does
// not panic on hostile input (it is fuzzed) and reads the FAT in chunks, so
// memory grows with what the image holds, not with what it declares.
package fat
