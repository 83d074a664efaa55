package encode

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/gridcells/gridcells/config"
)

// Kind names a target encoding; the values are NFL's `place_field_values` (spec §2.2).
type Kind string

// The encodings of spec §2.2. Paper names: DifferenceOfGaussians is "DoS" (difference of
// softmaxes), TrueDifferenceOfGaussians is "DoG", SoftmaxOfDifferences is "SoD" (spec §0.1 item 4).
const (
	Cartesian                    Kind = "cartesian"
	HighDimCartesian             Kind = "high_dim_cartesian"
	Polar                        Kind = "polar"
	HighDimPolar                 Kind = "high_dim_polar"
	Gaussian                     Kind = "gaussian"
	DifferenceOfGaussians        Kind = "difference_of_gaussians"
	TrueDifferenceOfGaussians    Kind = "true_difference_of_gaussians"
	GeneralDifferenceOfGaussians Kind = "general_difference_of_gaussians"
	SoftmaxOfDifferences         Kind = "softmax_of_differences"
)

// Kinds lists every encoding, in the order of spec §2.2.
var Kinds = []Kind{Cartesian, HighDimCartesian, Polar, HighDimPolar, Gaussian, DifferenceOfGaussians,
	TrueDifferenceOfGaussians, GeneralDifferenceOfGaussians, SoftmaxOfDifferences}

// Normalizations and surround conventions accepted by Params.
const (
	NormNone   = "none"   // unnormalised exponentials
	NormGlobal = "global" // softmax over the Np cells

	SigmaRatio    = "sigma_ratio"    // NFL: σ_I = s·σ_E (spec §0.1 item 1)
	VarianceRatio = "variance_ratio" // Sorscher: σ_I² = s·σ_E²
)

// Loss kinds returned by Code.Loss (spec §4.1).
const (
	LossCrossEntropy = "crossentropy"
	LossMSE          = "mse"
	LossPolarMSE     = "polarmse"
)

// Dist is a per-cell (and per-field) scalar: fixed, uniform, or 1+Poisson for field counts.
// It is the config package's type (NFL's 'Uniform( lo , hi )' / 'Poisson( λ )' strings).
type Dist = config.Dist

// Params configures a Code. Lengths are in metres. The zero value of an optional field takes
// the default named in its comment (see withDefaults).
type Params struct {
	Kind          Kind
	Normalization string  // NormNone or NormGlobal; default global for place codes, none otherwise
	Np            int     // number of output cells (0 means 2 for the Cartesian and polar codes)
	BoxWidth      float64 // m; the box is [−W/2, W/2] × [−H/2, H/2] (spec §1.1)
	BoxHeight     float64 // m

	Sigma              Dist    // place-field width σ_E, m: const or uniform per cell & field
	Surround           Dist    // surround factor s (> 1): const or uniform per cell & field; default const 2
	SurroundConvention string  // SigmaRatio (default) or VarianceRatio
	Fields             Dist    // fields per cell: const n ≥ 1 (default 1) or poisson λ meaning 1+Poisson(λ)
	AlphaE             float64 // general DoG excitatory amplitude α_E (default 1)
	AlphaI             float64 // general DoG inhibitory amplitude α_I (default 1)
	Aspect             Dist    // aspect ratio of elliptical fields (major/minor axis ratio is Aspect); default const 1
	Kappa              float64 // high-dim polar von Mises concentration κ (default 1.0, spec §10 item 5)
	TopK               int     // k of the top-k place-cell decoder (default 3, spec §2.3)
}

// FromConfig converts the encoding section of a run config into Params for a box of the
// given size, filling defaults, and validates it.
func FromConfig(e config.Encoding, boxWidth, boxHeight float64) (Params, error) {
	p := Params{
		Kind:               Kind(e.Kind),
		Normalization:      e.Normalization,
		Np:                 e.Np,
		BoxWidth:           boxWidth,
		BoxHeight:          boxHeight,
		Sigma:              e.PlaceCellRF,
		Surround:           e.SurroundScale,
		SurroundConvention: e.SurroundConvention,
		Fields:             e.FieldsPerCell,
		AlphaE:             e.AlphaE,
		AlphaI:             e.AlphaI,
		Aspect:             e.Anisotropy,
		Kappa:              e.VonMisesKappa,
		TopK:               e.DecodeTopK,
	}
	p = p.withDefaults()
	if err := p.Validate(); err != nil {
		return Params{}, err
	}
	return p, nil
}

