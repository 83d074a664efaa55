package sweep

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/config"
)

// IDLength is the number of hex digits of a run id: 48 bits, so a collision among a
// million runs (MaxGridRuns) has probability about 1.8e-3, and among 20,000 about 7e-7
// (birthday bound n²/2⁴⁹). Expansion compares the full SHA-256 of configs that share an id
// and refuses a collision (runSet) rather than drop a network as a repeat.
const IDLength = 12

// streamRandom is the PCG stream of a random sweep's draws (the seed is the user's).
const streamRandom = 0x7377656570 // "sweep"

// maxDrawsPerRun bounds the draws of a random sweep whose space is smaller than the count
// asked for: after count·maxDrawsPerRun draws the sweep stops with the distinct runs found.
const maxDrawsPerRun = 50

// Run is one row of a manifest: a fully resolved, validated config.
type Run struct {
	Index  int           // 0-based row in the manifest
	ID     string        // ConfigID of Config
	Params Params        // the swept parameters' values in this run, in file order (ExpandAll adds keys that differ between documents)
	Config config.Config // the resolved config

	digest [sha256.Size]byte // SHA-256 of Config's JSON, of which ID is the prefix (set by expansion)
}

// Param is one swept parameter's value in a run.
type ParamValue struct {
	Key   string // canonical config key
	Value string // as config.Get formats it
}

// Params are a run's swept values, in the sweep file's order. They marshal to a JSON
// object whose keys keep that order.
type Params []ParamValue

// Get returns the value of key, or "" and false.
func (ps Params) Get(key string) (string, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Value returns the run's value of a canonical config key as tables group by it: the swept
// value as the manifest wrote it, else the resolved config's (config.Get).
func (r Run) Value(key string) (string, error) {
	if v, ok := r.Params.Get(key); ok {
		return v, nil
	}
	return config.Get(r.Config, key)
}

// Values returns Value of each of keys: the run's condition in a table grouped by them.
func (r Run) Values(keys []string) ([]string, error) {
	vals := make([]string, len(keys))
	for i, k := range keys {
		v, err := r.Value(k)
		if err != nil {
			return nil, err
		}
		vals[i] = v
	}
	return vals, nil
}

// String is "key=value key=value" for progress lines.
func (ps Params) String() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, " ")
}

// MarshalJSON writes {"key": "value", ...} in order.
func (ps Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Key)
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of string values, keeping the order.
func (ps *Params) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	t, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("sweep: params must be an object")
	}
	*ps = (*ps)[:0]
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v string
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("sweep: params: %w", err)
		}
		*ps = append(*ps, ParamValue{Key: kt.(string), Value: v})
	}
	_, err = dec.Token()
	return err
}

// ConfigID is the id of a resolved config: the first IDLength hex digits of the SHA-256 of
// its canonical JSON (config.Config.JSON: struct order, every field). Two runs with the same
// id would train the same network with the same seed.
func ConfigID(cfg config.Config) (string, error) {
	id, _, err := configDigest(cfg)
	return id, err
}

// configDigest returns ConfigID and the full SHA-256 it is the prefix of.
func configDigest(cfg config.Config) (string, [sha256.Size]byte, error) {
	j, err := cfg.JSON()
	if err != nil {
		return "", [sha256.Size]byte{}, err
	}
	sum := sha256.Sum256(j)
	return hex.EncodeToString(sum[:])[:IDLength], sum, nil
}

// runSet holds the runs kept so far by id, with the full digest of each config.
type runSet map[string][sha256.Size]byte

// add records r and reports whether it is new: false for a repeat of a kept run's config,
// and an error when a different config has r's id (a 48-bit collision, IDLength).
func (s runSet) add(r Run) (bool, error) {
	if d, ok := s[r.ID]; ok {
		if d != r.digest {
			return false, fmt.Errorf("%w: two different configs have the run id %s (a %d-bit collision); change a constant of the sweep slightly, or split it", ErrSweep, r.ID, 4*IDLength)
		}
		return false, nil
	}
	s[r.ID] = r.digest
	return true, nil
}

// ExpandSettings are the choices of one expansion that are not in the sweep file.
type ExpandSettings struct {
	// Preset is the base preset when the file names none ("" = nfl2022).
	Preset string
	// Sets are key=value overrides applied to every run after the sweep's values (the
	// --set flags); they may not touch a swept key.
	Sets []string
	// Count is the number of runs of a random sweep (0 = the file's run_cap). It must be 0
	// for a grid sweep, whose size is the product of its value counts (capped by run_cap).
	Count int
	// Seed seeds a random sweep's draws; the same file, count and seed give the same runs,
	// and a larger count extends the list of a smaller one. It must be 0 for a grid sweep,
	// which draws nothing (the networks' seeds are the config key seed).
	Seed uint64
	// SkipInvalid drops the combinations that fail validation (with a note) instead of
	// failing: some NFL files sweep values that cannot run (spec §6.3).
	SkipInvalid bool
}

