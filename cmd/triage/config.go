package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/triagekit/triage/hashset"
	"github.com/triagekit/triage/triage/casedb"
	"github.com/triagekit/triage/triage/casework"
)

// Config is the configuration file, $XDG_CONFIG_HOME/triage/config.json
// (or $TRIAGE_CONFIG): defaults for flags. A flag given on the command
// line wins over the environment ($TRIAGE_EXAMINER, $TRIAGE_HASHSET_DIR),
// which wins over the file, which wins over the built-in default.
type Config struct {
	// Examiner is the --examiner of every command, and of a case `case
	// init` or a first scan creates.
	Examiner string `json:"examiner,omitempty"`
	// TimeZone is the display time zone (--timezone) of a case `case
	// init` or a first scan creates; an existing case keeps its own.
	TimeZone string `json:"timezone,omitempty"`
	// Hash is scan's --hash: the digests to compute ("md5,sha1,sha256").
	Hash string `json:"hash,omitempty"`
	// ReportFormats is report's --format.
	ReportFormats []string `json:"report_formats,omitempty"`
	// HashsetDir is the hash-set library (--hashset-dir).
	HashsetDir string `json:"hashset_dir,omitempty"`
	// Workers is scan's --workers.
	Workers int `json:"workers,omitempty"`
}

// EnvConfig names a configuration file to read instead of the default one.
const EnvConfig = "TRIAGE_CONFIG"

// maxConfigSize bounds the configuration file read.
const maxConfigSize = 1 << 20

// configPath returns the configuration file's path: $TRIAGE_CONFIG, else
// $XDG_CONFIG_HOME/triage/config.json, else ~/.config/triage/config.json
// ("" when there is no home either).
func configPath() string {
	if p := os.Getenv(EnvConfig); p != "" {
		return p
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil || home == "" {
			return ""
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "triage", "config.json")
}

// loadConfig reads the configuration file at path; a missing file is an
// empty configuration (found false).
func loadConfig(path string) (cfg *Config, found bool, err error) {
	cfg = &Config{}
	if path == "" {
		return cfg, false, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return cfg, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the configuration file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return nil, false, fmt.Errorf("cannot read the configuration file %s: %w", path, err)
	}
	if len(b) > maxConfigSize {
		return nil, false, fmt.Errorf("configuration file %s: larger than %d bytes", path, maxConfigSize)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(cfg); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, false, fmt.Errorf("configuration file %s: invalid JSON at byte %d: %v", path, se.Offset, err)
		}
		return nil, false, fmt.Errorf("configuration file %s: %v", path, err)
	}
	if cfg.Workers < 0 {
		return nil, false, fmt.Errorf("configuration file %s: workers must be 0 or more, got %d", path, cfg.Workers)
	}
	return cfg, true, nil
}

// configSetting is one setting of the file: the flag it gives a default
// to, the environment variable that wins over it, and where it applies.
type configSetting struct {
	key  string // the JSON key
	flag string
	env  string // "" when none
	// commands are the command paths it applies to (nil: every command
	// with the flag).
	commands []string
	// except are command paths it never applies to.
	except []string
	// newCase is set for settings of a new case only: scan applies them
	// when its case does not exist yet.
	newCase bool
	value   func(*Config) string
}

var configSettings = []configSetting{
	// case set changes a header: only what is given.
	{key: "examiner", flag: "examiner", env: casework.EnvExaminer, except: []string{"triage case set"}, value: func(c *Config) string { return c.Examiner }},
	{key: "timezone", flag: "timezone", commands: []string{"triage case init", "triage scan"}, newCase: true, value: func(c *Config) string { return c.TimeZone }},
	{key: "hash", flag: "hash", commands: []string{"triage scan"}, value: func(c *Config) string { return c.Hash }},
	{key: "report_formats", flag: "format", commands: []string{"triage report"}, value: func(c *Config) string { return strings.Join(c.ReportFormats, ",") }},
	{key: "hashset_dir", flag: "hashset-dir", env: hashset.EnvDir, value: func(c *Config) string { return c.HashsetDir }},
	{key: "workers", flag: "workers", commands: []string{"triage scan"}, value: func(c *Config) string {
		if c.Workers == 0 {
			return ""
		}
		return strconv.Itoa(c.Workers)
	}},
}

