package predictivity

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// FeatureSettings configures RandomFeatures. A nil *FeatureSettings means the defaults; a
// zero field means its default.
type FeatureSettings struct {
	Units int // model units (default 100)
	// Components is the number of smooth spatial components the units are built from
	// (default 8): with Grid false, plane waves that each unit mixes with random weights
	// before a ReLU, so that the representation's dimensionality grows with Components;
	// with Grid true, grid modules, each unit being one grid cell of one module.
	Components int
	Grid       bool
	// MinWavelength and MaxWavelength bound the components' wavelengths (plane waves) or
	// spacings (grid modules), drawn log-uniformly, m (default 0.3 and 1.5, the range of
	// biological grid spacings in a 2.2 m box).
	MinWavelength, MaxWavelength float64
}

// FeatureModel is a random-feature "model" of position: fixed units whose activations are
// ReLU functions of position, a control for trained networks in the predictivity
// analysis (a network is only as predictive as the span of its units).
type FeatureModel struct {
	units int
	grid  bool
	// plane waves (smooth) or grid cells: wave vectors, rad/m, and phases
	k     [][2]float64 // smooth: per component; grid: 3 per unit
	psi   []float64    // smooth: phase per component
	w     []float64    // smooth: units×components mixing weights
	phase [][2]float64 // grid: per unit, m
}

// RandomFeatures draws a random-feature model with settings s from the PCG stream
// (seed, 0).
func RandomFeatures(s *FeatureSettings, seed uint64) (*FeatureModel, error) {
	var set FeatureSettings
	if s != nil {
		set = *s
	}
	if set.Units == 0 {
		set.Units = 100
	}
	if set.Components == 0 {
		set.Components = 8
	}
	if set.MinWavelength == 0 {
		set.MinWavelength = 0.3
	}
	if set.MaxWavelength == 0 {
		set.MaxWavelength = 1.5
	}
	switch {
	case set.Units < 1:
		return nil, fmt.Errorf("predictivity: Units = %d: must be ≥ 1", set.Units)
	case set.Components < 1:
		return nil, fmt.Errorf("predictivity: Components = %d: must be ≥ 1", set.Components)
	case !(set.MinWavelength > 0 && set.MaxWavelength >= set.MinWavelength):
		return nil, fmt.Errorf("predictivity: wavelengths [%g, %g] m: need 0 < MinWavelength ≤ MaxWavelength", set.MinWavelength, set.MaxWavelength)
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	logLo, logHi := math.Log(set.MinWavelength), math.Log(set.MaxWavelength)
	wavelength := func() float64 { return math.Exp(logLo + rng.Float64()*(logHi-logLo)) }
	f := &FeatureModel{units: set.Units, grid: set.Grid}
	if !set.Grid {
		for c := 0; c < set.Components; c++ {
			kn := 2 * math.Pi / wavelength()
			a := rng.Float64() * 2 * math.Pi
			f.k = append(f.k, [2]float64{kn * math.Cos(a), kn * math.Sin(a)})
			f.psi = append(f.psi, rng.Float64()*2*math.Pi)
		}
		// Weights N(0, 1/C) keep the pre-activation's variance at 1/2 whatever C; no bias,
		// so each unit is active on about half the arena.
		f.w = make([]float64, set.Units*set.Components)
		for i := range f.w {
			f.w[i] = rng.NormFloat64() / math.Sqrt(float64(set.Components))
		}
		return f, nil
	}
	type module struct {
		spacing, orient float64
	}
	mods := make([]module, set.Components)
	for m := range mods {
		mods[m] = module{wavelength(), rng.Float64() * math.Pi / 3}
	}
	for u := 0; u < set.Units; u++ {
		m := mods[u%set.Components]
		kn := 4 * math.Pi / (math.Sqrt(3) * m.spacing)
		for q := 0; q < 3; q++ {
			a := m.orient + float64(q)*math.Pi/3
			f.k = append(f.k, [2]float64{kn * math.Cos(a), kn * math.Sin(a)})
		}
		f.phase = append(f.phase, [2]float64{rng.Float64() * m.spacing * 2, rng.Float64() * m.spacing * 2})
	}
	return f, nil
}

// Units returns the number of units.
func (f *FeatureModel) Units() int { return f.units }

// Activations returns the samples×units activations at the positions pos (samples×2, m),
// row-major. It panics if len(pos) is odd.
func (f *FeatureModel) Activations(pos []float32) []float64 {
	if len(pos)%2 != 0 {
		panic(fmt.Sprintf("predictivity: Activations of %d position values", len(pos)))
	}
	samples := len(pos) / 2
	out := make([]float64, samples*f.units)
	comp := make([]float64, len(f.psi))
	for i := 0; i < samples; i++ {
		x, y := float64(pos[2*i]), float64(pos[2*i+1])
		row := out[i*f.units : (i+1)*f.units]
		if f.grid {
			for u := range row {
				var s float64
				for q := 0; q < 3; q++ {
					k := f.k[3*u+q]
					s += math.Cos(k[0]*(x-f.phase[u][0]) + k[1]*(y-f.phase[u][1]))
				}
				row[u] = math.Max(0, s) / 3
			}
			continue
		}
		for c, k := range f.k {
			comp[c] = math.Cos(k[0]*x + k[1]*y + f.psi[c])
		}
		nc := len(comp)
		for u := range row {
			var s float64
			for c, v := range comp {
				s += f.w[u*nc+c] * v
			}
			row[u] = math.Max(0, s)
		}
	}
	return out
}
