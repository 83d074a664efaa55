package theory

import (
	"math"
	"sort"
)

// Lattice is the Fourier-side description of a map's periodic pattern: its three
// strongest wave vectors.
type Lattice struct {
	Waves [3][2]float64 // wave vectors (kx, ky), rad/m, strongest first, one of each ±k pair
	Power [3]float64    // their power |ĝ(k)|²
	// K is the mean |k| of the three, rad/m, and Spacing = 4π/(√3 K) the spacing of the
	// hexagonal lattice they would form, m.
	K, Spacing float64
	// AngleError is the largest deviation, degrees, of the three directions (taken modulo
	// 180°) from being 60° apart; KSpread is (max |k| − min |k|)/K.
	AngleError, KSpread float64
	// PowerRatio is the third wave's power over the first's: near 1 for hexagons, near 0
	// for stripes.
	PowerRatio float64
}

// Limits of IsHexagonal.
const (
	hexMaxAngleError = 12.0 // degrees; the wave vectors of a periodic grid are quantised
	hexMaxKSpread    = 0.25
	hexMinPowerRatio = 0.3
)

// IsHexagonal reports whether the three strongest wave vectors are of similar length and
// power and 60° apart (modulo 180°): the Fourier signature of a hexagonal lattice (three
// plane waves at 120° summing to zero, spec §8.3).
func (l Lattice) IsHexagonal() bool {
	return l.AngleError <= hexMaxAngleError && l.KSpread <= hexMaxKSpread && l.PowerRatio >= hexMinPowerRatio
}

// FourierLattice finds the three strongest local maxima of the power spectrum of an n×n
// periodic map (x index first, bins binX × binY m) in the half plane, excluding k = 0 (the
// mean is removed first). It panics if len(m) != n*n.
func FourierLattice(m []float64, n int, binX, binY float64) Lattice {
	if len(m) != n*n {
		panic("theory: FourierLattice map length mismatch")
	}
	var mean float64
	for _, v := range m {
		mean += v
	}
	mean /= float64(len(m))
	z := make([]complex128, n*n)
	for i, v := range m {
		z[i] = complex(v-mean, 0)
	}
	newFFT2(n, n).forward(z)
	pow := func(a, b int) float64 {
		v := z[wrapIndex(a, n)*n+wrapIndex(b, n)]
		return real(v)*real(v) + imag(v)*imag(v)
	}
	type peak struct {
		a, b int
		p    float64
	}
	var peaks []peak
	h := n / 2
	for a := -h; a < n-h; a++ {
		for b := -h; b < n-h; b++ {
			// Half plane: a > 0, or a == 0 and b > 0.
			if a < 0 || (a == 0 && b <= 0) {
				continue
			}
			p := pow(a, b)
			if p == 0 {
				continue
			}
			isMax := true
			for da := -1; da <= 1 && isMax; da++ {
				for db := -1; db <= 1; db++ {
					if (da != 0 || db != 0) && pow(a+da, b+db) > p {
						isMax = false
						break
					}
				}
			}
			if isMax {
				peaks = append(peaks, peak{a, b, p})
			}
		}
	}
	sort.SliceStable(peaks, func(i, j int) bool { return peaks[i].p > peaks[j].p })
	var l Lattice
	if len(peaks) < 3 {
		l.AngleError, l.KSpread = 90, 1
		return l
	}
	dkx := 2 * math.Pi / (float64(n) * binX)
	dky := 2 * math.Pi / (float64(n) * binY)
	var ks, angles [3]float64
	for i := 0; i < 3; i++ {
		kx, ky := float64(peaks[i].a)*dkx, float64(peaks[i].b)*dky
		l.Waves[i] = [2]float64{kx, ky}
		l.Power[i] = peaks[i].p
		ks[i] = math.Hypot(kx, ky)
		angles[i] = math.Mod(math.Atan2(ky, kx)*180/math.Pi+180, 180)
	}
	l.K = (ks[0] + ks[1] + ks[2]) / 3
	l.Spacing = HexSpacing(l.K)
	l.KSpread = (math.Max(ks[0], math.Max(ks[1], ks[2])) - math.Min(ks[0], math.Min(ks[1], ks[2]))) / l.K
	l.PowerRatio = l.Power[2] / l.Power[0]
	sort.Float64s(angles[:])
	gaps := [3]float64{angles[1] - angles[0], angles[2] - angles[1], 180 - angles[2] + angles[0]}
	for _, g := range gaps {
		l.AngleError = math.Max(l.AngleError, math.Abs(g-60))
	}
	return l
}