// applyConfig sets the flags of cmd that were not given on the command
// line (and whose environment variable is unset) from the configuration
// file.
func applyConfig(cmd *cobra.Command) error {
	if cmd.Name() == "config" {
		return nil // it shows the file, broken or not
	}
	var cfg *Config
	for _, s := range configSettings {
		f := cmd.Flags().Lookup(s.flag)
		if f == nil || f.Changed || (s.env != "" && os.Getenv(s.env) != "") {
			continue
		}
		if s.commands != nil && !contains(s.commands, cmd.CommandPath()) || contains(s.except, cmd.CommandPath()) {
			continue
		}
		if s.newCase && cmd.CommandPath() == "triage scan" {
			if dir, _ := cmd.Flags().GetString("case"); dir == "" || casedb.Exists(dir) {
				continue
			}
		}
		if cfg == nil {
			c, _, err := loadConfig(configPath())
			if err != nil {
				return err
			}
			cfg = c
		}
		v := s.value(cfg)
		if v == "" {
			continue
		}
		if err := cmd.Flags().Set(s.flag, v); err != nil {
			return fmt.Errorf("configuration file %s: %s: %v", configPath(), s.key, err)
		}
	}
	return nil
}

func init() { registerCommand(newConfigCommand) }

func newConfigCommand(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show the configuration file's path and the defaults in effect",
		Long: `Config prints where triage looks for its configuration file and the default
each setting has, with where it comes from: the environment, the file, or
triage itself. A flag given on the command line wins over all of them.

The file is JSON, at $XDG_CONFIG_HOME/triage/config.json (default
~/.config/triage/config.json), or at the path in $TRIAGE_CONFIG. Every key
is optional; an unknown key is an error:

  {
    "examiner": "A. Smith",
    "timezone": "Europe/London",
    "hash": "md5,sha1,sha256",
    "report_formats": ["html", "pdf"],
    "hashset_dir": "/srv/hashsets",
    "workers": 8
  }

examiner is the --examiner of every command (after $TRIAGE_EXAMINER);
timezone is the display time zone of a case 'case init' or a first scan
creates; hash and workers are scan's; report_formats is report's --format;
hashset_dir is --hashset-dir (after $TRIAGE_HASHSET_DIR).

` + exitStatusHelp,
		Example: "  triage config",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConfig(g.Out)
		},
	}
	return cmd
}

func runConfig(w io.Writer) error {
	path := configPath()
	cfg, found, err := loadConfig(path)
	state := "found"
	switch {
	case path == "":
		state = "no home directory"
	case err != nil:
		return err
	case !found:
		state = "not found: built-in defaults"
	}
	fmt.Fprintf(w, "configuration file: %s (%s)\n", path, state)
	builtin := map[string]string{
		"examiner":       "none: the case's examiner, else the login name",
		"timezone":       "UTC",
		"hash":           "md5,sha1,sha256",
		"report_formats": "html",
		"hashset_dir":    "$XDG_DATA_HOME/triage/hashsets",
		"workers":        "0 (16, or two per CPU when more)",
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, s := range configSettings {
		v, from := s.value(cfg), "configuration file"
		if s.env != "" && os.Getenv(s.env) != "" {
			v, from = os.Getenv(s.env), "$"+s.env
		}
		if v == "" {
			v, from = builtin[s.key], "built-in"
		}
		fmt.Fprintf(tw, "%s\t%s\t(%s)\n", s.key, v, from)
	}
	return tw.Flush()
}
