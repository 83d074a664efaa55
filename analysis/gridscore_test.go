package analysis

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/gridcells/gridcells/npyio"
)

// goldenScoreTol is the tolerance on every score against the reference scorer. The issue's
// acceptance bound was 0.02; the scores agree to 5e-9 (the golden CSV's digits), so 1e-6
// still leaves room for another platform's rounding and catches any change of formula.
const goldenScoreTol = 1e-6

type goldenRow struct {
	kind                      string
	meanDiff, minMax, score90 float64
	ring60, ring90            float64
}

// loadGolden reads testdata/gridscore_synthetic_* : 160 32×32 maps and the scores that the
// DeepMind scorer (scores.py as copied into SOR and NFL; scipy 1.10) gives them, both 60°
// conventions (copied from ../shared/golden/gridscore-synthetic, see its README there).
func loadGolden(t testing.TB) ([]float64, int, []goldenRow) {
	return loadGoldenFiles(t, "testdata/gridscore_synthetic_ratemaps.npy", "testdata/gridscore_synthetic_scores.csv")
}

func loadGoldenFiles(t testing.TB, mapsFile, scoresFile string) ([]float64, int, []goldenRow) {
	t.Helper()
	a, err := npyio.ReadFile(mapsFile)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Shape) != 3 || a.Shape[1] != a.Shape[2] {
		t.Fatalf("golden maps shape %v", a.Shape)
	}
	var rows []goldenRow
	for _, r := range readCSVRecords(t, scoresFile) {
		num := func(s string) float64 {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		rows = append(rows, goldenRow{r[1], num(r[2]), num(r[3]), num(r[4]), num(r[5]), num(r[6])})
	}
	if len(rows) != a.Shape[0] {
		t.Fatalf("%d golden rows for %d maps", len(rows), a.Shape[0])
	}
	return a.AsFloat64(), a.Shape[1], rows
}

// cleanKind reports whether a golden map kind has a well-defined best ring (no noise, no
// empty bins): the acceptance criterion asks for the same ring on these.
func cleanKind(k string) bool { return k == "hex" || k == "hex_relu" || k == "square" }

func TestGridScoreGolden(t *testing.T) {
	maps, n, rows := loadGolden(t)
	checkGolden(t, maps, n, rows)
}

// TestGridScoreGoldenSizes checks the same on 3×3, 7×7, 20×20 and 44×44 maps (see
// testdata/dmscores_README.md).
func TestGridScoreGoldenSizes(t *testing.T) {
	for _, n := range []int{3, 7, 20, 44} {
		maps, got, rows := loadGoldenFiles(t, fmt.Sprintf("testdata/dmscores_n%d.npy", n), fmt.Sprintf("testdata/dmscores_n%d.csv", n))
		if got != n {
			t.Fatalf("dmscores_n%d holds %d×%d maps", n, got, got)
		}
		checkGolden(t, maps, n, rows)
	}
}

