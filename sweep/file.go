package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/gridcells/gridcells/config"
)

// Search methods of a sweep file (W&B "method"; ecosystem.md §5.1).
const (
	MethodGrid   = "grid"
	MethodRandom = "random"
)

// Distribution names of a parameter (W&B sweeps: src/sweeps/config/schema.json). Without a
// "distribution" key, "value" means constant, "values" categorical, integer min/max
// int_uniform, float min/max uniform and mu/sigma normal, as W&B infers them.
const (
	DistConstant           = "constant"
	DistCategorical        = "categorical"
	DistIntUniform         = "int_uniform"
	DistUniform            = "uniform"
	DistQUniform           = "q_uniform"
	DistLogUniform         = "log_uniform"        // min, max are ln of the bounds
	DistLogUniformValues   = "log_uniform_values" // min, max are the bounds
	DistQLogUniform        = "q_log_uniform"
	DistQLogUniformValues  = "q_log_uniform_values"
	DistInvLogUniform      = "inv_log_uniform" // X = exp(−U(min, max))
	DistInvLogUniformValue = "inv_log_uniform_values"
	DistNormal             = "normal"
	DistQNormal            = "q_normal"
	DistLogNormal          = "log_normal"
	DistQLogNormal         = "q_log_normal"
	DistBeta               = "beta"
	DistQBeta              = "q_beta"
)

var distributions = []string{
	DistConstant, DistCategorical, DistIntUniform, DistUniform, DistQUniform, DistLogUniform,
	DistLogUniformValues, DistQLogUniform, DistQLogUniformValues, DistInvLogUniform,
	DistInvLogUniformValue, DistNormal, DistQNormal, DistLogNormal, DistQLogNormal, DistBeta, DistQBeta,
}

// Sweep is a parsed sweep file.
type Sweep struct {
	Source string  // file name, used in errors
	Name   string  // W&B "name", informational
	Method string  // MethodGrid or MethodRandom
	Preset string  // base preset the file names ("preset: X" or a constant preset parameter), or ""
	RunCap int     // W&B run_cap: at most this many runs (0 = no cap)
	Metric Metric  // W&B metric, informational (the toolkit has no search that uses it)
	Params []Param // in file order, nested parameters flattened
	// Notes are the parts of the file that were read but have no effect here (program,
	// command, early_terminate, ...), one line each, for the user.
	Notes []string
}

// Metric is the W&B metric block.
type Metric struct {
	Name string
	Goal string
}

// Param is one parameter of a sweep: a config key and the values it takes.
type Param struct {
	Key     string // canonical config key ("model.rnn_type")
	Written string // the key as written, nested names joined with "." ("rnn_type")
	Line    int    // line of the key in the file

	Dist string // one of the Dist* names

	// Values are the constant (one) or categorical values, each a string that config.Set
	// parses: scalars as written ('Uniform( 0.06 , 0.24 )' stays a string that the config
	// interprets as a per-cell distribution), lists joined with ",". ValueLines are their
	// lines.
	Values        []string
	ValueLines    []int
	Probabilities []float64 // categorical weights, or nil for equal weights

	Min, Max  float64 // uniform family bounds
	Mu, Sigma float64 // normal family (defaults 0, 1)
	A, B      float64 // beta shape parameters
	Q         float64 // quantum of the q_ distributions (default 1)
	// intQ: q was written as an integer, so quantised draws are integers (W&B returns ints then).
	intQ bool
}

// Swept reports whether the parameter takes more than one value.
func (p *Param) Swept() bool {
	switch p.Dist {
	case DistConstant:
		return false
	case DistCategorical:
		return len(p.Values) > 1
	}
	return true
}

// gridAxis is the values a grid search enumerates for one parameter, listed lazily: an
// int_uniform over [0, 4e9] has 4e9 values, and a run_cap may take only the first few.
type gridAxis struct {
	n  int64                // number of values
	at func(i int64) string // value i, 0 ≤ i < n
}

