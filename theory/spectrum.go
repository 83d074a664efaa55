package theory

import (
	"context"
	"fmt"
	"math"

	"github.com/gridcells/gridcells/internal/parallel"
)

// Encoder is what the spectrum needs from a target code; encode.Code satisfies it.
// Encode writes the code of n positions (pos is n×2, x then y, metres) into dst (n×Np,
// row-major).
type Encoder interface {
	Np() int
	Encode(dst, pos []float32) []float32
}

// SpectrumSettings configures ComputeSpectrum. A nil *SpectrumSettings means defaults.
type SpectrumSettings struct {
	// Res is the number of grid points per side of the box (default 55, the SOR
	// pattern-formation notebook's value; at least 8).
	Res int
	// Wrap selects SOR's compute_covariance estimate: every row of C = P Pᵀ is rolled
	// circularly so that its reference point is at the origin and the rows are averaged,
	// so displacements wrap around the box (lags −res/2..res/2). The default (false)
	// averages each displacement over the pairs of grid points that both lie inside the
	// box, without wrap-around (lags −(res−1)..res−1).
	Wrap bool
	// KStep is the wavenumber step of the radial profile, rad/m
	// (default 2π/(8·max(width, height))).
	KStep float64
	// KMax is the largest wavenumber of the radial profile, rad/m (default the Nyquist
	// wavenumber π/bin of the grid).
	KMax float64
}

func (s *SpectrumSettings) withDefaults(width, height float64) (SpectrumSettings, error) {
	var out SpectrumSettings
	if s != nil {
		out = *s
	}
	if out.Res == 0 {
		out.Res = 55
	}
	if out.Res < 8 || out.Res > 1024 {
		return out, fmt.Errorf("theory: spectrum res %d: want 8..1024 grid points per side", out.Res)
	}
	bin := math.Max(width, height) / float64(out.Res)
	if out.KStep == 0 {
		out.KStep = 2 * math.Pi / (8 * math.Max(width, height))
	}
	if out.KMax == 0 {
		out.KMax = math.Pi / bin
	}
	if !(out.KStep > 0) || !(out.KMax > out.KStep) || math.IsInf(out.KMax, 0) {
		return out, fmt.Errorf("theory: spectrum k step %g, k max %g rad/m: want 0 < step < max, finite", out.KStep, out.KMax)
	}
	return out, nil
}

// Spectrum is the place-cell covariance of a target code on a grid over the box and its
// Fourier transform (spec §8.1).
type Spectrum struct {
	Res           int     // grid points per side
	Width, Height float64 // box, m
	BinX, BinY    float64 // grid spacing, m
	Wrap          bool    // SOR's circular estimate (SpectrumSettings.Wrap)

	// LagRadius R: Covariance holds lags −R..R bins on each axis.
	LagRadius int
	// Covariance is the translation-averaged covariance Σ(Δ) = ⟨Σ_i p_i(x) p_i(x+Δ)⟩_x,
	// (2R+1)×(2R+1) row-major with the x lag first; lag (0, 0) at index (R, R).
	Covariance []float64
	// Offset is the far-field level of Σ(Δ) (its pair-weighted mean over lags longer than
	// CutRadius), subtracted before transforming: a constant added to every cell's code,
	// as the shift-and-normalise step of DoS adds 1/Np, only moves power into the k = 0
	// mode of an infinite plane and would otherwise swamp the low wavenumbers.
	Offset float64
	// CutRadius is the lag length, m, beyond which Σ(Δ) − Offset is taken as zero in the
	// transforms: half the shorter side of the box.
	CutRadius float64

	// K and Profile are the radial profile Σ̃(|k|) (the angular average of the 2-D
	// transform, in covariance units × m²) at wavenumbers K, rad/m.
	K, Profile []float64
	// PeakK is k*, rad/m: the wavenumber of the profile's maximum refined by a parabola
	// through the neighbouring samples, or 0 when the profile peaks at k = 0.
	PeakK float64

	// Power is the 2-D Fourier transform of Σ(Δ) − Offset on the lag grid, (2R+1)×(2R+1)
	// row-major (kx first) with k = 0 at index (R, R) and steps DKX, DKY rad/m.
	Power    []float64
	DKX, DKY float64
}

// PredictedSpacing returns the hexagonal spacing 4π/(√3 k*) in metres predicted by the
// numerical peak, or +Inf when the spectrum peaks at the origin.
func (s *Spectrum) PredictedSpacing() float64 { return HexSpacing(s.PeakK) }

// FormsPattern reports whether the spectrum peaks at a finite wavenumber, so that the
// linear dynamics of spec §8.3 grow a periodic pattern rather than a uniform one.
func (s *Spectrum) FormsPattern() bool { return s.PeakK > 0 }

