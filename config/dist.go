package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Dist is a scalar that is either fixed or drawn per cell (and field) from a distribution,
// as NFL's value strings 'Uniform( lo , hi )' and 'Poisson( λ )' (spec §2.1).
//
// In JSON and YAML a constant is written as a plain number and the others as NFL's strings,
// so resolved configs read like NFL's sweep files.
type Dist struct {
	Kind string  `json:"kind"`        // "const", "uniform" or "poisson"
	A    float64 `json:"a"`           // const value, uniform low, or Poisson λ
	B    float64 `json:"b,omitempty"` // uniform high
}

// Kinds of Dist.
const (
	DistConst   = "const"
	DistUniform = "uniform"
	DistPoisson = "poisson"
)

// Const returns the fixed value v.
func Const(v float64) Dist { return Dist{Kind: DistConst, A: v} }

// Uniform returns U(lo, hi).
func Uniform(lo, hi float64) Dist { return Dist{Kind: DistUniform, A: lo, B: hi} }

// Poisson returns Poisson(λ); for fields_per_cell it means 1 + Poisson(λ) fields (spec §2.1).
func Poisson(lambda float64) Dist { return Dist{Kind: DistPoisson, A: lambda} }

// IsConst reports whether d is a fixed value.
func (d Dist) IsConst() bool { return d.Kind == DistConst }

// Min and Max return the smallest and largest value d can take (Max is +Inf for Poisson).
func (d Dist) Min() float64 {
	if d.Kind == DistPoisson {
		return 0
	}
	return d.A
}

// Max returns the largest value d can take (+Inf for Poisson).
func (d Dist) Max() float64 {
	switch d.Kind {
	case DistUniform:
		return d.B
	case DistPoisson:
		return math.Inf(1)
	}
	return d.A
}

// String formats d the way NFL writes it: a number, 'Uniform( lo , hi )' or 'Poisson( λ )'.
// ParseDist(d.String()) == d for every valid d.
func (d Dist) String() string {
	switch d.Kind {
	case DistUniform:
		return "Uniform( " + formatFloat(d.A) + " , " + formatFloat(d.B) + " )"
	case DistPoisson:
		return "Poisson( " + formatFloat(d.A) + " )"
	case DistConst:
		return formatFloat(d.A)
	}
	return fmt.Sprintf("Dist{%q, %v, %v}", d.Kind, d.A, d.B)
}

func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// ErrBadDist is wrapped by every ParseDist error.
var ErrBadDist = errors.New("malformed distribution")

const distForms = "a number, 'Uniform( lo , hi )' or 'Poisson( λ )'"

// ParseDist parses NFL's value strings (spec §2.1): a plain number (a fixed value),
// 'Uniform( lo , hi )' or 'Poisson( λ )'. Names are case-insensitive and the spaces NFL
// requires around the numbers are optional here. Errors wrap ErrBadDist and say what is wrong.
func ParseDist(s string) (Dist, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Dist{}, fmt.Errorf("%w: empty; want %s", ErrBadDist, distForms)
	}
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return Dist{}, fmt.Errorf("%w %q: the value must be finite", ErrBadDist, s)
		}
		return Const(v), nil
	}
	open := strings.IndexByte(t, '(')
	if open < 0 {
		return Dist{}, fmt.Errorf("%w %q: want %s", ErrBadDist, s, distForms)
	}
	name := strings.ToLower(strings.TrimSpace(t[:open]))
	if !strings.HasSuffix(t, ")") {
		return Dist{}, fmt.Errorf("%w %q: missing closing ')'", ErrBadDist, s)
	}
	inner := t[open+1 : len(t)-1]
	if strings.ContainsAny(inner, "()") {
		return Dist{}, fmt.Errorf("%w %q: unbalanced parentheses", ErrBadDist, s)
	}
	var args []float64
	for _, f := range strings.Split(inner, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return Dist{}, fmt.Errorf("%w %q: %q is not a finite number", ErrBadDist, s, f)
		}
		args = append(args, v)
	}
	switch name {
	case "uniform":
		if len(args) != 2 {
			return Dist{}, fmt.Errorf("%w %q: Uniform takes 2 numbers (lo, hi), got %d", ErrBadDist, s, len(args))
		}
		if args[0] > args[1] {
			return Dist{}, fmt.Errorf("%w %q: low %v > high %v", ErrBadDist, s, args[0], args[1])
		}
		return Uniform(args[0], args[1]), nil
	case "poisson":
		if len(args) != 1 {
			return Dist{}, fmt.Errorf("%w %q: Poisson takes 1 number (λ), got %d", ErrBadDist, s, len(args))
		}
		if args[0] < 0 {
			return Dist{}, fmt.Errorf("%w %q: λ must be ≥ 0", ErrBadDist, s)
		}
		return Poisson(args[0]), nil
	}
	return Dist{}, fmt.Errorf("%w %q: unknown distribution %q; want %s", ErrBadDist, s, strings.TrimSpace(t[:open]), distForms)
}

// MarshalJSON writes a constant as a number and the others as NFL strings.
func (d Dist) MarshalJSON() ([]byte, error) {
	switch d.Kind {
	case DistConst:
		if math.IsNaN(d.A) || math.IsInf(d.A, 0) {
			return nil, fmt.Errorf("config: non-finite Dist value %v", d.A)
		}
		return []byte(formatFloat(d.A)), nil
	case DistUniform, DistPoisson:
		return json.Marshal(d.String())
	}
	return nil, fmt.Errorf("config: Dist has unknown kind %q", d.Kind)
}

// UnmarshalJSON accepts a number, an NFL string, or the object form {"kind","a","b"}.
func (d *Dist) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := ParseDist(s)
		if err != nil {
			return err
		}
		*d = v
		return nil
	case len(b) > 0 && b[0] == '{':
		type plain Dist
		var p plain
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		*d = Dist(p)
		return nil
	}
	v, err := ParseDist(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
