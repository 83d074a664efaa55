package predictivity

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/gridcells/gridcells/analysis"
)

// CellKind names the functional class of a synthetic neuron.
type CellKind string

// The classes of a synthetic medial entorhinal / hippocampal recording.
const (
	GridCell        CellKind = "grid"           // rectified sum of three cosines 60° apart
	PlaceCell       CellKind = "place"          // one or more Gaussian fields
	BorderCell      CellKind = "border"         // fires along one wall
	HeadDirectionGC CellKind = "head_direction" // conjunctive grid × head-direction cell
)

// PopulationSettings configures NewPopulation. A nil *PopulationSettings means the
// defaults; a zero field means its default (set a count to −1 for none of that class).
type PopulationSettings struct {
	GridModules   int     // grid modules (default 4)
	GridPerModule int     // grid cells per module (default 16)
	GridSpacing   float64 // field spacing of the smallest module, m (default 0.3)
	// GridScaleRatio is the ratio of consecutive module spacings (default 1.4: Stensola et al.
	// 2012 measured ≈1.42; Barry et al. 2007 ≈1.7 between the first two).
	GridScaleRatio float64
	PlaceCells     int        // place cells (default 24)
	PlaceFields    float64    // λ of the 1 + Poisson(λ) fields per place cell (default 1; −1 for λ 0, one field each)
	PlaceWidth     [2]float64 // range of the field std σ, m, drawn uniformly (default 0.06–0.15)
	BorderCells    int        // border cells (default 8)
	BorderWidth    float64    // decay length of a border cell's rate away from its wall, m (default 0.08)
	// HeadDirectionCells are conjunctive grid × head-direction cells (Sargolini et al. 2006):
	// a grid cell of a random module times a von Mises tuning to heading (default 8).
	HeadDirectionCells int
	HDKappa            float64 // von Mises concentration of the head-direction tuning (default 2; −1 for 0, untuned)
	// Noise is the std of the additive Gaussian noise on every rate, as a fraction of the
	// cells' unit peak rate (default 0.1; −1 for none). It is drawn only when Rates gets a
	// random source.
	Noise float64
	Box   analysis.Box // arena whose corner sets the grid phases and place centres (default the 2.2 m NFL box)
}

func (s *PopulationSettings) resolve() (PopulationSettings, error) {
	var r PopulationSettings
	if s != nil {
		r = *s
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		} else if *v < 0 {
			*v = 0
		}
	}
	defInt(&r.GridModules, 4)
	defInt(&r.GridPerModule, 16)
	defInt(&r.PlaceCells, 24)
	defInt(&r.BorderCells, 8)
	defInt(&r.HeadDirectionCells, 8)
	defFloat := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	defFloat(&r.GridSpacing, 0.3)
	defFloat(&r.GridScaleRatio, 1.4)
	defFloat(&r.PlaceFields, 1)
	defFloat(&r.BorderWidth, 0.08)
	defFloat(&r.HDKappa, 2)
	defFloat(&r.Noise, 0.1)
	// A zero field means its default, so zero itself is asked for with −1 (any negative
	// noise, as before; other negative counts and concentrations stay errors below).
	if r.Noise < 0 {
		r.Noise = 0
	}
	for _, v := range []*float64{&r.PlaceFields, &r.HDKappa} {
		if *v == -1 {
			*v = 0
		}
	}
	if r.PlaceWidth == [2]float64{} {
		r.PlaceWidth = [2]float64{0.06, 0.15}
	}
	if r.Box == (analysis.Box{}) {
		r.Box = analysis.SquareBox(2.2)
	}
	switch {
	case !(r.GridSpacing > 0):
		return r, fmt.Errorf("predictivity: GridSpacing = %g m: must be positive", r.GridSpacing)
	case !(r.GridScaleRatio > 0):
		return r, fmt.Errorf("predictivity: GridScaleRatio = %g: must be positive", r.GridScaleRatio)
	case !(r.PlaceFields >= 0):
		return r, fmt.Errorf("predictivity: PlaceFields = %g: must be ≥ 0", r.PlaceFields)
	case !(r.PlaceWidth[0] > 0 && r.PlaceWidth[1] >= r.PlaceWidth[0]):
		return r, fmt.Errorf("predictivity: PlaceWidth = %v m: need 0 < lo ≤ hi", r.PlaceWidth)
	case !(r.BorderWidth > 0):
		return r, fmt.Errorf("predictivity: BorderWidth = %g m: must be positive", r.BorderWidth)
	case !(r.HDKappa >= 0):
		return r, fmt.Errorf("predictivity: HDKappa = %g: must be ≥ 0", r.HDKappa)
	case !(r.Box.XMax > r.Box.XMin && r.Box.YMax > r.Box.YMin):
		return r, fmt.Errorf("predictivity: Box %+v is empty", r.Box)
	}
	if r.GridModules*r.GridPerModule+r.PlaceCells+r.BorderCells+r.HeadDirectionCells == 0 {
		return r, fmt.Errorf("predictivity: the population settings give no cells")
	}
	return r, nil
}

