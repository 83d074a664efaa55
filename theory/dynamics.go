package theory

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/gridcells/gridcells/internal/parallel"
)

// Activations of the pattern-forming dynamics (spec §8.3).
const (
	ActivationReLU = "relu" // symmetry breaking: selects hexagons
	ActivationTanh = "tanh" // odd, symmetry preserving: stripes / labyrinths
)

// DefaultGain is DynamicsSettings.Gain's default: SOR's r = 30 in the multi-map ReLU.
const DefaultGain = 30.0

// DynamicsSettings configures Simulate. A nil *DynamicsSettings means defaults; each zero
// field takes its default.
type DynamicsSettings struct {
	// Maps is the number of grid maps Ng (default 8).
	Maps int
	// Steps is the number of iterations T (default 500 single-map, 2000 multi-map).
	Steps int
	// Rate is the step η (default 0.25 single-map, 0.008 multi-map as in SOR).
	Rate float64
	// Activation is ActivationReLU (default) or ActivationTanh.
	Activation string
	// Orthogonal selects SOR's multi-map dynamics with the Sanger/Oja term instead of
	// independent single maps.
	Orthogonal bool
	// Gain is r in the multi-map ReLU φ(x) = max(r·x, 0) (default DefaultGain, SOR's 30 of
	// ortho_grid_pattern_formation). It is weighed against a kernel scaled to peak 2, not
	// SOR's unnormalised one (see growthPeak), so a Gain near 30·2/57 ≈ 1 is SOR's balance.
	Gain float64
	// Size is the number of grid points per side of the periodic domain the maps live on,
	// at the spectrum's bin size. SOR uses the box (the spectrum's Res), but a square torus
	// holds an undistorted hexagonal lattice only for some sides, and a box-sized torus
	// often forces a sheared one. The default (0) is Spectrum.HexDomainSize: the smallest
	// size from Res to 3·Res on which an unsheared hexagonal triad grows fastest, or Res
	// when the spectrum has no finite peak or no size fits.
	Size int
	// InitScale is the standard deviation of the initial maps (default 1e-8, SOR).
	InitScale float64
	// Frames is the number of snapshots of the maps kept in Maps.Frames, evenly spaced
	// over the dynamics: after round(k·Steps/(Frames−1)) steps for k = 0 … Frames−1, the
	// initial maps first and the final ones last (0: none; else 2 … Steps+1). They show
	// the pattern forming (gridcells theory --animate).
	Frames int
}

func (s *DynamicsSettings) withDefaults(spec *Spectrum) (DynamicsSettings, error) {
	var out DynamicsSettings
	if s != nil {
		out = *s
	}
	if out.Maps == 0 {
		out.Maps = 8
	}
	if out.Steps == 0 {
		out.Steps = 500
		if out.Orthogonal {
			out.Steps = 2000
		}
	}
	if out.Rate == 0 {
		out.Rate = 0.25
		if out.Orthogonal {
			out.Rate = 0.008
		}
	}
	if out.Activation == "" {
		out.Activation = ActivationReLU
	}
	if out.Gain == 0 {
		out.Gain = DefaultGain
	}
	if out.Size == 0 {
		out.Size = spec.HexDomainSize(spec.Res, 3*spec.Res)
	}
	if out.InitScale == 0 {
		out.InitScale = 1e-8
	}
	switch {
	case out.Maps < 1 || out.Maps > 4096:
		return out, fmt.Errorf("theory: dynamics maps %d: want 1..4096", out.Maps)
	case out.Steps < 1:
		return out, fmt.Errorf("theory: dynamics steps %d: want ≥ 1", out.Steps)
	case !(out.Rate > 0 && out.Rate <= 1):
		return out, fmt.Errorf("theory: dynamics rate %g: want 0 < η ≤ 1", out.Rate)
	case out.Activation != ActivationReLU && out.Activation != ActivationTanh:
		return out, fmt.Errorf("theory: dynamics activation %q: want %s or %s", out.Activation, ActivationReLU, ActivationTanh)
	case !(out.Gain > 0) || math.IsInf(out.Gain, 0):
		return out, fmt.Errorf("theory: dynamics gain %g: want a finite value > 0", out.Gain)
	case out.Size < 8 || out.Size > 2048:
		return out, fmt.Errorf("theory: dynamics size %d: want 8..2048 grid points per side", out.Size)
	case !(out.InitScale > 0) || math.IsInf(out.InitScale, 0):
		return out, fmt.Errorf("theory: dynamics init scale %g: want a finite value > 0", out.InitScale)
	case out.Frames != 0 && (out.Frames < 2 || out.Frames > out.Steps+1):
		return out, fmt.Errorf("theory: dynamics frames %d with %d steps: %w", out.Frames, out.Steps, ErrFrames)
	}
	return out, nil
}

