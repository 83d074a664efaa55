package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/big"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Load reads a YAML or JSON config file and merges it over a base preset: the one the file
// names with "preset: X", otherwise nfl2022. See Parse for the accepted forms. The result is
// not validated; call Validate after applying any overrides.
func Load(path string) (Config, error) {
	return LoadWithPreset(path, "")
}

// LoadWithPreset is Load with defaultPreset as the base when the file names none ("" means
// nfl2022).
func LoadWithPreset(path, defaultPreset string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// The error names the path already as Source: keep only the reason, as in
		// "cfg.yaml: no such file or directory".
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Config{}, &ConfigError{Source: path, Err: err}
	}
	return Parse(data, path, defaultPreset)
}

// Parse decodes a config from YAML or JSON text (JSON is recognised by its content; source
// names it in errors) merged over a base preset: the file's "preset: X", else defaultPreset,
// else nfl2022. Accepted forms, which may be mixed:
//
//   - flat, NFL style: "rnn_type: RNN", "place_cell_rf: 'Uniform( 0.06 , 0.24 )'", "Ng: 1024";
//     every key may be canonical ("model.ng"), an alias (aliases.go) or an unambiguous bare name;
//   - nested by section: "model: {ng: 1024}";
//   - W&B: each key mapping to {value: X} (a W&B run's config.yaml, "desc" ignored), or a sweep
//     file whose "parameters" each hold a single-element "values" list or a "value";
//   - the JSON that Config.JSON writes (Dist values as numbers or NFL strings);
//   - a run directory's config.json, which holds that JSON under "config" beside what produced
//     the run (gridcells_version, go_version, backend, code_fingerprint: train.RunInfo), so a
//     run's settings can be reused with --config.
//
// Unknown keys and bad values are *ConfigError (joined when there are several) naming the
// source, line and key.
func Parse(data []byte, source, defaultPreset string) (Config, error) {
	root, err := parseTree(data, source)
	if err != nil {
		return Config{}, err
	}
	root = runConfig(root)
	var entries []entry
	var errs []error
	presetName := defaultPreset
	if root != nil {
		if root.Kind != yaml.MappingNode {
			return Config{}, &ConfigError{Source: source, Line: root.Line, Err: fmt.Errorf("%w: the file must be a mapping of keys to values", ErrBadValue)}
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			k, v := root.Content[i], root.Content[i+1]
			switch {
			case k.Value == "preset" && v.Kind == yaml.ScalarNode:
				presetName = v.Value
			case k.Value == "parameters" && v.Kind == yaml.MappingNode:
				// A W&B sweep file: its parameters are the options.
				errs = flatten(v, "", source, &entries, errs)
			case ignoredTopLevel[k.Value]:
			default:
				errs = flattenPair(k, v, "", source, &entries, errs)
			}
		}
	}
	// A preset given in the W&B forms ({value: X}, parameters) selects the base too.
	kept := entries[:0]
	for _, e := range entries {
		if e.spec.key == "preset" {
			presetName = e.value
			continue
		}
		kept = append(kept, e)
	}
	entries = kept
	if presetName == "" {
		presetName = PresetNFL2022
	}
	cfg, err := Preset(presetName)
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			ce.Source = source
		}
		return Config{}, errors.Join(append([]error{err}, errs...)...)
	}
	// One field written twice (Ng and then ng, model.ng and n_grid_cells) with two values:
	// which one was meant is a guess, so neither is taken.
	first := map[string]entry{}
	for _, e := range entries {
		if f, ok := first[e.spec.key]; ok && !sameValue(e.spec.kind, f.value, e.value) {
			errs = append(errs, &ConfigError{Source: source, Line: e.line, Key: e.spec.key, Written: e.written,
				Err: fmt.Errorf("%w: %q here, but %q as %s at line %d; give the key once", ErrBadValue, e.value, f.value, f.written, f.line)})
		} else if !ok {
			first[e.spec.key] = e
		}
	}
	rv := reflect.ValueOf(&cfg).Elem()
	for _, e := range entries {
		if err := e.spec.set(rv.FieldByIndex(e.spec.index), e.value); err != nil {
			errs = append(errs, &ConfigError{Source: source, Line: e.line, Key: e.spec.key, Written: e.written, Err: err})
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// runInfoKeys are the keys of a run's config.json (train.RunInfo) beside its "config".
var runInfoKeys = map[string]bool{
	"gridcells_version": true, "go_version": true, "backend": true, "code_fingerprint": true,
}

// runConfig returns the "config" mapping of a run's config.json: a root whose keys are
// "config", holding a mapping, and only runInfoKeys besides. Any other root is returned as is.
func runConfig(root *yaml.Node) *yaml.Node {
	if root == nil || root.Kind != yaml.MappingNode {
		return root
	}
	var inner *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch {
		case k.Value == "config" && v.Kind == yaml.MappingNode:
			inner = v
		case !runInfoKeys[k.Value]:
			return root
		}
	}
	if inner == nil {
		return root
	}
	return inner
}

// entry is one resolved leaf of a config file.
type entry struct {
	spec    *keySpec
	written string
	value   string
	line    int
}

// parseTree parses YAML (which covers most JSON); JSON that the YAML parser rejects (tabs,
// for instance) is decoded with encoding/json instead, without line numbers.
func parseTree(data []byte, source string) (*yaml.Node, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	yerr := dec.Decode(&doc)
	if errors.Is(yerr, io.EOF) {
		return nil, nil // empty file
	}
	if yerr == nil {
		// A second document would otherwise be dropped without a word: a multi-document
		// file is a sweep (one W&B sweep per document), which one config cannot hold.
		for {
			var next yaml.Node
			err := dec.Decode(&next)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, &ConfigError{Source: source, Err: err}
			}
			if !emptyDocument(&next) {
				return nil, &ConfigError{Source: source, Line: next.Line, Err: fmt.Errorf("%w: a second YAML document (after \"---\"): a config file describes one run (use \"gridcells sweep\" for a file of several)", ErrBadValue)}
			}
		}
		if len(doc.Content) == 0 {
			return nil, nil
		}
		return doc.Content[0], nil
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Valid(trimmed) {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			return jsonToNode(v), nil
		}
	}
	return nil, &ConfigError{Source: source, Err: yerr}
}

