package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/report/figure"
	"github.com/gridcells/gridcells/theory"
)

// theoryOptions are the flags of "gridcells theory".
type theoryOptions struct {
	cf         configFlags
	res        int
	wrap       bool
	simulate   bool
	activation string
	orthogonal bool
	gain       float64
	maps       int
	steps      int
	animate    int
	out        string
	run        string
	threshold  float64
	figures    figureOutput
	// Shortcuts for the encoding keys, applied after every --set.
	kind, sigma, surround, convention string
}

func (o *theoryOptions) AddFlags(fs *flag.FlagSet) {
	o.cf = configFlags{Preset: config.PresetNFL2022}
	o.cf.Register(fs)
	fs.IntVar(&o.res, "res", 55, "grid points per side of the box for the covariance (SOR's notebook uses 55)")
	fs.BoolVar(&o.wrap, "wrap", false, "estimate the covariance as SOR's compute_covariance (circular roll of C = P Pᵀ) instead of over pairs inside the box (default false)")
	fs.BoolVar(&o.simulate, "simulate", false, "run the pattern-forming dynamics (spec §8.3) and score the maps (default false)")
	fs.StringVar(&o.activation, "activation", theory.ActivationReLU, "dynamics nonlinearity: relu (hexagons) or tanh (stripes)")
	fs.BoolVar(&o.orthogonal, "orthogonal", false, "multi-map dynamics with the Sanger/Oja orthogonalisation term instead of independent maps (default false)")
	fs.Float64Var(&o.gain, "gain", theory.DefaultGain, "with --orthogonal: `r` of the ReLU max(r·x, 0) (SOR's 30, against a kernel scaled to peak 2 where SOR's peaks near 57; 1 is SOR's balance)")
	fs.IntVar(&o.maps, "maps", 8, "number of maps the dynamics grow")
	fs.IntVar(&o.steps, "steps", 0, "dynamics iterations (0: 500 single-map, 2000 multi-map)")
	fs.IntVar(&o.animate, "animate", 0, "keep `N` snapshots of the dynamics, evenly spaced from the initial maps to the final ones, and write maps.gif and maps_frames.npy/csv in --out DIR (0: none; else 2 to steps + 1)")
	fs.StringVar(&o.out, "out", "", "output `dir`ectory for spectrum.npy, radial_profile.csv, figures (and maps with --simulate); none when empty")
	fs.StringVar(&o.run, "run", "", "trained run `dir`ectory: take the config from RUN_DIR/config.json and compare the prediction with RUN_DIR/scores.csv")
	fs.Float64Var(&o.threshold, "threshold", 0.8, "score60 above which a trained unit counts as grid-like (with --run)")
	addFigureFlags(fs, &o.figures, "in --out DIR")
	fs.StringVar(&o.kind, "kind", "", "shortcut for --set encoding.kind=`K`")
	fs.StringVar(&o.sigma, "sigma", "", "shortcut for --set encoding.place_cell_rf=`σ` (m)")
	fs.StringVar(&o.surround, "surround", "", "shortcut for --set encoding.surround_scale=`s`")
	fs.StringVar(&o.convention, "surround-convention", "", "shortcut for --set encoding.surround_convention=`C` (sigma_ratio or variance_ratio)")
}

