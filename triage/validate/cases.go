package validate

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/triagekit/triage/triage"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/image"
	"github.com/triagekit/triage/triage/mediahash"
	"github.com/triagekit/triage/triage/volume"
)

// suite lists the reference cases in the order they run.
var suite = []spec{
	{id: "NTFS-01", image: "ntfs-basic.raw",
		requirement: "The tool shall report every allocated file of an NTFS volume with its size and content (MD5).",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return !r.deleted && !r.stream() && !r.compressed() && !r.sparse() && r.ascii() })},
	{id: "NTFS-02", image: "ntfs-basic.raw",
		requirement: "The tool shall report every deleted file whose MFT entry survives, marked deleted, with its content (including a file of a deleted folder).",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return r.deleted })},
	{id: "NTFS-03", image: "ntfs-basic.raw",
		requirement: "The tool shall report every alternate data stream with its size and content.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return !r.deleted && r.stream() })},
	{id: "NTFS-04", image: "ntfs-basic.raw",
		requirement: "The tool shall decompress LZNT1-compressed files and report their decompressed size and content.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return !r.deleted && r.compressed() })},
	{id: "NTFS-05", image: "ntfs-basic.raw",
		requirement: "The tool shall report a sparse file with its full logical size, its holes read as zeros.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return !r.deleted && r.sparse() })},
	{id: "NTFS-06", image: "ntfs-basic.raw",
		requirement: "The tool shall report files with non-ASCII (Greek, Japanese, accented) names under their exact names.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make.sh in ntfs-basic.raw.expected.tsv",
		check:       ntfsRows(func(r tsvRow) bool { return !r.deleted && !r.ascii() })},
	{id: "EXFAT-01", image: "exfat-basic.raw",
		requirement: "The tool shall report every file of an exFAT volume, deleted files and a file of a deleted folder included, with its size, content and deleted mark, under its long or non-ASCII name.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) recorded by testdata/images/make_fat.sh in exfat-basic.raw.expected.tsv",
		check: ntfsRows(func(r tsvRow) bool {
			return !strings.HasPrefix(r.path, "/$") && !strings.HasSuffix(r.path, "(Volume Label Entry)")
		})},
	{id: "FAT-01", image: "fat-small.raw",
		requirement: "The tool shall report every file of a FAT12 volume, deleted files (their lost first character as _) and a file of a deleted folder included, with its size, content and deleted mark, under its long or non-ASCII name.",
		source:      "fls -r -p and icat | md5sum ({fls}; {md5sum}) of a volume made by mkfs.fat and mtools ({mkfs.fat}; {mtools}), recorded by testdata/images/make_val.sh in fat-small.raw.expected.tsv",
		check:       rowsOf("", 0, fatKeep)},
	{id: "ISO-01", image: "iso-rr-joliet.iso",
		requirement: "The tool shall report every file of an ISO 9660 disc with Rock Ridge names, with its content.",
		source:      "md5sum ({md5sum}) of the disc's source files, recorded by testdata/images/make.sh in iso-rr-joliet.iso.md5",
		check:       checkISO},
	{id: "EXT-01", image: "ext4-small.raw",
		requirement: "The tool shall report every file of an ext4 volume (metadata_csum, 64bit, inline data) that the Sleuth Kit lists, with the same deleted mark.",
		source:      "fls -r -p ({fls}) recorded by testdata/images/make.sh in ext4-small.raw.fls.txt",
		check:       checkExt},
	{id: "EXT-02", image: "ext2-small.raw",
		requirement: "The tool shall report every file of an ext2 volume (1 KiB blocks, block maps, hard links) that the Sleuth Kit lists, with the same deleted mark.",
		source:      "fls -r -p ({fls}) recorded by testdata/images/make.sh in ext2-small.raw.fls.txt",
		check:       checkExt},
	{id: "PT-01", image: "mbr-ntfs-ext4.raw",
		requirement: "The tool shall report every partition of a DOS (MBR) partition table, logical partitions included, with its start, end and type.",
		source:      "mmls ({mmls}) recorded by testdata/images/make.sh in mbr-ntfs-ext4.raw.mmls.txt",
		check:       checkMmls},
	{id: "PT-02", image: "gpt-ntfs.raw",
		requirement: "The tool shall report every partition of a GPT with its start, end and name.",
		source:      "mmls ({mmls}) recorded by testdata/images/make.sh in gpt-ntfs.raw.mmls.txt",
		check:       checkMmls},
	{id: "VD-01", image: "vdisk-tiny.vhd",
		requirement: "The tool shall read the logical disk of a dynamic VHD image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-02", image: "vdisk-tiny-fixed.vhd",
		requirement: "The tool shall read the logical disk of a fixed VHD image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-03", image: "vdisk-tiny.vhdx",
		requirement: "The tool shall read the logical disk of a VHDX image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-04", image: "vdisk-tiny.vmdk",
		requirement: "The tool shall read the logical disk of a monolithic sparse VMDK image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-05", image: "vdisk-tiny-stream.vmdk",
		requirement: "The tool shall read the logical disk of a stream-optimized (compressed) VMDK image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-06", image: "vdisk-tiny.qcow2",
		requirement: "The tool shall read the logical disk of a QCOW2 image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "VD-07", image: "vdisk-tiny-c.qcow2",
		requirement: "The tool shall read the logical disk of a compressed QCOW2 image: its media MD5 equals that of the disk the image holds.",
		source:      "md5sum ({md5sum}) of qemu-img convert -O raw ({qemu-img}) of the image, recorded by testdata/images/make.sh in vdisk-tiny.md5",
		check:       checkVdisk},
	{id: "E01-01", image: "ewf-tiny.E01",
		requirement: "The tool shall read the hashes an E01 image stores and compute the hashes of its media equal to those ewfverify stores and calculates.",
		source:      "ewfverify -d sha1 ({ewfverify}) of the image, recorded by testdata/images/make_val.sh in ewf-tiny.E01.ewfverify.txt",
		check:       checkE01},
	{id: "E01-02", image: "ewf-tiny.E01",
		requirement: "The tool shall detect a corrupted chunk of an E01 image (one byte changed in the stored chunk data) and not report the media as verified.",
		source:      "the EWF format (libyal's specification): every chunk carries a zlib Adler-32 checksum; the original MD5 from ewf-fixtures.md5 ({md5sum})",
		check:       checkE01Corrupt},
	{id: "E01-03", image: "ewf-split-none.E01",
		requirement: "The tool shall read an E01 image split in several segment files (E01, E02, E03) as one medium: its stored hashes and the hashes of its media equal to those ewfverify stores and calculates.",
		source:      "ewfverify -d sha1 ({ewfverify}) of the image, recorded by testdata/images/make_val.sh in ewf-split-none.E01.ewfverify.txt",
		check:       checkE01},
	{id: "RAW-01", image: "fat-small.raw.001",
		requirement: "The tool shall read a raw image split in numbered segment files (split -d) as one medium: its media MD5 equals that of the unsplit image.",
		source:      "md5sum ({md5sum}) of the unsplit image, segments made by split (coreutils), recorded by testdata/images/make_val.sh in fat-small.raw.md5",
		check:       checkSplitRaw},
	{id: "LVM-01", image: "lvm-fat.raw",
		requirement: "The tool shall read a linear LVM2 logical volume whose segments are out of order on the physical volume, and report every file of the file system it holds with its size, content and deleted mark.",
		source:      "lvcreate/lvextend and lvs ({lvm}) placed the volume of fat-small.raw (lvm-fat.raw.lvs.txt); its files by fls -r -p and icat | md5sum ({fls}; {md5sum}) in fat-small.raw.expected.tsv, recorded by testdata/images/make_val.sh",
		check:       rowsOf(fatImage, -1, fatKeep)},
	{id: "HS-01", image: "ntfs-basic.raw",
		requirement: "The tool shall match files against known-bad, notable and known-good hash sets, giving each file the status of the highest category that lists it (known-bad over notable over known-good) and unknown otherwise, with every matching set named.",
		source:      "MD5 of each file by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv; the precedence documented in docs/hashsets.md",
		check:       checkStatuses},
	{id: "HS-02", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the md5sum format (md5sum/md5deep output) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("md5sum")},
	{id: "HS-03", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the hashdeep format (hashdeep's HASHDEEP-1.0 file) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("hashdeep")},
	{id: "HS-04", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the plain format (a plain list of MD5s (VirusShare, X-Ways)) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("plain")},
	{id: "HS-05", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the csv format (CSV with a header naming its MD5 column) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("csv")},
	{id: "HS-06", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the nsrl-txt format (NIST NSRL RDS 2.x NSRLFile.txt) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("nsrl-txt")},
	{id: "HS-07", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the hashkeeper format (HashKeeper .hsh) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("hashkeeper")},
	{id: "HS-08", image: "ntfs-basic.raw",
		requirement: "The tool shall import a hash set in the vics format (Project VIC VICS 2.0 JSON) and match a file whose MD5 it lists.",
		source:      "MD5 and size of docs/report.txt by icat | md5sum ({icat}; {md5sum}) in ntfs-basic.raw.expected.tsv, written in the format's published layout",
		check:       hashSetFormat("vics")},
	{id: "HS-09", image: "nsrl-v3.db",
		requirement: "The tool shall import a hash set in the NIST NSRL RDSv3 format (SQLite) and match a file whose hashes it lists, with the set's category.",
		source:      "an RDSv3 database made by sqlite3 ({sqlite3}) with the SHA-256, SHA-1 and MD5 of docs/report.txt by icat | sha256sum, sha1sum, md5sum ({icat}; {sha256sum}), recorded by testdata/images/make_val.sh",
		check:       checkNSRLv3},
	{id: "CLS-01",
		requirement: "The tool shall flag a picture whose name has the wrong extension (a PNG named .txt) as an extension mismatch, identified as image/png.",
		source:      "the PNG signature (ISO/IEC 15948, RFC 2083: 89 50 4E 47 0D 0A 1A 0A) and IANA's media type image/png for .png",
		check:       checkClassify},
	{id: "RPT-01",
		requirement: "The tool shall detect a one-byte change to a signed report file, and accept the unchanged report.",
		source:      "the manifest's SHA-256 of each file (FIPS 180-4) and its minisign signature",
		check:       checkReportTamper},
}

// tsvRow is one stream of an IMAGE.expected.tsv (fls and icat).
type tsvRow struct {
	path    string // "/dir/name" or "/dir/name:stream"
	size    int64
	md5     string
	deleted bool
}

func (r tsvRow) stream() bool {
	return strings.Contains(r.path[strings.LastIndex(r.path, "/")+1:], ":")
}
func (r tsvRow) compressed() bool { return strings.HasPrefix(r.path, "/compressed/") }
func (r tsvRow) sparse() bool     { return r.path == "/sparse.bin" }
func (r tsvRow) ascii() bool {
	for i := 0; i < len(r.path); i++ {
		if r.path[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// readTSV reads IMAGE.expected.tsv (volume 0 only: the suite's NTFS image
// is a bare volume).
func (e *env) readTSV(name string) ([]tsvRow, error) {
	b, err := iofs.ReadFile(e.data, name+".expected.tsv")
	if err != nil {
		return nil, err
	}
	var out []tsvRow
	for i, l := range lines(b) {
		if i == 0 || l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) == 5 { // make_fat.sh: no volume offset column
			f = append([]string{"0"}, f...)
		}
		if len(f) != 6 {
			return nil, fmt.Errorf("%s.expected.tsv line %d: %d fields", name, i+1, len(f))
		}
		size, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s.expected.tsv line %d: size %q", name, i+1, f[3])
		}
		out = append(out, tsvRow{path: "/" + f[5], size: size, md5: f[4], deleted: f[2] == "true"})
	}
	return out, nil
}

// record is the part of a JSONL record (docs/jsonl.md) the cases check.
type record struct {
	Path      string         `json:"path"`
	Type      string         `json:"type"`
	Size      int64          `json:"size"`
	MD5       *string        `json:"md5"`
	MIME      *string        `json:"mime"`
	Mismatch  bool           `json:"extension_mismatch"`
	Deleted   bool           `json:"deleted"`
	Stream    string         `json:"stream"`
	Volume    *int           `json:"volume"`
	Extra     map[string]any `json:"extra"`
	Complete  bool           `json:"complete"`
	ErrorText *string        `json:"error"`
}

type scanResult struct {
	recs []record
	err  error
}

// scan scans a source (a reference image or a folder) into a scratch case
// as `triage scan` does, and returns its JSONL records.
func (e *env) scan(path string, as string) *scanResult {
	if r, ok := e.scans[path]; ok {
		return r
	}
	r := &scanResult{}
	e.scans[path] = r
	src, err := triage.OpenSourceWith(path, triage.SourceOptions{As: as})
	if err != nil {
		r.err = err
		return r
	}
	defer src.Close()
	c, _, err := casedb.OpenOrCreate(filepath.Join(e.tmp, fmt.Sprintf("case-%d", len(e.scans))))
	if err != nil {
		r.err = err
		return r
	}
	defer c.Close()
	var buf bytes.Buffer
	if _, err := triage.Scan(e.ctx, c, src, triage.Options{JSONL: &buf, Workers: 2}); err != nil {
		r.err = err
		return r
	}
	dec := json.NewDecoder(&buf)
	for dec.More() {
		var rec record
		if err := dec.Decode(&rec); err != nil {
			r.err = err
			return r
		}
		r.recs = append(r.recs, rec)
	}
	return r
}

func (e *env) scanImage(name string) ([]record, error) {
	p, err := e.imagePath(name)
	if err != nil {
		return nil, err
	}
	r := e.scan(p, triage.AsImage)
	return r.recs, r.err
}

// ntfsRows checks the streams of the image's expected.tsv that keep
// selects against the scan: each one found, with the same size, MD5 and
// deleted mark. Hard links: fls lists every name; triage records the
// entry once with the other names in extra.ntfs_hard_links.
func ntfsRows(keep func(tsvRow) bool) func(*env, *spec) (string, string, []string, error) {
	return rowsOf("", 0, keep)
}

// fatKeep selects the files of a FAT expected.tsv (not the volume label).
func fatKeep(r tsvRow) bool { return !strings.HasSuffix(r.path, "(Volume Label Entry)") }

// rowsOf checks the streams of tsvImage's expected.tsv (the case's image
// when "") that keep selects against the scan of the case's image, in
// volume vol (any volume when vol < 0).
func rowsOf(tsvImage string, vol int, keep func(tsvRow) bool) func(*env, *spec) (string, string, []string, error) {
	return func(e *env, s *spec) (string, string, []string, error) {
		tsvImage := tsvImage
		if tsvImage == "" {
			tsvImage = s.image
		}
		want, err := e.readTSV(tsvImage)
		if err != nil {
			return "", "", nil, err
		}
		recs, err := e.scanImage(s.image)
		if err != nil {
			return "", "", nil, err
		}
		got := map[string]record{}
		for _, r := range recs {
			if r.Volume == nil || (vol >= 0 && *r.Volume != vol) || r.MD5 == nil {
				continue
			}
			k := r.Path
			if r.Stream != "" {
				k += ":" + r.Stream
			}
			got[k] = r
			if links, ok := r.Extra["ntfs_hard_links"].([]any); ok {
				for _, l := range links {
					if ls, ok := l.(string); ok {
						if r.Stream != "" {
							ls += ":" + r.Stream
						}
						got[ls] = r
					}
				}
			}
		}
		var diffs []string
		n, ok := 0, 0
		for _, w := range want {
			if !keep(w) {
				continue
			}
			n++
			r, found := got[w.path]
			switch {
			case !found:
				diffs = append(diffs, fmt.Sprintf("%s: listed by fls, not reported", w.path))
			case r.Size != w.size || *r.MD5 != w.md5 || r.Deleted != w.deleted:
				diffs = append(diffs, fmt.Sprintf("%s: size %d MD5 %s deleted %v; expected size %d MD5 %s deleted %v", w.path, r.Size, *r.MD5, r.Deleted, w.size, w.md5, w.deleted))
			default:
				ok++
			}
		}
		if n == 0 {
			return "", "", nil, fmt.Errorf("no stream of %s.expected.tsv is selected by this case", tsvImage)
		}
		exp := fmt.Sprintf("%d streams with the size, MD5 and deleted mark fls/icat give", n)
		act := fmt.Sprintf("%d of %d streams match", ok, n)
		return exp, act, capDiffs(diffs), nil
	}
}

// checkExt compares the regular files fls lists with the scan's records.
func checkExt(e *env, s *spec) (string, string, []string, error) {
	b, err := iofs.ReadFile(e.data, s.image+".fls.txt")
	if err != nil {
		return "", "", nil, err
	}
	recs, err := e.scanImage(s.image)
	if err != nil {
		return "", "", nil, err
	}
	got := map[string][]record{}
	for _, r := range recs {
		if r.Type == "file" && r.Stream == "" {
			got[r.Path] = append(got[r.Path], r)
			// fls lists every hard-link name; triage records the inode
			// once with the other names in extra.ext_hard_links.
			if links, ok := r.Extra["ext_hard_links"].([]any); ok {
				for _, l := range links {
					if ls, ok := l.(string); ok {
						got[ls] = append(got[ls], r)
					}
				}
			}
		}
	}
	var diffs []string
	n, ok := 0, 0
	for _, l := range lines(b) {
		meta, path, found := strings.Cut(l, "\t")
		if !found || !strings.HasPrefix(meta, "r/r") || strings.Contains(meta, "(realloc)") {
			continue
		}
		del := strings.Contains(meta, "*")
		n++
		match := false
		for _, r := range got["/"+path] {
			match = match || r.Deleted == del
		}
		if match {
			ok++
		} else {
			diffs = append(diffs, fmt.Sprintf("/%s (deleted %v): listed by fls, not reported with that mark", path, del))
		}
	}
	exp := fmt.Sprintf("%d regular files with the deleted mark fls gives", n)
	return exp, fmt.Sprintf("%d of %d files match", ok, n), capDiffs(diffs), nil
}

// mmlsRow is one partition row of mmls output (Meta and unallocated rows
// skipped).
type mmlsRow struct {
	start, end int64
	desc       string
}

func parseMmls(text string) (scheme string, rows []mmlsRow) {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "DOS Partition Table"):
			scheme = volume.SchemeMBR
		case strings.HasPrefix(line, "GUID Partition Table"):
			scheme = volume.SchemeGPT
		}
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[0], ":") || f[1] == "Meta" || strings.HasPrefix(f[1], "-") {
			continue
		}
		var r mmlsRow
		r.start, _ = strconv.ParseInt(f[2], 10, 64)
		r.end, _ = strconv.ParseInt(f[3], 10, 64)
		r.desc = strings.Join(f[5:], " ")
		rows = append(rows, r)
	}
	return scheme, rows
}

func checkMmls(e *env, s *spec) (string, string, []string, error) {
	b, err := iofs.ReadFile(e.data, s.image+".mmls.txt")
	if err != nil {
		return "", "", nil, err
	}
	img, err := e.imageBytes(s.image)
	if err != nil {
		return "", "", nil, err
	}
	scheme, rows := parseMmls(string(b))
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%d-%d %s", r.start, r.end, r.desc))
	}
	exp := fmt.Sprintf("%s: %s", scheme, strings.Join(parts, "; "))
	tab, err := volume.Read(bytes.NewReader(img), int64(len(img)))
	if err != nil {
		return exp, "", nil, err
	}
	parts = parts[:0]
	for _, p := range tab.Partitions {
		desc := p.Type
		if tab.Scheme == volume.SchemeGPT {
			desc = p.Label
		}
		parts = append(parts, fmt.Sprintf("%d-%d %s", p.Start, p.End, desc))
	}
	act := fmt.Sprintf("%s: %s", tab.Scheme, strings.Join(parts, "; "))
	var diffs []string
	if act != exp {
		diffs = append(diffs, "partition table differs from mmls")
	}
	return exp, act, diffs, nil
}

