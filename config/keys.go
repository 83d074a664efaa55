package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// The key set is derived from the Config struct by reflection, so adding a field adds its key
// (with its type, enum and help text from the struct tags) everywhere: Set, Load, Keys.

type fieldKind int

const (
	kindString fieldKind = iota
	kindEnum
	kindInt
	kindUint
	kindFloat
	kindBool
	kindDist
	kindInts
)

var kindNames = [...]string{
	kindString: "string",
	kindEnum:   "enum",
	kindInt:    "int",
	kindUint:   "uint",
	kindFloat:  "float",
	kindBool:   "bool",
	kindDist:   "dist",
	kindInts:   "int list",
}

// keySpec describes one settable option.
type keySpec struct {
	key     string // canonical: "section.name", or "name" at top level
	section string // "" at top level
	name    string // the json name
	kind    fieldKind
	index   []int    // reflect field index path from Config
	enum    []string // allowed values for kindEnum
	// optional marks an omitempty enum: "" is allowed and means the default, its first value
	// (which set stores as ""), so that adding such a key leaves the JSON, and the config id,
	// of existing configs as it was.
	optional bool
	help     string
}

var (
	registry  []*keySpec          // struct order
	byKey     map[string]*keySpec // canonical key → spec
	byBare    map[string]*keySpec // unambiguous bare name → spec
	ambiguous map[string][]string // bare name → canonical keys sharing it
	sections  = map[string]bool{} // section names
	aliasesOf map[string][]string // canonical key → aliases (sorted)
	lowerKeys map[string]*keySpec // lower-cased canonical keys, bare names and aliases
	distType  = reflect.TypeOf(Dist{})
)

func init() {
	byKey = map[string]*keySpec{}
	byBare = map[string]*keySpec{}
	ambiguous = map[string][]string{}
	walkFields(reflect.TypeOf(Config{}), "", nil)
	for name, keys := range ambiguous {
		if len(keys) > 1 {
			delete(byBare, name)
		} else {
			delete(ambiguous, name)
		}
	}
	aliasesOf = map[string][]string{}
	for a, k := range aliases {
		if byKey[k] == nil {
			panic("config: alias " + a + " names unknown key " + k)
		}
		aliasesOf[k] = append(aliasesOf[k], a)
	}
	for _, l := range aliasesOf {
		sort.Strings(l)
	}
	lowerKeys = map[string]*keySpec{}
	for k, s := range byKey {
		lowerKeys[strings.ToLower(k)] = s
	}
	for k, s := range byBare {
		if _, dup := lowerKeys[strings.ToLower(k)]; !dup {
			lowerKeys[strings.ToLower(k)] = s
		}
	}
	for a, k := range aliases {
		if _, dup := lowerKeys[strings.ToLower(a)]; !dup {
			lowerKeys[strings.ToLower(a)] = byKey[k]
		}
	}
}

func walkFields(t reflect.Type, section string, index []int) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		if f.Type.Kind() == reflect.Struct && f.Type != distType {
			if section != "" {
				panic("config: nested sections are not supported: " + section + "." + name)
			}
			sections[name] = true
			walkFields(f.Type, name, idx)
			continue
		}
		s := &keySpec{key: name, section: section, name: name, index: idx, help: f.Tag.Get("help")}
		if section != "" {
			s.key = section + "." + name
		}
		switch {
		case f.Type == distType:
			s.kind = kindDist
		case f.Type.Kind() == reflect.String && f.Tag.Get("enum") != "":
			s.kind = kindEnum
			s.enum = strings.Split(f.Tag.Get("enum"), "|")
			s.optional = opts == "omitempty"
		case f.Type.Kind() == reflect.String:
			s.kind = kindString
		case f.Type.Kind() == reflect.Int:
			s.kind = kindInt
		case f.Type.Kind() == reflect.Uint64:
			s.kind = kindUint
		case f.Type.Kind() == reflect.Float64:
			s.kind = kindFloat
		case f.Type.Kind() == reflect.Bool:
			s.kind = kindBool
		case f.Type == reflect.TypeOf([]int(nil)):
			s.kind = kindInts
		default:
			panic("config: unsupported field type " + f.Type.String() + " for " + s.key)
		}
		registry = append(registry, s)
		byKey[s.key] = s
		if section != "" {
			if _, ok := byKey[name]; !ok {
				byBare[name] = s
				ambiguous[name] = append(ambiguous[name], s.key)
			}
		}
	}
}