func checkGolden(t *testing.T, maps []float64, n int, rows []goldenRow) {
	t.Helper()
	for _, method := range []Method{MethodDeepMind, MethodNFL} {
		sc, err := NewScorer(n, &Settings{Method: method})
		if err != nil {
			t.Fatal(err)
		}
		got, err := sc.ScoreAll(context.Background(), maps, 0)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0.0
		for i, g := range got {
			want := rows[i]
			want60 := want.minMax
			if method == MethodDeepMind {
				want60 = want.meanDiff
			}
			if math.IsNaN(want60) {
				// The reference overflows on these maps (rates ~1e-170 in a place field's
				// tail); we must say so rather than invent a number.
				if !math.IsNaN(g.Score60) || g.Reason == "" {
					t.Errorf("%s map %d (%s): got %v (reason %q), reference NaN", method, i, want.kind, g.Score60, g.Reason)
				}
				continue
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"score60", g.Score60, want60},
				{"score60 mean-difference", g.MeanDiff60, want.meanDiff},
				{"score60 min-max", g.MinMax60, want.minMax},
				{"score90", g.Score90, want.score90},
			} {
				d := math.Abs(c.got - c.want)
				if !(d <= goldenScoreTol) {
					t.Errorf("%s map %d (%s) %s: got %.6f, reference %.6f", method, i, want.kind, c.name, c.got, c.want)
				}
				worst = math.Max(worst, d)
			}
			if method == MethodDeepMind && cleanKind(want.kind) {
				if math.Abs(g.Outer60-want.ring60) > 1e-6 || math.Abs(g.Outer90-want.ring90) > 1e-6 {
					t.Errorf("map %d (%s): rings %.4f %.4f, reference %.4f %.4f", i, want.kind, g.Outer60, g.Outer90, want.ring60, want.ring90)
				}
			}
		}
		t.Logf("n=%d %s: worst |Δscore| over %d golden maps = %.3g", n, method, len(got), worst)
	}
}

// invarianceTol bounds how much a translation or rotation of a hexagonal lattice may change
// its score: sampling the lattice on a different grid changes the map slightly.
const invarianceTol = 0.1

func TestGridScoreInvariance(t *testing.T) {
	const n = 32
	sc, err := NewScorer(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := sc.Score(hexLattice(n, 8, 0.2, 0, 0))
	if base.Score60 < 1 {
		t.Fatalf("hexagonal lattice scores %v, want > 1 (reason %q)", base.Score60, base.Reason)
	}
	for _, c := range []struct {
		name           string
		orient, x0, y0 float64
	}{
		{"translated", 0.2, 3.3, -5.1},
		{"translated far", 0.2, 17, 11},
		{"rotated 17°", 0.2 + 17*math.Pi/180, 0, 0},
		{"rotated 41°", 0.2 + 41*math.Pi/180, 1.5, 2.5},
	} {
		g := sc.Score(hexLattice(n, 8, c.orient, c.x0, c.y0))
		if math.Abs(g.Score60-base.Score60) > invarianceTol {
			t.Errorf("%s: score60 %.4f, untransformed %.4f", c.name, g.Score60, base.Score60)
		}
	}
	// A square lattice is not a grid: low 60° score, high 90° score.
	sq := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			sq[i*n+j] = math.Cos(2*math.Pi*float64(i)/8) + math.Cos(2*math.Pi*float64(j)/8)
		}
	}
	if g := sc.Score(sq); !(g.Score60 < 0 && g.Score90 > 1) {
		t.Errorf("square lattice: score60 %.3f score90 %.3f, want < 0 and > 1", g.Score60, g.Score90)
	}
}

