package ewf

import (
	"encoding/hex"
	"time"
)

// SegmentInfo describes one segment file of an opened image.
type SegmentInfo struct {
	Path string
	Size int64
	// MediaOffset is the media offset of the first chunk the segment
	// holds, -1 when it holds none.
	MediaOffset int64
}

// SegmentInfo lists the segment files in order.
func (r *Reader) SegmentInfo() []SegmentInfo {
	out := make([]SegmentInfo, len(r.segs))
	for i, s := range r.segs {
		out[i] = SegmentInfo{Path: s.Name, Size: s.Size, MediaOffset: -1}
	}
	for _, g := range r.groups {
		if out[g.seg].MediaOffset < 0 {
			out[g.seg].MediaOffset = min(g.first*r.chunkSize, r.size)
		}
	}
	return out
}

// MediaTypeName names the media type byte as ewfinfo does.
func MediaTypeName(t byte) string {
	switch t {
	case 0x00:
		return "removable disk"
	case 0x01:
		return "fixed disk"
	case 0x03:
		return "optical disk"
	case 0x0e:
		return "logical evidence"
	case 0x10:
		return "memory"
	}
	return "unknown"
}

// CompressionName names the volume section's compression level.
func CompressionName(l byte) string {
	switch l {
	case 0:
		return "no compression"
	case 1:
		return "good (fast) compression"
	case 2:
		return "best compression"
	}
	return "unknown"
}

// Map returns the metadata as a JSON-friendly map, for the evidence item
// of a case: "acquisition" (case metadata), "media" (geometry) and
// "stored_hashes", plus "read_errors" and "problems" when there are any.
// Empty values are left out.
func (m *Metadata) Map() map[string]any {
	put := func(d map[string]any, k, v string) {
		if v != "" {
			d[k] = v
		}
	}
	acq := map[string]any{}
	put(acq, "case_number", m.CaseNumber)
	put(acq, "evidence_number", m.EvidenceNumber)
	put(acq, "description", m.Description)
	put(acq, "examiner", m.Examiner)
	put(acq, "notes", m.Notes)
	put(acq, "acquisition_date_raw", m.AcquisitionDate)
	put(acq, "system_date_raw", m.SystemDate)
	for k, t := range map[string]time.Time{"acquisition_date": m.AcquisitionTime, "system_date": m.SystemTime} {
		if !t.IsZero() {
			if m.DatesLocal {
				acq[k] = t.Format("2006-01-02T15:04:05") + " (local time of the acquiring machine)"
			} else {
				acq[k] = t.Format(time.RFC3339)
			}
		}
	}
	put(acq, "software_version", m.Software)
	put(acq, "operating_system", m.OS)
	put(acq, "media_model", m.Model)
	put(acq, "media_serial", m.SerialNumber)
	put(acq, "device_label", m.DeviceLabel)
	put(acq, "header_section", m.Header)
	media := map[string]any{
		"media_type":         MediaTypeName(m.MediaType),
		"physical":           m.MediaFlags&0x02 != 0,
		"bytes_per_sector":   m.BytesPerSector,
		"sector_count":       m.SectorCount,
		"sectors_per_chunk":  m.SectorsPerChunk,
		"chunk_count":        m.ChunkCount,
		"media_size":         m.MediaSize,
		"compression_level":  CompressionName(m.CompressionLevel),
		"error_granularity":  m.ErrorGranularity,
		"segment_file_count": len(m.Segments),
	}
	if m.MediaFlags&0x04 != 0 {
		media["fastbloc_write_blocker"] = true
	}
	if m.MediaFlags&0x08 != 0 {
		media["tableau_write_blocker"] = true
	}
	if m.GUID != [16]byte{} {
		media["set_guid"] = hex.EncodeToString(m.GUID[:])
	}
	hashes := map[string]any{}
	put(hashes, "md5", m.StoredMD5())
	put(hashes, "sha1", m.StoredSHA1())
	put(hashes, "hash_section_md5", m.HashMD5)
	put(hashes, "digest_section_md5", m.DigestMD5)
	put(hashes, "digest_section_sha1", m.DigestSHA1)
	put(hashes, "xhash_section_md5", m.XHashMD5)
	put(hashes, "xhash_section_sha1", m.XHashSHA1)
	put(hashes, "header_source_md5", m.SourceMD5)
	put(hashes, "header_source_sha1", m.SourceSHA1)
	out := map[string]any{"acquisition": acq, "media": media, "stored_hashes": hashes}
	if len(m.ReadErrors) > 0 {
		var re []map[string]any
		for _, r := range m.ReadErrors {
			re = append(re, map[string]any{"start_sector": r.Start, "sectors": r.Count,
				"offset": r.Start * uint64(m.BytesPerSector), "length": r.Count * uint64(m.BytesPerSector)})
		}
		out["read_errors"] = re
	}
	if m.Incomplete {
		out["incomplete"] = true
	}
	if len(m.Problems) > 0 {
		var ps []string
		for _, p := range m.Problems {
			ps = append(ps, p.Error())
		}
		out["problems"] = ps
	}
	return out
}
