package analysis

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"
)

// sacTol bounds |FFT SAC − direct SAC|: both compute the same formula in float64.
const sacTol = 1e-9

// rotateTol bounds |our rotation − scipy.ndimage.rotate|: same spline, same boundary rule.
const rotateTol = 1e-12

func randomMap(rng *rand.Rand, n int, nanFrac float64) []float64 {
	m := make([]float64, n*n)
	for i := range m {
		m[i] = math.Max(0, rng.NormFloat64()+0.3)
		if rng.Float64() < nanFrac {
			m[i] = math.NaN()
		}
	}
	return m
}

func TestAutocorrelogramMatchesDirect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{2, 5, 20, 32} {
		for _, mode := range []SACMode{SACReference, SACNaNAware} {
			for _, nanFrac := range []float64{0, 0.1} {
				rm := randomMap(rng, n, nanFrac)
				fast, ok1 := Autocorrelogram(rm, n, mode)
				slow, ok2 := SACDirect(rm, n, mode)
				if !ok1 || !ok2 {
					t.Fatalf("n=%d %v: overflow reported on ordinary data", n, mode)
				}
				for i := range fast {
					if d := math.Abs(fast[i] - slow[i]); !(d <= sacTol) {
						t.Fatalf("n=%d %v nan=%v lag %d: FFT %v, direct %v", n, mode, nanFrac, i, fast[i], slow[i])
					}
				}
				c := (n-1)*(2*n-1) + n - 1 // zero lag (n−1, n−1)
				if math.Abs(fast[c]-1) > sacTol {
					t.Errorf("n=%d %v: zero-lag correlation %v, want 1", n, mode, fast[c])
				}
			}
		}
	}
}

// TestAutocorrelogramPlateau: a map constant but for one bump (a saturated unit) has lags
// with one side of the overlap on the plateau alone. Their correlation is 0/0, which the
// NaN-aware SAC makes 0; the rounding of E[x²] − E[x]² had turned them into ±1 or more (up
// to ±MaxFloat directly), and the FFT and direct SACs disagreed by up to 1. (The reference
// mode keeps the reference's rounding, spec §5.2 step 4, which its golden scores record.)
func TestAutocorrelogramPlateau(t *testing.T) {
	const n = 20
	rm := make([]float64, n*n)
	for i := range rm {
		rm[i] = 0.3
	}
	for i := range 4 {
		for j := range 4 {
			rm[i*n+j] = 0.3 + float64(i+j+1)
		}
	}
	fast, ok1 := Autocorrelogram(rm, n, SACNaNAware)
	slow, ok2 := SACDirect(rm, n, SACNaNAware)
	if !ok1 || !ok2 {
		t.Fatal("overflow reported")
	}
	plateau := 0
	for k := range fast {
		if d := math.Abs(fast[k] - slow[k]); !(d <= sacTol) || math.Abs(fast[k]) > 1+sacTol {
			t.Fatalf("lag %d: FFT %v, direct %v", k, fast[k], slow[k])
		}
		// Lags (dr, dc) with dr ≥ 4 pair rows dr… with rows 0…: the side from rows ≥ 4
		// lies in the plateau.
		if dr, dc := k/(2*n-1)-(n-1), k%(2*n-1)-(n-1); dr >= 4 && dc >= 0 && fast[k] != 0 {
			plateau++
		}
	}
	if plateau != 0 {
		t.Errorf("%d lags with a constant side have a non-zero correlation", plateau)
	}
}

// TestAutocorrelogramQuirk checks the reference's NaN handling against the NaN-aware one on
// a case computed by hand: a 2×2 map [[1, NaN], [3, 5]] at lag (1, 0) pairs (0,0)-(1,0) and
// (0,1)-(1,1). Reference: NaN is a valid 0, the pairs are (1,3), (0,5): corr = −1. NaN-aware:
// one pair (1,3): std 0 → 0.
func TestAutocorrelogramQuirk(t *testing.T) {
	rm := []float64{1, math.NaN(), 3, 5}
	ref, _ := Autocorrelogram(rm, 2, SACReference)
	aware, _ := Autocorrelogram(rm, 2, SACNaNAware)
	const lag = 2*3 + 1 // row 2 (Δ = +1), column 1 (Δ = 0)
	if math.Abs(ref[lag]-(-1)) > 1e-12 {
		t.Errorf("reference quirk: got %v, want −1", ref[lag])
	}
	if aware[lag] != 0 {
		t.Errorf("NaN-aware: got %v, want 0", aware[lag])
	}
}

func TestRotateMatchesScipy(t *testing.T) {
	b, err := os.ReadFile("testdata/scipy_rotate.json")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		M       int         `json:"m"`
		Input   []float64   `json:"input"`
		Angles  []float64   `json:"angles"`
		Rotated [][]float64 `json:"rotated"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	for k, ang := range g.Angles {
		got := RotateSAC(g.Input, g.M, ang)
		for i := range got {
			if d := math.Abs(got[i] - g.Rotated[k][i]); !(d <= rotateTol) {
				t.Fatalf("angle %v pixel (%d, %d): got %.15g, scipy %.15g", ang, i/g.M, i%g.M, got[i], g.Rotated[k][i])
			}
		}
	}
}

// TestSplinePrefilterLines checks the column-parallel prefilter against the per-line filter
// (scipy's apply_filter) applied to every column, then every row; and that the spline
// through the coefficients interpolates the samples: (c[i−1] + 4c[i] + c[i+1])/6 = a[i].
func TestSplinePrefilterLines(t *testing.T) {
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(24, 25))
	const m = 9
	a := make([]float64, m*m)
	for i := range a {
		a[i] = rng.NormFloat64()
	}
	got := append([]float64(nil), a...)
	splinePrefilter(got, m, make([]float64, m*m))
	want := append([]float64(nil), a...)
	zn1 := math.Pow(splinePole, m-1)
	col := make([]float64, m)
	for j := 0; j < m; j++ {
		for i := range col {
			col[i] = want[i*m+j]
		}
		prefilterLine(col, zn1)
		for i := range col {
			want[i*m+j] = col[i]
		}
	}
	for i := 0; i < m; i++ {
		prefilterLine(want[i*m:(i+1)*m], zn1)
	}
	for i := range got {
		if math.Abs(got[i]-want[i]) > tol {
			t.Fatalf("coefficient %d: %v, per-line %v", i, got[i], want[i])
		}
	}
	// Interpolation at the samples, with the mirror rule at the borders.
	for i := 0; i < m; i++ {
		for j := 0; j < m; j++ {
			var v float64
			for di := -1; di <= 1; di++ {
				for dj := -1; dj <= 1; dj++ {
					w := [3]float64{1.0 / 6, 4.0 / 6, 1.0 / 6}
					v += w[di+1] * w[dj+1] * got[mirrorIndex(i+di, m)*m+mirrorIndex(j+dj, m)]
				}
			}
			if math.Abs(v-a[i*m+j]) > tol {
				t.Fatalf("sample (%d, %d): spline %v, data %v", i, j, v, a[i*m+j])
			}
		}
	}
}