func TestGridScoreBNT(t *testing.T) {
	const n = 32
	sc, err := NewScorer(n, &Settings{Method: MethodBNT})
	if err != nil {
		t.Fatal(err)
	}
	hex := sc.Score(hexLattice(n, 8, 0.3, 1, 2))
	// opexebo: "a good grid is about 1.3; the theoretical bound is 2".
	if !(hex.Score60 > 1 && hex.Score60 <= 2) || hex.Method != MethodBNT {
		t.Errorf("bnt hexagonal lattice: %+v, want score60 in (1, 2]", hex)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	noise := Smooth(nil, randomMap(rng, n, 0), n, 1.5, false)
	if g := sc.Score(noise); !(g.Score60 < hex.Score60-0.5) {
		t.Errorf("bnt smoothed noise scores %.3f, hexagonal %.3f", g.Score60, hex.Score60)
	}
}

// TestGridScoreBNTGolden checks MethodBNT against bntscores.py (testdata/bntscores_README.md):
// opexebo's expanding-annulus score with skimage's rotations and scipy's pearsonr, on the
// golden maps of 3, 7, 20, 32 and 44 bins. They agree to 3e-11; without opexebo's crop of the
// autocorrelogram the scores differ by up to 0.5, and at 3 bins, whose first annulus (radius
// 3) reaches past the crop's inscribed circle into its corners, by up to 4.
func TestGridScoreBNTGolden(t *testing.T) {
	for _, c := range []struct {
		n    int
		maps string
	}{{3, "testdata/dmscores_n3.npy"}, {7, "testdata/dmscores_n7.npy"}, {20, "testdata/dmscores_n20.npy"},
		{32, "testdata/gridscore_synthetic_ratemaps.npy"}, {44, "testdata/dmscores_n44.npy"}} {
		a, err := npyio.ReadFile(c.maps)
		if err != nil {
			t.Fatal(err)
		}
		maps := a.AsFloat64()
		want := readCSVFloats(t, fmt.Sprintf("testdata/bntscores_n%d.csv", c.n))
		if len(want)*c.n*c.n != len(maps) {
			t.Fatalf("n %d: %d golden rows for %d maps", c.n, len(want), len(maps)/(c.n*c.n))
		}
		sc, err := NewScorer(c.n, &Settings{Method: MethodBNT})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			g := sc.Score(maps[i*c.n*c.n : (i+1)*c.n*c.n])
			for _, v := range []struct {
				name      string
				got, want float64
			}{{"score60", g.Score60, w[1]}, {"score90", g.Score90, w[2]}} {
				if math.IsNaN(v.want) != math.IsNaN(v.got) || math.Abs(v.got-v.want) > goldenScoreTol {
					t.Errorf("n %d map %d: %s %v, opexebo %v (reason %q)", c.n, i, v.name, v.got, v.want, g.Reason)
				}
			}
		}
	}
}

// readCSVRecords reads the rows of a CSV file after its header line.
func readCSVRecords(t testing.TB, name string) [][]string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) < 1 {
		t.Fatalf("%s: %v", name, err)
	}
	return recs[1:]
}

