// Package config is the typed configuration of a gridcells run: the Config struct, the
// presets (nfl2022, sorscher2019, banino2018, quick), loading from YAML or JSON files in
// this toolkit's own form or in the NFL, Sorscher and W&B forms (aliases.go), "key=value"
// overrides, validation, and JSON/YAML output.
//
// Precedence: --set overrides, then the config file, then the preset the file names (or the
// command's default preset).
//
// The key set is closed and derived from the struct: every field is addressed by a canonical
// key "section.field" (the json tags, e.g. "model.ng", "encoding.place_cell_rf"), by its bare
// field name when that is unambiguous ("ng"), or by an alias from the reference codebases
// ("Ng", "place_field_values", "n_place_fields_per_cell"). Run "gridcells config --list-keys"
// for the list with types, defaults and allowed values.
//
// Errors: bad user input (unknown keys, malformed values, constraint violations) is returned
// as *ConfigError values (joined with errors.Join when there are several) that name the
// source, line and key and list what is allowed; they wrap ErrUnknownKey, ErrBadValue,
// ErrBadDist or ErrUnknownPreset. The package panics only on programmer errors in the Config
// struct itself (an unsupported field type), at init.
package config
