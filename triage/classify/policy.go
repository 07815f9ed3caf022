package classify

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// DefaultTable is the documented type -> extensions table (policy.txt, shown
// in docs/classification.md). A lab's policy file uses the same format and
// is applied on top of it.
//
//go:embed policy.txt
var DefaultTable string

// Policy limits: a policy file is small text; anything larger is refused.
const (
	MaxPolicySize  = 1 << 20 // bytes
	MaxPolicyLines = 10000
	maxTokenLen    = 255
)

// Rule is what the policy says about content of one MIME type.
type Rule struct {
	MIME string
	// AnyExt: content of this type may carry any extension or none (text,
	// ELF, SQLite); the content direction never flags it.
	AnyExt bool
	// Loose: the extensions promise this type loosely (weak or absent
	// signature); unrecognised content under them is not a mismatch.
	Loose bool
	// NoExt: content of this type may carry no extension at all.
	NoExt bool
	// Exts are the extensions that promise this type; Accepted are
	// extensions the type may carry that promise nothing (.img for an ISO).
	Exts, Accepted []string
}

type rule struct {
	Rule
	exts map[string]struct{} // every extension the content may carry; "" when NoExt
}

// Policy is a type -> extensions table that decides extension mismatches.
// The zero value is not usable: use Default or LoadPolicy.
type Policy struct {
	rules    map[string]*rule
	promises map[string]*promise
	sha256   string
}

// SHA256 is the hex SHA-256 of the policy file LoadPolicy read, or "" for a
// policy not read from a file.
func (p *Policy) SHA256() string { return p.sha256 }

var defaultPolicy = func() *Policy {
	p, err := ParsePolicy(strings.NewReader(DefaultTable), nil)
	if err != nil {
		panic("classify: default table: " + err.Error())
	}
	return p
}()

// Default returns the documented default policy.
func Default() *Policy { return defaultPolicy }

// Rules returns the policy's rules sorted by MIME type.
func (p *Policy) Rules() []Rule {
	var out []Rule
	for _, r := range p.rules {
		c := r.Rule
		c.Exts = append([]string(nil), r.Exts...)
		c.Accepted = append([]string(nil), r.Accepted...)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].MIME < out[j].MIME })
	return out
}

// LoadPolicy reads a policy file and applies it on top of the default
// table. The file is opened read-only and may hold at most MaxPolicySize
// bytes.
func LoadPolicy(path string) (*Policy, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxPolicySize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxPolicySize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, MaxPolicySize)
	}
	p, err := ParsePolicy(bytes.NewReader(b), defaultPolicy)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	p.sha256 = hex.EncodeToString(sum[:])
	return p, nil
}

// ParsePolicy reads a table in the policy format and applies it on top of
// base (nil: an empty table). Each non-blank line that does not start with
// '#' is
//
//	MIME[,MIME...] [op] token...
//
// where op is absent (the line replaces the type's rule), "+=" (the tokens
// are added to it) or "-=" (the listed extensions are removed from it), and
// a token is an extension without the dot ("jpg"), "~ext" (an extension the
// type may carry that promises nothing), "." (no extension is fine), "*"
// (any extension is fine), "loose" (the extensions promise the type
// loosely) or "strict" (they promise it strictly, the default). A line
// "MIME -" removes the type's rule. Text after a '#' is a comment.
func ParsePolicy(r io.Reader, base *Policy) (*Policy, error) {
	p := &Policy{rules: map[string]*rule{}}
	if base != nil {
		for m, r := range base.rules {
			c := *r
			c.Exts = append([]string(nil), r.Exts...)
			c.Accepted = append([]string(nil), r.Accepted...)
			p.rules[m] = &c
		}
	}
	cr := &countReader{r: io.LimitReader(r, MaxPolicySize+1)}
	sc := bufio.NewScanner(cr)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	var off int64
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		lineOff := off
		off += int64(len(line)) + 1
		if n > MaxPolicyLines {
			return nil, fmt.Errorf("line %d (offset %d): more than %d lines", n, lineOff, MaxPolicyLines)
		}
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := p.apply(f); err != nil {
			return nil, fmt.Errorf("line %d (offset %d): %w", n, lineOff, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("after offset %d: %w", off, err)
	}
	if cr.n > MaxPolicySize {
		return nil, fmt.Errorf("offset %d: table larger than %d bytes", MaxPolicySize, MaxPolicySize)
	}
	p.index()
	return p, nil
}

func (p *Policy) apply(f []string) error {
	mimes := strings.Split(strings.ToLower(f[0]), ",")
	for _, m := range mimes {
		if !validMIME(m) {
			return fmt.Errorf("%q is not a MIME type", m)
		}
	}
	op := ""
	toks := f[1:]
	if len(toks) > 0 && (toks[0] == "+=" || toks[0] == "-=" || toks[0] == "-") {
		op, toks = toks[0], toks[1:]
	}
	if op == "-" {
		if len(toks) > 0 {
			return fmt.Errorf("%q after -", toks[0])
		}
		for _, m := range mimes {
			delete(p.rules, m)
		}
		return nil
	}
	for _, m := range mimes {
		r := p.rules[m]
		if r == nil || op == "" {
			r = &rule{Rule: Rule{MIME: m}}
		}
		for _, t := range toks {
			if err := r.token(t, op == "-="); err != nil {
				return err
			}
		}
		p.rules[m] = r
	}
	return nil
}

func (r *rule) token(t string, remove bool) error {
	if len(t) > maxTokenLen {
		return fmt.Errorf("token longer than %d bytes", maxTokenLen)
	}
	t = strings.ToLower(t)
	switch t {
	case "*":
		r.AnyExt = !remove
		return nil
	case ".":
		r.NoExt = !remove
		return nil
	case "loose":
		r.Loose = !remove
		return nil
	case "strict":
		r.Loose = remove
		return nil
	}
	list := &r.Exts
	if strings.HasPrefix(t, "~") {
		t, list = t[1:], &r.Accepted
	}
	if t == "" || strings.ContainsAny(t, "./\\~,") {
		return fmt.Errorf("%q is not an extension (give it without the dot)", t)
	}
	r.Exts, r.Accepted = without(r.Exts, t), without(r.Accepted, t)
	if !remove {
		*list = append(*list, t)
	}
	return nil
}

func without(l []string, s string) []string {
	out := l[:0]
	for _, x := range l {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func validMIME(m string) bool {
	a, b, ok := strings.Cut(m, "/")
	return ok && a != "" && b != "" && len(m) <= maxTokenLen && !strings.ContainsAny(b, "/~")
}

// index builds the lookup maps from the rules.
func (p *Policy) index() {
	p.promises = map[string]*promise{}
	for _, r := range p.rules {
		r.exts = map[string]struct{}{}
		if r.NoExt {
			r.exts[""] = struct{}{}
		}
		for _, e := range r.Accepted {
			r.exts[e] = struct{}{}
		}
		for _, e := range r.Exts {
			r.exts[e] = struct{}{}
			pr := p.promises[e]
			if pr == nil {
				pr = &promise{mimes: map[string]struct{}{}, strict: true}
				p.promises[e] = pr
			}
			pr.mimes[r.MIME] = struct{}{}
			pr.strict = pr.strict && !r.Loose
		}
	}
	// A type that may carry an extension does not break the promise of
	// the other types listing it (RTF in a .doc).
	for _, r := range p.rules {
		for _, e := range r.Accepted {
			if pr := p.promises[e]; pr != nil {
				pr.mimes[r.MIME] = struct{}{}
			}
		}
	}
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