// StreamCentres is the PCG stream of the generator that ForRun draws a run's code from, so that
// every command building the code of a run (train, eval, encode) gets the same centres.
const StreamCentres uint64 = 0x656e636f6465 // "encode"

// ForRun builds the code of a run: Params from cfg.Encoding and the box of cfg.Trajectory, and
// the random draws from PCG(cfg.Seed, StreamCentres).
func ForRun(cfg config.Config) (Code, error) {
	p, err := FromConfig(cfg.Encoding, cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight)
	if err != nil {
		return nil, err
	}
	return New(p, rand.New(rand.NewPCG(cfg.Seed, StreamCentres)))
}

// IsPlace reports whether k is a place-cell code (centres, top-k decoding).
func (k Kind) IsPlace() bool {
	switch k {
	case Gaussian, DifferenceOfGaussians, TrueDifferenceOfGaussians, GeneralDifferenceOfGaussians, SoftmaxOfDifferences:
		return true
	}
	return false
}

// hasSurround reports whether the code uses the surround width σ_I.
func (k Kind) hasSurround() bool {
	return k.IsPlace() && k != Gaussian
}

// withDefaults returns p with every unset optional field at its documented default.
func (p Params) withDefaults() Params {
	if p.Normalization == "" {
		p.Normalization = NormNone
		if p.Kind.IsPlace() {
			p.Normalization = NormGlobal
		}
	}
	if p.Surround.Kind == "" {
		p.Surround = Dist{Kind: "const", A: 2}
	}
	if p.SurroundConvention == "" {
		p.SurroundConvention = SigmaRatio
	}
	if p.Fields.Kind == "" {
		p.Fields = Dist{Kind: "const", A: 1}
	}
	if p.Aspect.Kind == "" {
		p.Aspect = Dist{Kind: "const", A: 1}
	}
	if p.AlphaE == 0 && p.AlphaI == 0 {
		p.AlphaE, p.AlphaI = 1, 1
	}
	if p.Kappa == 0 {
		p.Kappa = 1
	}
	if p.TopK == 0 {
		p.TopK = 3
	}
	if p.Np == 0 && (p.Kind == Cartesian || p.Kind == Polar) {
		p.Np = 2 // the only size they have
	}
	return p
}