// Population is a seeded synthetic recording: a fixed set of cells whose rates can be
// evaluated at any positions and headings.
type Population struct {
	Kinds   []CellKind // class of each neuron
	Module  []int      // grid module of each grid and conjunctive cell (−1 for the others)
	Spacing []float64  // grid spacing of each module, m
	cells   []cell
	noise   float64
}

// cell holds the parameters of one neuron.
type cell struct {
	kind CellKind
	// grid: three wave vectors (rad/m) and the phase offset (m)
	k      [3][2]float64
	phase  [2]float64
	fields [][3]float64 // place: (x, y, σ) per field
	wall   int          // border: 0 x = XMin, 1 x = XMax, 2 y = YMin, 3 y = YMax
	pref   float64      // head direction: preferred heading, rad
	kappa  float64
	box    analysis.Box
	width  float64
}

// NewPopulation draws a population with settings s from the PCG stream (seed, 0). Cells
// are ordered grid (module by module), place, border, conjunctive head-direction.
func NewPopulation(s *PopulationSettings, seed uint64) (*Population, error) {
	set, err := s.resolve()
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0))
	p := &Population{noise: set.Noise}
	box := set.Box
	orient := make([]float64, set.GridModules)
	for m := range orient {
		p.Spacing = append(p.Spacing, set.GridSpacing*math.Pow(set.GridScaleRatio, float64(m)))
		// Each module has its own lattice orientation (Stensola et al. 2012), in [0°, 60°).
		orient[m] = rng.Float64() * math.Pi / 3
	}
	gridCell := func(m int) cell {
		c := cell{kind: GridCell}
		// Three plane waves 60° apart with |k| = 4π/(√3·spacing) sum to a hexagonal lattice
		// of fields spacing apart (Solstad et al. 2006).
		kn := 4 * math.Pi / (math.Sqrt(3) * p.Spacing[m])
		for q := 0; q < 3; q++ {
			a := orient[m] + float64(q)*math.Pi/3
			c.k[q] = [2]float64{kn * math.Cos(a), kn * math.Sin(a)}
		}
		c.phase = [2]float64{
			box.XMin + rng.Float64()*(box.XMax-box.XMin),
			box.YMin + rng.Float64()*(box.YMax-box.YMin),
		}
		return c
	}
	for m := 0; m < set.GridModules; m++ {
		for i := 0; i < set.GridPerModule; i++ {
			p.cells = append(p.cells, gridCell(m))
			p.Module = append(p.Module, m)
		}
	}
	for i := 0; i < set.PlaceCells; i++ {
		c := cell{kind: PlaceCell}
		nf := 1 + poisson(rng, set.PlaceFields)
		for f := 0; f < nf; f++ {
			c.fields = append(c.fields, [3]float64{
				box.XMin + rng.Float64()*(box.XMax-box.XMin),
				box.YMin + rng.Float64()*(box.YMax-box.YMin),
				set.PlaceWidth[0] + rng.Float64()*(set.PlaceWidth[1]-set.PlaceWidth[0]),
			})
		}
		p.cells = append(p.cells, c)
		p.Module = append(p.Module, -1)
	}
	for i := 0; i < set.BorderCells; i++ {
		p.cells = append(p.cells, cell{kind: BorderCell, wall: i % 4, box: box, width: set.BorderWidth})
		p.Module = append(p.Module, -1)
	}
	for i := 0; i < set.HeadDirectionCells; i++ {
		m := 0
		if set.GridModules > 0 {
			m = rng.IntN(set.GridModules)
		} else {
			// Without modules the conjunctive cells take the smallest spacing's lattice.
			p.Spacing = append(p.Spacing, set.GridSpacing)
			orient = append(orient, rng.Float64()*math.Pi/3)
			set.GridModules = 1
		}
		c := gridCell(m)
		c.kind = HeadDirectionGC
		c.pref = rng.Float64() * 2 * math.Pi
		c.kappa = set.HDKappa
		p.cells = append(p.cells, c)
		p.Module = append(p.Module, m)
	}
	for _, c := range p.cells {
		p.Kinds = append(p.Kinds, c.kind)
	}
	return p, nil
}

// Neurons returns the number of cells.
func (p *Population) Neurons() int { return len(p.cells) }