// gridAxis returns the values a grid search enumerates, or an error for a continuous
// distribution (W&B's grid accepts only discrete parameters).
func (p *Param) gridAxis() (gridAxis, error) {
	switch p.Dist {
	case DistConstant, DistCategorical:
		if p.Probabilities != nil {
			// W&B refuses them too: a grid takes every value once, whatever its weight.
			return gridAxis{}, fmt.Errorf("%w: method grid takes every value once; probabilities apply to method: random", ErrSweep)
		}
		return gridAxis{int64(len(p.Values)), func(i int64) string { return p.Values[i] }}, nil
	case DistIntUniform:
		lo, hi := int64(p.Min), int64(p.Max)
		return gridAxis{max(hi-lo+1, 0), func(i int64) string { return strconv.FormatInt(lo+i, 10) }}, nil
	case DistQUniform:
		// W&B's grid takes numpy.arange(min, max, q): from min in steps of q, short of max,
		// and not rounded to multiples of q as a random draw is [wandb/sweeps grid_search.py].
		// The 1e-9 keeps a max that float arithmetic puts a hair past a whole step out.
		n := int64(math.Ceil((p.Max-p.Min)/p.Q - 1e-9))
		return gridAxis{max(n, 0), func(i int64) string { return formatFloat(tidyFloat(p.Min + float64(i)*p.Q)) }}, nil
	}
	return gridAxis{}, fmt.Errorf("%w: method grid enumerates only values, value, int_uniform and q_uniform; distribution %s needs method: random", ErrSweep, p.Dist)
}

// ParseAll parses a file of one or more sweep documents separated by "---" lines (as the
// built-in sweeps of package reproduce are: one document per condition), each as Parse
// does. Each document is parsed with the lines before it kept blank, so that errors name
// the line of the file. Documents holding nothing (a leading "---", comments) are skipped.
func ParseAll(data []byte, source string) ([]*Sweep, error) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	var out []*Sweep
	var errs []error
	start := 0
	flush := func(end int) {
		var doc bytes.Buffer
		for range start {
			doc.WriteByte('\n')
		}
		for _, l := range lines[start:end] {
			doc.Write(l)
		}
		if countDocuments(doc.Bytes()) == 0 {
			return
		}
		sw, err := Parse(doc.Bytes(), source)
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, sw)
	}
	for i, l := range lines {
		if isDocumentSeparator(l) {
			flush(i)
			start = i + 1
		}
	}
	flush(len(lines))
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(out) == 0 {
		return nil, &config.ConfigError{Source: source, Err: fmt.Errorf("%w: empty file", ErrSweep)}
	}
	return out, nil
}

// isDocumentSeparator reports whether line is YAML's document marker "---" at the start
// of the line, alone or followed by blanks or a comment ("--- # condition 2").
func isDocumentSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("---"))
	if !ok {
		return false
	}
	rest = bytes.TrimLeft(rest, " \t")
	return len(rest) == 0 || rest[0] == '#'
}

// countDocuments returns the number of non-empty YAML documents in data, or 1 when data
// does not parse (Parse reports that error).
func countDocuments(data []byte) int {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	n := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			return max(n, 1)
		}
		if len(doc.Content) > 0 {
			n++
		}
	}
}

// ErrSweep is wrapped by every error about the structure of a sweep file; the error is a
// *config.ConfigError naming the file, line and key.
var ErrSweep = errors.New("invalid sweep")

// Load reads and parses a sweep file (see Parse).
func Load(path string) (*Sweep, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.ConfigError{Source: path, Err: err}
	}
	return Parse(data, path)
}

