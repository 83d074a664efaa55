package theory

import (
	"fmt"
	"math"

	"github.com/gridcells/gridcells/config"
)

// Encoding kinds with a closed-form spectrum (config.Encoding.Kind values, spec §2.2).
const (
	KindGaussian   = "gaussian"
	KindDoS        = "difference_of_gaussians"         // "DoS", difference of softmaxes
	KindTrueDoG    = "true_difference_of_gaussians"    // "DoG" in the paper
	KindGeneralDoG = "general_difference_of_gaussians" // α_E, α_I amplitudes
	KindSoD        = "softmax_of_differences"          // "SoD"
)

// Surround conventions (config.Encoding.SurroundConvention values, spec §0.1 item 1).
const (
	SigmaRatio    = "sigma_ratio"    // NFL: σ_I = s·σ_E
	VarianceRatio = "variance_ratio" // Sorscher: σ_I² = s·σ_E²
)

// Tuning is the single-field, single-scale tuning shape of a place-cell code, the input
// of the closed forms of spec §8.2.
type Tuning struct {
	Kind       string  // one of the Kind constants
	Sigma      float64 // σ_E, centre width, m
	Surround   float64 // s, surround scale (ignored for the Gaussian)
	Convention string  // SigmaRatio ("" too, as in encode) or VarianceRatio; ignored for the Gaussian
	AlphaE     float64 // general DoG excitatory amplitude
	AlphaI     float64 // general DoG inhibitory amplitude
}

// TuningOf extracts the tuning shape of an encoding config. It returns an error for codes
// without a closed form: non-place-cell kinds, widths or surrounds drawn per cell, several
// fields per cell, anisotropic fields.
func TuningOf(e config.Encoding) (Tuning, error) {
	t := Tuning{Kind: e.Kind, Convention: e.SurroundConvention, AlphaE: e.AlphaE, AlphaI: e.AlphaI}
	if e.Kind == KindDoS && e.Normalization == "none" {
		// Without the global softmax, DoS is e^{−d²/2σ_E²} − e^{−d²/2σ_I²} with the per-step
		// shift and normalise (encode): the true DoG code, whose spectrum peaks at k = 0, not
		// at DoS's k* (spec §2.2 lists DoS with normalization global only).
		t.Kind = KindTrueDoG
	}
	switch e.Kind {
	case KindGaussian, KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD:
	default:
		return Tuning{}, fmt.Errorf("theory: encoding.kind %q has no closed-form spectrum (want %s, %s, %s, %s or %s)",
			e.Kind, KindGaussian, KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD)
	}
	if k := e.PlaceCellRF.Kind; k != "const" && k != "" {
		return Tuning{}, fmt.Errorf("theory: encoding.place_cell_rf is %q; the closed form needs one width (const)", k)
	}
	t.Sigma = e.PlaceCellRF.A
	if e.Kind != KindGaussian {
		if k := e.SurroundScale.Kind; k != "const" && k != "" {
			return Tuning{}, fmt.Errorf("theory: encoding.surround_scale is %q; the closed form needs one surround (const)", k)
		}
		t.Surround = e.SurroundScale.A
	}
	if f := e.FieldsPerCell; !(f.Kind == "" || (f.Kind == "const" && (f.A == 0 || f.A == 1))) {
		return Tuning{}, fmt.Errorf("theory: encoding.fields_per_cell is %s; the closed form needs one field per cell", f)
	}
	if a := e.Anisotropy; !(a.Kind == "" || (a.Kind == "const" && (a.A == 0 || a.A == 1))) {
		return Tuning{}, fmt.Errorf("theory: encoding.anisotropy is %s; the closed form needs isotropic fields (const 1)", a)
	}
	if t.Convention == "" {
		t.Convention = SigmaRatio
	}
	return t, t.Validate()
}

// Validate reports whether the parameters describe a tuning shape the closed forms
// cover, naming the offending field.
func (t Tuning) Validate() error {
	if !(t.Sigma > 0) || math.IsInf(t.Sigma, 0) {
		return fmt.Errorf("theory: place_cell_rf %g: want a finite width > 0 m", t.Sigma)
	}
	switch t.Kind {
	case KindGaussian:
		return nil
	case KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD:
	default:
		return fmt.Errorf("theory: kind %q: want %s, %s, %s, %s or %s",
			t.Kind, KindGaussian, KindDoS, KindTrueDoG, KindGeneralDoG, KindSoD)
	}
	if t.Convention != "" && t.Convention != SigmaRatio && t.Convention != VarianceRatio {
		return fmt.Errorf("theory: surround_convention %q: want %s or %s", t.Convention, SigmaRatio, VarianceRatio)
	}
	// s = 1 makes the two Gaussians equal (a zero code); SoD is normalisable only when
	// the surround is wider than the centre.
	if !(t.Surround > 1) || math.IsInf(t.Surround, 0) {
		return fmt.Errorf("theory: surround_scale %g: want a finite value > 1", t.Surround)
	}
	if t.Kind == KindGeneralDoG && (!(t.AlphaE > 0) || t.AlphaI < 0 || math.IsInf(t.AlphaE+t.AlphaI, 0)) {
		return fmt.Errorf("theory: alpha_e %g, alpha_i %g: want alpha_e > 0 and alpha_i ≥ 0", t.AlphaE, t.AlphaI)
	}
	return nil
}