// ErrFrames is the error of a DynamicsSettings.Frames out of range.
var ErrFrames = errors.New("want 0 (none) or 2 to steps + 1 snapshots")

// Maps is a stack of square maps, N × Size × Size row-major with the x index first.
type Maps struct {
	N, Size    int
	BinX, BinY float64 // m per grid point
	Data       []float64
	// Frames are the snapshots DynamicsSettings.Frames asked for, in step order.
	Frames []Frame
}

// Frame is a snapshot of the maps during the dynamics.
type Frame struct {
	Step int       // updates applied before it: 0 is the initial maps
	Data []float64 // N × Size × Size, as Maps.Data
}

// frameSteps returns the steps at which st's frames are taken, or nil for none.
func frameSteps(st DynamicsSettings) []int {
	if st.Frames == 0 {
		return nil
	}
	steps := make([]int, st.Frames)
	for k := range steps {
		steps[k] = int(math.Round(float64(k) * float64(st.Steps) / float64(st.Frames-1)))
	}
	return steps
}

// recorder copies maps into the frames after the steps that frameSteps names. Each copy
// writes only the given maps' part of a frame, so that workers advancing different maps
// record them concurrently.
type recorder struct {
	maps   *Maps
	frames []Frame
	next   map[int]int // step → frame index
}

func newRecorder(maps *Maps, st DynamicsSettings) *recorder {
	steps := frameSteps(st)
	r := &recorder{maps: maps, next: make(map[int]int, len(steps))}
	for k, s := range steps {
		r.frames = append(r.frames, Frame{Step: s, Data: make([]float64, len(maps.Data))})
		r.next[s] = k
	}
	return r
}

// record copies maps idx (all when none are given) into the frame of step, if there is one.
func (r *recorder) record(step int, idx ...int) {
	k, ok := r.next[step]
	if !ok {
		return
	}
	if len(idx) == 0 {
		copy(r.frames[k].Data, r.maps.Data)
		return
	}
	n2 := r.maps.Size * r.maps.Size
	for _, i := range idx {
		copy(r.frames[k].Data[i*n2:(i+1)*n2], r.maps.Map(i))
	}
}

// Map returns map i (aliasing Data).
func (m *Maps) Map(i int) []float64 {
	return m.Data[i*m.Size*m.Size : (i+1)*m.Size*m.Size]
}

// FrameMap returns map i of snapshot k (aliasing Frames[k].Data).
func (m *Maps) FrameMap(k, i int) []float64 {
	return m.Frames[k].Data[i*m.Size*m.Size : (i+1)*m.Size*m.Size]
}

// growthPeak is the value the kernel's spectrum is scaled to at its peak: the fastest mode
// then grows at rate growthPeak − 1 = 1 against the −G leak. In the single-map dynamics the
// scale of Σ only sets the time unit, which SOR absorbs into η. The multi-map dynamics are
// not invariant to it: the ReLU's gain and the cubic Sanger term do not scale with Σ. SOR's
// unnormalised Gaussian (σ 0.12 m on its 4-cm grid) peaks near 2πσ²/Δx² ≈ 57, so the
// default Gain 30 here weighs the nonlinearity against Σ about 28 times more than SOR's does.
const growthPeak = 2