// Parse parses a sweep file: the W&B sweep YAML subset (method grid|random, parameters with
// value, values (+ probabilities), distribution with min/max/mu/sigma/q/a/b, nested
// parameters, run_cap, metric; program, command, early_terminate and the W&B bookkeeping
// keys are read and ignored with a note) with the toolkit's config keys, their NFL aliases
// and the NFL value strings. Keys and every listed value are checked against the config
// (config.CanonicalKey, config.Set), so a bad file fails here with the line and key.
// All problems are reported together (errors.Join of *config.ConfigError).
//
// A file of several YAML documents is an error here (yaml.Unmarshal would read the first
// and drop the others without a word); ParseAll reads them all.
func Parse(data []byte, source string) (*Sweep, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &config.ConfigError{Source: source, Err: fmt.Errorf("%w: %v", ErrSweep, err)}
	}
	if n := countDocuments(data); n > 1 {
		return nil, &config.ConfigError{Source: source, Err: fmt.Errorf("%w: the file holds %d YAML documents (separated by ---), where one was expected", ErrSweep, n)}
	}
	sw := &Sweep{Source: source, Method: MethodGrid}
	if len(doc.Content) == 0 {
		return nil, &config.ConfigError{Source: source, Err: fmt.Errorf("%w: empty file", ErrSweep)}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, &config.ConfigError{Source: source, Line: root.Line, Err: fmt.Errorf("%w: the file must be a mapping (method, parameters, ...)", ErrSweep)}
	}
	p := parser{sw: sw}
	var params *yaml.Node
	methodGiven := false
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "method":
			methodGiven = true
			switch strings.ToLower(v.Value) {
			case MethodGrid, MethodRandom:
				sw.Method = strings.ToLower(v.Value)
			case "bayes":
				p.fail(k.Line, "method", "method bayes needs a W&B server to propose runs; allowed here: grid, random")
			default:
				p.fail(k.Line, "method", "unknown method %q; allowed: grid, random", v.Value)
			}
		case "parameters":
			if v.Kind != yaml.MappingNode {
				p.fail(k.Line, "parameters", "must be a mapping of parameter names to {value|values|distribution ...}")
				continue
			}
			params = v
		case "run_cap":
			n, err := strconv.Atoi(v.Value)
			if err != nil || n < 0 {
				p.fail(k.Line, "run_cap", "must be a non-negative integer, got %q", v.Value)
			}
			sw.RunCap = n
		case "metric":
			for j := 0; j+1 < len(v.Content); j += 2 {
				switch v.Content[j].Value {
				case "name":
					sw.Metric.Name = v.Content[j+1].Value
				case "goal":
					sw.Metric.Goal = v.Content[j+1].Value
				}
			}
			if sw.Metric.Name != "" {
				sw.Notes = append(sw.Notes, fmt.Sprintf("%s:%d: metric %s (%s) is informational: grid and random search do not use it", source, k.Line, sw.Metric.Name, sw.Metric.Goal))
			}
		case "name":
			sw.Name = v.Value
		case "preset":
			sw.Preset = v.Value
		case "program", "command", "job", "image_uri":
			sw.Notes = append(sw.Notes, fmt.Sprintf("%s:%d: %s ignored: each run is \"gridcells train\", started by \"gridcells sweep run\"", source, k.Line, k.Value))
		case "early_terminate", "controller":
			sw.Notes = append(sw.Notes, fmt.Sprintf("%s:%d: %s ignored: every run trains to the end (no sweep server)", source, k.Line, k.Value))
		case "entity", "project", "description":
			// W&B bookkeeping, silently ignored.
		default:
			// A fixed option written at the top level, as config files allow.
			p.param(k, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "value"}, v}}, "")
		}
	}
	if !methodGiven {
		sw.Notes = append(sw.Notes, fmt.Sprintf("%s: no \"method\": using grid", source))
	}
	if params == nil && len(p.errs) == 0 {
		p.fail(0, "parameters", "missing: a sweep file lists its parameters under \"parameters\"")
	}
	if params != nil {
		p.params(params, "")
	}
	if len(p.errs) > 0 {
		return nil, errors.Join(p.errs...)
	}
	return sw, nil
}

type parser struct {
	sw   *Sweep
	errs []error
	seen map[string]int // canonical key → line of its first definition
}

func (p *parser) fail(line int, key, format string, args ...any) {
	p.errs = append(p.errs, &config.ConfigError{Source: p.sw.Source, Line: line, Key: key, Err: fmt.Errorf("%w: "+format, append([]any{ErrSweep}, args...)...)})
}

// params reads a "parameters" mapping; prefix is the nested path ("" at the top).
func (p *parser) params(m *yaml.Node, prefix string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		p.param(m.Content[i], m.Content[i+1], prefix)
	}
}

// specKeys are the fields of one W&B parameter mapping.
var specKeys = map[string]bool{
	"value": true, "values": true, "probabilities": true, "distribution": true,
	"min": true, "max": true, "mu": true, "sigma": true, "q": true, "a": true, "b": true, "desc": true,
}