// Lag returns Σ(Δ) at the lag (dx, dy) in bins; it panics outside −R..R.
func (s *Spectrum) Lag(dx, dy int) float64 {
	r := s.LagRadius
	if dx < -r || dx > r || dy < -r || dy > r {
		panic("theory: Spectrum.Lag outside the lag grid")
	}
	return s.Covariance[(dx+r)*(2*r+1)+dy+r]
}

// spectrumChunks is the fixed number of partial sums the cell loop is split into, so that
// the result does not depend on how many goroutines run it.
const spectrumChunks = 16

// ComputeSpectrum evaluates code on a res×res grid of bin centres over the box of the
// given size (m, centred on the origin), estimates the translation-averaged covariance
// Σ(Δ) = ⟨Σ_i p_i(x) p_i(x+Δ)⟩_x and its Fourier transform, the radial profile and the
// peak wavenumber (spec §8.1–§8.2).
//
// The covariance is the autocorrelation of each cell's map summed over cells, computed
// with zero-padded FFTs (two real maps per complex transform), O(Np·res²·log res). The
// radial profile is the Hankel transform Σ̃(k) = Σ_Δ (Σ(Δ) − Offset) J0(k|Δ|) ΔxΔy over
// the lags shorter than CutRadius, evaluated directly at each k of the profile, so it is
// not limited to the 2π/L spacing of the grid's DFT. A cancelled ctx stops the transforms
// and returns ctx.Err().
func ComputeSpectrum(ctx context.Context, code Encoder, width, height float64, set *SpectrumSettings) (*Spectrum, error) {
	if !(width > 0) || !(height > 0) || math.IsInf(width+height, 0) {
		return nil, fmt.Errorf("theory: box %g × %g m: want finite sides > 0", width, height)
	}
	st, err := set.withDefaults(width, height)
	if err != nil {
		return nil, err
	}
	np := code.Np()
	if np < 1 {
		return nil, fmt.Errorf("theory: code has %d cells, want ≥ 1", np)
	}
	res := st.Res
	s := &Spectrum{Res: res, Width: width, Height: height, BinX: width / float64(res), BinY: height / float64(res), Wrap: st.Wrap}

	// Grid of bin centres, x index first (the rate-map convention, spec §5.1).
	pos := make([]float32, 2*res*res)
	for ix := 0; ix < res; ix++ {
		for iy := 0; iy < res; iy++ {
			p := ix*res + iy
			pos[2*p] = float32(-width/2 + (float64(ix)+0.5)*s.BinX)
			pos[2*p+1] = float32(-height/2 + (float64(iy)+0.5)*s.BinY)
		}
	}
	codes := make([]float32, res*res*np)
	code.Encode(codes, pos)
	for i, v := range codes {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("theory: code is %v at position (%g, %g), cell %d", v, pos[2*(i/np)], pos[2*(i/np)+1], i%np)
		}
	}

	n := 2 * res // zero padding: linear autocorrelation for lags up to res−1
	if st.Wrap {
		n = res
	}
	power := autocorrPower(ctx, codes, np, res, n)
	if err := ctx.Err(); err != nil { // Ctrl-C: at --res 300 the transforms take 20 s
		return nil, err
	}

	// Inverse transform of Σ_i |P̂_i|²: the autocorrelation summed over cells.
	buf := make([]complex128, n*n)
	for i, v := range power {
		buf[i] = complex(v, 0)
	}
	newFFT2(n, n).inverse(buf)
	norm := 1 / float64(n*n)

	r := res - 1
	if st.Wrap {
		r = (res - 1) / 2
	}
	m := 2*r + 1
	s.LagRadius = r
	s.Covariance = make([]float64, m*m)
	for dx := -r; dx <= r; dx++ {
		for dy := -r; dy <= r; dy++ {
			c := real(buf[wrapIndex(dx, n)*n+wrapIndex(dy, n)]) * norm
			pairs := float64(res * res)
			if !st.Wrap {
				pairs = float64((res - abs(dx)) * (res - abs(dy)))
			}
			s.Covariance[(dx+r)*m+dy+r] = c / pairs
		}
	}

	// Far-field level, weighted by the number of pairs behind each lag.
	s.CutRadius = math.Min(width, height) / 2
	var sum, wsum float64
	for dx := -r; dx <= r; dx++ {
		for dy := -r; dy <= r; dy++ {
			if lagLength(dx, dy, s.BinX, s.BinY) < s.CutRadius {
				continue
			}
			w := 1.0
			if !st.Wrap {
				w = float64((res - abs(dx)) * (res - abs(dy)))
			}
			sum += w * s.Covariance[(dx+r)*m+dy+r]
			wsum += w
		}
	}
	if wsum > 0 {
		s.Offset = sum / wsum
	}

	// Centred covariance inside the cut radius.
	type lag struct{ rho, f float64 }
	var lags []lag
	centred := make([]float64, m*m)
	for dx := -r; dx <= r; dx++ {
		for dy := -r; dy <= r; dy++ {
			rho := lagLength(dx, dy, s.BinX, s.BinY)
			if rho >= s.CutRadius {
				continue
			}
			f := s.Covariance[(dx+r)*m+dy+r] - s.Offset
			centred[(dx+r)*m+dy+r] = f
			lags = append(lags, lag{rho, f})
		}
	}
	area := s.BinX * s.BinY

	// Radial profile by the Hankel transform of the lag grid.
	nk := int(math.Floor(st.KMax/st.KStep)) + 1
	s.K = make([]float64, nk)
	s.Profile = make([]float64, nk)
	for i := range s.K {
		k := float64(i) * st.KStep
		var v float64
		for _, l := range lags {
			v += l.f * math.J0(k*l.rho)
		}
		s.K[i], s.Profile[i] = k, v*area
	}
	s.PeakK = profilePeak(s.K, s.Profile)

	// 2-D transform of the centred covariance, DC centred.
	g := make([]complex128, m*m)
	for dx := -r; dx <= r; dx++ {
		for dy := -r; dy <= r; dy++ {
			g[wrapIndex(dx, m)*m+wrapIndex(dy, m)] = complex(centred[(dx+r)*m+dy+r], 0)
		}
	}
	newFFT2(m, m).forward(g)
	s.Power = make([]float64, m*m)
	for kx := -r; kx <= r; kx++ {
		for ky := -r; ky <= r; ky++ {
			s.Power[(kx+r)*m+ky+r] = real(g[wrapIndex(kx, m)*m+wrapIndex(ky, m)]) * area
		}
	}
	s.DKX = 2 * math.Pi / (float64(m) * s.BinX)
	s.DKY = 2 * math.Pi / (float64(m) * s.BinY)
	return s, nil
}