// emptyDocument reports a YAML document with nothing in it (a trailing "---").
func emptyDocument(doc *yaml.Node) bool {
	return len(doc.Content) == 0 || (len(doc.Content) == 1 && doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null")
}

// jsonToNode converts decoded JSON to a YAML node tree (keys sorted for determinism).
func jsonToNode(v any) *yaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := make([]string, 0, len(t))
		for k := range t {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, jsonToNode(t[k]))
		}
		return n
	case []any:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for _, e := range t {
			n.Content = append(n.Content, jsonToNode(e))
		}
		return n
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: t}
	default:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: fmt.Sprint(t)}
	}
}

func flatten(m *yaml.Node, section, source string, entries *[]entry, errs []error) []error {
	for i := 0; i+1 < len(m.Content); i += 2 {
		errs = flattenPair(m.Content[i], m.Content[i+1], section, source, entries, errs)
	}
	return errs
}

// flattenPair resolves one key: value pair (section is "" at top level) into entries.
func flattenPair(k, v *yaml.Node, section, source string, entries *[]entry, errs []error) []error {
	written := k.Value
	if section != "" {
		written = section + "." + k.Value
	}
	fail := func(key string, err error) []error {
		return append(errs, &ConfigError{Source: source, Line: k.Line, Key: key, Written: written, Err: err})
	}
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	// Nested section: "model: {ng: 1024}".
	if section == "" && sections[k.Value] && v.Kind == yaml.MappingNode && !isWandbLeaf(v) {
		return flatten(v, k.Value, source, entries, errs)
	}
	spec, err := lookup(written)
	if err != nil {
		return fail(written, err)
	}
	if section != "" && spec.section != section {
		return fail(written, fmt.Errorf("%w %q in section %q", ErrUnknownKey, k.Value, section))
	}
	leaf, err := leafValue(v, spec)
	if err != nil {
		return fail(spec.key, err)
	}
	*entries = append(*entries, entry{spec: spec, written: written, value: leaf, line: k.Line})
	return errs
}

func isWandbLeaf(v *yaml.Node) bool {
	for i := 0; i+1 < len(v.Content); i += 2 {
		if k := v.Content[i].Value; k == "value" || k == "values" {
			return true
		}
	}
	return false
}

