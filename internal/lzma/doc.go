// Package lzma decodes LZMA and LZMA2 streams and the xz container that
// holds them: the content of .xz files, of 7z archives (LZMA and LZMA2
// coders) and of zip members compressed with xz.
//
// It is written for speed on untrusted input: the range decoder's state
// stays in registers through a symbol, the input of a symbol is checked
// once (the buffers carry zero padding past their end), a match is copied
// in blocks, and the dictionary grows with the content instead of being
// allocated at the size a header claims. Every error names the offset of
// the compressed byte where it was found.
//
// The formats are described in the xz file format specification (1.2.1)
// and the LZMA SDK's lzma-specification.txt; the decoding follows them.
package lzma
