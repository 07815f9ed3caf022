package classify

import "strings"

// A family groups the MIME types one extension may legitimately hold.
type family struct {
	mimes []string
	// strict families have reliable signatures: content that is not one of
	// mimes is a mismatch. Loose families (text formats, formats without
	// a signature) only mismatch when the content is a recognised binary
	// type outside mimes.
	strict bool
}

var (
	famJPEG  = family{[]string{"image/jpeg"}, true}
	famPNG   = family{[]string{"image/png", "image/apng"}, true}
	famGIF   = family{[]string{"image/gif"}, true}
	famBMP   = family{[]string{"image/bmp"}, true}
	famTIFF  = family{[]string{"image/tiff"}, true}
	famWebP  = family{[]string{"image/webp"}, true}
	famICO   = family{[]string{"image/vnd.microsoft.icon", "image/x-icon"}, false}
	famHEIF  = family{[]string{"image/heif", "image/heic", "image/avif"}, true}
	famPDF   = family{[]string{MIMEPDF}, true}
	famPE    = family{[]string{MIMEPE, MIMEDOSExe}, true}
	famELF   = family{[]string{MIMEELF}, false}
	famGzip  = family{[]string{"application/gzip"}, true}
	famBzip2 = family{[]string{"application/x-bzip2"}, true}
	famXZ    = family{[]string{"application/x-xz"}, true}
	fam7z    = family{[]string{"application/x-7z-compressed"}, true}
	famRAR   = family{[]string{"application/vnd.rar", "application/x-rar-compressed"}, true}
	famSQL   = family{[]string{MIMESQLite}, false}
	famMP3   = family{[]string{"audio/mpeg"}, false}
	famMP4   = family{[]string{"video/mp4", "video/quicktime", "audio/mp4", "audio/x-m4a", "video/x-m4v", "video/3gpp"}, false}
	famAVI   = family{[]string{"video/x-msvideo"}, true}
	famWAV   = family{[]string{"audio/x-wav", "audio/wav"}, true}
	famOLE   = family{[]string{"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint", "application/x-ole-storage"}, true}
	// Any ZIP-based container is acceptable for a ZIP-based extension: the
	// first 64 KiB do not always show the entries that tell them apart.
	famZip   = family{zipMIMEs, true}
	famText  = family{[]string{MIMEText, MIMEHTML, MIMEXML}, false}
	famEWF   = family{[]string{MIMEEWF}, true}
	famClass = family{[]string{MIMEJavaClass}, true}
	famMachO = family{[]string{MIMEMachO}, false}
)

var zipMIMEs = []string{MIMEZip, MIMEDocx, MIMEXlsx, MIMEPptx, MIMEOOXML, MIMEJar, MIMEAPK, MIMEEPUB, MIMEXPI, MIMEODT, MIMEODS, MIMEODP,
	"application/vnd.oasis.opendocument.graphics", "application/vnd.oasis.opendocument.formula"}

// extFamilies maps lower-case extensions to the content they should hold.
// Extensions that are absent are never reported as mismatched.
var extFamilies = map[string]family{
	"jpg": famJPEG, "jpeg": famJPEG, "jpe": famJPEG, "jfif": famJPEG,
	"png": famPNG, "gif": famGIF, "bmp": famBMP, "dib": famBMP,
	"tif": famTIFF, "tiff": famTIFF, "webp": famWebP, "ico": famICO,
	"heic": famHEIF, "heif": famHEIF, "avif": famHEIF,
	"pdf": famPDF,
	"exe": famPE, "dll": famPE, "sys": famPE, "scr": famPE, "cpl": famPE, "ocx": famPE, "efi": famPE, "mui": famPE, "drv": famPE,
	"so": famELF, "ko": famELF, "elf": famELF,
	"gz": famGzip, "tgz": famGzip, "bz2": famBzip2, "xz": famXZ, "7z": fam7z, "rar": famRAR,
	"sqlite": famSQL, "sqlite3": famSQL, "db3": famSQL,
	"mp3": famMP3, "mp4": famMP4, "m4a": famMP4, "m4v": famMP4, "mov": famMP4, "3gp": famMP4,
	"avi": famAVI, "wav": famWAV,
	"doc": famOLE, "xls": famOLE, "ppt": famOLE, "msg": famOLE,
	"zip": famZip, "docx": famZip, "docm": famZip, "dotx": famZip, "xlsx": famZip, "xlsm": famZip, "xltx": famZip,
	"pptx": famZip, "pptm": famZip, "potx": famZip, "ppsx": famZip, "jar": famZip, "war": famZip, "ear": famZip,
	"apk": famZip, "aar": famZip, "epub": famZip, "xpi": famZip, "odt": famZip, "ods": famZip, "odp": famZip,
	"odg": famZip, "kmz": famZip, "nupkg": famZip, "vsix": famZip, "whl": famZip, "ipa": famZip, "crx": famZip,
	"txt": famText, "log": famText, "csv": famText, "tsv": famText, "md": famText, "ini": famText, "cfg": famText,
	"conf": famText, "json": famText, "xml": famText, "html": famText, "htm": famText, "css": famText,
	"js": famText, "py": famText, "c": famText, "h": famText, "go": famText, "sh": famText, "bat": famText,
	"cmd": famText, "ps1": famText, "vbs": famText, "yaml": famText, "yml": famText, "svg": famText, "rtf": famText,
	"e01": famEWF, "class": famClass, "dylib": famMachO,
}

// binaryNonText lists recognised types that never belong in a text file.
func isText(mime string) bool {
	return mime == MIMEText || mime == MIMEHTML || mime == MIMEXML || strings.HasPrefix(mime, "text/")
}

// Mismatch reports whether content of type t contradicts the extension ext
// (lower case, without the dot). Empty content, unknown extensions and
// extension-less names never mismatch.
func Mismatch(ext string, t Type) bool {
	if ext == "" || t.MIME == MIMEEmpty || t.MIME == "" {
		return false
	}
	fam, ok := extFamilies[ext]
	if !ok {
		return false
	}
	for _, m := range fam.mimes {
		if m == t.MIME {
			return false
		}
	}
	if fam.strict {
		return true
	}
	// Loose: only a recognised type that is clearly something else.
	if t.MIME == MIMEOctetStream {
		return false
	}
	if isText(t.MIME) {
		// Text in a loose binary family (an .ico or .so holding text)
		// is a mismatch; text in a text family was allowed above.
		for _, m := range fam.mimes {
			if isText(m) {
				return false
			}
		}
		return true
	}
	return true
}