// Validate reports the first invalid field of p as a config.BadValue naming its configuration
// key and the allowed values. Unset optional fields take their defaults first, as in New, so
// Validate accepts what New accepts.
func (p Params) Validate() error {
	p = p.withDefaults()
	known := false
	for _, k := range Kinds {
		known = known || p.Kind == k
	}
	if !known {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = string(k)
		}
		return config.BadValue("encoding.kind", fmt.Sprintf("%q", p.Kind), "allowed: "+strings.Join(names, ", "))
	}
	switch p.Normalization {
	case NormNone, NormGlobal:
	case "local":
		return config.BadValue("encoding.normalization", `"local"`, "not implemented by the reference either (spec §2.2 QUIRK); allowed: none, global")
	default:
		return config.BadValue("encoding.normalization", fmt.Sprintf("%q", p.Normalization), "allowed: none, global")
	}
	if !(p.BoxWidth > 0) || math.IsInf(p.BoxWidth, 0) {
		return config.BadValue("trajectory.box_width", p.BoxWidth, "want a positive, finite length in m")
	}
	if !(p.BoxHeight > 0) || math.IsInf(p.BoxHeight, 0) {
		return config.BadValue("trajectory.box_height", p.BoxHeight, "want a positive, finite length in m")
	}
	switch p.Kind {
	case Cartesian, Polar:
		if p.Np != 2 {
			return config.BadValue("encoding.np", p.Np, fmt.Sprintf("%s codes have exactly 2 outputs; allowed: 2", p.Kind))
		}
		return nil
	case HighDimCartesian:
		if p.Np < 2 {
			return config.BadValue("encoding.np", p.Np, "high_dim_cartesian needs np ≥ 2 for a pseudo-inverse decoder")
		}
		return nil
	case HighDimPolar:
		if p.Np < 2 || p.Np%2 != 0 {
			return config.BadValue("encoding.np", p.Np, "high_dim_polar needs an even np ≥ 2 (half distance cells, half angle cells)")
		}
		if !(p.Kappa > 0) || math.IsInf(p.Kappa, 0) {
			return config.BadValue("encoding.von_mises_kappa", p.Kappa, "want a positive, finite concentration")
		}
		return nil
	}
	// Place codes.
	if p.TopK < 1 {
		return config.BadValue("encoding.decode_top_k", p.TopK, "want ≥ 1")
	}
	if p.Np < p.TopK {
		return config.BadValue("encoding.np", p.Np, fmt.Sprintf("top-%d decoding needs np ≥ %d", p.TopK, p.TopK))
	}
	if err := checkPositive("place_cell_rf", p.Sigma, 0); err != nil {
		return err
	}
	if p.Kind.hasSurround() {
		// The surround must be wider than the centre: s ≤ 1 makes DoS/DoG vanish or flip sign and
		// SoD's effective width σs/√(s²−1) undefined.
		if err := checkPositive("surround_scale", p.Surround, 1); err != nil {
			return err
		}
		switch p.SurroundConvention {
		case SigmaRatio, VarianceRatio:
		default:
			return config.BadValue("encoding.surround_convention", fmt.Sprintf("%q", p.SurroundConvention), "allowed: sigma_ratio, variance_ratio")
		}
	}
	if p.Kind == GeneralDifferenceOfGaussians {
		if !(p.AlphaE >= 0) || !(p.AlphaI >= 0) || p.AlphaE+p.AlphaI == 0 || math.IsInf(p.AlphaE+p.AlphaI, 0) {
			return config.BadValue("encoding.alpha_e", fmt.Sprintf("%g (alpha_i %g)", p.AlphaE, p.AlphaI), "alpha_e and alpha_i must be finite, ≥ 0 and not both 0")
		}
	}
	switch p.Fields.Kind {
	case "const":
		if p.Fields.A < 1 || p.Fields.A != math.Trunc(p.Fields.A) || p.Fields.A > maxFields {
			return config.BadValue("encoding.fields_per_cell", p.Fields.A, fmt.Sprintf("want an integer in [1, %d]", maxFields))
		}
		if err := checkDecodeChoices(math.Pow(p.Fields.A, float64(p.TopK)), p.TopK); err != nil {
			return err
		}
	case "poisson":
		if !(p.Fields.A >= 0) || p.Fields.A > maxPoissonLambda {
			return config.BadValue("encoding.fields_per_cell", fmt.Sprintf("Poisson(%g)", p.Fields.A), fmt.Sprintf("want λ in [0, %d]", maxPoissonLambda))
		}
	default:
		return config.BadValue("encoding.fields_per_cell", fmt.Sprintf("distribution %q", p.Fields.Kind), "allowed: const, poisson")
	}
	if err := checkPositive("anisotropy", p.Aspect, 0); err != nil {
		return err
	}
	return nil
}

// The limits of multi-field cells are config's, so that a run refused here is refused by
// config.Validate first (before a sweep writes it into its manifest).
const (
	maxFields        = config.MaxFieldsPerCell
	maxPoissonLambda = config.MaxPoissonFields
	maxDecodeChoices = config.MaxDecodeChoices
)

// checkDecodeChoices refuses a top-k decoding that would try more than maxDecodeChoices
// field choices per position.
func checkDecodeChoices(choices float64, k int) error {
	if choices <= maxDecodeChoices {
		return nil
	}
	return config.BadValue("encoding.decode_top_k", k, fmt.Sprintf("multi-field decoding tries every choice of one field per top-%d cell, %.3g per position here; want at most %d: lower decode_top_k or fields_per_cell", k, choices, maxDecodeChoices))
}

// checkPositive validates a const or uniform Dist whose draws must exceed lo.
func checkPositive(name string, d Dist, lo float64) error {
	outside := func(v float64) bool { return !(v > lo) || math.IsInf(v, 0) }
	switch d.Kind {
	case "const":
		if outside(d.A) {
			return config.BadValue("encoding."+name, d.A, fmt.Sprintf("want finite and > %g", lo))
		}
	case "uniform":
		if outside(d.A) || outside(d.B) || d.B < d.A {
			return config.BadValue("encoding."+name, fmt.Sprintf("Uniform(%g, %g)", d.A, d.B), fmt.Sprintf("want %g < low ≤ high < ∞", lo))
		}
	default:
		return config.BadValue("encoding."+name, fmt.Sprintf("distribution %q", d.Kind), "allowed: const, uniform")
	}
	return nil
}
