package reproduce

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/theory"
)

// TheorySettings are the sizes of the theory result at one scale: the covariance grid
// and the pattern-forming dynamics (spec §8.1, §8.3).
type TheorySettings struct {
	Res   int // covariance grid points per side of the box (SOR's notebook: 55)
	Maps  int // maps grown per nonlinearity
	Steps int // dynamics iterations
}

// theorySettings per scale; paper follows SOR's pattern_formation notebook (res 55, 32
// maps, 1000 steps), tiny is what CI computes in seconds.
var theorySettings = map[Scale]TheorySettings{
	Tiny:  {Res: 30, Maps: 4, Steps: 300},
	Small: {Res: 55, Maps: 16, Steps: 500},
	Paper: {Res: 55, Maps: 32, Steps: 1000},
}

// TheorySettingsOf returns the theory result's sizes at scale s.
func TheorySettingsOf(s Scale) (TheorySettings, error) {
	t, ok := theorySettings[s]
	if !ok {
		return TheorySettings{}, fmt.Errorf("reproduce: unknown scale %q; allowed: tiny, small, paper", s)
	}
	return t, nil
}

// CodeTheory is what theory says about one target code (spec §8.2).
type CodeTheory struct {
	Label    string
	Config   config.Config
	KClosed  float64 // k* of the closed form, rad/m (0: peak at k = 0; NaN: no closed form)
	Spectrum *theory.Spectrum
}

// Dynamics is the pattern-forming dynamics of one nonlinearity on a code's spectrum.
type Dynamics struct {
	Activation string
	Code       string // label of the code whose spectrum drives it
	Maps       *theory.Maps
	Score60    []float64 // NFL min-max score of each map
	Hexagonal  int       // maps with score60 > HexThreshold
	PeriodM    float64   // median grid period of the maps, m
}

// HexThreshold is the score60 above which a dynamics map counts as hexagonal: the paper's
// "possible grid cell" threshold (spec §5.6).
const HexThreshold = 0.8

// TheoryResult is the theory result: every code's spectrum, the dynamics of ReLU and tanh
// on the DoS spectrum, and the rows beside the paper.
type TheoryResult struct {
	Codes    []CodeTheory
	Dynamics []Dynamics
	Rows     []Row
}

// dynamicsSeedStream is the PCG stream of the dynamics' initial maps ("theory").
const dynamicsSeedStream = 0x7468656f7279

// Theory computes the theory result (Results #6–#7) for the codes of runs (the expanded
// theory sweep): the covariance spectrum, numerical and closed-form k* and the spacing
// they predict for each code (spec §8.1–§8.4), then the pattern-forming dynamics under
// ReLU and tanh (spec §8.3) on the spectrum of the first DoS code with σ 0.12 m and s 2
// (or the first code with a finite peak), scored with the NFL grid score.
func Theory(ctx context.Context, runs []sweep.Run, s Scale) (*TheoryResult, error) {
	set, err := TheorySettingsOf(s)
	if err != nil {
		return nil, err
	}
	res := &TheoryResult{}
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		cfg := r.Config
		code, err := encode.ForRun(cfg)
		if err != nil {
			return nil, fmt.Errorf("reproduce: run %s: %w", r.ID, err)
		}
		sp, err := theory.ComputeSpectrum(ctx, code, cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight, &theory.SpectrumSettings{Res: set.Res})
		if err != nil {
			return nil, fmt.Errorf("reproduce: run %s: %w", r.ID, err)
		}
		ct := CodeTheory{Label: codeLabel(cfg), Config: cfg, KClosed: math.NaN(), Spectrum: sp}
		if t, err := theory.TuningOf(cfg.Encoding); err == nil {
			ct.KClosed = t.PeakWavenumber()
		}
		res.Codes = append(res.Codes, ct)
	}
	drive := -1
	for i, c := range res.Codes {
		e := c.Config.Encoding
		if e.Kind == theory.KindDoS && e.PlaceCellRF.A == 0.12 && e.SurroundScale.A == 2 {
			drive = i
			break
		}
	}
	if drive < 0 {
		for i, c := range res.Codes {
			if c.Spectrum.FormsPattern() {
				drive = i
				break
			}
		}
	}
	if drive >= 0 {
		c := res.Codes[drive]
		for _, act := range []string{theory.ActivationReLU, theory.ActivationTanh} {
			d, err := runDynamics(ctx, c, act, set)
			if err != nil {
				return nil, err
			}
			res.Dynamics = append(res.Dynamics, d)
		}
	}
	res.rows()
	return res, nil
}

