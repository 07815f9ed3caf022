// Package classify identifies the type of file content from its leading
// bytes, tells whether a file's name and that type disagree (in both
// directions, under a type -> extensions Policy: see docs/classification.md),
// and measures the Shannon entropy of content.
//
// Detection uses github.com/h2non/filetype for the common media, archive and
// document signatures and adds matchers that forensic triage needs and that
// library lacks or gets wrong: PE (checked through e_lfanew, not just "MZ"),
// Mach-O (thin and fat, told apart from Java class files), ELF, SQLite, ZIP
// containers (OOXML, OpenDocument, EPUB, JAR, APK, XPI told apart from a plain
// ZIP by their entries), EWF images, and text (UTF-8, UTF-16 with BOM).
//
// # Security
//
// Detect is given untrusted bytes. It never indexes outside the buffer and
// recovers from a panic in the third-party matchers, reporting the content as
// application/octet-stream.
package classify

import (
	"bytes"
	"encoding/binary"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/h2non/filetype"
	"github.com/h2non/filetype/types"
)

// HeadSize is how many leading bytes Detect looks at. Callers may pass more;
// the extra bytes are ignored.
const HeadSize = 64 << 10

// Well-known MIME types returned by Detect.
const (
	MIMEOctetStream = "application/octet-stream"
	MIMEEmpty       = "application/x-empty"
	MIMEText        = "text/plain"
	MIMEZip         = "application/zip"
	MIMEPE          = "application/vnd.microsoft.portable-executable"
	MIMEDOSExe      = "application/x-dosexec"
	MIMEELF         = "application/x-executable"
	MIMEMachO       = "application/x-mach-binary"
	MIMESQLite      = "application/vnd.sqlite3"
	MIMEJar         = "application/java-archive"
	MIMEAPK         = "application/vnd.android.package-archive"
	MIMEEPUB        = "application/epub+zip"
	MIMEXPI         = "application/x-xpinstall"
	MIMEDocx        = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	MIMEXlsx        = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	MIMEPptx        = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	MIMEOOXML       = "application/x-ooxml" // an OOXML package whose part names do not tell which
	MIMEODT         = "application/vnd.oasis.opendocument.text"
	MIMEODS         = "application/vnd.oasis.opendocument.spreadsheet"
	MIMEODP         = "application/vnd.oasis.opendocument.presentation"
	MIMEJavaClass   = "application/java-vm"
	MIMEEWF         = "application/x-ewf"
	MIMEHTML        = "text/html"
	MIMEXML         = "text/xml"
	MIMEPDF         = "application/pdf"
	MIMEICO         = "image/vnd.microsoft.icon"
	MIMEOLE         = "application/x-ole-storage"
)

// Type is the result of content detection.
type Type struct {
	MIME string // MIME type, MIMEOctetStream when unknown
	// Ext is the usual extension of the detected type, without the dot,
	// or "" when the type has none or is unknown.
	Ext string
}

// Detect identifies content from its leading bytes (at most HeadSize are used)
// and, for ZIP containers, the entry names found in those bytes.
func Detect(head []byte) (t Type) {
	if len(head) == 0 {
		return Type{MIME: MIMEEmpty}
	}
	if len(head) > HeadSize {
		head = head[:HeadSize]
	}
	defer func() {
		if recover() != nil {
			t = Type{MIME: MIMEOctetStream}
		}
	}()
	if t, ok := detectOwn(head); ok {
		return t
	}
	for _, m := range matchers {
		if k := m(head); k != types.Unknown && k.Extension != "" && k.MIME.Value != "" {
			return Type{MIME: k.MIME.Value, Ext: k.Extension}
		}
	}
	if bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")) {
		// A compound file that is not recognisably Word, Excel or
		// PowerPoint: an installer, a mail, a thumbnail cache...
		return Type{MIME: MIMEOLE, Ext: "ole"}
	}
	if t, ok := detectText(head); ok {
		return t
	}
	return Type{MIME: MIMEOctetStream}
}

// matchers are filetype's matchers in its own order, resolved once:
// filetype.Match looks each one up in a map keyed by a struct of strings,
// which costs more than most matchers themselves.
var matchers = func() []filetypeMatcher {
	var out []filetypeMatcher
	for _, k := range *filetype.MatcherKeys {
		out = append(out, filetypeMatcher(filetype.Matchers[k]))
	}
	return out
}()