// fixtureMD5 reads one MD5 of ewf-fixtures.md5 (md5sum output).
func (e *env) fixtureMD5(raw string) (string, error) {
	b, err := iofs.ReadFile(e.data, "ewf-fixtures.md5")
	if err != nil {
		return "", err
	}
	for _, l := range lines(b) {
		f := strings.Fields(l)
		if len(f) == 2 && f[1] == raw {
			return f[0], nil
		}
	}
	return "", fmt.Errorf("ewf-fixtures.md5 has no %s", raw)
}

// ewfSectorsData returns the file offset of the data of the first
// "sectors" section of an EWF segment (EWF version 1: section descriptors
// of 76 bytes chained by their next offset, from offset 13).
func ewfSectorsData(b []byte) (int64, error) {
	off := int64(13)
	for i := 0; i < 1000 && off+76 <= int64(len(b)); i++ {
		typ := string(bytes.TrimRight(b[off:off+16], "\x00"))
		next := int64(leUint64(b[off+16:]))
		if typ == "sectors" {
			return off + 76, nil
		}
		if next <= off {
			break
		}
		off = next
	}
	return 0, fmt.Errorf("no sectors section")
}

func leUint64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

func checkE01Corrupt(e *env, s *spec) (string, string, []string, error) {
	orig, err := e.fixtureMD5("tiny.raw")
	if err != nil {
		return "", "", nil, err
	}
	b, err := e.imageBytes(s.image)
	if err != nil {
		return "", "", nil, err
	}
	data, err := ewfSectorsData(b)
	if err != nil {
		return "", "", nil, err
	}
	bad := bytes.Clone(b)
	at := data + 20 // inside the first stored chunk
	bad[at] ^= 0xff
	p := filepath.Join(e.tmp, "corrupt", "ewf-tiny.E01")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(p, bad, 0o444); err != nil {
		return "", "", nil, err
	}
	exp := fmt.Sprintf("byte %#x changed: an error naming the unreadable media, and no media MD5 equal to %s", at, orig)
	sums, herr := rehashMedia(e, p)
	switch {
	case herr != nil:
		return exp, "caught: " + herr.Error(), nil, nil
	case sums["md5"] == orig:
		return exp, "not caught: media MD5 " + sums["md5"], []string{"the corrupted chunk was not detected"}, nil
	default:
		return exp, "media MD5 " + sums["md5"] + " without an error", []string{"the corrupted chunk was not reported as an error"}, nil
	}
}