// Kernel returns the Fourier transform of the covariance kernel on a periodic size×size
// grid at the spectrum's bin size, as SOR's fft_covariance (spec §8.3): Σ(Δ) − Offset for
// lags shorter than CutRadius, wrapped onto the torus, transformed, DC set to 0 and scaled
// so that its maximum is growthPeak. The result is real (Σ is even), unshifted (k = 0 at
// index 0).
func (s *Spectrum) Kernel(size int) ([]float64, error) {
	r := s.LagRadius
	m := 2*r + 1
	k := make([]complex128, size*size)
	for dx := -r; dx <= r; dx++ {
		for dy := -r; dy <= r; dy++ {
			if lagLength(dx, dy, s.BinX, s.BinY) >= s.CutRadius {
				continue
			}
			// A lag longer than half the domain would alias onto a shorter one.
			if 2*abs(dx) >= size || 2*abs(dy) >= size {
				return nil, fmt.Errorf("theory: dynamics size %d points is smaller than the covariance's reach (%d points); use at least %d", size, 2*abs(dx)+1, s.Res)
			}
			k[wrapIndex(dx, size)*size+wrapIndex(dy, size)] += complex(s.Covariance[(dx+r)*m+dy+r]-s.Offset, 0)
		}
	}
	newFFT2(size, size).forward(k)
	out := make([]float64, size*size)
	peak := 0.0
	for i := 1; i < len(k); i++ {
		out[i] = real(k[i])
		peak = math.Max(peak, out[i])
	}
	if !(peak > 0) {
		return nil, fmt.Errorf("theory: covariance spectrum has no positive non-zero mode; nothing can grow")
	}
	for i := range out {
		out[i] *= growthPeak / peak
	}
	return out, nil
}

// Simulate runs SOR's pattern-forming dynamics (spec §8.3, SOR pattern_formation.ipynb)
// with the covariance of spec as the interaction kernel, on a periodic grid:
//
// single-map (default): G ← φ(G + η(−G + Σ⋆G)) independently for each map, φ = ReLU or tanh;
//
// multi-map (Orthogonal): H = Σ⋆G, L = lower-triangular part (diagonal included) of G Hᵀ,
// O = Lᵀ G, G ← G + η(H − O + φ(G)) with φ(x) = max(Gain·x, 0) or tanh.
//
// The convolution is a product of FFTs. Inner products in G Hᵀ are means over grid points,
// so η does not depend on the resolution. ReLU single maps are rescaled to a maximum of 1
// after every step; the map is positively homogeneous in G, so this changes nothing but the
// overall scale and keeps it finite. The initial maps are N(0, InitScale²) from rng.
// ctx cancels between steps.
func Simulate(ctx context.Context, spec *Spectrum, set *DynamicsSettings, rng *rand.Rand) (*Maps, error) {
	if spec == nil || rng == nil {
		return nil, errors.New("theory: Simulate: nil spectrum or *rand.Rand")
	}
	st, err := set.withDefaults(spec)
	if err != nil {
		return nil, err
	}
	kern, err := spec.Kernel(st.Size)
	if err != nil {
		return nil, err
	}
	n := st.Size
	maps := &Maps{N: st.Maps, Size: n, BinX: spec.BinX, BinY: spec.BinY, Data: make([]float64, st.Maps*n*n)}
	for i := range maps.Data {
		maps.Data[i] = rng.NormFloat64() * st.InitScale
	}
	rec := newRecorder(maps, st)
	if st.Orthogonal {
		err = simulateOrthogonal(ctx, maps, kern, st, rec)
	} else {
		err = simulateSingle(ctx, maps, kern, st, rec)
	}
	if err != nil {
		return nil, err
	}
	maps.Frames = rec.frames
	for _, v := range maps.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("theory: dynamics diverged (η %g too large for activation %s)", st.Rate, st.Activation)
		}
	}
	return maps, nil
}

// convolver convolves pairs of real maps with the real, even kernel: a + ib is
// transformed once, since Σ⋆(a + ib) = Σ⋆a + iΣ⋆b for a real kernel.
type convolver struct {
	n    int
	kern []float64
	f    *fft2
	z    []complex128
}

func newConvolver(n int, kern []float64) *convolver {
	return &convolver{n: n, kern: kern, f: newFFT2(n, n), z: make([]complex128, n*n)}
}

// conv writes Σ⋆a to ha and Σ⋆b to hb (b and hb may be nil).
func (c *convolver) conv(ha, hb, a, b []float64) {
	for i := range c.z {
		im := 0.0
		if b != nil {
			im = b[i]
		}
		c.z[i] = complex(a[i], im)
	}
	c.f.forward(c.z)
	for i := range c.z {
		c.z[i] *= complex(c.kern[i], 0)
	}
	c.f.inverse(c.z)
	norm := 1 / float64(len(c.z))
	for i, v := range c.z {
		ha[i] = real(v) * norm
		if hb != nil {
			hb[i] = imag(v) * norm
		}
	}
}

