package classify

import (
	"fmt"
	"sort"
	"strings"
)

// Mismatch reports whether the extension ext (lower case, without the dot)
// promises a type that content of type t is not, under the default policy.
// It is the extension direction of Policy.Check only: unknown extensions
// and extension-less names never mismatch here. Empty content never does.
func Mismatch(ext string, t Type) bool {
	return defaultPolicy.extMismatch(ext, t) != ""
}

// Check reports whether the name's extension ext and content of type t
// disagree under the default policy, in either direction, and why. See
// Policy.Check.
func Check(ext string, t Type) (bool, string) {
	return defaultPolicy.Check(ext, t)
}

// Check reports whether the extension ext (lower case, without the dot; ""
// for a name without one) and content of type t disagree, and a one-line
// reason when they do. Two directions are checked:
//
//  1. content: content of a type the policy lists, whose rule is not "any
//     extension", must carry one of that type's extensions (a JPEG named
//     .dat, .hmm or without an extension is a mismatch);
//  2. extension: an extension the policy lists promises the types that list
//     it; content of another type is a mismatch. Loose promises (text
//     formats, weak signatures) are only broken by a recognised type, not by
//     unrecognised bytes.
//
// Empty content never mismatches.
func (p *Policy) Check(ext string, t Type) (bool, string) {
	if t.MIME == "" || t.MIME == MIMEEmpty {
		return false, ""
	}
	if r := p.rules[t.MIME]; r != nil && !r.AnyExt {
		if _, ok := r.exts[ext]; !ok {
			if ext == "" {
				return true, fmt.Sprintf("content is %s; a name without an extension is not allowed for it", t.MIME)
			}
			return true, fmt.Sprintf("content is %s; .%s is not one of its extensions", t.MIME, ext)
		}
	}
	if reason := p.extMismatch(ext, t); reason != "" {
		return true, reason
	}
	return false, ""
}

// extMismatch is the extension direction of Check.
func (p *Policy) extMismatch(ext string, t Type) string {
	if ext == "" || t.MIME == "" || t.MIME == MIMEEmpty {
		return ""
	}
	promise, ok := p.promises[ext]
	if !ok {
		return ""
	}
	if _, ok := promise.mimes[t.MIME]; ok {
		return ""
	}
	if !promise.strict && t.MIME == MIMEOctetStream {
		return ""
	}
	return fmt.Sprintf(".%s promises %s; content is %s", ext, promise.describe(), t.MIME)
}

// promise is what one extension promises: the types whose rules list it.
type promise struct {
	mimes  map[string]struct{}
	strict bool // unrecognised content (application/octet-stream) breaks it too
}

func (pr *promise) describe() string {
	var m []string
	for k := range pr.mimes {
		m = append(m, k)
	}
	sort.Strings(m)
	if len(m) > 3 {
		return strings.Join(m[:3], " or ") + fmt.Sprintf(" (or %d more)", len(m)-3)
	}
	return strings.Join(m, " or ")
}