type filetypeMatcher = func([]byte) types.Type

// detectOwn runs the matchers that must take precedence over filetype's.
func detectOwn(b []byte) (Type, bool) {
	switch {
	case bytes.HasPrefix(b, []byte("MZ")):
		if isPE(b) {
			return Type{MIME: MIMEPE, Ext: "exe"}, true
		}
		return Type{MIME: MIMEDOSExe, Ext: "exe"}, true
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return Type{MIME: MIMEELF, Ext: "elf"}, true
	case bytes.HasPrefix(b, []byte("SQLite format 3\x00")):
		return Type{MIME: MIMESQLite, Ext: "sqlite"}, true
	case bytes.HasPrefix(b, []byte("EVF\x09\x0d\x0a\xff\x00")):
		return Type{MIME: MIMEEWF, Ext: "e01"}, true
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return detectZip(b), true
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return Type{MIME: MIMEPDF, Ext: "pdf"}, true
	case bytes.HasPrefix(b, []byte("\x00\x00\x01\x00")):
		// The ICO signature is four common bytes (an ETL trace starts
		// with its 64 KiB buffer size, 00 00 01 00): check the header.
		if isICO(b) {
			return Type{MIME: MIMEICO, Ext: "ico"}, true
		}
		return Type{MIME: MIMEOctetStream}, true
	}
	if len(b) >= 8 {
		be := binary.BigEndian.Uint32(b)
		switch be {
		case 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe:
			return Type{MIME: MIMEMachO, Ext: "macho"}, true
		case 0xcafebabe:
			// Fat Mach-O and Java class files share this magic. A fat
			// binary holds a small architecture count; a class file holds
			// its version (minor, major >= 45) there.
			if binary.BigEndian.Uint32(b[4:]) < 45 {
				return Type{MIME: MIMEMachO, Ext: "macho"}, true
			}
			return Type{MIME: MIMEJavaClass, Ext: "class"}, true
		}
	}
	return Type{}, false
}

// isICO reports whether b starts with an icon directory whose first entry
// is plausible: a count of 1 to 256 images, a zero reserved byte, 0 or 1
// colour planes, a usual bit depth, a non-zero size and image data after
// the directory.
func isICO(b []byte) bool {
	if len(b) < 22 {
		return false
	}
	n := int(binary.LittleEndian.Uint16(b[4:]))
	planes := binary.LittleEndian.Uint16(b[10:])
	bpp := binary.LittleEndian.Uint16(b[12:])
	size := binary.LittleEndian.Uint32(b[14:])
	off := int64(binary.LittleEndian.Uint32(b[18:]))
	switch bpp {
	case 0, 1, 2, 4, 8, 16, 24, 32:
	default:
		return false
	}
	return n >= 1 && n <= 256 && b[9] == 0 && planes <= 1 && size > 0 && off >= 6+16*int64(n)
}

// isPE reports whether an MZ header points at a "PE\0\0" signature.
func isPE(b []byte) bool {
	if len(b) < 0x40 {
		return false
	}
	off := int64(binary.LittleEndian.Uint32(b[0x3c:]))
	return off+4 <= int64(len(b)) && bytes.Equal(b[off:off+4], []byte("PE\x00\x00"))
}