func runDynamics(ctx context.Context, c CodeTheory, act string, set TheorySettings) (Dynamics, error) {
	m, err := theory.Simulate(ctx, c.Spectrum, &theory.DynamicsSettings{Maps: set.Maps, Steps: set.Steps, Activation: act},
		rand.New(rand.NewPCG(c.Config.Seed, dynamicsSeedStream)))
	if err != nil {
		return Dynamics{}, err
	}
	sc, err := analysis.NewScorer(m.Size, &analysis.Settings{Method: analysis.MethodNFL})
	if err != nil {
		return Dynamics{}, err
	}
	d := Dynamics{Activation: act, Code: c.Label, Maps: m, Score60: make([]float64, m.N)}
	var periods []float64
	for i := range m.N {
		d.Score60[i] = sc.Score(m.Map(i)).Score60
		if d.Score60[i] > HexThreshold {
			d.Hexagonal++
		}
		if p := analysis.MeasurePeriodicity(m.Map(i), m.Size, nil).Period; !math.IsNaN(p) {
			periods = append(periods, p*m.BinX)
		}
	}
	d.PeriodM = median(periods)
	return d, nil
}

func median(x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	y := append([]float64(nil), x...)
	sort.Float64s(y)
	if len(y)%2 == 1 {
		return y[len(y)/2]
	}
	return (y[len(y)/2-1] + y[len(y)/2]) / 2
}

// codeLabel names a code: its paper category and, for place cells, σ and the surround
// scale, written as the run and sweep reports write them ("DoS, σ 0.12 m, surround ×2").
func codeLabel(cfg config.Config) string {
	name := cfg.Name
	if name == "" {
		name = cfg.Encoding.Kind
	}
	switch cfg.Encoding.Kind {
	case theory.KindGaussian:
		return fmt.Sprintf("%s, σ %s m", name, cfg.Encoding.PlaceCellRF)
	case theory.KindDoS, theory.KindTrueDoG, theory.KindSoD, theory.KindGeneralDoG:
		return fmt.Sprintf("%s, σ %s m, surround ×%s", name, cfg.Encoding.PlaceCellRF, cfg.Encoding.SurroundScale)
	}
	return name
}

// rows fills the comparison rows of the theory result.
func (t *TheoryResult) rows() {
	for _, c := range t.Codes {
		e := c.Config.Encoding
		paperK, paperKV, paperS, paperSV := none, math.NaN(), none, math.NaN()
		switch e.Kind {
		case theory.KindGaussian, theory.KindTrueDoG, theory.KindSoD:
			paperK, paperKV = "0: peak at k = 0, no grid (spec §8.2)", 0
		case theory.KindDoS:
			paperK = "ring k* > 0 (spec §8.2)"
			for _, s := range Sec84 {
				if math.Abs(s.Sigma-e.PlaceCellRF.A) < 1e-9 && math.Abs(s.S-e.SurroundScale.A) < 1e-9 {
					paperK, paperKV = fmt.Sprintf("%.2f (spec §8.4)", s.KStar), s.KStar
					paperS, paperSV = fmt.Sprintf("%.1f (spec §8.4)", s.Bins), s.Bins
					if m, ok := paperMode(s.Sigma); ok && s.S == 2 {
						paperS += fmt.Sprintf("; observed KDE mode %.1f (Fig. 3)", m)
					}
				}
			}
		case "cartesian", "high_dim_cartesian", "high_dim_polar":
			paperK = "no closed form; no grid"
		}
		t.Rows = append(t.Rows,
			valueRow("k* closed form (rad/m)", c.Label, c.KClosed, "", paperK, paperKV),
			valueRow("k* of the covariance spectrum (rad/m)", c.Label, c.Spectrum.PeakK, "", paperK, paperKV))
		sp := math.NaN()
		if c.Spectrum.PeakK > 0 {
			sp = 100 * c.Spectrum.PredictedSpacing() / PaperBinCM
		}
		t.Rows = append(t.Rows, valueRow("predicted spacing 4π/(√3 k*) of the covariance spectrum's k* (5-cm bins)", c.Label, sp, "", paperS, paperSV))
	}
	for _, d := range t.Dynamics {
		paper := "hexagonal lattice (spec §8.3)"
		if d.Activation == theory.ActivationTanh {
			paper = "stripes / irregular, not hexagonal (spec §8.3)"
		}
		row := fracRow(fmt.Sprintf("dynamics maps with score60 > %g (%s)", HexThreshold, d.Activation), d.Code, d.Hexagonal, len(d.Score60), "no map grown", paper, math.NaN())
		t.Rows = append(t.Rows, row, valueRow(fmt.Sprintf("dynamics: median score60 (%s)", d.Activation), d.Code, median(d.Score60), "", paper, math.NaN()))
	}
}