// forPairs runs fn(w, i, j) over the map pairs (i, j = i+1, or j = −1 for an odd last map)
// on parallel.Workers(workers, pairs(nmaps)) goroutines; w, the worker's index, selects
// per-worker scratch space that the caller sized with that same count. Each pair is
// independent, so the result does not depend on the number of workers. It stops handing
// out pairs when ctx is cancelled or fn fails, and returns that error.
func forPairs(ctx context.Context, nmaps, workers int, fn func(w, i, j int) error) error {
	return parallel.For(ctx, pairs(nmaps), workers, func(w, p int) error {
		j := 2*p + 1
		if j >= nmaps {
			j = -1
		}
		return fn(w, 2*p, j)
	})
}

// pairs is the number of map pairs forPairs hands out for nmaps maps.
func pairs(nmaps int) int { return (nmaps + 1) / 2 }

func simulateSingle(ctx context.Context, maps *Maps, kern []float64, st DynamicsSettings, rec *recorder) error {
	n2 := maps.Size * maps.Size
	return forPairs(ctx, maps.N, 0, func(_, i, j int) error {
		c := newConvolver(maps.Size, kern)
		ga := maps.Map(i)
		ha := make([]float64, n2)
		var gb, hb []float64
		idx := []int{i}
		if j >= 0 {
			gb, hb = maps.Map(j), make([]float64, n2)
			idx = append(idx, j)
		}
		rec.record(0, idx...)
		for step := 0; step < st.Steps; step++ {
			if step%50 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			c.conv(ha, hb, ga, gb)
			singleUpdate(ga, ha, st)
			if gb != nil {
				singleUpdate(gb, hb, st)
			}
			rec.record(step+1, idx...)
		}
		return nil
	})
}

// singleUpdate applies G ← φ(G + η(−G + H)) in place.
func singleUpdate(g, h []float64, st DynamicsSettings) {
	eta := st.Rate
	if st.Activation == ActivationTanh {
		for i := range g {
			g[i] = math.Tanh(g[i] + eta*(h[i]-g[i]))
		}
		return
	}
	hi := 0.0
	for i := range g {
		g[i] = math.Max(g[i]+eta*(h[i]-g[i]), 0)
		hi = math.Max(hi, g[i])
	}
	if hi > 0 {
		for i := range g {
			g[i] /= hi
		}
	}
}

func simulateOrthogonal(ctx context.Context, maps *Maps, kern []float64, st DynamicsSettings, rec *recorder) error {
	ng, n2 := maps.N, maps.Size*maps.Size
	workers := parallel.Workers(0, pairs(ng)) // read once: the convolvers are indexed by worker
	convs := make([]*convolver, workers)
	for w := range convs {
		convs[w] = newConvolver(maps.Size, kern)
	}
	h := make([]float64, ng*n2)
	l := make([]float64, ng*ng)
	o := make([]float64, n2)
	mapOf := func(buf []float64, i int) []float64 { return buf[i*n2 : (i+1)*n2] }
	rec.record(0)
	for step := 0; step < st.Steps; step++ {
		if step%50 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := forPairs(ctx, ng, workers, func(w, i, j int) error {
			var gb, hb []float64
			if j >= 0 {
				gb, hb = maps.Map(j), mapOf(h, j)
			}
			convs[w].conv(mapOf(h, i), hb, maps.Map(i), gb)
			return nil
		})
		if err != nil {
			return err
		}
		// L = tril(G Hᵀ), inner products as means over the grid.
		for a := 0; a < ng; a++ {
			ga := maps.Map(a)
			for b := 0; b <= a; b++ {
				hb := mapOf(h, b)
				var dot float64
				for p, v := range ga {
					dot += v * hb[p]
				}
				l[a*ng+b] = dot / float64(n2)
			}
		}
		// G ← G + η(H − Lᵀ G + φ(G)) with (Lᵀ G)_b = Σ_{a ≥ b} L[a][b] G_a. O_b reads only
		// maps a ≥ b, so updating b in increasing order uses the old G throughout.
		for b := 0; b < ng; b++ {
			clear(o)
			for a := b; a < ng; a++ {
				c := l[a*ng+b]
				if c == 0 {
					continue
				}
				ga := maps.Map(a)
				for p := range o {
					o[p] += c * ga[p]
				}
			}
			gb, hb := maps.Map(b), mapOf(h, b)
			for p := range gb {
				var phi float64
				if st.Activation == ActivationTanh {
					phi = math.Tanh(gb[p])
				} else {
					phi = math.Max(st.Gain*gb[p], 0)
				}
				gb[p] += st.Rate * (hb[p] - o[p] + phi)
			}
		}
		rec.record(step + 1)
	}
	return nil
}

