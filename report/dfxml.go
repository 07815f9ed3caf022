package report

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/triagekit/triage/triage/casedb"
)

// DFXML namespaces and version written.
const (
	DFXMLNamespace  = "http://www.forensicswiki.org/wiki/Category:Digital_Forensics_XML"
	DCNamespace     = "http://purl.org/dc/elements/1.1/"
	TriageNamespace = "urn:triagekit:triage:dfxml:1"
	DFXMLVersion    = "2.0.0-beta.0"
)

// WriteDFXML writes the full listing as Digital Forensics XML, valid against
// the DFXML schema 2.0.0-beta.0: metadata, creator (program, version,
// execution environment), source (the evidence sources), then one fileobject
// per record with its children in schema order. triage's own findings
// (status, hash sets, evidence item, flags) go in a triage:record element of
// the namespace urn:triagekit:triage:dfxml:1, which the schema admits after
// the hash digests. Characters XML 1.0 cannot carry are written as \uXXXX.
func WriteDFXML(ctx context.Context, w io.Writer, r *Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
	p("<dfxml xmlns=%q xmlns:dc=%q xmlns:triage=%q version=%q>\n", DFXMLNamespace, DCNamespace, TriageNamespace, DFXMLVersion)
	p("  <metadata>\n    <dc:type>Hash List</dc:type>\n    <dc:identifier>%s</dc:identifier>\n    <dc:title>%s</dc:title>\n  </metadata>\n",
		xesc(r.ID), xesc(r.Title+" "+r.ID))
	p("  <creator>\n    <program>%s</program>\n    <version>%s</version>\n", xesc(r.Tool.Program), xesc(r.Tool.Version))
	p("    <build_environment>\n      <compiler>%s</compiler>\n    </build_environment>\n", xesc(r.Tool.GoVersion))
	sys, arch, _ := strings.Cut(r.Tool.Platform, "/")
	p("    <execution_environment>\n")
	p("      <os_sysname>%s</os_sysname>\n", xesc(sys))
	if r.Host != "" {
		p("      <host>%s</host>\n", xesc(r.Host))
	}
	p("      <arch>%s</arch>\n", xesc(arch))
	p("      <command_line>%s</command_line>\n", xesc(CommandLine(r.CommandLine)))
	if r.Case.Examiner != "" {
		p("      <username>%s</username>\n", xesc(r.Case.Examiner))
	}
	p("      <start_time>%s</start_time>\n", xesc(r.GeneratedAt))
	p("    </execution_environment>\n  </creator>\n")
	if len(r.Evidence) > 0 {
		p("  <source>\n")
		for _, e := range r.Evidence {
			p("    <image_filename>%s</image_filename>\n", xesc(e.Source))
		}
		p("  </source>\n")
	}
	err := r.Files(ctx, func(f *casedb.FileRecord) error {
		p("  <fileobject>\n")
		name := strings.TrimPrefix(f.Path, "/")
		if b := dfxmlNameBytes(name); b != "" {
			p("    <filename triage:name_bytes_b64=\"%s\">%s</filename>\n", b, xesc(escapeInvalid(name)))
		} else {
			p("    <filename>%s</filename>\n", xesc(name))
		}
		if f.Error != "" {
			p("    <error>%s</error>\n", xesc(f.Error))
		}
		if nt := nameType(f.Type); nt != "" {
			p("    <name_type>%s</name_type>\n", nt)
		}
		p("    <filesize>%d</filesize>\n", f.Size)
		if f.Deleted {
			p("    <unalloc>1</unalloc>\n")
		} else {
			p("    <alloc>1</alloc>\n")
		}
		if f.Inode != nil {
			p("    <inode>%d</inode>\n", *f.Inode)
		}
		for _, t := range []struct {
			name string
			t    time.Time
		}{{"mtime", f.Mtime}, {"ctime", f.Ctime}, {"atime", f.Atime}, {"crtime", f.Btime}} {
			if !t.t.IsZero() {
				p("    <%s>%s</%s>\n", t.name, t.t.UTC().Format(time.RFC3339Nano), t.name)
			}
		}
		if f.LinkTarget != "" {
			p("    <link_target>%s</link_target>\n", xesc(casedb.DisplayString(f.LinkTarget)))
		}
		if f.MIME != "" {
			p("    <libmagic>%s</libmagic>\n", xesc(f.MIME))
		}
		for _, h := range [][2]string{{"md5", f.MD5}, {"sha1", f.SHA1}, {"sha256", f.SHA256}} {
			if h[1] != "" {
				p("    <hashdigest type=\"%s\">%s</hashdigest>\n", h[0], xesc(h[1]))
			}
		}
		p("    <triage:record evidence=\"%d\" status=\"%s\"", f.Evidence, xattr(f.Status))
		if len(f.Hashsets) > 0 {
			p(" hashsets=\"%s\"", xattr(strings.Join(f.Hashsets, ";")))
		}
		if f.Volume != nil {
			p(" volume=\"%d\"", *f.Volume)
		}
		if f.Stream != "" {
			p(" stream=\"%s\"", xattr(f.Stream))
		}
		if f.BLAKE3 != "" {
			p(" blake3=\"%s\"", xattr(f.BLAKE3))
		}
		p(" extension_mismatch=\"%s\" deleted=\"%s\" complete=\"%s\"/>\n", b01(f.ExtensionMismatch), b01(f.Deleted), b01(f.Complete))
		p("  </fileobject>\n")
		return nil
	})
	if err != nil {
		return err
	}
	p("</dfxml>\n")
	return bw.Flush()
}

func nameType(t string) string {
	switch t {
	case casedb.TypeFile:
		return "r"
	case casedb.TypeDir:
		return "d"
	case casedb.TypeSymlink:
		return "l"
	case casedb.TypeFIFO:
		return "p"
	case casedb.TypeSocket:
		return "s"
	case casedb.TypeDevice:
		return "b"
	}
	return ""
}

// xmlSafe replaces characters XML 1.0 cannot carry with \uXXXX.
func xmlSafe(s string) string {
	ok := func(r rune) bool {
		return r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
	}
	clean := true
	for _, r := range s {
		if !ok(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if ok(r) {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	return b.String()
}

func xesc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(xmlSafe(s)))
	return b.String()
}

func xattr(s string) string { return xesc(s) }

// escapeInvalid shows each byte of s that is not valid UTF-8 as a \xHH
// escape.
func escapeInvalid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			fmt.Fprintf(&b, `\x%02X`, s[i])
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// dfxmlNameBytes is the triage:name_bytes_b64 attribute of a filename: the
// name's exact bytes, base64, when its text cannot carry them (bytes that
// are not valid UTF-8, shown as \xHH; characters XML 1.0 cannot hold,
// shown as \uXXXX); "" for any other name.
func dfxmlNameBytes(name string) string {
	if utf8.ValidString(name) && xmlSafe(name) == name {
		return ""
	}
	return base64.StdEncoding.EncodeToString([]byte(name))
}