// png is a complete 1x1 PNG (signature, IHDR, IDAT, IEND).
var png = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" +
	"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

func checkClassify(e *env, s *spec) (string, string, []string, error) {
	dir := filepath.Join(e.tmp, "classify")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "holiday.txt"), png, 0o644); err != nil {
		return "", "", nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "holiday.png"), png, 0o644); err != nil {
		return "", "", nil, err
	}
	r := e.scan(dir, triage.AsAuto)
	if r.err != nil {
		return "", "", nil, r.err
	}
	exp := "/holiday.txt: image/png, extension mismatch; /holiday.png: image/png, no mismatch"
	var parts, diffs []string
	for _, name := range []string{"/holiday.txt", "/holiday.png"} {
		found := false
		for _, rec := range r.recs {
			if rec.Path != name {
				continue
			}
			found = true
			mime := ""
			if rec.MIME != nil {
				mime = *rec.MIME
			}
			m := "no mismatch"
			if rec.Mismatch {
				m = "extension mismatch"
			}
			parts = append(parts, fmt.Sprintf("%s: %s, %s", name, mime, m))
			if mime != "image/png" || rec.Mismatch != (name == "/holiday.txt") {
				diffs = append(diffs, name+" misclassified")
			}
		}
		if !found {
			diffs = append(diffs, name+" not reported")
		}
	}
	return exp, strings.Join(parts, "; "), diffs, nil
}