// Limits of HexDomainSize.
const (
	hexFitAngle = 3.0 // degrees: largest shear of the fastest-growing triad
	hexFitRing  = 0.2 // relative width of the band around k* searched for triads
)

// HexDomainSize returns the smallest size in [lo, hi] with no prime factor above 11 (fast
// FFT lengths) whose periodic size×size grid, at the spectrum's bin size, lets a nearly
// undistorted hexagonal lattice grow fastest: among the triads of torus wave vectors
// k1 + k2 + k3 = 0 with lengths within hexFitRing of k*, the one whose slowest member has
// the largest Σ̃ (the linear growth rate, spec §8.3) must be within hexFitAngle of 60°
// apart. A torus where a sheared triad grows faster tends to lock into it. It returns lo
// when the spectrum has no finite peak or no size fits.
func (s *Spectrum) HexDomainSize(lo, hi int) int {
	if !(s.PeakK > 0) {
		return lo
	}
	for size := lo; size <= hi; size++ {
		if smooth(size) && s.fastestTriadShear(size) <= hexFitAngle {
			return size
		}
	}
	return lo
}

// ProfileAt returns the radial profile Σ̃ at wavenumber k (rad/m), linearly interpolated,
// 0 beyond its last sample.
func (s *Spectrum) ProfileAt(k float64) float64 {
	if len(s.K) < 2 || k < 0 {
		return math.NaN()
	}
	step := s.K[1] - s.K[0]
	i := int(k / step)
	if i+1 >= len(s.K) {
		return 0
	}
	f := k/step - float64(i)
	return s.Profile[i]*(1-f) + s.Profile[i+1]*f
}

// fastestTriadShear returns the angle error (largest deviation from 60° of the three
// directions modulo 180°) of the fastest-growing triad on a periodic size×size grid, or
// +Inf when there is none.
func (s *Spectrum) fastestTriadShear(size int) float64 {
	dkx := 2 * math.Pi / (float64(size) * s.BinX)
	dky := 2 * math.Pi / (float64(size) * s.BinY)
	type vec struct{ a, b int }
	length := func(v vec) float64 { return math.Hypot(float64(v.a)*dkx, float64(v.b)*dky) }
	inBand := func(v vec) bool { return math.Abs(length(v)-s.PeakK) <= hexFitRing*s.PeakK }
	var ring []vec
	ra := int(s.PeakK*(1+hexFitRing)/dkx) + 1
	rb := int(s.PeakK*(1+hexFitRing)/dky) + 1
	for a := -ra; a <= ra; a++ {
		for b := -rb; b <= rb; b++ {
			if v := (vec{a, b}); inBand(v) {
				ring = append(ring, v)
			}
		}
	}
	dir := func(v vec) float64 {
		return math.Mod(math.Atan2(float64(v.b)*dky, float64(v.a)*dkx)*180/math.Pi+360, 180)
	}
	bestG, shear := math.Inf(-1), math.Inf(1)
	for i, v1 := range ring {
		for _, v2 := range ring[i+1:] {
			v3 := vec{-v1.a - v2.a, -v1.b - v2.b}
			if !inBand(v3) {
				continue
			}
			g := math.Min(s.ProfileAt(length(v1)), math.Min(s.ProfileAt(length(v2)), s.ProfileAt(length(v3))))
			if g <= bestG {
				continue
			}
			d := []float64{dir(v1), dir(v2), dir(v3)}
			sort.Float64s(d)
			e := 0.0
			for _, gap := range []float64{d[1] - d[0], d[2] - d[1], 180 - d[2] + d[0]} {
				e = math.Max(e, math.Abs(gap-60))
			}
			bestG, shear = g, e
		}
	}
	return shear
}

// smooth reports whether n has no prime factor larger than 11.
func smooth(n int) bool {
	for _, p := range []int{2, 3, 5, 7, 11} {
		for n%p == 0 {
			n /= p
		}
	}
	return n == 1
}