// SurroundSigma returns σ_I in metres: s·σ_E in the sigma-ratio (NFL) convention and
// √s·σ_E in the variance-ratio (Sorscher) convention (spec §0.1 item 1, §2.2).
func (t Tuning) SurroundSigma() float64 {
	if t.Convention == VarianceRatio {
		return math.Sqrt(t.Surround) * t.Sigma
	}
	return t.Surround * t.Sigma
}

// EffectiveSigma returns the width of the Gaussian that an SoD code equals: the exponents
// −d²/(2σ_E²) + d²/(2σ_I²) combine into −d²/(2σ_eff²) with 1/σ_eff² = 1/σ_E² − 1/σ_I², i.e.
// σ_eff = σ s/√(s²−1) in the sigma-ratio convention (spec §2.2 notes). For the other kinds
// it returns σ_E.
func (t Tuning) EffectiveSigma() float64 {
	if t.Kind != KindSoD {
		return t.Sigma
	}
	sE, sI := t.Sigma, t.SurroundSigma()
	return sE * sI / math.Sqrt(sI*sI-sE*sE)
}

// amplitudes returns the tuning as a·g_E − c·g_I with ĝ(k) = exp(−σ²k²/2): the Fourier
// amplitudes of the centre and surround (spec §8.2, convention f̂(k) = ∫ f e^{−ik·r} d²r).
// Softmax codes behave as unit-mass Gaussians (amplitude 1); unnormalised Gaussians
// exp(−r²/(2σ²)) have amplitude 2πσ².
func (t Tuning) amplitudes() (a, sE, c, sI float64) {
	switch t.Kind {
	case KindGaussian:
		return 1, t.Sigma, 0, 0
	case KindSoD:
		return 1, t.EffectiveSigma(), 0, 0
	case KindDoS:
		return 1, t.Sigma, 1, t.SurroundSigma()
	case KindTrueDoG:
		sI := t.SurroundSigma()
		return 2 * math.Pi * t.Sigma * t.Sigma, t.Sigma, 2 * math.Pi * sI * sI, sI
	case KindGeneralDoG:
		sI := t.SurroundSigma()
		return 2 * math.Pi * t.AlphaE * t.Sigma * t.Sigma, t.Sigma, 2 * math.Pi * t.AlphaI * sI * sI, sI
	}
	panic("theory: Tuning of unknown kind " + t.Kind)
}

// Transform returns the radial Fourier profile p̂(k) of the tuning at wavenumber k (rad/m),
// spec §8.2: Gaussian and SoD e^{−σ²k²/2}; DoS e^{−σ_E²k²/2} − e^{−σ_I²k²/2}; true DoG
// 2π[σ_E² e^{−σ_E²k²/2} − σ_I² e^{−σ_I²k²/2}]; general DoG the same with α_E, α_I.
// It panics if t is invalid.
func (t Tuning) Transform(k float64) float64 {
	if err := t.Validate(); err != nil {
		panic(err.Error())
	}
	a, sE, c, sI := t.amplitudes()
	k2 := k * k
	return a*math.Exp(-sE*sE*k2/2) - c*math.Exp(-sI*sI*k2/2)
}

// PeakWavenumber returns k* (rad/m), where |p̂(k)| — and so the covariance spectrum
// Σ̃ = ρ|p̂|² (spec §8.1) — is largest, or 0 when that is the origin (no finite-wavelength
// pattern: Gaussian, SoD, true DoG).
//
// With p̂(k) = a e^{−σ_E²k²/2} − c e^{−σ_I²k²/2}, setting dp̂/d(k²) = 0 gives
// k*² = 2 ln(c σ_I² / (a σ_E²)) / (σ_I² − σ_E²) (spec §8.2). For DoS (a = c = 1) this is
// k*² = 2 ln(σ_I²/σ_E²)/(σ_I² − σ_E²); for the general DoG it is
// 2 ln(α_I σ_I⁴/(α_E σ_E⁴))/(σ_I² − σ_E²). The stationary point is a maximum of p̂ and
// exists only when the argument of the logarithm exceeds 1; it is the global peak of
// |p̂| only when p̂(k*) > |p̂(0)| (strictly). It panics if t is invalid.
func (t Tuning) PeakWavenumber() float64 {
	k, ok := t.stationaryPoint()
	if !ok {
		return 0
	}
	if t.Transform(k) > math.Abs(t.Transform(0)) {
		return k
	}
	return 0
}

// stationaryPoint returns the non-zero stationary point of p̂, if there is one.
func (t Tuning) stationaryPoint() (float64, bool) {
	if err := t.Validate(); err != nil {
		panic(err.Error())
	}
	a, sE, c, sI := t.amplitudes()
	if c == 0 {
		return 0, false
	}
	r := c * sI * sI / (a * sE * sE)
	if !(r > 1) {
		return 0, false
	}
	return math.Sqrt(2 * math.Log(r) / (sI*sI - sE*sE)), true
}

// HexSpacing returns the nearest-neighbour distance 4π/(√3 k) of the hexagonal lattice
// made of three plane waves of wavenumber k (spec §8.4), in the inverse unit of k
// (metres for rad/m). It returns +Inf for k = 0.
func HexSpacing(k float64) float64 {
	if k == 0 {
		return math.Inf(1)
	}
	return 4 * math.Pi / (math.Sqrt(3) * k)
}

// HexWavenumber is the inverse of HexSpacing: the wavenumber 4π/(√3 a) of the hexagonal
// lattice of spacing a.
func HexWavenumber(a float64) float64 {
	return 4 * math.Pi / (math.Sqrt(3) * a)
}