func (p *parser) param(k, v *yaml.Node, prefix string) {
	written := k.Value
	if prefix != "" {
		written = prefix + "." + k.Value
	}
	if v.Kind == yaml.AliasNode {
		v = v.Alias
	}
	if v.Kind == yaml.MappingNode {
		// W&B nested parameters ("model: {parameters: {ng: {values: [...]}}}") or a section
		// written as a mapping of keys ("model: {ng: {values: [...]}}").
		var nested *yaml.Node
		isSpec := false
		for i := 0; i+1 < len(v.Content); i += 2 {
			switch name := v.Content[i].Value; {
			case name == "parameters":
				nested = v.Content[i+1]
			case specKeys[name]:
				isSpec = true
			}
		}
		if nested != nil {
			if nested.Kind != yaml.MappingNode {
				p.fail(k.Line, written, "nested parameters must be a mapping")
				return
			}
			p.params(nested, written)
			return
		}
		if !isSpec && len(v.Content) > 0 {
			p.params(v, written)
			return
		}
	}
	key, err := config.CanonicalKey(written)
	if err != nil {
		p.errs = append(p.errs, &config.ConfigError{Source: p.sw.Source, Line: k.Line, Key: written, Err: err})
		return
	}
	if p.seen == nil {
		p.seen = map[string]int{}
	}
	if line, dup := p.seen[key]; dup {
		p.fail(k.Line, key, "given twice (%s here, first on line %d)", written, line)
		return
	}
	p.seen[key] = k.Line
	par := Param{Key: key, Written: written, Line: k.Line, Sigma: 1, Q: 1}
	if !p.spec(&par, v) {
		return
	}
	if key == "preset" {
		if par.Dist != DistConstant && !(par.Dist == DistCategorical && len(par.Values) == 1) {
			p.fail(k.Line, key, "the base preset cannot be swept; run one sweep per preset")
			return
		}
		p.sw.Preset = par.Values[0]
		return
	}
	p.sw.Params = append(p.sw.Params, par)
}

