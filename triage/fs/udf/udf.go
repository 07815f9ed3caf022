// Package udf recognises UDF (ECMA-167) volumes, the file system of DVDs,
// Blu-ray discs and some removable media, so that the scan engine reports
// them as not examined instead of passing over them: triage does not read
// UDF yet. A bridge disc (ISO 9660 and UDF) is read through its ISO 9660
// side, which the table probes first.
package udf

import (
	"github.com/triagekit/triage/triage/fs"
)

// Format is UDF: recognised, not read (no Open).
var Format = fs.Format{Name: "udf", Probe: Probe}

const (
	vrsStart = 16 * 2048 // the volume recognition sequence
	vrsStep  = 2048      // one descriptor per 2048 bytes (or per sector when larger)
	maxVRS   = 15        // descriptors looked at (they all lie within fs.ProbeSize)
)

// Probe tells whether b, the first bytes of a volume, holds a UDF volume
// recognition sequence: from byte 32768, descriptors of structure type 0
// whose identifiers are "BEA01" (beginning of the extended area), then
// "NSR02" or "NSR03" (an ECMA-167 volume) before "TEA01"; ISO 9660
// descriptors ("CD001") may come before them, as on a bridge disc.
func Probe(b []byte) bool {
	bea := false
	for i := 0; i < maxVRS; i++ {
		off := vrsStart + i*vrsStep
		if off+7 > len(b) {
			return false
		}
		d := b[off:]
		switch id := string(d[1:6]); {
		case id == "CD001" && !bea:
			continue
		case id == "BEA01" && d[0] == 0:
			bea = true
		case (id == "NSR02" || id == "NSR03") && d[0] == 0 && bea:
			return true
		case id == "TEA01" || !bea:
			return false
		}
	}
	return false
}
