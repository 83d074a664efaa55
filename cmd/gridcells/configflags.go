package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"strings"

	"github.com/gridcells/gridcells/config"
)

// configFlags are the flags every command that runs from a config shares:
// --preset, --config and repeatable --set. Set Preset to the command's default preset
// before Register:
//
//	cf := configFlags{Preset: config.PresetQuick}
//	cf.Register(fs)
//	...
//	cfg, err := cf.Resolve()
type configFlags struct {
	Preset string   // base preset; its value before Register is the flag's default
	File   string   // --config FILE
	Sets   []string // --set key=value, in order

	presetSet bool // --preset given explicitly on the command line
}

// Register adds --preset, --config and --set to fs.
func (c *configFlags) Register(fs *flag.FlagSet) {
	if c.Preset == "" {
		c.Preset = config.PresetNFL2022
	}
	fs.Func("preset", fmt.Sprintf("base preset `name`: %s (default %q)", strings.Join(config.PresetNames(), ", "), c.Preset), func(v string) error {
		c.Preset = v
		c.presetSet = true
		return nil
	})
	fs.StringVar(&c.File, "config", "", "YAML or JSON config `file` over the preset (NFL, W&B and nested forms, and a run directory's config.json, accepted)")
	fs.Func("set", "override one option, `key=value` (repeatable; wins over --config); see \"gridcells config --list-keys\"", func(v string) error {
		c.Sets = append(c.Sets, v)
		return nil
	})
}

// Resolve builds the run's config: the preset, then the file, then the --set overrides,
// and validates it. Invalid input is returned as a UsageError (exit status 2).
func (c *configFlags) Resolve() (config.Config, error) {
	var cfg config.Config
	var err error
	if c.File != "" {
		cfg, err = config.LoadWithPreset(c.File, c.Preset)
		if err == nil && c.presetSet && !strings.EqualFold(cfg.Preset, c.Preset) {
			err = fmt.Errorf("--preset %s conflicts with \"preset: %s\" in %s", c.Preset, cfg.Preset, c.File)
		}
	} else {
		cfg, err = config.Preset(c.Preset)
	}
	if err == nil {
		err = config.ApplySets(&cfg, c.Sets)
	}
	if err == nil {
		err = cfg.ValidateNew()
	}
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return config.Config{}, UsageError{fmt.Errorf("--config %w", err)} // the file, not its content
	}
	if err != nil {
		return config.Config{}, UsageError{fmt.Errorf("invalid config:\n%w", indent(err))}
	}
	return cfg, nil
}

// indentedError prints each line of a (joined) error on its own indented line.
type indentedError struct{ err error }

// maxIndentedLines caps the lines an indentedError prints: a file given by mistake (a CSV
// as --config) has an unknown key on every line, and the first few say what is wrong.
const maxIndentedLines = 20

func (e indentedError) Error() string {
	lines := strings.Split(e.err.Error(), "\n")
	if n := len(lines); n > maxIndentedLines {
		lines = append(lines[:maxIndentedLines-1], fmt.Sprintf("… and %d more lines", n-maxIndentedLines+1))
	}
	return "  " + strings.Join(lines, "\n  ")
}
func (e indentedError) Unwrap() error { return e.err }

func indent(err error) error { return indentedError{err} }