// lookup resolves a key as written (canonical, alias, unambiguous bare name, or
// "section.alias"; exact spelling first, then case-insensitively).
func lookup(name string) (*keySpec, error) {
	name = strings.TrimSpace(name)
	if s := byKey[name]; s != nil {
		return s, nil
	}
	if k, ok := aliases[name]; ok {
		return byKey[k], nil
	}
	if s := byBare[name]; s != nil {
		return s, nil
	}
	if s := lowerKeys[strings.ToLower(name)]; s != nil {
		return s, nil
	}
	if sec, rest, ok := strings.Cut(name, "."); ok && sections[strings.ToLower(sec)] {
		if s, err := lookup(rest); err == nil && s.section == strings.ToLower(sec) {
			return s, nil
		}
	}
	if keys, ok := ambiguous[name]; ok {
		return nil, fmt.Errorf("%w %q: ambiguous, use one of %s", ErrUnknownKey, name, strings.Join(keys, ", "))
	}
	if sections[name] {
		return nil, fmt.Errorf("%w %q: it is a section; name one of its keys (%s.…)", ErrUnknownKey, name, name)
	}
	msg := fmt.Sprintf("%q", name)
	if keys := byWords(name); len(keys) > 0 {
		msg += fmt.Sprintf("; did you mean %s?", quoteOr(keys))
	} else if s := suggest(name); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return nil, fmt.Errorf("%w %s (\"gridcells config --list-keys\" lists every key)", ErrUnknownKey, msg)
}

// CanonicalKey resolves a key as written (canonical, alias or bare name) to its canonical
// "section.name" form, or returns an error that names it and suggests the closest key.
func CanonicalKey(name string) (string, error) {
	s, err := lookup(name)
	if err != nil {
		return "", err
	}
	return s.key, nil
}

// byWords returns the canonical keys (at most three, in registry order) whose name contains
// every word of name's last component (words split at '_' and changes of case), when that
// component is not itself a key's name: "training.steps" finds
// training.n_grad_steps_per_epoch, which edit distance would not (it is nearer
// training.loss), and "batch" finds trajectory.batch_size and eval.batch_size.
func byWords(name string) []string {
	last := name[strings.LastIndex(name, ".")+1:]
	want := keyWords(last)
	if len(want) == 0 {
		return nil
	}
	var out []string
	for _, s := range registry {
		if len(out) == 3 {
			break
		}
		if strings.EqualFold(s.name, last) {
			continue
		}
		have := keyWords(s.name)
		all := true
		for _, w := range want {
			all = all && slices.Contains(have, w)
		}
		if all {
			out = append(out, s.key)
		}
	}
	return out
}

// keyWords splits a key name into lower-case words at '_', '-', spaces and lower-to-upper
// case changes (learningRate → learning, rate).
func keyWords(name string) []string {
	var words []string
	var cur []rune
	prevLower := false
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == ' ':
			flush()
			prevLower = false
			continue
		case unicode.IsUpper(r) && prevLower:
			flush()
		}
		cur = append(cur, r)
		prevLower = unicode.IsLower(r) || unicode.IsDigit(r)
	}
	flush()
	return words
}