// readCSVFloats reads a CSV file of numbers with a header line.
func readCSVFloats(t *testing.T, name string) [][]float64 {
	t.Helper()
	var rows [][]float64
	var err error
	for _, r := range readCSVRecords(t, name) {
		row := make([]float64, len(r))
		for j, s := range r {
			if row[j], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func TestGridScoreBadInput(t *testing.T) {
	if _, err := NewScorer(1, nil); err == nil {
		t.Error("1×1 maps: no error")
	}
	// 2×2 maps: the innermost ring (0.4–0.8 bins) is empty, so the reference gives NaN.
	if sc, err := NewScorer(2, nil); err != nil {
		t.Error(err)
	} else if g := sc.Score([]float64{1, 2, 3, 5}); !math.IsNaN(g.Score60) || g.Reason == "" {
		t.Errorf("2×2 map: %+v, want NaN with a reason", g)
	}
	if _, err := NewScorer(32, &Settings{Method: "hexness"}); err == nil {
		t.Error("unknown method: no error")
	}
	const n = 16
	nan := math.NaN()
	allNaN := make([]float64, n*n)
	constant := make([]float64, n*n)
	withInf := hexLattice(n, 6, 0, 0, 0)
	nanAndConst := make([]float64, n*n)
	for i := range allNaN {
		allNaN[i] = nan
		constant[i] = 2.5
		nanAndConst[i] = 0
		if i%3 == 0 {
			nanAndConst[i] = nan
		}
	}
	withInf[5] = math.Inf(1)
	for _, method := range Methods {
		for _, mode := range []SACMode{SACReference, SACNaNAware} {
			sc, err := NewScorer(n, &Settings{Method: method, SAC: mode})
			if err != nil {
				t.Fatal(err)
			}
			for name, rm := range map[string][]float64{"all NaN": allNaN, "constant": constant, "Inf": withInf, "zeros and NaN": nanAndConst} {
				g := sc.Score(rm)
				if name != "Inf" && mode == SACReference && method != MethodBNT {
					// Flat once NaN → 0: the reference's autocorrelogram is 0/0 → 0
					// everywhere, so every ring correlation is 0/(0 + 1e-5) and the
					// first ring wins the tie.
					if g.Score60 != 0 || g.Score90 != 0 || g.MeanDiff60 != 0 || g.MinMax60 != 0 || g.Ring60 != 0 || g.Ring90 != 0 || g.Outer60 != RingOuter(0) || g.Reason == "" {
						t.Errorf("%s %v %s: %+v, want scores 0 at ring 0 with a reason", method, mode, name, g)
					}
					continue
				}
				if !math.IsNaN(g.Score60) || !math.IsNaN(g.Score90) || g.Reason == "" || g.Ring60 != -1 {
					t.Errorf("%s %v %s: %+v, want NaN scores with a reason", method, mode, name, g)
				}
			}
		}
	}
	// The 2×2 map's empty first ring keeps the reference's NaN even for a silent unit.
	if sc, err := NewScorer(2, nil); err != nil {
		t.Error(err)
	} else if g := sc.Score(make([]float64, 4)); !math.IsNaN(g.Score60) || g.Reason == "" {
		t.Errorf("2×2 zero map: %+v, want NaN with a reason", g)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("wrong-length map: no panic")
			}
		}()
		sc, _ := NewScorer(n, nil)
		sc.Score(make([]float64, n*n-1))
	}()
}

func TestParseMethod(t *testing.T) {
	for _, m := range Methods {
		if got, err := ParseMethod(string(m)); err != nil || got != m {
			t.Errorf("ParseMethod(%q) = %v, %v", m, got, err)
		}
	}
	if _, err := ParseMethod("NFL"); err == nil {
		t.Error("ParseMethod is case-sensitive; want error for NFL")
	}
}

func TestScoreAllCancel(t *testing.T) {
	const n = 20
	sc, _ := NewScorer(n, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sc.ScoreAll(ctx, benchMaps(n, 64), 2); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestGather90MatchesSpline checks the 90° shortcut against the spline rotation it replaces.
func TestGather90MatchesSpline(t *testing.T) {
	const n = 20
	const tol = 1e-12
	rng := rand.New(rand.NewPCG(16, 17))
	sac, _ := Autocorrelogram(randomMap(rng, n, 0), n, SACReference)
	pl := fixedRingPlan(n)
	coef := append([]float64(nil), sac...)
	splinePrefilter(coef, pl.m, make([]float64, pl.m*pl.m))
	got := make([]float64, len(pl.pix))
	pl.rots[a90].apply(got, coef)
	for k, q := range pl.gather90 {
		if math.Abs(got[k]-sac[q]) > tol {
			t.Fatalf("pixel %d: spline %v, gather %v", pl.pix[k], got[k], sac[q])
		}
	}
}

// errAfter is a context whose Err reports cancellation from its n-th call on, while its
// Done channel never closes: a Ctrl-C that comes once every chunk has been handed out.
type errAfter struct {
	context.Context
	calls, n int
	mu       sync.Mutex
}

func (c *errAfter) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls++; c.calls >= c.n {
		return context.Canceled
	}
	return nil
}

// A cancellation after the last chunk was handed out stops the workers between maps and is
// returned (the scores of the maps not scored would read as zeros).
func TestScoreAllCancelLate(t *testing.T) {
	const n = 20
	sc, _ := NewScorer(n, nil)
	ctx := &errAfter{Context: context.Background(), n: 3}
	out, err := sc.ScoreAll(ctx, benchMaps(n, 40), 1)
	if err != context.Canceled {
		t.Fatalf("late cancellation: %v; want context.Canceled", err)
	}
	unscored := 0
	for _, g := range out {
		if g == (GridScore{}) {
			unscored++
		}
	}
	if unscored == 0 {
		t.Error("every map scored after the cancellation; want the workers to stop between maps")
	}
}
