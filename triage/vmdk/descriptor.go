package vmdk

import (
	"fmt"
	"strconv"
	"strings"
)

// Limits on a descriptor.
const (
	maxDescriptor = 1 << 20
	maxExtents    = 4096
)

// Descriptor is the text descriptor of a VMDK: its identifiers, its
// parent and its extents.
type Descriptor struct {
	Version            int
	CID, ParentCID     uint32
	CreateType         string
	ParentFileNameHint string
	Extents            []ExtentLine
	// DDB holds the disk database entries (ddb.adapterType...).
	DDB map[string]string
}

// NoParent is the parentCID of a disk without a parent.
const NoParent = 0xffffffff

// ExtentLine is one extent of a descriptor: "RW 40960 SPARSE "d.vmdk"".
type ExtentLine struct {
	Access  string // RW, RDONLY, NOACCESS
	Sectors int64
	Type    string // SPARSE, FLAT, ZERO, VMFS, VMFSSPARSE...
	File    string
	Offset  int64 // in sectors, FLAT extents only
	Line    int   // line number in the descriptor, for errors
}

// ParseDescriptor parses a text descriptor. Errors name the line.
func ParseDescriptor(b []byte) (*Descriptor, error) {
	if len(b) > maxDescriptor {
		return nil, fmt.Errorf("descriptor of %d bytes larger than %d", len(b), maxDescriptor)
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	d := &Descriptor{ParentCID: NoParent, DDB: map[string]string{}}
	for n, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "RW ") && !strings.HasPrefix(line, "RDONLY ") && !strings.HasPrefix(line, "NOACCESS ") {
			k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"`)
			var err error
			switch strings.ToLower(k) {
			case "version":
				d.Version, err = strconv.Atoi(v)
			case "cid":
				d.CID, err = parseCID(v)
			case "parentcid":
				d.ParentCID, err = parseCID(v)
			case "createtype":
				d.CreateType = v
			case "parentfilenamehint":
				d.ParentFileNameHint = v
			default:
				if strings.HasPrefix(k, "ddb.") && len(d.DDB) < 256 {
					d.DDB[k] = v
				}
			}
			if err != nil {
				return nil, fmt.Errorf("descriptor line %d: bad %s %q", n+1, k, v)
			}
			continue
		}
		e, err := parseExtent(line)
		if err != nil {
			return nil, fmt.Errorf("descriptor line %d: %v", n+1, err)
		}
		e.Line = n + 1
		if len(d.Extents) >= maxExtents {
			return nil, fmt.Errorf("descriptor line %d: more than %d extents", n+1, maxExtents)
		}
		d.Extents = append(d.Extents, e)
	}
	if d.CreateType == "" && len(d.Extents) == 0 {
		return nil, fmt.Errorf("descriptor has no createType and no extent")
	}
	return d, nil
}

func parseCID(v string) (uint32, error) {
	u, err := strconv.ParseUint(v, 16, 32)
	return uint32(u), err
}

// parseExtent parses `RW 40960 SPARSE "d.vmdk" [offset]`.
func parseExtent(line string) (ExtentLine, error) {
	var e ExtentLine
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return e, fmt.Errorf("bad extent %q", line)
	}
	e.Access, e.Type = fields[0], strings.ToUpper(fields[2])
	switch e.Access {
	case "RW", "RDONLY", "NOACCESS":
	default:
		return e, fmt.Errorf("bad extent access %q", e.Access)
	}
	n, err := strconv.ParseInt(fields[1], 10, 64)
	if err != nil || n <= 0 || n > 1<<47 {
		return e, fmt.Errorf("bad extent size %q", fields[1])
	}
	e.Sectors = n
	if e.Type == "ZERO" {
		return e, nil
	}
	// The file name is quoted and may hold spaces.
	q1 := strings.IndexByte(line, '"')
	q2 := strings.LastIndexByte(line, '"')
	if q1 < 0 || q2 <= q1 {
		return e, fmt.Errorf("extent without a quoted file name %q", line)
	}
	e.File = line[q1+1 : q2]
	if rest := strings.Fields(line[q2+1:]); len(rest) > 0 {
		o, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil || o < 0 || o > 1<<47 {
			return e, fmt.Errorf("bad extent offset %q", rest[0])
		}
		e.Offset = o
	}
	return e, nil
}
