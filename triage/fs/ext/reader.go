package ext

import (
	"fmt"
	"io"
	"sort"

	"github.com/triagekit/triage/triage/fs"
)

// contentReader reads a file's content through its runs: holes and
// uninitialised extents read as zeros. A block that cannot be read, or
// that lies past a map cut short, reads as zeros too and makes the content
// incomplete, with the reason given by Incomplete.
type contentReader struct {
	v      *Volume
	runs   []run
	size   int64
	pos    int64
	cut    int64  // content offset from which the map is unknown, -1 when whole
	cutWhy string // why
	// limit, when above 0, is where reading stops short of the size.
	limit    int64
	limitWhy string
	reason   string
}

// Read implements io.Reader.
func (r *contentReader) Read(p []byte) (int, error) {
	if r.limit > 0 && r.pos >= r.limit {
		if r.reason == "" {
			r.reason = r.limitWhy
		}
		return 0, io.EOF
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if r.limit > 0 && int64(len(p)) > r.limit-r.pos {
		p = p[:r.limit-r.pos]
	}
	if int64(len(p)) > r.size-r.pos {
		p = p[:r.size-r.pos]
	}
	if r.cut >= 0 && r.pos >= r.cut {
		clear(p)
		if r.reason == "" {
			r.reason = r.cutWhy
		}
		r.pos += int64(len(p))
		return len(p), nil
	}
	if r.cut >= 0 && r.pos+int64(len(p)) > r.cut {
		p = p[:r.cut-r.pos]
	}
	bs := r.v.sb.blockSize
	lb := uint64(r.pos / bs)
	in := int64(r.pos % bs)
	i := sort.Search(len(r.runs), func(i int) bool { return r.runs[i].logical+r.runs[i].count > lb })
	if i == len(r.runs) || r.runs[i].logical > lb {
		// A hole up to the next run.
		end := r.size
		if i < len(r.runs) {
			end = int64(r.runs[i].logical) * bs
		}
		n := min(int64(len(p)), end-r.pos)
		clear(p[:n])
		r.pos += n
		return int(n), nil
	}
	ru := r.runs[i]
	n := min(int64(len(p)), int64(ru.logical+ru.count-lb)*bs-in)
	p = p[:n]
	if ru.uninit {
		clear(p)
	} else {
		off := int64(ru.phys+(lb-ru.logical))*bs + in
		k, err := r.v.r.ReadAt(p, off)
		if k < len(p) {
			clear(p[k:])
			if r.reason == "" {
				if err == nil || err == io.EOF {
					r.reason = fmt.Sprintf("ext: block %d lies past the end of the volume at byte %#x", ru.phys+(lb-ru.logical), r.v.base+off)
				} else {
					r.reason = fmt.Sprintf("ext: failed to read block %d: %v at byte %#x", ru.phys+(lb-ru.logical), err, r.v.base+off+int64(k))
				}
			}
		}
	}
	r.pos += n
	return int(n), nil
}

// Close implements io.Closer.
func (r *contentReader) Close() error { return nil }

// Incomplete reports why the content read does not cover the file.
func (r *contentReader) Incomplete() (string, bool) { return r.reason, r.reason != "" }

// inlineReader reads inline content; reason is set when it is known to
// be short of the size.
type inlineReader struct {
	b      []byte
	reason string
}

func (r *inlineReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func (r *inlineReader) Close() error               { return nil }
func (r *inlineReader) Incomplete() (string, bool) { return r.reason, r.reason != "" }

// extents returns where the first size bytes of a content mapped by runs
// lie in the volume, for the engine's disk-order read: holes and
// uninitialized runs as zeros (VolOff -1). It returns nil when a run
// overlaps another or lies past the end of the volume: the content is read
// through its reader then.
func (v *Volume) extents(runs []run, size int64) []fs.Extent {
	bs := v.sb.blockSize
	if bs <= 0 || size <= 0 {
		return nil
	}
	blocks := uint64(v.size / bs)
	out := make([]fs.Extent, 0, len(runs)+1)
	var pos int64
	for _, ru := range runs {
		if ru.logical > uint64(size/bs) || ru.count == 0 {
			break
		}
		start := int64(ru.logical) * bs
		if start >= size {
			break
		}
		if start < pos {
			return nil
		}
		if start > pos {
			out = append(out, fs.Extent{Off: pos, VolOff: -1, Len: start - pos})
			pos = start
		}
		if ru.count > blocks {
			return nil
		}
		l := min(int64(ru.count)*bs, size-start)
		vol := int64(-1)
		if !ru.uninit {
			if ru.phys > blocks || int64(ru.phys)*bs > v.size-l {
				return nil
			}
			vol = int64(ru.phys) * bs
		}
		out = append(out, fs.Extent{Off: pos, VolOff: vol, Len: l})
		pos += l
	}
	if pos < size {
		out = append(out, fs.Extent{Off: pos, VolOff: -1, Len: size - pos})
	}
	return out
}