func init() {
	register(&Command{
		Name:  "theory",
		Usage: "[--preset P] [--config FILE] [--set key=value ...] [--res N] [--simulate [--animate K]] [--out DIR] [--run RUN_DIR] [--formats png,svg,pdf] [--figure-width 5.5in]",
		Short: "spectrum of a target code, k*, predicted grid spacing, pattern-forming dynamics",
		Long: `Theory predicts from the target code alone whether grid cells should form and at what scale
(spec §8). It prints:

  - the closed-form peak wavenumber k* of the encoding's tuning (Gaussian, DoS in either surround
    convention, true DoG, general DoG, SoD; spec §8.2) and the hexagonal spacing 4π/(√3 k*) in m
    and in rate-map bins (eval.nbins[0] across the box);
  - the numerical k* of the code that training uses (package encode, centres from the run's
    seed): the translation-averaged place-cell covariance on a res×res grid, its 2-D Fourier
    transform and radial profile (spec §8.1);
  - whether a pattern forms (the spectrum peaks at a finite wavenumber).

With --simulate it runs the pattern-forming dynamics (spec §8.3) on that covariance and scores the
maps (NFL min-max score60, NFL period against 4π/(√3 k*)); with --activation tanh, whose maps are
stripes, the stripes' wavelength (the maps' spectral peak) against 2π/k*. With --run RUN_DIR the config is RUN_DIR/config.json and the
prediction is compared with the median and KDE mode of the period of the run's units with score60
above --threshold (RUN_DIR/scores.csv).

With --out DIR it writes:
  spectrum.npy         float64 (2R+1)×(2R+1): 2-D transform of the covariance, k = 0 at the centre
  covariance.npy       float64 (2R+1)×(2R+1): translation-averaged covariance Σ(Δ), lag 0 at the centre
  radial_profile.csv   k (rad/m), numerical Σ̃(k), closed form ρ|p̂(k)|² scaled to the same peak
  spectrum.png, radial_profile.png
  maps.npy, maps.csv, maps.png (with --simulate): N×n×n maps, their scores and periods
  maps.gif, maps_frames.npy, maps_frames.csv (with --animate K): the maps forming, K snapshots
                       from the initial noise to the final maps: an animated montage at screen
                       size, float32 K×N×n×n, and each snapshot's step and scores

Examples:
  gridcells theory
  gridcells theory --sigma 0.2 --simulate --out th
  gridcells theory --preset sorscher2019 --simulate --activation tanh
  gridcells theory --simulate --animate 51 --out th
  gridcells theory --run runs/dos-012`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o theoryOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runTheory(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// runTheory resolves the config, validates every input, then computes and prints; files
// are written only after everything has been computed.
func runTheory(ctx context.Context, o *theoryOptions, args []string, w, logw io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if err := o.figures.check(logw, "theory"); err != nil {
		return err
	}
	if o.res < 8 || o.res > 1024 {
		return usagef("--res %d: want 8..1024", o.res)
	}
	if o.activation != theory.ActivationReLU && o.activation != theory.ActivationTanh {
		return usagef("--activation %q: want relu or tanh", o.activation)
	}
	if o.maps < 1 || o.maps > 4096 {
		return usagef("--maps %d: want 1..4096", o.maps)
	}
	if o.steps < 0 {
		return usagef("--steps %d: want ≥ 0", o.steps)
	}
	if !(o.gain > 0) || math.IsInf(o.gain, 0) {
		return usagef("--gain %v: want a finite value > 0", o.gain)
	}
	if o.gain != theory.DefaultGain && !o.orthogonal {
		return usagef("--gain sets the multi-map ReLU: add --orthogonal")
	}
	// Flags of one mode given without it would be ignored without a word.
	if !o.simulate {
		var given []string
		for _, f := range []struct {
			name string
			set  bool
		}{{"--activation", o.activation != theory.ActivationReLU}, {"--orthogonal", o.orthogonal}, {"--maps", o.maps != 8}, {"--steps", o.steps != 0}, {"--animate", o.animate != 0}} {
			if f.set {
				given = append(given, f.name)
			}
		}
		if len(given) > 0 {
			return usagef("%s set the pattern-forming dynamics: add --simulate", strings.Join(given, ", "))
		}
	}
	switch {
	case o.animate < 0 || o.animate == 1:
		return usagef("--animate %d: want 0 (none) or 2 to steps + 1 snapshots", o.animate)
	case o.animate > 0 && o.out == "":
		return usagef("--animate writes maps.gif and maps_frames.npy: add --out DIR")
	case o.steps > 0 && o.animate > o.steps+1:
		return usagef("--animate %d with --steps %d: want 2 to steps + 1 snapshots", o.animate, o.steps)
	}
	if o.run == "" && o.threshold != 0.8 {
		return usagef("--threshold selects the grid-like units of a trained run: add --run RUN_DIR")
	}
	if math.IsNaN(o.threshold) {
		return usagef("--threshold NaN: want a score60 threshold, e.g. 0.8")
	}
	if o.out == "" && (len(o.figures.formats) > 0 || o.figures.width != "") {
		return usagef("--formats and --figure-width need --out: without it no figure is written")
	}
	if o.out != "" {
		if err := checkOutDir("--out", o.out); err != nil {
			return err
		}
	}
	var cfg config.Config
	var scores *theory.UnitScores
	if o.run != "" {
		if o.cf.File != "" || len(o.cf.Sets) > 0 || o.cf.presetSet || o.kind != "" || o.sigma != "" || o.surround != "" || o.convention != "" {
			return usagef("--run takes the config from RUN_DIR/config.json; drop --preset, --config, --set and the encoding shortcuts")
		}
		var err error
		cfg, scores, err = theory.ReadRun(o.run)
		if err != nil {
			return UsageError{err}
		}
	} else {
		for _, s := range []struct{ key, v string }{
			{"encoding.kind", o.kind}, {"encoding.place_cell_rf", o.sigma},
			{"encoding.surround_scale", o.surround}, {"encoding.surround_convention", o.convention},
		} {
			if s.v != "" {
				o.cf.Sets = append(o.cf.Sets, s.key+"="+s.v)
			}
		}
		var err error
		if cfg, err = o.cf.Resolve(); err != nil {
			return err
		}
	}
	code, err := encode.ForRun(cfg)
	if err != nil {
		return UsageError{err}
	}
	width, height := cfg.Trajectory.BoxWidth, cfg.Trajectory.BoxHeight
	nbins := 44
	if len(cfg.Eval.NBins) > 0 {
		nbins = cfg.Eval.NBins[0]
	}
	bin := cfg.Trajectory.MapSide() / float64(nbins)

	e := cfg.Encoding
	fmt.Fprintf(w, "encoding: %s, Np %d, place_cell_rf %s m, surround_scale %s (%s), box %g × %g m\n",
		e.Kind, e.Np, distString(e.PlaceCellRF), distString(e.SurroundScale), e.SurroundConvention, width, height)

	tuning, tuningErr := theory.TuningOf(e)
	closedK := math.NaN()
	if tuningErr == nil {
		closedK = tuning.PeakWavenumber()
		fmt.Fprintf(w, "closed form: k* = %.3f rad/m, %s\n", closedK, spacingString(closedK, bin, nbins))
	} else {
		fmt.Fprintf(w, "closed form: none (%v)\n", tuningErr)
	}

	t0 := time.Now()
	spec, err := theory.ComputeSpectrum(ctx, code, width, height, &theory.SpectrumSettings{Res: o.res, Wrap: o.wrap})
	if err != nil {
		return err
	}
	fmt.Fprintf(logw, "gridcells theory: spectrum of %d cells on %d×%d points in %.2f s\n", code.Np(), o.res, o.res, time.Since(t0).Seconds())
	rel := ""
	if closedK > 0 {
		rel = fmt.Sprintf(" (%+.1f %% vs closed form)", 100*(spec.PeakK/closedK-1))
	}
	fmt.Fprintf(w, "numerical (res %d): k* = %.3f rad/m%s, %s\n", o.res, spec.PeakK, rel, spacingString(spec.PeakK, bin, nbins))
	if spec.FormsPattern() {
		fmt.Fprintf(w, "pattern: forms (the spectrum peaks at k* = %.3f rad/m, wavelength %.3f m)\n", spec.PeakK, 2*math.Pi/spec.PeakK)
	} else {
		fmt.Fprintf(w, "pattern: none (the spectrum peaks at k = 0: the uniform mode grows fastest)\n")
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	var sim *theoryMaps
	if o.simulate {
		if sim, err = simulateTheory(ctx, o, cfg, spec, w); err != nil {
			return err
		}
	}

	if scores != nil {
		k, src := closedK, "closed form"
		if !(k > 0) {
			k, src = spec.PeakK, "numerical"
		}
		c := theory.Compare(k, cfg.Trajectory.MapSide(), scores, o.threshold)
		fmt.Fprintf(w, "run %s: %d of %d units with score60 > %g and a period\n", o.run, c.GridUnits, c.Units, o.threshold)
		if c.GridUnits > 0 && k > 0 {
			fmt.Fprintf(w, "  measured period: median %.2f bins, KDE mode %.2f bins (%d bins of %.3f m)\n", c.MedianPeriod, c.ModePeriod, c.NBins, c.BinSize)
			fmt.Fprintf(w, "  predicted (%s): %.2f bins; measured/predicted: median %.3f, mode %.3f\n", src, c.PredictedBins, c.MedianRatio, c.ModeRatio)
		} else if k == 0 {
			fmt.Fprintf(w, "  no finite-wavelength pattern is predicted for this code\n")
		}
	}

	if o.out != "" {
		if err := writeTheoryOutputs(o.out, encodingName(cfg), spec, tuningErr == nil, tuning, sim, &o.figures); err != nil {
			return err
		}
		fmt.Fprintf(logw, "gridcells theory: wrote %s\n", o.out)
	}
	return nil
}

// maxAnimationBytes bounds the memory --animate's snapshots take.
const maxAnimationBytes = 2e9

// theoryMaps are the simulated maps and their scores.
type theoryMaps struct {
	activation string
	maps       *theory.Maps
	score60    []float64
	period     []float64 // bins of the dynamics grid
	// frameScores are the score60 of each map in each of maps.Frames.
	frameScores [][]float64
}

func simulateTheory(ctx context.Context, o *theoryOptions, cfg config.Config, spec *theory.Spectrum, w io.Writer) (*theoryMaps, error) {
	t0 := time.Now()
	set := &theory.DynamicsSettings{Maps: o.maps, Steps: o.steps, Activation: o.activation, Orthogonal: o.orthogonal, Gain: o.gain, Frames: o.animate}
	if o.animate > 0 {
		// The snapshots are held as float64 and once more as float32 for maps_frames.npy.
		size := spec.HexDomainSize(spec.Res, 3*spec.Res) // the torus Simulate takes by default
		per := float64(o.maps) * float64(size*size) * 12
		if most := int(maxAnimationBytes / per); o.animate > most {
			fit := fmt.Sprintf("at most %d fit", most)
			if most < 2 {
				fit = "not even 2 fit"
			}
			return nil, usagef("--animate %d: %d snapshots of %d maps on a %d×%d torus take %.1f GB; %s in %.0f GB (fewer --maps or a smaller --res allow more)",
				o.animate, o.animate, o.maps, size, size, float64(o.animate)*per/1e9, fit, maxAnimationBytes/1e9)
		}
	}
	// The dynamics draw from their own stream of the run's seed.
	m, err := theory.Simulate(ctx, spec, set, rand.New(rand.NewPCG(cfg.Seed, 0x7468656f7279))) // "theory"
	if err != nil {
		if errors.Is(err, theory.ErrFrames) {
			return nil, usagef("--animate: %v", err)
		}
		return nil, err
	}
	sc, err := analysis.NewScorer(m.Size, &analysis.Settings{Method: analysis.MethodNFL})
	if err != nil {
		return nil, err
	}
	r := &theoryMaps{activation: o.activation, maps: m, score60: make([]float64, m.N), period: make([]float64, m.N)}
	// Each snapshot's maps scored as the final ones are: the score rising as the lattice forms.
	for k := range m.Frames {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s := make([]float64, m.N)
		for i := range s {
			s[i] = sc.Score(m.FrameMap(k, i)).Score60
		}
		r.frameScores = append(r.frameScores, s)
	}
	hex := 0
	for i := 0; i < m.N; i++ {
		r.score60[i] = sc.Score(m.Map(i)).Score60
		r.period[i] = analysis.MeasurePeriodicity(m.Map(i), m.Size, nil).Period
		if r.score60[i] > 0.8 {
			hex++
		}
	}
	kind := "single-map"
	if o.orthogonal {
		kind = "multi-map (Sanger/Oja)"
	}
	med := func(x []float64) float64 {
		y := make([]float64, 0, len(x))
		for _, v := range x {
			if !math.IsNaN(v) {
				y = append(y, v)
			}
		}
		if len(y) == 0 {
			return math.NaN()
		}
		sort.Float64s(y)
		if len(y)%2 == 1 {
			return y[len(y)/2]
		}
		return (y[len(y)/2-1] + y[len(y)/2]) / 2
	}
	mp := med(r.period) * m.BinX
	fmt.Fprintf(w, "dynamics: %s %s, %d maps on a %d×%d torus (%.2f m), %.1f s\n", kind, o.activation, m.N, m.Size, m.Size, float64(m.Size)*m.BinX, time.Since(t0).Seconds())
	fmt.Fprintf(w, "  score60 (NFL min-max): median %.2f; %d of %d maps > 0.8\n", med(r.score60), hex, m.N)
	if o.activation == theory.ActivationTanh {
		// tanh grows stripes (spec §8.3): one plane wave of wavelength 2π/k*. NFL's period
		// averages a lattice's six nearest autocorrelation peaks, which stripes do not
		// have, so the stripes' wavelength is read off each map's spectral peak instead.
		wl := make([]float64, m.N)
		for i := range wl {
			wl[i] = 1 / analysis.DominantWavenumber(m.Map(i), m.Size, 0).K * m.BinX // K: cycles per bin
		}
		pred := ""
		if spec.PeakK > 0 {
			p := 2 * math.Pi / spec.PeakK
			pred = fmt.Sprintf(" (predicted 2π/k* = %.3f m from the numerical k*, ratio %.3f)", p, med(wl)/p)
		}
		fmt.Fprintf(w, "  stripe wavelength (spectral peak): median %.3f m%s\n", med(wl), pred)
		return r, nil
	}
	pred := ""
	if spec.PeakK > 0 {
		pred = fmt.Sprintf(" (predicted %.3f m from the numerical k*, ratio %.3f)", spec.PredictedSpacing(), mp/spec.PredictedSpacing())
	}
	fmt.Fprintf(w, "  period (NFL): median %.3f m%s\n", mp, pred)
	return r, nil
}

func distString(d config.Dist) string {
	switch d.Kind {
	case "uniform":
		return fmt.Sprintf("U(%g, %g)", d.A, d.B)
	case "poisson":
		return fmt.Sprintf("1+Poisson(%g)", d.A)
	}
	return strconv.FormatFloat(d.A, 'g', -1, 64)
}

func spacingString(k, bin float64, nbins int) string {
	if !(k > 0) {
		return "no finite spacing (peak at k = 0)"
	}
	a := theory.HexSpacing(k)
	return fmt.Sprintf("spacing %.3f m = %.1f bins (%d bins of %.3f m)", a, a/bin, nbins, bin)
}

func writeTheoryOutputs(dir, name string, spec *theory.Spectrum, hasClosed bool, tuning theory.Tuning, sim *theoryMaps, figs *figureOutput) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m := 2*spec.LagRadius + 1
	if err := npyio.WriteFile(filepath.Join(dir, "spectrum.npy"), npyio.NewFloat64(spec.Power, m, m)); err != nil {
		return err
	}
	if err := npyio.WriteFile(filepath.Join(dir, "covariance.npy"), npyio.NewFloat64(spec.Covariance, m, m)); err != nil {
		return err
	}
	// Closed-form ρ|p̂|², scaled to the numerical profile's peak.
	closed := make([]float64, len(spec.K))
	if hasClosed {
		var cmax, nmax float64
		for i, k := range spec.K {
			p := tuning.Transform(k)
			closed[i] = p * p
			cmax = math.Max(cmax, closed[i])
			nmax = math.Max(nmax, spec.Profile[i])
		}
		for i := range closed {
			closed[i] *= nmax / cmax
		}
	}
	var b bytes.Buffer
	b.WriteString("k_rad_per_m,numerical,closed_form_scaled\n")
	for i, k := range spec.K {
		c := "NaN"
		if hasClosed {
			c = strconv.FormatFloat(closed[i], 'g', 8, 64)
		}
		fmt.Fprintf(&b, "%s,%s,%s\n", strconv.FormatFloat(k, 'g', 8, 64), strconv.FormatFloat(spec.Profile[i], 'g', 8, 64), c)
	}
	if err := safefile.WriteFile(filepath.Join(dir, "radial_profile.csv"), b.Bytes()); err != nil {
		return err
	}
	if err := plotSpectrum(filepath.Join(dir, "spectrum.png"), name, spec, figs); err != nil {
		return err
	}
	if err := plotRadialProfile(filepath.Join(dir, "radial_profile.png"), spec, hasClosed, closed, figs); err != nil {
		return err
	}
	if sim == nil {
		return nil
	}
	mp := sim.maps
	data := make([]float32, len(mp.Data))
	for i, v := range mp.Data {
		data[i] = float32(v)
	}
	if err := npyio.WriteFile(filepath.Join(dir, "maps.npy"), npyio.NewFloat32(data, mp.N, mp.Size, mp.Size)); err != nil {
		return err
	}
	b.Reset()
	b.WriteString("map,score60,period_bins,period_m\n")
	for i := range sim.score60 {
		fmt.Fprintf(&b, "%d,%.6g,%.6g,%.6g\n", i, sim.score60[i], sim.period[i], sim.period[i]*mp.BinX)
	}
	if err := safefile.WriteFile(filepath.Join(dir, "maps.csv"), b.Bytes()); err != nil {
		return err
	}
	if err := plotMaps(filepath.Join(dir, "maps.png"), sim, figs); err != nil {
		return err
	}
	if len(mp.Frames) == 0 {
		return nil
	}
	return writeTheoryFrames(dir, sim)
}

// writeTheoryFrames writes the snapshots of the dynamics (--animate): maps_frames.npy
// (frames×N×n×n float32), maps_frames.csv (frame, step, map, score60) and maps.gif, a
// montage per snapshot as maps.png draws the final maps, at its screen size.
func writeTheoryFrames(dir string, sim *theoryMaps) error {
	mp := sim.maps
	n2 := mp.Size * mp.Size
	data := make([]float32, 0, len(mp.Frames)*mp.N*n2)
	var b strings.Builder
	b.WriteString("frame,step,map,score60\n")
	for k, f := range mp.Frames {
		for _, v := range f.Data {
			data = append(data, float32(v))
		}
		for i, s := range sim.frameScores[k] {
			fmt.Fprintf(&b, "%d,%d,%d,%.6g\n", k, f.Step, i, s)
		}
	}
	if err := npyio.WriteFile(filepath.Join(dir, "maps_frames.npy"), npyio.NewFloat32(data, len(mp.Frames), mp.N, mp.Size, mp.Size)); err != nil {
		return err
	}
	if err := safefile.WriteFile(filepath.Join(dir, "maps_frames.csv"), []byte(b.String())); err != nil {
		return err
	}
	last := mp.Frames[len(mp.Frames)-1].Step
	frames := make([]*figure.Figure, len(mp.Frames))
	for k, f := range mp.Frames {
		units := make([]figure.UnitMap, mp.N)
		for i := range units {
			units[i] = figure.UnitMap{Unit: i, Score60: sim.frameScores[k][i], Map: mp.FrameMap(k, i)}
		}
		frames[k] = figure.Montage(units, mp.Size, &figure.MontageSettings{Title: fmt.Sprintf("%s, step %d of %d", mapsTitle(sim), f.Step, last), Noun: "map"})
	}
	return figure.WriteGIF(filepath.Join(dir, "maps.gif"), frames, animationDelay, animationHold)
}

// plotSpectrum draws the 2-D spectrum and its radial profile as the reports do.
func plotSpectrum(path, name string, spec *theory.Spectrum, figs *figureOutput) error {
	f, err := figure.Spectra([]figure.SpectrumPanel{figure.SpectrumPanelOf(name, spec)},
		&figure.SpectraSettings{Tile: 400, Title: fmt.Sprintf("covariance spectrum, numerical k* = %.2f rad/m", spec.PeakK)})
	if err != nil {
		return err
	}
	return figs.write(path, f)
}

func plotRadialProfile(path string, spec *theory.Spectrum, hasClosed bool, closed []float64, figs *figureOutput) error {
	p := plot.New()
	p.Title.Text = "radial profile of the covariance spectrum"
	p.X.Label.Text = "|k| (rad/m)"
	// Power over its peak, as the reports' spectra show it: the absolute power depends on
	// the number of cells and the box (radial_profile.csv has it), and ticks of 0.00005
	// read badly.
	p.Y.Label.Text = "spectrum / max |spectrum|"
	p.Y.Tick.Marker = figure.TidyTicks{}
	p.X.Tick.Marker = figure.TidyTicks{}
	kmax := math.Min(spec.K[len(spec.K)-1], math.Max(4*spec.PeakK, 30))
	top := 0.0
	for i, k := range spec.K {
		if k <= kmax {
			top = math.Max(top, math.Abs(spec.Profile[i]))
		}
	}
	if !(top > 0) {
		top = 1
	}
	var num, cf plotter.XYs
	for i, k := range spec.K {
		if k > kmax {
			break
		}
		num = append(num, plotter.XY{X: k, Y: spec.Profile[i] / top})
		if hasClosed {
			cf = append(cf, plotter.XY{X: k, Y: closed[i] / top})
		}
	}
	l, err := plotter.NewLine(num)
	if err != nil {
		return err
	}
	// The colours of the reports' spectra (figure.Spectra): the profile in the first series
	// colour, k* in the ring's darker cyan; the closed form in the second series colour.
	l.Width = vg.Points(1.5)
	l.Color = figure.SeriesColor(0)
	p.Add(l)
	p.Legend.Add("numerical", l)
	if hasClosed {
		c, err := plotter.NewLine(cf)
		if err != nil {
			return err
		}
		c.Color = figure.SeriesColor(1)
		c.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(c)
		p.Legend.Add("closed form (scaled)", c)
	}
	if spec.PeakK > 0 {
		mk, err := plotter.NewLine(plotter.XYs{{X: spec.PeakK, Y: 0}, {X: spec.PeakK, Y: 1}})
		if err != nil {
			return err
		}
		mk.Color = figure.PeakMarkerColor
		mk.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(mk)
		p.Legend.Add(fmt.Sprintf("k* = %.2f rad/m", spec.PeakK), mk)
	}
	p.Legend.Top = true
	return figs.writePlot(path, p, 6*vg.Inch, 4*vg.Inch)
}

// plotMaps draws the dynamics' maps as the reports draw rate maps.
func plotMaps(path string, sim *theoryMaps, figs *figureOutput) error {
	m := sim.maps
	units := make([]figure.UnitMap, m.N)
	for i := range units {
		units[i] = figure.UnitMap{Unit: i, Score60: sim.score60[i], Map: m.Map(i)}
	}
	return figs.write(path, figure.Montage(units, m.Size, &figure.MontageSettings{Title: mapsTitle(sim), Noun: "map"}))
}

// mapsTitle is the title of the dynamics' montages: the activation, the maps and the torus.
func mapsTitle(sim *theoryMaps) string {
	m := sim.maps
	return fmt.Sprintf("%s pattern-forming dynamics: %s on a %d×%d torus (%.2f m)", sim.activation, count(m.N, "map", "maps"), m.Size, m.Size, float64(m.Size)*m.BinX)
}