// Rates returns the neurons×samples rates (row-major, neuron-major) at the positions pos
// (samples×2, m) and headings (samples, rad; nil = unknown, in which case the conjunctive
// cells fire their heading-averaged rate). With a non-nil rng, Gaussian noise of
// the population's Noise std is added to every rate. It panics if the lengths disagree.
func (p *Population) Rates(pos, heading []float32, rng *rand.Rand) []float64 {
	if len(pos)%2 != 0 || (heading != nil && len(heading) != len(pos)/2) {
		panic(fmt.Sprintf("predictivity: Rates with %d position values and %d headings", len(pos), len(heading)))
	}
	samples := len(pos) / 2
	out := make([]float64, len(p.cells)*samples)
	for j, c := range p.cells {
		row := out[j*samples : (j+1)*samples]
		for i := range row {
			h := math.NaN()
			if heading != nil {
				h = float64(heading[i])
			}
			row[i] = c.rate(float64(pos[2*i]), float64(pos[2*i+1]), h)
		}
	}
	if rng != nil && p.noise > 0 {
		// Noise is drawn neuron by neuron, sample by sample, for a fixed stream order.
		for i := range out {
			out[i] += p.noise * rng.NormFloat64()
		}
	}
	return out
}

// RateMaps returns the neurons×n×n rate maps (first index x-bin, as analysis) of the
// population evaluated at the bin centres of n×n bins over box, heading-averaged, with
// noise when rng is non-nil.
func (p *Population) RateMaps(n int, box analysis.Box, rng *rand.Rand) []float64 {
	return p.Rates(BinCentres(n, box), nil, rng)
}

// BinCentres returns the n·n bin centres (x, y) of n×n bins over box, x-bin major (the
// order of analysis rate maps).
func BinCentres(n int, box analysis.Box) []float32 {
	pos := make([]float32, 0, 2*n*n)
	dx := (box.XMax - box.XMin) / float64(n)
	dy := (box.YMax - box.YMin) / float64(n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			pos = append(pos, float32(box.XMin+(float64(i)+0.5)*dx), float32(box.YMin+(float64(j)+0.5)*dy))
		}
	}
	return pos
}

// rate returns the cell's noise-free rate at (x, y) with heading h (NaN = unknown); every
// class peaks at about 1.
func (c *cell) rate(x, y, h float64) float64 {
	switch c.kind {
	case GridCell, HeadDirectionGC:
		var s float64
		for _, k := range c.k {
			s += math.Cos(k[0]*(x-c.phase[0]) + k[1]*(y-c.phase[1]))
		}
		g := math.Max(0, s) / 3
		if c.kind == GridCell {
			return g
		}
		// von Mises tuning exp(κ(cos(h − φ) − 1)), peak 1; its mean over headings is
		// e^{−κ}·I₀(κ).
		if math.IsNaN(h) {
			return g * math.Exp(-c.kappa) * besselI0(c.kappa)
		}
		return g * math.Exp(c.kappa*(math.Cos(h-c.pref)-1))
	case PlaceCell:
		var r float64
		for _, f := range c.fields {
			dx, dy := x-f[0], y-f[1]
			r += math.Exp(-(dx*dx + dy*dy) / (2 * f[2] * f[2]))
		}
		return r
	case BorderCell:
		var d float64
		switch c.wall {
		case 0:
			d = x - c.box.XMin
		case 1:
			d = c.box.XMax - x
		case 2:
			d = y - c.box.YMin
		default:
			d = c.box.YMax - y
		}
		return math.Exp(-math.Max(d, 0) / c.width)
	}
	panic("predictivity: unknown cell kind " + string(c.kind))
}

// poisson draws from a Poisson distribution of mean lambda (Knuth's product method; the
// means used here are small).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l := math.Exp(-lambda)
	k, p := 0, rng.Float64()
	for p > l {
		k++
		p *= rng.Float64()
	}
	return k
}

// besselI0 returns the modified Bessel function I₀(x) from its power series
// Σ ((x/2)^{2m} / (m!)²), which converges quickly for the concentrations used here.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	q := x * x / 4
	for m := 1; m < 200 && term > 1e-17*sum; m++ {
		term *= q / float64(m*m)
		sum += term
	}
	return sum
}

// BinSamples returns the neurons×n×n rate maps (mean per bin, NaN where a bin has no
// sample; first index x-bin) of neurons×samples rates recorded at the positions pos
// (samples×2, m), binned on n×n bins over box as analysis.RateMapAccumulator bins model
// activations (spec §5.1), so that recordings and models share their bins. It returns an
// error for n < 1 or an empty box and panics if the lengths disagree.
func BinSamples(rates []float64, neurons int, pos []float32, n int, box analysis.Box) ([]float64, error) {
	samples := len(pos) / 2
	if len(pos)%2 != 0 || neurons < 1 || len(rates) != neurons*samples {
		panic(fmt.Sprintf("predictivity: BinSamples of %d rates for %d neurons at %d position values", len(rates), neurons, len(pos)))
	}
	acc, err := analysis.NewRateMapAccumulator(neurons, n, box)
	if err != nil {
		return nil, err
	}
	act := make([]float32, samples*neurons) // samples × neurons, the accumulator's layout
	for j := 0; j < neurons; j++ {
		for i := 0; i < samples; i++ {
			act[i*neurons+j] = float32(rates[j*samples+i])
		}
	}
	acc.Add(pos, act)
	return acc.Maps(nil), nil
}
