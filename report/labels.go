package report

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/triagekit/triage/triage/casedb"
)

// MediaHashKeys are the evidence metadata keys that hold full-media hashes
// (objects of algorithm to hex digest). The image readers store the hashes
// recorded at acquisition and those computed over what was read.
var MediaHashKeys = []string{"media_hashes", "acquisition_hashes", "stored_hashes", "computed_hashes"}

// labeler names evidence metadata keys for a reader. format names the keys
// that container formats record (an E01's header fields under "ewf."),
// from Options.MetadataLabel; nil, or a key it does not know: the key is
// spelled out.
type labeler struct {
	format func(key string) (label string, ok bool)
}

// splitMetadata sorts evidence metadata into full-media hashes, verification
// results and the rest, each as labelled key/value pairs in a fixed order
// (labels a reader understands, not storage keys; see metaLabel).
func (l labeler) splitMetadata(m map[string]any) (hashes, verification, other []KV) {
	for _, kv := range otherMetadata(m) {
		k := kv.Key
		switch {
		case contains(MediaHashKeys, k) || strings.HasPrefix(k, "media_") && isHashName(strings.TrimPrefix(k, "media_")):
			hashes = append(hashes, l.labelled(flattenValue(k, m[k]))...)
		case k == "image_verification":
			verification = append(verification, l.verificationKVs(m[k])...)
		case k == "media_read":
			// how a disk-order scan read the media, in one line
			if mr, ok := m[k].(map[string]any); ok && metaString(mr["summary"]) != "" {
				other = append(other, KV{"Media read", metaString(mr["summary"])})
			}
		case k == "media_hash_checkpoint":
			// the saved state of an interrupted media hash, for resuming it
		case strings.Contains(k, "verif"):
			verification = append(verification, l.labelled(flattenValue(k, m[k]))...)
		default:
			other = append(other, l.labelled(flattenValue(k, m[k]))...)
		}
	}
	// The digests first, then what they cover.
	rank := func(k string) int {
		for i, p := range []string{"Media MD5", "Media SHA-1", "Media SHA-256", "Media BLAKE3", "Media bytes", "Media hashes computed"} {
			if strings.HasPrefix(k, p) {
				return i
			}
		}
		return 10
	}
	sort.SliceStable(hashes, func(i, j int) bool { return rank(hashes[i].Key) < rank(hashes[j].Key) })
	return hashes, verification, other
}

// verificationKVs renders an image verification: the verdict, then one line
// per stored or expected digest with the computed one beside it.
func (l labeler) verificationKVs(v any) []KV {
	m, ok := v.(map[string]any)
	if !ok {
		return l.labelled(flattenValue("image_verification", v))
	}
	out := []KV{{"Image verification", metaString(m["verdict"])}}
	cmps, _ := m["comparisons"].([]any)
	for _, c := range cmps {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		alg := hashLabel(metaString(cm["algorithm"]))
		verdict := "MISMATCH"
		if b, _ := cm["match"].(bool); b {
			verdict = "match"
		}
		out = append(out, KV{fmt.Sprintf("%s stored (%s) / computed", alg, metaString(cm["source"])),
			fmt.Sprintf("%s / %s: %s", metaString(cm["value"]), metaString(cm["computed"]), verdict)})
	}
	if r := metaString(m["reason"]); r != "" {
		out = append(out, KV{"Verification note", r})
	}
	if at := metaString(m["at"]); at != "" {
		out = append(out, KV{"Verified at", at})
	}
	for _, kv := range FlattenDetails(m) {
		switch strings.SplitN(kv.Key, ".", 2)[0] {
		case "verdict", "comparisons", "reason", "at":
		default:
			out = append(out, KV{l.metaLabel("image_verification." + kv.Key), kv.Value})
		}
	}
	return out
}

func (l labeler) labelled(kvs []KV) []KV {
	for i := range kvs {
		kvs[i].Key = l.metaLabel(kvs[i].Key)
	}
	return kvs
}

// metaLabels names the evidence metadata keys the image readers record.
var metaLabels = map[string]string{
	"media_hashes.md5":                  "Media MD5 (computed)",
	"media_hashes.sha1":                 "Media SHA-1 (computed)",
	"media_hashes.sha256":               "Media SHA-256 (computed)",
	"media_hashes.blake3":               "Media BLAKE3 (computed)",
	"media_hashes.size":                 "Media bytes hashed",
	"media_hashes.computed_at":          "Media hashes computed at",
	"media_hashes.segment_files.path":   "Image file",
	"media_hashes.segment_files.size":   "Image file size (bytes)",
	"media_hashes.segment_files.sha256": "Image file SHA-256",
	"media_hashes.unreadable":           "Unreadable media regions",
	"image_format":                      "Image format",
	"segments.path":                     "Image segment",
	"segments.size":                     "Image segment size (bytes)",
	"segments.offset":                   "Image segment media offset",
}

