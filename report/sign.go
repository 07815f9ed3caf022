package report

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"aead.dev/minisign"
)

// Signature files use the minisign format (Ed25519, prehashed with
// BLAKE2b-512), so that stock `minisign -V -p KEY.pub -m FILE` verifies them.

// ErrWrongPassword is returned when a secret key does not decrypt.
var ErrWrongPassword = errors.New("wrong password for the secret key (or the key file is damaged)")

// ErrNotSecretKey is returned for a key file that is not a minisign secret key.
var ErrNotSecretKey = errors.New("not a minisign secret key")

// KeyPair holds the text of a newly generated key pair.
type KeyPair struct {
	Public []byte // "untrusted comment: ...\n<base64>\n"
	Secret []byte // encrypted with the password
	ID     string // key id, upper-case hex as minisign prints it
}

// GenerateKey creates an Ed25519 key pair whose secret key is encrypted with
// password (scrypt, minisign's sensitive cost parameters: about a second and
// 1 GiB of memory to decrypt).
func GenerateKey(password string) (*KeyPair, error) {
	if password == "" {
		return nil, errors.New("an empty password is not allowed")
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	sec, err := minisign.EncryptKey(password, priv)
	if err != nil {
		return nil, err
	}
	pt, _ := pub.MarshalText()
	return &KeyPair{Public: append(pt, '\n'), Secret: append(sec, '\n'), ID: KeyID(pub.ID())}, nil
}

// KeyID formats a minisign key id as minisign prints it.
func KeyID(id uint64) string { return strings.ToUpper(strconv.FormatUint(id, 16)) }

// Signer signs manifests.
type Signer struct {
	key minisign.PrivateKey
	pub minisign.PublicKey
}

// KeyID returns the id of the signing key.
func (s *Signer) KeyID() string { return KeyID(s.key.ID()) }

// PublicKey returns the public key line (base64) of the signer.
func (s *Signer) PublicKey() string { return s.pub.String() }

// LoadSigner reads a minisign secret key file. An encrypted key is decrypted
// with password; an unencrypted key (minisign -G -W) is accepted as is.
func LoadSigner(path, password string) (*Signer, error) {
	b, err := readLimited(path, 4096)
	if err != nil {
		return nil, fmt.Errorf("cannot read secret key: %w", err)
	}
	var pk minisign.PublicKey
	if pk.UnmarshalText(bytes.TrimSpace(b)) == nil {
		return nil, fmt.Errorf("%w: %s is a public key; sign with the secret key", ErrNotSecretKey, path)
	}
	var key minisign.PrivateKey
	if minisign.IsEncrypted(b) {
		if key, err = minisign.DecryptKey(password, b); err != nil {
			return nil, fmt.Errorf("%w: %s", ErrWrongPassword, path)
		}
	} else if err := key.UnmarshalText(bytes.TrimSpace(b)); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrNotSecretKey, path, err)
	}
	pub, ok := key.Public().(minisign.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNotSecretKey, path)
	}
	return &Signer{key: key, pub: pub}, nil
}

// KeyIsEncrypted reports whether the key file at path holds an encrypted
// minisign secret key (and so needs a password).
func KeyIsEncrypted(path string) bool {
	b, err := readLimited(path, 4096)
	return err == nil && minisign.IsEncrypted(b)
}

// Sign returns a minisign signature of msg with the trusted comment.
func (s *Signer) Sign(msg []byte, trustedComment string) []byte {
	r := minisign.NewReader(bytes.NewReader(msg))
	buf := make([]byte, 32<<10)
	for {
		if _, err := r.Read(buf); err != nil {
			break
		}
	}
	return r.SignWithComments(s.key, trustedComment, "signature from triage secret key "+s.KeyID())
}

// VerifySignature checks a minisign signature of msg with the public key
// given as key file text or a bare base64 line. It returns the trusted
// comment on success.
func VerifySignature(pubText string, msg, sig []byte) (string, error) {
	var pub minisign.PublicKey
	if err := pub.UnmarshalText([]byte(strings.TrimSpace(pubText))); err != nil {
		return "", fmt.Errorf("bad public key: %w", err)
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return "", fmt.Errorf("not a minisign signature: %w", err)
	}
	if s.KeyID != pub.ID() {
		return "", fmt.Errorf("signed by key %s, not by key %s", KeyID(s.KeyID), KeyID(pub.ID()))
	}
	if !minisign.Verify(pub, msg, sig) {
		return "", errors.New("signature does not match the file (the file or its signature was changed)")
	}
	return s.TrustedComment, nil
}
