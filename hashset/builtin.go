package hashset

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"sync"

	"github.com/triagekit/triage/internal/buildinfo"
)

// EICARName is the name of the built-in set of the EICAR anti-virus test
// file digests.
const EICARName = "eicar"

// eicarB64 is the EICAR test string, base64-encoded and split so that the
// source and the binary do not carry the string itself (anti-virus tools
// flag it).
var eicarB64 = [...]string{
	"WDVPIVAlQEFQWzRcUFpYNTQoUF4pN0ND",
	"KTd9JEVJQ0FSLVNUQU5EQVJELUFOVElWSVJVUy1URVNULUZJTEUhJEgrSCo=",
}

// eicarContent returns the 68-byte EICAR test file.
func eicarContent() []byte {
	b, err := base64.StdEncoding.DecodeString(eicarB64[0] + eicarB64[1])
	if err != nil {
		panic(err)
	}
	return b
}

// eicarVariants are the contents the built-in set matches: the 68-byte
// file, and the same with a line feed or CR LF appended, as editors save it.
func eicarVariants() [][]byte {
	e := eicarContent()
	return [][]byte{e, append(append([]byte{}, e...), '\n'), append(append([]byte{}, e...), '\r', '\n')}
}

var (
	builtinOnce sync.Once
	builtinSet  *Set
)

func builtinEICAR() *Set {
	builtinOnce.Do(func() {
		ds := map[Algorithm][][]byte{}
		for _, v := range eicarVariants() {
			m, s1, s2 := md5.Sum(v), sha1.Sum(v), sha256.Sum256(v)
			ds[MD5] = append(ds[MD5], m[:])
			ds[SHA1] = append(ds[SHA1], s1[:])
			ds[SHA256] = append(ds[SHA256], s2[:])
		}
		e := eicarContent()
		sum := sha256.Sum256(e)
		bi := buildinfo.Get()
		h := &Header{
			Name: EICARName, Category: KnownBad, BuiltIn: true,
			Description: "EICAR anti-virus test file (68 bytes, also with LF or CR LF appended)",
			Sources: []Source{{Name: "EICAR test file (built in)", SHA256: hexString(sum[:]), Size: int64(len(e)),
				Format: "builtin", Records: int64(len(ds[MD5]))}},
			Tool: bi.Program + " " + bi.Version,
		}
		b, err := buildBytes(h, ds)
		if err != nil {
			panic("hashset: building the built-in set: " + err.Error())
		}
		s, err := openBytes(b)
		if err != nil {
			panic("hashset: opening the built-in set: " + err.Error())
		}
		builtinSet = s
	})
	return builtinSet
}

// BuiltinNames lists the built-in sets.
func BuiltinNames() []string { return []string{EICARName} }

func isBuiltin(name string) bool { return name == EICARName }

func builtin(name string) (*Set, bool) {
	if name == EICARName {
		return builtinEICAR(), true
	}
	return nil, false
}
