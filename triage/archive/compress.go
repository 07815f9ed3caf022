package archive

import (
	"bufio"
	"compress/bzip2"
	"io"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/triagekit/triage/internal/lzma"
)

// Decoder memory bounds of the compressed-stream formats.
const (
	zstdMaxMemory = 256 << 20 // zstd: decoder memory (window included)
	// xz (and zip members compressed with xz): the LZMA2 dictionary, which
	// grows with the content up to this size (xz -9 uses 64 MiB).
	xzDictCap = 64 << 20
	// 7z's LZMA and LZMA2 coders: the dictionary, grown with the content up
	// to this size or the coder's output size, whichever is less (7-Zip's
	// presets use at most 64 MiB; a larger one chosen by hand still
	// decodes while its matches reach no farther back than this).
	sevenZipDictCap = 256 << 20
)

func newZstd(r io.Reader) (*zstd.Decoder, error) {
	return zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true),
		zstd.WithDecoderMaxMemory(zstdMaxMemory), zstd.WithDecoderMaxWindow(zstdMaxMemory))
}

// section is the archive's bytes as a stream, read from a reader at in
// blocks of readAhead bytes (a decompressor reads a few KB at a time).
func section(src *archiveSource) io.Reader {
	if src.ra == nil {
		return src.r
	}
	return bufio.NewReaderSize(io.NewSectionReader(src.ra, 0, src.size), readAhead)
}

// readAhead is the size of the reads of compressed bytes.
const readAhead = 64 << 10

func walkGzip(w *walker, src *archiveSource) error {
	zr, err := gzip.NewReader(section(src))
	if err != nil {
		return &FormatError{Format: "gzip", Off: 0, Msg: err.Error()}
	}
	return compressed(w, src, "gzip", zr, zr.Name, ".gz", ".z")
}

func walkBzip2(w *walker, src *archiveSource) error {
	return compressed(w, src, "bzip2", bzip2.NewReader(section(src)), "", ".bz2", ".bz")
}

func walkXz(w *walker, src *archiveSource) error {
	zr, err := lzma.NewXZReader(section(src), xzDictCap)
	if err != nil {
		return &FormatError{Format: "xz", Off: 0, Msg: err.Error()}
	}
	return compressed(w, src, "xz", zr, "", ".xz")
}

func walkZstd(w *walker, src *archiveSource) error {
	d, err := newZstd(section(src))
	if err != nil {
		return &FormatError{Format: "zstd", Off: 0, Msg: err.Error()}
	}
	defer d.Close()
	return compressed(w, src, "zstd", d, "", ".zst", ".zstd")
}

// compressed walks a compressed stream: the members of the tar it holds
// (a .tar.gz is one archive), or else one member, its content, named by
// the stream (gzip's stored name) or after the archive without its
// extension.
func compressed(w *walker, src *archiveSource, format string, r io.Reader, stored string, exts ...string) error {
	lr := &layerReader{w: w, r: r, packed: src.size}
	br := bufio.NewReaderSize(lr, 64<<10)
	head, err := br.Peek(HeadSize)
	if len(head) == 0 && err != nil && err != io.EOF {
		if le := lr.err; le != nil && le != err {
			return le
		}
		return &FormatError{Format: format, Off: -1, Msg: err.Error()}
	}
	if isTar(head) {
		if src.depth == 1 {
			w.sum.Format = "tar+" + format
		}
		return tarMembers(w, src, br, "tar+"+format)
	}
	m := &Member{Path: streamName(stored, src.name, exts), Key: "0", Format: format, Type: TypeFile, Size: -1}
	m.open = func() (io.Reader, error) { return br, nil }
	return w.visit(src, m)
}

func streamName(stored, archive string, exts []string) string {
	if stored != "" {
		if n := baseName(strings.ReplaceAll(stored, "\\", "/")); n != "" && n != "." && n != ".." {
			return n
		}
	}
	low := strings.ToLower(archive)
	if strings.HasSuffix(low, ".tgz") {
		return archive[:len(archive)-4] + ".tar"
	}
	for _, e := range exts {
		if strings.HasSuffix(low, e) && len(archive) > len(e) {
			return archive[:len(archive)-len(e)]
		}
	}
	if archive == "" {
		return "#0"
	}
	return archive + ".out"
}