// Expand resolves the sweep into runs: the base preset, the file's constant parameters,
// each run's swept values, then s.Sets; every run is validated. Grid order is the product
// of the swept parameters in file order with the last one varying fastest. Runs whose
// resolved configs coincide are kept once (notes says how many were dropped). Errors are
// *config.ConfigError values (joined) that name the file, line or run, and key.
func (sw *Sweep) Expand(s *ExpandSettings) (runs []Run, notes []string, err error) {
	if s == nil {
		s = &ExpandSettings{}
	}
	presetName := sw.Preset
	if presetName == "" {
		presetName = s.Preset
	}
	if presetName == "" {
		presetName = config.PresetNFL2022
	}
	base, err := config.Preset(presetName)
	if err != nil {
		return nil, nil, err
	}
	var swept []*Param
	for i := range sw.Params {
		p := &sw.Params[i]
		if p.Swept() {
			swept = append(swept, p)
			continue
		}
		if err := config.Set(&base, p.Key, p.Values[0]); err != nil {
			return nil, nil, sw.wrap(p.Line, err)
		}
	}
	// --set may not override a swept key: that would silently collapse the sweep.
	var sets []string
	for _, kv := range s.Sets {
		k, _, _ := strings.Cut(kv, "=")
		key, err := config.CanonicalKey(k)
		if err != nil {
			return nil, nil, &config.ConfigError{Source: "--set", Key: k, Err: err}
		}
		for _, p := range swept {
			if p.Key == key {
				return nil, nil, &config.ConfigError{Source: "--set", Key: key, Err: fmt.Errorf("%w: %s is swept by %s (line %d); remove it from --set or from the file", ErrSweep, key, sw.Source, p.Line)}
			}
		}
		sets = append(sets, kv)
	}
	if err := config.ApplySets(&base, sets); err != nil {
		return nil, nil, err
	}

	var combos [][]string // one value per swept parameter
	switch sw.Method {
	case MethodGrid:
		if s.Count != 0 {
			return nil, nil, &config.ConfigError{Source: sw.Source, Key: "method", Err: fmt.Errorf("%w: a count applies to random sweeps; this one is grid (cap it with run_cap)", ErrSweep)}
		}
		if s.Seed != 0 {
			// A grid draws nothing, so a seed here would be recorded and silently ignored.
			return nil, nil, &config.ConfigError{Source: sw.Source, Key: "method", Err: fmt.Errorf("%w: a draw seed applies to random sweeps; this one is grid (to train other networks, sweep the config key seed or --set seed=N)", ErrSweep)}
		}
		axes := make([]gridAxis, len(swept))
		for i, p := range swept {
			if axes[i], err = p.gridAxis(); err != nil {
				return nil, nil, sw.wrapKey(p.Line, p.Key, err)
			}
		}
		if combos, err = product(axes, sw.RunCap); err != nil {
			return nil, nil, &config.ConfigError{Source: sw.Source, Key: "method", Err: err}
		}
	case MethodRandom:
		count := s.Count
		if count == 0 {
			count = sw.RunCap
		}
		if count <= 0 {
			return nil, nil, &config.ConfigError{Source: sw.Source, Key: "run_cap", Err: fmt.Errorf("%w: a random sweep needs a count (--count N) or run_cap", ErrSweep)}
		}
		if sw.RunCap > 0 && count > sw.RunCap {
			notes = append(notes, fmt.Sprintf("count %d capped at run_cap %d", count, sw.RunCap))
			count = sw.RunCap
		}
		combos, err = sw.draw(swept, base, sets, count, s.Seed, s.SkipInvalid)
		if err != nil {
			return nil, nil, err
		}
		if len(combos) < count {
			notes = append(notes, fmt.Sprintf("only %d distinct runs found in %d draws (the space is smaller than the count)", len(combos), count*maxDrawsPerRun))
		}
	default:
		return nil, nil, &config.ConfigError{Source: sw.Source, Key: "method", Err: fmt.Errorf("%w: method %q", ErrSweep, sw.Method)}
	}

	seen := runSet{}
	var errs []error
	dups, invalid := 0, 0
	var firstInvalid error
	for _, combo := range combos {
		r, err := sw.resolve(base, swept, combo, sets)
		if err != nil && s.SkipInvalid && errors.Is(err, errInvalidRun) {
			if invalid == 0 {
				firstInvalid = err
			}
			invalid++
			continue
		}
		if err != nil {
			errs = append(errs, err)
			if len(errs) == 10 {
				errs = append(errs, fmt.Errorf("(further invalid runs not listed)"))
				break
			}
			continue
		}
		var added bool
		if runs, added, err = appendUnseen(runs, seen, r); err != nil {
			return nil, nil, &config.ConfigError{Source: sw.Source, Key: "method", Err: err}
		} else if !added {
			dups++
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Join(errs...)
	}
	if invalid > 0 {
		notes = append(notes, fmt.Sprintf("%s skipped; the first: %v", plural(invalid, "invalid combination", "invalid combinations"), firstInvalid))
	}
	if dups > 0 {
		notes = append(notes, fmt.Sprintf("%s the config of an earlier run: one run is kept for each config", plural(dups, "combination repeats", "combinations repeat")))
	}
	return runs, notes, nil
}

// ExpandAll expands each of sweeps (the documents of one file, ParseAll) with the same
// settings and concatenates their runs into one manifest, numbered from 0. A run whose
// resolved config an earlier document already produced is kept once (a paper-scale sweep
// may contain its ideal network twice, for instance); notes say how many were dropped.
func ExpandAll(sweeps []*Sweep, s *ExpandSettings) (runs []Run, notes []string, err error) {
	seen := runSet{}
	anyRandom := slices.ContainsFunc(sweeps, func(sw *Sweep) bool { return sw.Method == MethodRandom })
	for i, sw := range sweeps {
		ds := s
		if s != nil && anyRandom && sw.Method == MethodGrid && (s.Count != 0 || s.Seed != 0) {
			// --count and --seed are for the file's random documents; its grids draw nothing.
			// (A file of grids alone still refuses them, rather than ignore them.)
			c := *s
			c.Count, c.Seed = 0, 0
			ds = &c
		}
		rs, ns, err := sw.Expand(ds)
		if err != nil {
			if len(sweeps) > 1 {
				err = fmt.Errorf("document %d: %w", i+1, err)
			}
			return nil, nil, err
		}
		where := sw.Source
		if len(sweeps) > 1 {
			where = fmt.Sprintf("%s document %d", sw.Source, i+1)
		}
		for _, n := range ns {
			notes = append(notes, where+": "+n)
		}
		dup := 0
		for _, run := range rs {
			var added bool
			if runs, added, err = appendUnseen(runs, seen, run); err != nil {
				return nil, nil, fmt.Errorf("%s: %w", where, err)
			} else if !added {
				dup++
			}
		}
		if dup > 0 {
			notes = append(notes, fmt.Sprintf("%s: %s already in an earlier document, kept once", where, plural(dup, "run", "runs")))
		}
	}
	if err := annotateVarying(sweeps, runs); err != nil {
		return nil, nil, err
	}
	return runs, notes, nil
}

// plural writes n with the singular or plural phrase: "1 run", "3 runs".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// appendUnseen appends r to runs as the next row unless seen holds its id (the same
// resolved config, so the same network), and records the id.
func appendUnseen(runs []Run, seen runSet, r Run) ([]Run, bool, error) {
	if added, err := seen.add(r); !added {
		return runs, false, err
	}
	r.Index = len(runs)
	return append(runs, r), true, nil
}

// annotateVarying adds to every run's Params each key that some document writes and whose
// value differs between runs, where the run's document holds it constant. Documents often
// differ only in keys they each hold constant (one document per encoding, say); without
// this, the manifest, runs.csv and the default grouping of the table (DefaultBy) would not
// tell their runs apart.
func annotateVarying(sweeps []*Sweep, runs []Run) error {
	if len(sweeps) < 2 {
		return nil
	}
	var keys []string
	for _, sw := range sweeps {
		for _, p := range sw.Params {
			if !slices.Contains(keys, p.Key) {
				keys = append(keys, p.Key)
			}
		}
	}
	for _, k := range keys {
		vals := make([]string, len(runs))
		varies := false
		for i, r := range runs {
			v, err := r.Value(k)
			if err != nil {
				return err
			}
			vals[i] = v
			varies = varies || v != vals[0]
		}
		if !varies {
			continue
		}
		for i := range runs {
			if _, ok := runs[i].Params.Get(k); !ok {
				runs[i].Params = append(runs[i].Params, ParamValue{Key: k, Value: vals[i]})
			}
		}
	}
	return nil
}

// resolve builds one run from the base config and one value per swept parameter.
func (sw *Sweep) resolve(base config.Config, swept []*Param, combo []string, sets []string) (Run, error) {
	cfg := base.Clone()
	for i, p := range swept {
		if err := config.Set(&cfg, p.Key, combo[i]); err != nil {
			return Run{}, sw.wrap(p.Line, err)
		}
	}
	// --set wins over the file (it was applied to the base; reapplying restores keys that a
	// swept value may have touched through an alias of the same field).
	if err := config.ApplySets(&cfg, sets); err != nil {
		return Run{}, err
	}
	params := make(Params, len(swept))
	for i, p := range swept {
		v, err := config.Get(cfg, p.Key)
		if err != nil {
			return Run{}, err
		}
		params[i] = ParamValue{Key: p.Key, Value: v}
	}
	if err := cfg.ValidateNew(); err != nil {
		return Run{}, invalidRunError{fmt.Errorf("%s: the run with %s is invalid:\n%w", sw.Source, params, err)}
	}
	id, digest, err := configDigest(cfg)
	if err != nil {
		return Run{}, err
	}
	return Run{ID: id, Params: params, Config: cfg, digest: digest}, nil
}

// errInvalidRun marks a combination whose resolved config fails validation.
var errInvalidRun = errors.New("invalid run")

type invalidRunError struct{ error }

func (e invalidRunError) Unwrap() []error { return []error{e.error, errInvalidRun} }

// draw returns count distinct combinations of a random search, drawn in sequence from one
// seeded stream (so a larger count extends a smaller one). Combinations that repeat an
// earlier resolved config are redrawn.
func (sw *Sweep) draw(swept []*Param, base config.Config, sets []string, count int, seed uint64, skipInvalid bool) ([][]string, error) {
	rng := rand.New(rand.NewPCG(seed, streamRandom))
	seen := runSet{}
	var combos [][]string
	for tries := 0; len(combos) < count && tries < count*maxDrawsPerRun; tries++ {
		combo := make([]string, len(swept))
		for i, p := range swept {
			combo[i] = p.sample(rng)
		}
		r, err := sw.resolve(base, swept, combo, sets)
		if err != nil && skipInvalid && errors.Is(err, errInvalidRun) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if added, err := seen.add(r); err != nil {
			return nil, err
		} else if !added {
			continue
		}
		combos = append(combos, combo)
	}
	return combos, nil
}

// MaxGridRuns is the most runs a grid sweep may expand to without a run_cap: a grid's size
// is the product of its value counts, and a few int_uniform ranges multiply past what a
// manifest (and memory) can hold.
const MaxGridRuns = 1_000_000

// product returns the combinations of one value per axis, the last axis varying fastest,
// at most limit of them (0 = all); it lists only those, so a run_cap over a huge grid costs
// the runs it keeps. Without a limit, a grid of more than MaxGridRuns is an error.
func product(axes []gridAxis, limit int) ([][]string, error) {
	total, dims := int64(1), make([]string, len(axes))
	for i, a := range axes {
		dims[i] = strconv.FormatInt(a.n, 10)
		if a.n == 0 {
			total = 0
		} else if total > math.MaxInt64/a.n {
			total = math.MaxInt64 // saturate: only its size against the caps matters
		} else {
			total *= a.n
		}
	}
	if limit > 0 && int64(limit) < total {
		total = int64(limit)
	} else if limit <= 0 && total > MaxGridRuns {
		size := strconv.FormatInt(total, 10)
		if total == math.MaxInt64 {
			size = "more than 9.2e18"
		}
		return nil, fmt.Errorf("%w: a grid of %s runs (%s values) is more than %d; cap it with run_cap, or use method: random with a count",
			ErrSweep, size, strings.Join(dims, " × "), MaxGridRuns)
	}
	out := make([][]string, 0, total)
	idx := make([]int64, len(axes))
	for n := int64(0); n < total; n++ {
		c := make([]string, len(axes))
		for i, a := range axes {
			c[i] = a.at(idx[i])
		}
		out = append(out, c)
		for i := len(axes) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < axes[i].n {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// wrap gives a config error from Set the file and line.
func (sw *Sweep) wrap(line int, err error) error {
	var ce *config.ConfigError
	if errors.As(err, &ce) {
		c := *ce
		c.Source, c.Line = sw.Source, line
		return &c
	}
	return &config.ConfigError{Source: sw.Source, Line: line, Err: err}
}

func (sw *Sweep) wrapKey(line int, key string, err error) error {
	return &config.ConfigError{Source: sw.Source, Line: line, Key: key, Err: err}
}