// quoteOr lists keys as "a", "b" or "c".
func quoteOr(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = strconv.Quote(k)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// suggest returns the canonical key whose name, bare name or alias is closest to name in
// edit distance, or "" if none is close. Aliases are tried first so that ties resolve the
// way the alias table does (sequence_length → trajectory.sequence_length).
func suggest(name string) string {
	low := strings.ToLower(name)
	best, bestD := "", math.MaxInt
	consider := func(cand, canonical string) {
		if d := editDistance(low, strings.ToLower(cand)); d < bestD {
			best, bestD = canonical, d
		}
	}
	alist := make([]string, 0, len(aliases))
	for a := range aliases {
		alist = append(alist, a)
	}
	sort.Strings(alist)
	for _, a := range alist {
		consider(a, aliases[a])
	}
	for _, s := range registry {
		consider(s.key, s.key)
		consider(s.name, s.key)
	}
	if bestD > max(2, len(name)/3) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Set applies one override: key (canonical, alias or bare name) = value, the value parsed
// per the field's type (ints, floats, bools, enums, Dist strings like 'Uniform( 0.06 , 0.24 )',
// int lists like "44,20,32"). Errors are *ConfigError naming the key.
func Set(cfg *Config, key, value string) error {
	s, err := lookup(key)
	if err != nil {
		return &ConfigError{Key: strings.TrimSpace(key), Err: err}
	}
	if s.key == "preset" {
		// Changing the label would not change the values it stands for.
		return &ConfigError{Key: s.key, Err: fmt.Errorf("%w: the base preset is chosen with --preset or a file's \"preset:\", not overridden", ErrBadValue)}
	}
	if err := s.set(reflect.ValueOf(cfg).Elem().FieldByIndex(s.index), value); err != nil {
		return &ConfigError{Key: s.key, Written: strings.TrimSpace(key), Err: err}
	}
	return nil
}

// ApplySets applies "key=value" overrides in order (later ones win). All problems are
// reported together, each a *ConfigError with Source "--set".
func ApplySets(cfg *Config, sets []string) error {
	var errs []error
	for _, kv := range sets {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			errs = append(errs, &ConfigError{Source: "--set", Key: kv, Err: fmt.Errorf("%w: want key=value", ErrBadValue)})
			continue
		}
		if err := Set(cfg, k, v); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				ce.Source = "--set"
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Get returns the value of key in cfg formatted as Set accepts it.
func Get(cfg Config, key string) (string, error) {
	s, err := lookup(key)
	if err != nil {
		return "", &ConfigError{Key: key, Err: err}
	}
	return s.format(reflect.ValueOf(cfg).FieldByIndex(s.index)), nil
}

// AllowedValues returns the allowed values of an enum key (nil for other keys).
func AllowedValues(key string) []string {
	s, err := lookup(key)
	if err != nil || s.kind != kindEnum {
		return nil
	}
	return append([]string(nil), s.enum...)
}

// KeyInfo describes one option for users ("gridcells config --list-keys").
type KeyInfo struct {
	Key     string   // canonical key
	Type    string   // string, enum, int, uint, float, bool, dist, int list
	Default string   // value in Default(), formatted as Set accepts it
	Allowed []string // enum values
	Aliases []string // other accepted names
	Help    string
}

// Keys lists every option in struct order.
func Keys() []KeyInfo { return KeysOf(Default()) }

// KeysOf is Keys with the defaults taken from cfg (a preset, or a resolved config).
func KeysOf(cfg Config) []KeyInfo {
	def := reflect.ValueOf(cfg)
	out := make([]KeyInfo, 0, len(registry))
	for _, s := range registry {
		ki := KeyInfo{
			Key:     s.key,
			Type:    kindNames[s.kind],
			Default: s.format(def.FieldByIndex(s.index)),
			Allowed: append([]string(nil), s.enum...),
			Help:    s.help,
		}
		if s.section != "" && byBare[s.name] == s {
			ki.Aliases = append(ki.Aliases, s.name)
		}
		for _, a := range aliasesOf[s.key] {
			if a != s.name || byBare[s.name] != s {
				ki.Aliases = append(ki.Aliases, a)
			}
		}
		out = append(out, ki)
	}
	return out
}

func (s *keySpec) format(v reflect.Value) string {
	switch s.kind {
	case kindString, kindEnum:
		return v.String()
	case kindInt:
		return strconv.FormatInt(v.Int(), 10)
	case kindUint:
		return strconv.FormatUint(v.Uint(), 10)
	case kindFloat:
		return formatFloat(v.Float())
	case kindBool:
		return strconv.FormatBool(v.Bool())
	case kindDist:
		return v.Interface().(Dist).String()
	case kindInts:
		l := v.Interface().([]int)
		parts := make([]string, len(l))
		for i, n := range l {
			parts[i] = strconv.Itoa(n)
		}
		return strings.Join(parts, ",")
	}
	panic("config: unknown field kind")
}

// set parses raw per the field's type and stores it in v.
func (s *keySpec) set(v reflect.Value, raw string) error {
	t := strings.TrimSpace(raw)
	switch s.kind {
	case kindString:
		v.SetString(t)
	case kindEnum:
		if s.optional && t == "" {
			v.SetString("") // back to the default
			return nil
		}
		e, err := matchEnum(t, s.enum)
		if err != nil {
			return err
		}
		if s.optional && e == s.enum[0] {
			// An optional enum's first value is its default, stored as "": setting it
			// explicitly leaves the JSON and the config id as they were without the key.
			e = ""
		}
		v.SetString(e)
	case kindInt:
		n, err := parseInt(t)
		if err != nil {
			return err
		}
		v.SetInt(int64(n))
	case kindUint:
		n, err := strconv.ParseUint(strings.ReplaceAll(t, "_", ""), 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(t, 64)
			if ferr != nil || f < 0 || f != math.Trunc(f) || f >= 1<<63 {
				return fmt.Errorf("%w %q: want a non-negative integer", ErrBadValue, raw)
			}
			n = uint64(f)
		}
		v.SetUint(n)
	case kindFloat:
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%w %q: want a finite number", ErrBadValue, raw)
		}
		v.SetFloat(f)
	case kindBool:
		switch strings.ToLower(t) {
		case "true", "t", "1", "yes", "y", "on":
			v.SetBool(true)
		case "false", "f", "0", "no", "n", "off":
			v.SetBool(false)
		default:
			return fmt.Errorf("%w %q: want true or false", ErrBadValue, raw)
		}
	case kindDist:
		d, err := ParseDist(t)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(d))
	case kindInts:
		t = strings.TrimSuffix(strings.TrimPrefix(t, "["), "]")
		fields := strings.FieldsFunc(t, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
		if len(fields) == 0 {
			return fmt.Errorf("%w %q: want a comma-separated list of integers, e.g. 44,20,32", ErrBadValue, raw)
		}
		l := make([]int, len(fields))
		for i, f := range fields {
			n, err := parseInt(f)
			if err != nil {
				return err
			}
			l[i] = n
		}
		v.Set(reflect.ValueOf(l))
	default:
		panic("config: unknown field kind")
	}
	return nil
}

// parseInt accepts decimal integers (with optional '_' separators) and integral floats such
// as "1e4" or "10000.0", which YAML and W&B files contain.
func parseInt(t string) (int, error) {
	if n, err := strconv.Atoi(strings.ReplaceAll(t, "_", "")); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%w %q: want an integer", ErrBadValue, t)
	}
	return int(f), nil
}

// matchEnum returns the allowed spelling of v, matched case-insensitively with '-' = '_'.
func matchEnum(v string, allowed []string) (string, error) {
	norm := func(s string) string { return strings.ReplaceAll(strings.ToLower(s), "-", "_") }
	for _, a := range allowed {
		if norm(a) == norm(v) {
			return a, nil
		}
	}
	return "", fmt.Errorf("%w %q; allowed: %s", ErrBadValue, v, strings.Join(allowed, ", "))
}

// SetValue is Set for a value already decoded from YAML or JSON (string, bool, any integer
// or float type, []int, or a []any of those for int lists), as a sweep expander holds them.
func SetValue(cfg *Config, key string, v any) error {
	var s string
	switch t := v.(type) {
	case string:
		s = t
	case float64:
		s = formatFloat(t)
	case float32:
		s = strconv.FormatFloat(float64(t), 'g', -1, 32)
	case []int:
		parts := make([]string, len(t))
		for i, n := range t {
			parts[i] = strconv.Itoa(n)
		}
		s = strings.Join(parts, ",")
	case []any:
		parts := make([]string, len(t))
		for i, e := range t {
			parts[i] = fmt.Sprint(e)
		}
		s = strings.Join(parts, ",")
	case Dist:
		s = t.String()
	case nil:
		return &ConfigError{Key: key, Err: fmt.Errorf("%w: no value given", ErrBadValue)}
	default:
		s = fmt.Sprint(t) // bools and integers
	}
	return Set(cfg, key, s)
}