// spec fills par from its value node; false after recording an error.
func (p *parser) spec(par *Param, v *yaml.Node) bool {
	ok := true
	bad := func(line int, format string, args ...any) {
		p.fail(line, par.Key, format, args...)
		ok = false
	}
	if v.Kind != yaml.MappingNode {
		// A bare value: a constant (config-file style; W&B writes {value: X}).
		s, err := scalarValue(v)
		if err != nil {
			bad(v.Line, "%v", err)
			return false
		}
		par.Dist, par.Values, par.ValueLines = DistConstant, []string{s}, []int{v.Line}
		return p.checkValues(par)
	}
	fields := map[string]*yaml.Node{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		name := v.Content[i].Value
		if !specKeys[name] {
			bad(v.Content[i].Line, "unexpected field %q; allowed: value, values, probabilities, distribution, min, max, mu, sigma, q, a, b, parameters", name)
			continue
		}
		fields[name] = v.Content[i+1]
	}
	if !ok {
		return false
	}
	num := func(name string, dst *float64) (given, isInt bool) {
		n := fields[name]
		if n == nil {
			return false, false
		}
		f, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || err != nil {
			bad(n.Line, "%s must be a number, got %q", name, n.Value)
			return true, false
		}
		*dst = f
		_, ierr := strconv.ParseInt(n.Value, 10, 64)
		return true, ierr == nil
	}
	hasMin, minInt := num("min", &par.Min)
	hasMax, maxInt := num("max", &par.Max)
	hasMu, _ := num("mu", &par.Mu)
	hasSigma, _ := num("sigma", &par.Sigma)
	_, par.intQ = num("q", &par.Q)
	if fields["q"] == nil {
		par.intQ = true
	}
	hasA, _ := num("a", &par.A)
	hasB, _ := num("b", &par.B)
	if !ok {
		return false
	}
	dist := ""
	if d := fields["distribution"]; d != nil {
		dist = strings.ToLower(d.Value)
		if !slices.Contains(distributions, dist) {
			bad(d.Line, "unknown distribution %q; allowed: %s", d.Value, strings.Join(distributions, ", "))
			return false
		}
	}
	switch {
	case dist == "" && fields["value"] != nil:
		dist = DistConstant
	case dist == "" && fields["values"] != nil:
		dist = DistCategorical
	case dist == "" && hasMin && hasMax && minInt && maxInt:
		dist = DistIntUniform
	case dist == "" && hasMin && hasMax:
		dist = DistUniform
	case dist == "" && (hasMu || hasSigma):
		dist = DistNormal
	case dist == "":
		bad(v.Line, "give value, values, min/max or a distribution")
		return false
	}
	par.Dist = dist
	switch dist {
	case DistConstant:
		n := fields["value"]
		if n == nil {
			bad(v.Line, "distribution constant needs value")
			return false
		}
		s, err := scalarValue(n)
		if err != nil {
			bad(n.Line, "%v", err)
			return false
		}
		par.Values, par.ValueLines = []string{s}, []int{n.Line}
	case DistCategorical:
		n := fields["values"]
		if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
			bad(v.Line, "values must be a non-empty list")
			return false
		}
		for _, e := range n.Content {
			s, err := scalarValue(e)
			if err != nil {
				bad(e.Line, "%v", err)
				continue
			}
			par.Values = append(par.Values, s)
			par.ValueLines = append(par.ValueLines, e.Line)
		}
		if pn := fields["probabilities"]; pn != nil {
			if pn.Kind != yaml.SequenceNode || len(pn.Content) != len(n.Content) {
				bad(pn.Line, "probabilities must list one weight per value (%d)", len(n.Content))
				return false
			}
			sum := 0.0
			for _, e := range pn.Content {
				f, err := strconv.ParseFloat(e.Value, 64)
				if err != nil || f < 0 {
					bad(e.Line, "probability %q is not a non-negative number", e.Value)
					return false
				}
				par.Probabilities = append(par.Probabilities, f)
				sum += f
			}
			if sum <= 0 {
				bad(pn.Line, "probabilities sum to 0")
				return false
			}
		}
	case DistIntUniform, DistUniform, DistQUniform, DistLogUniform, DistLogUniformValues,
		DistQLogUniform, DistQLogUniformValues, DistInvLogUniform, DistInvLogUniformValue:
		if !hasMin || !hasMax {
			bad(v.Line, "distribution %s needs min and max", dist)
			return false
		}
		if par.Min > par.Max {
			bad(v.Line, "min %v > max %v", par.Min, par.Max)
			return false
		}
		if dist == DistIntUniform && (!minInt || !maxInt) {
			bad(v.Line, "int_uniform needs integer min and max")
			return false
		}
		if (dist == DistLogUniformValues || dist == DistQLogUniformValues || dist == DistInvLogUniformValue) && par.Min <= 0 {
			bad(v.Line, "distribution %s needs min > 0, got %v", dist, par.Min)
			return false
		}
	case DistNormal, DistQNormal, DistLogNormal, DistQLogNormal:
		if par.Sigma <= 0 {
			bad(v.Line, "sigma must be > 0, got %v", par.Sigma)
			return false
		}
	case DistBeta, DistQBeta:
		if !hasA || !hasB || par.A <= 0 || par.B <= 0 {
			bad(v.Line, "distribution %s needs a > 0 and b > 0", dist)
			return false
		}
	}
	if par.Q <= 0 {
		bad(v.Line, "q must be > 0, got %v", par.Q)
		return false
	}
	return p.checkValues(par)
}

// checkValues applies every listed value to a scratch config, so a bad value fails at
// parse time with its own line (config.Set is the parser a run will use).
func (p *parser) checkValues(par *Param) bool {
	ok := true
	for i, s := range par.Values {
		if par.Key == "preset" {
			if _, err := config.Preset(s); err != nil {
				p.errs = append(p.errs, &config.ConfigError{Source: p.sw.Source, Line: par.ValueLines[i], Key: par.Key, Err: errors.Unwrap(err)})
				ok = false
			}
			continue
		}
		scratch := config.Default()
		if err := config.Set(&scratch, par.Key, s); err != nil {
			ce := &config.ConfigError{Source: p.sw.Source, Line: par.ValueLines[i], Key: par.Key, Written: par.Written, Err: err}
			var inner *config.ConfigError
			if errors.As(err, &inner) {
				ce.Err = inner.Err
			}
			p.errs = append(p.errs, ce)
			ok = false
		}
	}
	return ok
}

// scalarValue returns a value node as the string config.Set parses: scalars as written,
// flat lists of scalars joined with "," (int-list keys such as eval.nbins).
func scalarValue(n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "", fmt.Errorf("%w: no value given", ErrSweep)
		}
		return n.Value, nil
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, e := range n.Content {
			if e.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("%w: list elements must be scalars", ErrSweep)
			}
			parts[i] = e.Value
		}
		return strings.Join(parts, ","), nil
	}
	return "", fmt.Errorf("%w: a value must be a scalar or a list of scalars", ErrSweep)
}