// autocorrPower returns Σ_i |P̂_i(k)|² on the n×n grid, P̂_i the DFT of cell i's res×res
// map zero-padded to n×n. Two real maps a, b share one complex transform Z of a + ib:
// |Â(k)|² + |B̂(k)|² = (|Z(k)|² + |Z(−k)|²)/2, and since only the sum over cells is needed the
// symmetrisation is applied once at the end.
func autocorrPower(ctx context.Context, codes []float32, np, res, n int) []float64 {
	pairs := (np + 1) / 2
	acc := make([][]float64, spectrumChunks)
	type scratch struct {
		f *fft2
		z []complex128
	}
	workers := parallel.Workers(0, spectrumChunks) // read once: the scratch is indexed by worker
	work := make([]scratch, workers)
	// The caller checks ctx: a cancelled sum is discarded.
	_ = parallel.For(ctx, spectrumChunks, workers, func(w, c int) error {
		if work[w].f == nil {
			work[w] = scratch{newFFT2(n, n), make([]complex128, n*n)}
		}
		f, z := work[w].f, work[w].z
		a := make([]float64, n*n)
		for p := c; p < pairs; p += spectrumChunks {
			if err := ctx.Err(); err != nil { // one chunk is 1/16 of the cells: do not finish it
				return err
			}
			clear(z)
			ia, ib := 2*p, 2*p+1
			for ix := 0; ix < res; ix++ {
				for iy := 0; iy < res; iy++ {
					row := (ix*res + iy) * np
					im := 0.0
					if ib < np {
						im = float64(codes[row+ib])
					}
					z[ix*n+iy] = complex(float64(codes[row+ia]), im)
				}
			}
			f.forwardRows(z, res)
			for i, v := range z {
				a[i] += real(v)*real(v) + imag(v)*imag(v)
			}
		}
		acc[c] = a
		return nil
	})
	total := make([]float64, n*n)
	for _, a := range acc {
		for i, v := range a {
			total[i] += v
		}
	}
	out := make([]float64, n*n)
	for kx := 0; kx < n; kx++ {
		for ky := 0; ky < n; ky++ {
			out[kx*n+ky] = (total[kx*n+ky] + total[wrapIndex(-kx, n)*n+wrapIndex(-ky, n)]) / 2
		}
	}
	return out
}

// profilePeak returns the wavenumber of the maximum of a uniformly sampled radial profile,
// refined by the vertex of the parabola through it and its neighbours, or 0 when the
// maximum is the first sample (k = 0).
func profilePeak(k, p []float64) float64 {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	if best == 0 {
		return 0
	}
	if best == len(p)-1 {
		return k[best]
	}
	ym, y0, yp := p[best-1], p[best], p[best+1]
	den := ym - 2*y0 + yp
	if den >= 0 {
		return k[best]
	}
	return k[best] + 0.5*(ym-yp)/den*(k[best+1]-k[best])
}

func lagLength(dx, dy int, bx, by float64) float64 {
	return math.Hypot(float64(dx)*bx, float64(dy)*by)
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