// leafValue turns a value node into the string Set parses.
func leafValue(v *yaml.Node, spec *keySpec) (string, error) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return "", fmt.Errorf("%w: no value given", ErrBadValue)
		}
		return v.Value, nil
	case yaml.SequenceNode:
		if spec.kind != kindInts {
			return "", fmt.Errorf("%w: a list is allowed only for int-list keys", ErrBadValue)
		}
		parts := make([]string, len(v.Content))
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("%w: list elements must be integers", ErrBadValue)
			}
			parts[i] = e.Value
		}
		return strings.Join(parts, ","), nil
	case yaml.MappingNode:
		var value, values, kind *yaml.Node
		var a, b *yaml.Node
		for i := 0; i+1 < len(v.Content); i += 2 {
			switch v.Content[i].Value {
			case "value":
				value = v.Content[i+1]
			case "values":
				values = v.Content[i+1]
			case "desc":
			case "kind":
				kind = v.Content[i+1]
			case "a":
				a = v.Content[i+1]
			case "b":
				b = v.Content[i+1]
			default:
				return "", fmt.Errorf("%w: unexpected field %q in the value mapping (want {value: X})", ErrBadValue, v.Content[i].Value)
			}
		}
		switch {
		case value != nil:
			return leafValue(value, spec)
		case values != nil:
			if values.Kind != yaml.SequenceNode {
				return leafValue(values, spec)
			}
			if len(values.Content) != 1 {
				return "", fmt.Errorf("%w: %d values given; a config file describes one run (use \"gridcells sweep\" for sweeps)", ErrBadValue, len(values.Content))
			}
			return leafValue(values.Content[0], spec)
		case kind != nil && spec.kind == kindDist:
			// The object form of Dist: {kind: uniform, a: 0.06, b: 0.24}.
			d := Dist{Kind: strings.ToLower(kind.Value)}
			if a != nil {
				var err error
				if d.A, err = strconv.ParseFloat(strings.TrimSpace(a.Value), 64); err != nil { // the whole text: Sscan took "0.06x" as 0.06
					return "", fmt.Errorf("%w: a = %q is not a number", ErrBadValue, a.Value)
				}
			}
			if b != nil {
				var err error
				if d.B, err = strconv.ParseFloat(strings.TrimSpace(b.Value), 64); err != nil {
					return "", fmt.Errorf("%w: b = %q is not a number", ErrBadValue, b.Value)
				}
			}
			if d.Kind != DistConst && d.Kind != DistUniform && d.Kind != DistPoisson {
				return "", fmt.Errorf("%w: Dist kind %q; allowed: const, uniform, poisson", ErrBadValue, kind.Value)
			}
			return d.String(), nil
		}
		return "", fmt.Errorf("%w: want a value, got a mapping", ErrBadValue)
	}
	return "", fmt.Errorf("%w: unsupported YAML node", ErrBadValue)
}

// sameValue reports whether two texts written for one key mean the same value: "64",
// "64.0" and "6.4e1" for a number, "0.12" and "0.120" inside a distribution. Texts that do
// not parse are compared as written (the value's own check reports them).
func sameValue(kind fieldKind, a, b string) bool {
	if a == b {
		return true
	}
	switch kind {
	case kindInt, kindUint:
		// As integers: through float64, distinct seeds above 2^53 compared equal.
		x, okA := wholeNumber(a)
		y, okB := wholeNumber(b)
		return okA && okB && x.Cmp(y) == 0
	case kindFloat:
		x, errA := strconv.ParseFloat(strings.TrimSpace(a), 64)
		y, errB := strconv.ParseFloat(strings.TrimSpace(b), 64)
		return errA == nil && errB == nil && x == y
	case kindBool:
		x, errA := strconv.ParseBool(strings.TrimSpace(a))
		y, errB := strconv.ParseBool(strings.TrimSpace(b))
		return errA == nil && errB == nil && x == y
	case kindDist:
		x, errA := ParseDist(a)
		y, errB := ParseDist(b)
		return errA == nil && errB == nil && x == y
	}
	return false
}

// wholeNumber parses an integer written as one ("64") or as a number with no fraction
// ("64.0", "6.4e1"), exactly.
func wholeNumber(s string) (*big.Int, bool) {
	r, ok := new(big.Rat).SetString(strings.TrimSpace(s))
	if !ok || !r.IsInt() {
		return nil, false
	}
	return r.Num(), true
}
