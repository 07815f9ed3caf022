package ewf

import (
	"fmt"
	"strings"
	"time"

	"github.com/triagekit/triage/triage/image/container"
)

// The Reader implements the optional interfaces of a disk-image
// container.
var (
	_ container.Describer           = (*Reader)(nil)
	_ container.SegmentFiler        = (*Reader)(nil)
	_ container.Streamer            = (*Reader)(nil)
	_ container.HashStorer          = (*Reader)(nil)
	_ container.DamageRecorder      = (*Reader)(nil)
	_ container.ProblemReporter     = (*Reader)(nil)
	_ container.AcquisitionReporter = (*Reader)(nil)
)

// MetadataKey is the key under which an E01's metadata (Metadata.Map) is
// recorded on the evidence item.
const MetadataKey = "ewf"

// Describe returns the format ("e01"), the segment files and the metadata
// (under MetadataKey).
func (r *Reader) Describe() container.Info {
	return container.Info{Format: "e01", Segments: r.SegmentFiles(), Metadata: map[string]any{MetadataKey: r.meta.Map()}}
}

// SegmentFiles lists the segment files in order, each with the media
// offset of its first chunk (0 for a segment that holds none).
func (r *Reader) SegmentFiles() []container.Segment {
	var out []container.Segment
	for _, s := range r.SegmentInfo() {
		out = append(out, container.Segment{Path: s.Path, Offset: max(s.MediaOffset, 0), Size: s.Size})
	}
	return out
}

// StoredHashes returns the hashes the image stores, by section: the digest
// section's, then those of the hash and xhash sections and of the header's
// srce category that differ from it.
func (r *Reader) StoredHashes() []container.StoredHash {
	m := &r.meta
	var refs []container.StoredHash
	add := func(alg, v, src string) {
		if v != "" {
			refs = append(refs, container.StoredHash{Algorithm: alg, Value: v, Source: src})
		}
	}
	add("md5", m.DigestMD5, "digest section")
	add("sha1", m.DigestSHA1, "digest section")
	if m.HashMD5 != m.DigestMD5 {
		add("md5", m.HashMD5, "hash section")
	}
	if m.XHashMD5 != m.DigestMD5 && m.XHashMD5 != m.HashMD5 {
		add("md5", m.XHashMD5, "xhash section")
	}
	if m.XHashSHA1 != m.DigestSHA1 {
		add("sha1", m.XHashSHA1, "xhash section")
	}
	if m.SourceMD5 != m.DigestMD5 && m.SourceMD5 != m.HashMD5 {
		add("md5", m.SourceMD5, m.Header+" srce category")
	}
	if m.SourceSHA1 != m.DigestSHA1 {
		add("sha1", m.SourceSHA1, m.Header+" srce category")
	}
	return refs
}

// RecordedDamage returns the sectors the acquisition could not read (error2
// section), stored as zeros.
func (r *Reader) RecordedDamage() []container.Damage {
	m := &r.meta
	bps := int64(m.BytesPerSector)
	var out []container.Damage
	for _, e := range m.ReadErrors {
		off := int64(e.Start) * bps
		out = append(out, container.Damage{Off: off, Length: int64(e.Count) * bps, Sector: e.Start, Sectors: e.Count,
			Note: fmt.Sprintf("acquisition read error recorded in the image (error2 section): %d sector(s) from sector %d (bytes %#x-%#x) were stored as zeros",
				e.Count, e.Start, off, off+int64(e.Count)*bps-1)})
	}
	return out
}

// Problems returns the damage that did not stop reading (Metadata().Problems).
func (r *Reader) Problems() []error { return r.meta.Problems }

// AcquisitionMetadata returns Metadata().Map().
func (r *Reader) AcquisitionMetadata() map[string]any { return r.meta.Map() }

