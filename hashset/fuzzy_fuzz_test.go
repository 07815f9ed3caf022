package hashset

import (
	"bytes"
	"testing"

	"github.com/triagekit/triage/triage/fuzzy"
)

// fuzzFuzzy parses b as a fuzzy source of format and checks: no panic,
// counts bounded by the line count, every digest given parses, and a set
// file made of them opens with the same digests.
func fuzzFuzzy(t *testing.T, format string, b []byte) {
	var body bytes.Buffer
	n := 0
	recs, bad, probs, err := ParseFuzzy(bytes.NewReader(b), "f", format, func(alg string, e fuzzy.Entry) error {
		switch alg {
		case FormatSSDeep:
			if _, err := fuzzy.ParseSSDeep(e.Digest); err != nil {
				t.Fatalf("digest %q given: %v", e.Digest, err)
			}
		case FormatTLSH:
			if _, err := fuzzy.ParseTLSH(e.Digest); err != nil {
				t.Fatalf("digest %q given: %v", e.Digest, err)
			}
		}
		n++
		body.WriteString(alg + "\t" + e.Digest + "\t\"\"\n")
		return nil
	})
	if err != nil {
		return
	}
	lines := int64(bytes.Count(b, []byte{'\n'}) + 1)
	if recs+bad > lines || int64(n) != recs || len(probs) > maxProblems {
		t.Fatalf("%d records + %d malformed, %d lines, %d given, %d problems", recs, bad, lines, n, len(probs))
	}
}

func FuzzSSDeepCSV(f *testing.F) {
	f.Add([]byte(ssdeepHeader + "\n96:Bi2bIjzp7upNVZDrLpXmHJfJvX7dTaQkrkmZ4c3y5XtrQslUqlvP17/SVtJAm1ko:RI/p+XZDrsFJvX78Qkrj4c3O6sl331bU,\"/tmp/r5k\"\n"))
	f.Add([]byte(ssdeepHeader + "\n3::,\"empty\"\n384:+YWv11iDCQ:FhmbZ,\"a \"\"b\"\"\"\nbad line\n"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFuzzy(t, FormatSSDeep, b) })
}

func FuzzTLSHList(f *testing.F) {
	f.Add([]byte("EAA19F34FC1639862BB4338BE173F7FBAF25889E4D3470B399055092CA7185D1A41DD6\t/tmp/r5k\n"))
	f.Add([]byte("# list\nT18A52324BB4A925D29B06F47BF007903F422A6A26F7D73021772D72458B3B52F5EE8913 seq\nzz\n"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzFuzzy(t, FormatTLSH, b) })
}

// FuzzOpenFuzzy reads hostile fuzzy set files: an error, never a panic.
func FuzzOpenFuzzy(f *testing.F) {
	body := "ssdeep\t96:Bi2bIjzp7upNVZDrLpXmHJfJvX7dTaQ:RI/p+XZDrsFJ\t\"a\"\ntlsh\tT18A52324BB4A925D29B06F47BF007903F422A6A26F7D73021772D72458B3B52F5EE8913\t\"\"\n"
	f.Add([]byte(fuzzyMagic + "\n{\"name\":\"x\",\"category\":\"known-bad\",\"body_sha256\":\"" + sha256Hex([]byte(body)) + "\"}\n" + body))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseFuzzySet(b)
		if err != nil {
			return
		}
		_ = s.SSDeep.Len() + s.TLSH.Len()
	})
}