// rehashMedia reads the whole media of a disk image and returns its
// digests, as `triage verify` re-hashes evidence; media that cannot be
// read completely is an error.
func rehashMedia(e *env, path string) (map[string]string, error) {
	img, err := image.Open(path)
	if err != nil {
		return nil, err
	}
	defer img.Close()
	res, err := mediahash.Sum(e.ctx, img, img.Size(), 0, nil)
	if err != nil {
		return nil, err
	}
	if len(res.Bad) > 0 {
		return nil, fmt.Errorf("%d ranges of the media could not be read (first at media offset %d)", len(res.Bad), res.Bad[0].Offset)
	}
	return map[string]string{"md5": res.MD5, "sha1": res.SHA1, "sha256": res.SHA256}, nil
}

func checkISO(e *env, s *spec) (string, string, []string, error) {
	b, err := iofs.ReadFile(e.data, s.image+".md5")
	if err != nil {
		return "", "", nil, err
	}
	recs, err := e.scanImage(s.image)
	if err != nil {
		return "", "", nil, err
	}
	got := map[string]string{}
	for _, r := range recs {
		if r.Type == "file" && r.MD5 != nil {
			got[r.Path] = *r.MD5
		}
	}
	var diffs []string
	n, ok := 0, 0
	for _, l := range lines(b) {
		sum, path, found := strings.Cut(l, "  ")
		if !found {
			continue
		}
		path = "/" + strings.TrimPrefix(path, "./")
		n++
		if got[path] == sum {
			ok++
		} else {
			diffs = append(diffs, fmt.Sprintf("%s: MD5 %q, md5sum %s", path, got[path], sum))
		}
	}
	return fmt.Sprintf("%d files with the MD5 md5sum gave their sources", n), fmt.Sprintf("%d of %d files match", ok, n), capDiffs(diffs), nil
}

func checkVdisk(e *env, s *spec) (string, string, []string, error) {
	b, err := iofs.ReadFile(e.data, "vdisk-tiny.md5")
	if err != nil {
		return "", "", nil, err
	}
	want := ""
	for _, l := range lines(b) {
		if f := strings.Fields(l); len(f) == 2 && f[1] == s.image {
			want = f[0]
		}
	}
	if want == "" {
		return "", "", nil, fmt.Errorf("vdisk-tiny.md5 has no %s", s.image)
	}
	p, err := e.imagePath(s.image)
	if err != nil {
		return "", "", nil, err
	}
	sums, err := rehashMedia(e, p)
	if err != nil {
		return "media MD5 " + want, "", nil, err
	}
	var diffs []string
	if sums["md5"] != want {
		diffs = append(diffs, "media MD5 differs from qemu-img's raw conversion")
	}
	return "media MD5 " + want, "media MD5 " + sums["md5"], diffs, nil
}