// AcquisitionReport returns the metadata as ewfinfo shows it: the case
// metadata of the header, the media geometry, the stored hashes and the
// read errors of the acquisition.
func (r *Reader) AcquisitionReport() []container.Section {
	m := &r.meta
	acq := container.Section{Title: "Acquiry information", Rows: []container.Row{
		row("Case number", m.CaseNumber),
		row("Description", m.Description),
		row("Examiner name", m.Examiner),
		row("Evidence number", m.EvidenceNumber),
		row("Notes", m.Notes),
		row("Acquisition date", showDate(m.AcquisitionTime, m.AcquisitionDate, m.DatesLocal)),
		row("System date", showDate(m.SystemTime, m.SystemDate, m.DatesLocal)),
		row("Operating system used", m.OS),
		row("Software version used", m.Software),
		row("Media model", m.Model),
		row("Media serial number", m.SerialNumber),
		row("Device label", m.DeviceLabel),
		row("Metadata from", m.Header+" section"),
	}}
	media := container.Section{Title: "Media information", Rows: []container.Row{
		row("Media type", MediaTypeName(m.MediaType)),
		row("Is physical", yesNo(m.MediaFlags&0x02 != 0)),
		row("Bytes per sector", fmt.Sprint(m.BytesPerSector)),
		row("Number of sectors", fmt.Sprint(m.SectorCount)),
		row("Sectors per chunk", fmt.Sprint(m.SectorsPerChunk)),
		row("Compression level", CompressionName(m.CompressionLevel)),
	}}
	if m.MediaFlags&0x0c != 0 {
		media.Rows = append(media.Rows, row("Write blocker", map[byte]string{4: "Fastbloc", 8: "Tableau", 12: "Fastbloc, Tableau"}[m.MediaFlags&0x0c]))
	}
	out := []container.Section{acq, media}
	if m.StoredMD5() != "" || m.StoredSHA1() != "" {
		s := container.Section{Title: "Digest hash information"}
		for _, h := range r.StoredHashes() {
			s.Rows = append(s.Rows, row(strings.ToUpper(h.Algorithm)+" ("+h.Source+")", h.Value))
		}
		out = append(out, s)
	}
	if len(m.ReadErrors) > 0 {
		s := container.Section{Title: "Read errors during acquiry (sectors stored as zeros)"}
		for _, e := range m.ReadErrors {
			s.Rows = append(s.Rows, row(fmt.Sprintf("at sector %d", e.Start), fmt.Sprintf("number of sectors %d (bytes %#x-%#x)", e.Count,
				e.Start*uint64(m.BytesPerSector), (e.Start+e.Count)*uint64(m.BytesPerSector)-1)))
		}
		out = append(out, s)
	}
	if m.Incomplete {
		out = append(out, container.Section{Title: "The image is marked incomplete (aborted or remote acquisition)"})
	}
	return out
}

func row(label, value string) container.Row { return container.Row{Label: label, Value: value} }

func showDate(t time.Time, raw string, local bool) string {
	switch {
	case t.IsZero():
		return raw
	case local:
		return t.Format("Mon Jan _2 15:04:05 2006") + " (local time of the acquiring machine)"
	}
	return t.UTC().Format("Mon Jan _2 15:04:05 2006 UTC")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// metadataLabels names the keys of an E01's metadata as recorded on the
// evidence item (MetadataKey, then the keys of Metadata.Map).
var metadataLabels = map[string]string{
	"ewf.acquisition.case_number":          "E01 header: case number",
	"ewf.acquisition.evidence_number":      "E01 header: evidence number",
	"ewf.acquisition.description":          "E01 header: description",
	"ewf.acquisition.examiner":             "E01 header: examiner",
	"ewf.acquisition.notes":                "E01 header: notes",
	"ewf.acquisition.acquisition_date":     "E01 header: acquired",
	"ewf.acquisition.acquisition_date_raw": "E01 header: acquired (as stored)",
	"ewf.acquisition.system_date":          "E01 header: system date",
	"ewf.acquisition.system_date_raw":      "E01 header: system date (as stored)",
	"ewf.acquisition.software_version":     "E01 header: acquisition software version",
	"ewf.acquisition.operating_system":     "E01 header: acquisition operating system",
	"ewf.acquisition.header_section":       "E01 header: read from section",
	"ewf.acquisition.media_model":          "E01 header: media model",
	"ewf.acquisition.media_serial":         "E01 header: media serial number",
	"ewf.stored_hashes.md5":                "E01 stored MD5",
	"ewf.stored_hashes.sha1":               "E01 stored SHA-1",
	"ewf.stored_hashes.hash_section_md5":   "E01 stored MD5 (hash section)",
}

// MetadataLabel names a flattened key of an E01's evidence metadata
// ("ewf.media.sector_count" -> "E01 media: sector count") for reports;
// ok is false for a key outside MetadataKey.
func MetadataLabel(key string) (label string, ok bool) {
	if label, ok := metadataLabels[key]; ok {
		return label, true
	}
	for _, p := range [][2]string{{"ewf.acquisition.", "E01 header: "}, {"ewf.media.", "E01 media: "},
		{"ewf.stored_hashes.", "E01 stored hash: "}, {"ewf.", "E01: "}} {
		if strings.HasPrefix(key, p[0]) {
			label = p[1] + strings.TrimPrefix(key, p[0])
			if strings.HasSuffix(label, "_raw") {
				label = strings.TrimSuffix(label, "_raw") + " (as stored)"
			}
			return strings.ReplaceAll(strings.ReplaceAll(label, ".", ": "), "_", " "), true
		}
	}
	return "", false
}