// metaLabel turns a flattened metadata key ("ewf.media.sector_count",
// "segments[1].path") into a label ("E01 media: sector count", "Image
// segment 2"): from metaLabels or the container format's labels where
// listed, else spelled out.
func (l labeler) metaLabel(key string) string {
	// Take the array indexes out: "segments[1].path" -> "segments.path", 2.
	base, nth := key, 0
	for {
		i := strings.IndexByte(base, '[')
		j := strings.IndexByte(base, ']')
		if i < 0 || j < i {
			break
		}
		if n, err := strconv.Atoi(base[i+1 : j]); err == nil && nth == 0 {
			nth = n + 1
		}
		base = base[:i] + base[j+1:]
	}
	label, ok := metaLabels[base]
	if !ok && l.format != nil {
		label, ok = l.format(base)
	}
	if !ok {
		label = base
		if strings.HasSuffix(label, "_raw") {
			label = strings.TrimSuffix(label, "_raw") + " (as stored)"
		}
		label = strings.ReplaceAll(strings.ReplaceAll(label, ".", ": "), "_", " ")
		if label != "" {
			label = strings.ToUpper(label[:1]) + label[1:]
		}
	}
	if nth > 0 {
		label += fmt.Sprintf(" %d", nth)
	}
	return label
}

func hashLabel(alg string) string {
	switch strings.ToLower(alg) {
	case "md5":
		return "MD5"
	case "sha1":
		return "SHA-1"
	case "sha256":
		return "SHA-256"
	}
	return alg
}

func isHashName(s string) bool {
	switch strings.ToLower(s) {
	case "md5", "sha1", "sha256", "sha512", "blake3":
		return true
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// FlattenDetails renders a details map as sorted key/value pairs, nested
// objects as dotted keys.
func FlattenDetails(d map[string]any) []KV {
	var out []KV
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, flattenValue(k, d[k])...)
	}
	return out
}

func flattenValue(prefix string, v any) []KV {
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		var out []KV
		for _, kv := range FlattenDetails(m) {
			out = append(out, KV{prefix + "." + kv.Key, kv.Value})
		}
		return out
	}
	if a, ok := v.([]any); ok {
		if len(a) > 0 {
			if _, isObj := a[0].(map[string]any); isObj {
				var out []KV
				for i, x := range a {
					if len(a) == 1 {
						out = append(out, flattenValue(prefix, x)...)
					} else {
						out = append(out, flattenValue(fmt.Sprintf("%s[%d]", prefix, i), x)...)
					}
				}
				return out
			}
		}
		var parts []string
		for _, x := range a {
			parts = append(parts, metaString(x))
		}
		return []KV{{prefix, strings.Join(parts, " ")}}
	}
	return []KV{{prefix, metaString(v)}}
}

// Meaning returns what a match in a hash set of the given category
// (known-bad, notable or known-good) means. The set's name plays no part:
// a known-bad set named "cards-fraud" is not NSRL data.
func Meaning(category string) string {
	switch category {
	case casedb.StatusKnownBad:
		return "Known-bad: a match means the file's hash equals that of a file listed as illicit or malicious; the listing's own accuracy is the provider's."
	case casedb.StatusNotable:
		return "Notable: a match means the file's hash is on a list of files of interest; it requires review, not a conclusion."
	case casedb.StatusKnownGood:
		return "Known-good: a match means the file is known (published software), not that it is benign or irrelevant."
	}
	return "A match means the file's hash equals a hash in this set."
}

// metaString renders a metadata value for display.
func metaString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case map[string]any, []any:
		b, _ := json.Marshal(x)
		return string(b)
	case float64:
		// JSON numbers come back as float64: whole ones print as integers
		// (10485760, not 1.048576e+07).
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		return fmt.Sprint(x)
	}
}

// KV is a label and a value for display.
type KV struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// otherMetadata returns the metadata entries that are not exhibit fields,
// sorted by key.
func otherMetadata(m map[string]any) []KV {
	known := map[string]bool{}
	for _, f := range casedb.ExhibitFields {
		known[f.Key] = true
	}
	var out []KV
	for k, v := range m {
		if known[k] {
			continue
		}
		out = append(out, KV{k, metaString(v)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func joinNonEmpty(sep string, s ...string) string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, sep)
}
