package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/triagekit/triage/report"
)

func init() { registerCommand(newKeyCommand) }

// KeyGenerateOptions are the flags of `key generate`.
type KeyGenerateOptions struct {
	Output       string
	PasswordFile string
	Force        bool
}

// AddFlags registers the flags of `key generate`.
func (o *KeyGenerateOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.Output, "output", "o", "", "write the key pair to `BASE`.key (secret) and BASE.pub (public)")
	f.StringVar(&o.PasswordFile, "password-file", "", "read the password from the first line of `FILE` (default: ask on the terminal)")
	f.BoolVar(&o.Force, "force", false, "overwrite existing key files")
}

// keyPaths returns the secret and public key file names for a base name.
func keyPaths(base string) (sec, pub string) {
	base = strings.TrimSuffix(strings.TrimSuffix(base, ".key"), ".pub")
	return base + ".key", base + ".pub"
}

func newKeyCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "key",
		Short: "Manage the key pair that signs report manifests",
		Long: `Report manifests are signed with Ed25519 in the minisign format, so anyone can
check a signature with the stock minisign tool as well as with 'triage verify'.

` + exitStatusHelp,
		Example: `  triage key generate -o ~/.triage/examiner
  minisign -V -p ~/.triage/examiner.pub -m report.manifest.json`,
	}
	cmd.AddCommand(newKeyGenerateCommand(g, nil))
	return cmd
}

func newKeyGenerateCommand(g *globalOptions, runF func(*KeyGenerateOptions) error) *cobra.Command {
	opts := &KeyGenerateOptions{}
	cmd := &cobra.Command{
		Use:   "generate -o BASE",
		Short: "Create a password-protected signing key pair",
		Long: `Generate writes a new Ed25519 key pair in the minisign format: BASE.key, the
secret key, encrypted with a password (scrypt, minisign's cost parameters) and
readable only by its owner, and BASE.pub, the public key to hand to whoever
checks the reports. The password comes from --password-file, or is asked on
the terminal (twice); without a terminal and without --password-file the
command fails rather than prompt. Existing key files are not overwritten
unless --force is given.

` + exitStatusHelp,
		Example: `  triage key generate -o ~/.triage/examiner
  triage key generate -o lab-key --password-file /run/secrets/keypw`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Output == "" {
				return usageErrorf("-o BASE is required: where to write BASE.key and BASE.pub")
			}
			if runF != nil {
				return runF(opts)
			}
			return runKeyGenerate(cmd.Context(), opts, g)
		},
	}
	opts.AddFlags(cmd.Flags())
	return cmd
}

func runKeyGenerate(ctx context.Context, opts *KeyGenerateOptions, g *globalOptions) error {
	sec, pub := keyPaths(opts.Output)
	if !opts.Force {
		for _, p := range []string{sec, pub} {
			if _, err := os.Stat(p); err == nil {
				return &hintError{fmt.Errorf("%s already exists", p), "choose another -o, or give --force to replace it"}
			}
		}
	}
	pw, err := readPassword(g, opts.PasswordFile, "Password for the new secret key: ", true)
	if err != nil {
		return err
	}
	kp, err := report.GenerateKey(pw)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(sec, kp.Secret, 0o600); err != nil {
		return err
	}
	if err := writeFileAtomic(pub, kp.Public, 0o644); err != nil {
		os.Remove(sec)
		return err
	}
	fmt.Fprintf(g.Out, "key %s\nsecret key: %s\npublic key: %s\n", kp.ID, sec, pub)
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, perm)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