// detectZip tells the kind of a ZIP container from the names of the entries
// whose local headers lie in b.
func detectZip(b []byte) Type {
	var ooxml, jar, apk, xpi bool
	var word, xl, ppt bool
	off := 0
	for i := 0; i < 256 && off+30 <= len(b); i++ {
		if !bytes.Equal(b[off:off+4], []byte("PK\x03\x04")) {
			break
		}
		flags := binary.LittleEndian.Uint16(b[off+6:])
		method := binary.LittleEndian.Uint16(b[off+8:])
		csize := int(binary.LittleEndian.Uint32(b[off+18:]))
		nlen := int(binary.LittleEndian.Uint16(b[off+26:]))
		xlen := int(binary.LittleEndian.Uint16(b[off+28:]))
		nameStart := off + 30
		if nameStart+nlen > len(b) {
			break
		}
		name := string(b[nameStart : nameStart+nlen])
		dataStart := nameStart + nlen + xlen
		switch {
		case name == "mimetype" && method == 0 && dataStart <= len(b):
			// Stored, so the content follows the header verbatim; with a
			// data descriptor the local size is 0, so read up to the
			// next signature.
			mt := b[dataStart:min(len(b), dataStart+100)]
			if csize > 0 && csize < len(mt) {
				mt = mt[:csize]
			} else if i := bytes.Index(mt, []byte("PK")); i >= 0 {
				mt = mt[:i]
			}
			switch s := string(mt); {
			case s == "application/epub+zip":
				return Type{MIME: MIMEEPUB, Ext: "epub"}
			case strings.HasPrefix(s, "application/vnd.oasis.opendocument."):
				return Type{MIME: s, Ext: odfExt(s)}
			}
		case name == "[Content_Types].xml", name == "_rels/.rels":
			ooxml = true
		case strings.HasPrefix(name, "word/"):
			word = true
		case strings.HasPrefix(name, "xl/"):
			xl = true
		case strings.HasPrefix(name, "ppt/"):
			ppt = true
		case name == "META-INF/MANIFEST.MF", strings.HasSuffix(name, ".class"):
			jar = true
		case name == "AndroidManifest.xml", name == "classes.dex":
			apk = true
		case name == "install.rdf", name == "manifest.json" && xpi:
			xpi = true
		}
		if flags&0x08 != 0 {
			// Sizes follow the data in a data descriptor: find the next
			// local header by its signature.
			next := bytes.Index(b[dataStart:], []byte("PK\x03\x04"))
			if next < 0 {
				break
			}
			off = dataStart + next
			continue
		}
		off = dataStart + csize
	}
	switch {
	case apk:
		return Type{MIME: MIMEAPK, Ext: "apk"}
	case word:
		return Type{MIME: MIMEDocx, Ext: "docx"}
	case xl:
		return Type{MIME: MIMEXlsx, Ext: "xlsx"}
	case ppt:
		return Type{MIME: MIMEPptx, Ext: "pptx"}
	case ooxml:
		return Type{MIME: MIMEOOXML, Ext: "docx"}
	case jar:
		return Type{MIME: MIMEJar, Ext: "jar"}
	case xpi:
		return Type{MIME: MIMEXPI, Ext: "xpi"}
	}
	return Type{MIME: MIMEZip, Ext: "zip"}
}

func odfExt(mt string) string {
	switch mt {
	case MIMEODT:
		return "odt"
	case MIMEODS:
		return "ods"
	case MIMEODP:
		return "odp"
	}
	return "odf"
}

// detectText recognises UTF-16 text with a BOM, and UTF-8 (or ASCII) text
// without NUL bytes, with HTML and XML told apart.
func detectText(b []byte) (Type, bool) {
	if len(b) >= 2 && (b[0] == 0xff && b[1] == 0xfe || b[0] == 0xfe && b[1] == 0xff) {
		return Type{MIME: MIMEText, Ext: "txt"}, true
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	if bytes.IndexByte(b, 0) >= 0 {
		return Type{}, false
	}
	// A truncated multi-byte sequence at the end of the head is not a
	// reason to call the content binary.
	check := b
	for i := 0; i < utf8.UTFMax && len(check) > 0 && !utf8.Valid(check); i++ {
		check = check[:len(check)-1]
	}
	if !utf8.Valid(check) {
		return Type{}, false
	}
	ctrl := 0
	for _, c := range check {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b {
			ctrl++
		}
	}
	if ctrl*100 > len(check) {
		return Type{}, false
	}
	lead := bytes.ToLower(bytes.TrimLeft(check[:min(len(check), 512)], " \t\r\n"))
	switch {
	case bytes.HasPrefix(lead, []byte("<!doctype html")), bytes.HasPrefix(lead, []byte("<html")):
		return Type{MIME: MIMEHTML, Ext: "html"}, true
	case bytes.HasPrefix(lead, []byte("<?xml")):
		return Type{MIME: MIMEXML, Ext: "xml"}, true
	}
	return Type{MIME: MIMEText, Ext: "txt"}, true
}

// Extension returns the lower-case extension of a file name without the dot,
// or "" when the name has none. A leading dot (".bashrc") is not an extension.
func Extension(name string) string {
	name = path.Base(name)
	i := strings.LastIndexByte(name, '.')
	if i <= 0 || i == len(name)-1 {
		return ""
	}
	return strings.ToLower(name[i+1:])
}
