package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors, wrapped by the ConfigErrors this package returns; test with errors.Is.
var (
	ErrUnknownKey    = errors.New("unknown key")
	ErrUnknownPreset = errors.New("unknown preset")
	ErrBadValue      = errors.New("invalid value")
)

// ConfigError is a problem with one option: where it came from (a file, with the line when
// the YAML parser gives one, "--set", or empty for Validate), the key, and what is wrong.
// It is shaped like fs.PathError.
type ConfigError struct {
	Source  string // file name, "--set", or "" (Validate)
	Line    int    // 1-based line in Source, 0 if unknown
	Key     string // canonical key ("encoding.place_cell_rf"), or the key as written if unknown
	Written string // the key as the user wrote it, when it differs from Key (an alias)
	Err     error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.Source != "" {
		b.WriteString(e.Source)
		if e.Line > 0 {
			b.WriteString(":")
			b.WriteString(strconv.Itoa(e.Line))
		}
		b.WriteString(": ")
	}
	switch {
	case e.Written != "" && e.Written != e.Key && e.Key != "":
		b.WriteString(e.Written + " (" + e.Key + "): ")
	case e.Key != "":
		b.WriteString(e.Key + ": ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// BadValue is the error of a field whose value is not allowed: a *ConfigError for key,
// wrapping ErrBadValue, that reads "key: invalid value V; want". The FromConfig functions
// of sim, encode, nn and optim and their Validate methods return it, so that a caller
// tests one error type whichever package refused the value.
func BadValue(key string, value any, want string) error {
	return &ConfigError{Key: key, Err: fmt.Errorf("%w %v; %s", ErrBadValue, value, want)}
}
