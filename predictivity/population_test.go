package predictivity

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/gridcells/gridcells/analysis"

	"github.com/gridcells/gridcells/report/figure"
)

func TestPopulationComposition(t *testing.T) {
	p, err := NewPopulation(nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	count := map[CellKind]int{}
	for _, k := range p.Kinds {
		count[k]++
	}
	want := map[CellKind]int{GridCell: 64, PlaceCell: 24, BorderCell: 8, HeadDirectionGC: 8}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%s cells: %d, want %d", k, count[k], n)
		}
	}
	const ratioTol = 1e-12
	for m := 1; m < len(p.Spacing); m++ {
		if r := p.Spacing[m] / p.Spacing[m-1]; math.Abs(r-1.4) > ratioTol {
			t.Errorf("module %d/%d spacing ratio %g, want 1.4", m, m-1, r)
		}
	}
	if p.Spacing[0] != 0.3 {
		t.Errorf("smallest spacing %g m, want 0.3", p.Spacing[0])
	}
	q, _ := NewPopulation(nil, 3)
	pos := BinCentres(10, analysis.SquareBox(2.2))
	a := p.Rates(pos, nil, rand.New(rand.NewPCG(1, 1)))
	b := q.Rates(pos, nil, rand.New(rand.NewPCG(1, 1)))
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seeds, different rates")
		}
	}
	for _, s := range []PopulationSettings{{GridSpacing: -1}, {PlaceWidth: [2]float64{0.2, 0.1}}, {BorderWidth: -1},
		{GridModules: -1, PlaceCells: -1, BorderCells: -1, HeadDirectionCells: -1}} {
		if _, err := NewPopulation(&s, 1); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}

// Each module's grid cells must have the module's spacing, measured on their rate maps
// by the Fourier analysis of package analysis, and be hexagonal by the grid score.
func TestPopulationGridSpacing(t *testing.T) {
	const (
		n          = 64
		side       = 2.2
		spacingTol = 0.06 // relative; the spectral peak is refined from a 256-point FFT
		minScore   = 0.8  // NFL's "possible grid cell" threshold (spec §5.6)
	)
	p, err := NewPopulation(&PopulationSettings{GridPerModule: 2, PlaceCells: -1, BorderCells: -1, HeadDirectionCells: -1}, 5)
	if err != nil {
		t.Fatal(err)
	}
	maps := p.RateMaps(n, analysis.SquareBox(side), nil)
	sc, err := analysis.NewScorer(n, nil)
	if err != nil {
		t.Fatal(err)
	}
	binSide := side / n
	for j := 0; j < p.Neurons(); j++ {
		rm := maps[j*n*n : (j+1)*n*n]
		got := analysis.DominantWavenumber(rm, n, 0).Spacing * binSide
		want := p.Spacing[p.Module[j]]
		if math.Abs(got-want) > spacingTol*want {
			t.Errorf("cell %d (module %d): spacing %.3f m, want %.3f", j, p.Module[j], got, want)
		}
		if s := sc.Score(rm); !(s.Score60 > minScore) {
			t.Errorf("cell %d: score60 %.2f, want > %g", j, s.Score60, minScore)
		}
	}
}

func TestPopulationCellShapes(t *testing.T) {
	const tol = 1e-12
	box := analysis.SquareBox(2)
	p, err := NewPopulation(&PopulationSettings{GridModules: -1, PlaceCells: 3, BorderCells: 4, HeadDirectionCells: 2, HDKappa: 1.5, Box: box}, 7)
	if err != nil {
		t.Fatal(err)
	}
	for j, c := range p.cells {
		switch c.kind {
		case PlaceCell:
			// At a field's centre the rate is at least the field's own peak, 1.
			f := c.fields[0]
			if r := c.rate(f[0], f[1], math.NaN()); r < 1-tol {
				t.Errorf("place cell %d: rate %g at its field centre", j, r)
			}
		case BorderCell:
			// exp(−d/width): 1 on the wall, 1/e one width inside.
			x, y := 0.0, 0.0
			dx, dy := 0.0, 0.0
			switch c.wall {
			case 0:
				x, dx = box.XMin, 1
			case 1:
				x, dx = box.XMax, -1
			case 2:
				y, dy = box.YMin, 1
			case 3:
				y, dy = box.YMax, -1
			}
			w := c.width
			if r := c.rate(x, y, 0); math.Abs(r-1) > tol {
				t.Errorf("border cell %d: rate %g on its wall", j, r)
			}
			if r := c.rate(x+dx*w, y+dy*w, 0); math.Abs(r-math.Exp(-1)) > tol {
				t.Errorf("border cell %d: rate %g one width in, want 1/e", j, r)
			}
		case HeadDirectionGC:
			// The heading-averaged rate is the mean over headings of the tuned rate.
			x, y := 0.13, -0.21
			const headings = 3600
			var mean float64
			for i := 0; i < headings; i++ {
				mean += c.rate(x, y, 2*math.Pi*float64(i)/headings)
			}
			mean /= headings
			if got := c.rate(x, y, math.NaN()); math.Abs(got-mean) > 1e-9 {
				t.Errorf("conjunctive cell %d: heading-averaged %g, numerical mean %g", j, got, mean)
			}
			if r, g := c.rate(x, y, c.pref), c.rate(x, y, c.pref+math.Pi); !(r > g) {
				t.Errorf("conjunctive cell %d: rate %g at the preferred heading ≤ %g opposite", j, r, g)
			}
		}
	}
}

func TestPopulationNoise(t *testing.T) {
	const (
		noise  = 0.2
		stdTol = 0.01
	)
	p, err := NewPopulation(&PopulationSettings{Noise: noise}, 1)
	if err != nil {
		t.Fatal(err)
	}
	pos := BinCentres(20, analysis.SquareBox(2.2))
	clean := p.Rates(pos, nil, nil)
	noisy := p.Rates(pos, nil, rand.New(rand.NewPCG(4, 4)))
	var ss float64
	for i := range clean {
		d := noisy[i] - clean[i]
		ss += d * d
	}
	if std := math.Sqrt(ss / float64(len(clean))); math.Abs(std-noise) > stdTol {
		t.Errorf("noise std %.4f, want %g", std, noise)
	}
}

// A grid model's units are periodic on their module's lattice: shifting by a lattice
// vector d (k₀·d = k₁·d = 2π, and k₂ = k₁ − k₀) leaves every activation unchanged.
func TestFeaturesGridPeriodic(t *testing.T) {
	f, err := RandomFeatures(&FeatureSettings{Units: 5, Components: 2, Grid: true}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for u := 0; u < f.Units(); u++ {
		k0, k1 := f.k[3*u], f.k[3*u+1]
		det := k0[0]*k1[1] - k0[1]*k1[0]
		d := [2]float64{2 * math.Pi * (k1[1] - k0[1]) / det, 2 * math.Pi * (k0[0] - k1[0]) / det}
		pos := []float32{0.1, -0.3}
		shifted := []float32{float32(0.1 + d[0]), float32(-0.3 + d[1])}
		a, b := f.Activations(pos)[u], f.Activations(shifted)[u]
		const tol = 1e-5 // float32 positions
		if math.Abs(a-b) > tol {
			t.Errorf("unit %d: %g at x, %g at x + %v", u, a, b, d)
		}
	}
	if _, err := RandomFeatures(&FeatureSettings{Components: -1}, 1); err == nil {
		t.Error("Components −1: no error")
	}
	if _, err := RandomFeatures(&FeatureSettings{MinWavelength: 2, MaxWavelength: 1}, 1); err == nil {
		t.Error("MinWavelength > MaxWavelength: no error")
	}
}

// The smooth models' dimensionality grows with the number of components they mix.
func TestFeaturesDimensionalityGrows(t *testing.T) {
	const n = 24
	pos := BinCentres(n, analysis.SquareBox(2.2))
	prev := 0.0
	for _, c := range []int{1, 4, 16, 64} {
		f, err := RandomFeatures(&FeatureSettings{Components: c}, 2)
		if err != nil {
			t.Fatal(err)
		}
		act := f.Activations(pos)
		for _, v := range act {
			if v < 0 {
				t.Fatal("negative ReLU activation")
			}
		}
		pr, err := analysis.ParticipationRatio(act, n*n, f.Units())
		if err != nil {
			t.Fatal(err)
		}
		if !(pr > prev) {
			t.Errorf("%d components: PR %.2f, not above %.2f", c, pr, prev)
		}
		prev = pr
	}
}

func TestTableAndFigure(t *testing.T) {
	pts := []Point{
		{Run: "a", Architecture: "RNN", Activation: "relu", PRActivity: 5, PRRateMaps: 3.4, MedianR: 0.68, MedianR2: 0.4, Units: 64},
		{Run: "b", Architecture: "UGRNN", Activation: "relu", PRActivity: math.NaN(), PRRateMaps: 16.7, MedianR: 0.81, MedianR2: 0.6, Units: 64},
		{Run: "c", Architecture: "RNN", Activation: "tanh", PRActivity: 2, PRRateMaps: math.NaN(), MedianR: 0.5, MedianR2: 0.2, Units: 64},
	}
	var b bytes.Buffer
	if err := WriteCSV(&b, pts); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || len(rows[0]) != len(CSVHeader) || rows[2][3] != "NaN" || rows[1][4] != "3.4" {
		t.Errorf("csv rows: %q", rows)
	}
	path := filepath.Join(t.TempDir(), "fig.png")
	if err := WriteFigure(path, pts); err != nil {
		t.Fatal(err)
	}
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	img, err := png.Decode(fh)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w < 400 {
		t.Errorf("figure width %d px", w)
	}
	near := func(a, b uint32) bool {
		const colourTol = 0x0800 // of 0xffff: anti-aliasing blends glyph edges with white
		return a+colourTol >= b && b+colourTol >= a
	}
	// Each architecture's colour is drawn (glyph and legend); a third colour is not.
	for i, want := range []bool{true, true, false} {
		cr, cg, cb, _ := figure.SeriesColor(i).RGBA()
		found := false
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y && !found; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				r, g, b, _ := img.At(x, y).RGBA()
				if near(r, cr) && near(g, cg) && near(b, cb) {
					found = true
					break
				}
			}
		}
		if found != want {
			t.Errorf("colour %d drawn: %v, want %v", i, found, want)
		}
	}
}

func TestBinSamples(t *testing.T) {
	box := analysis.SquareBox(2)
	// Two neurons, four samples: three in bin (0, 0), one in bin (1, 1) of a 2×2 grid.
	pos := []float32{-0.5, -0.5, -0.9, -0.1, -0.2, -0.7, 0.5, 0.5}
	rates := []float64{1, 2, 3, 10, -1, -2, -3, 7}
	maps, err := BinSamples(rates, 2, pos, 2, box)
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	want := []float64{2, nan, nan, 10, -2, nan, nan, 7}
	for i := range want {
		if !(maps[i] == want[i] || math.IsNaN(maps[i]) && math.IsNaN(want[i])) {
			t.Fatalf("maps %v, want %v", maps, want)
		}
	}
}

// Zero means the default, so −1 asks for zero: PlaceFields −1 gives every place cell one
// field (λ 0; the default λ 1 gave 17 of 24 cells several), HDKappa −1 untuned cells.
func TestPopulationMinusOneIsZero(t *testing.T) {
	p, err := NewPopulation(&PopulationSettings{GridModules: -1, PlaceCells: 24, PlaceFields: -1, BorderCells: -1, HeadDirectionCells: 4, HDKappa: -1}, 3)
	if err != nil {
		t.Fatal(err)
	}
	places := 0
	for j, c := range p.cells {
		switch c.kind {
		case PlaceCell:
			places++
			if len(c.fields) != 1 {
				t.Errorf("place cell %d: %d fields, want 1", j, len(c.fields))
			}
		case HeadDirectionGC:
			if c.kappa != 0 {
				t.Errorf("head-direction cell %d: κ %g, want 0", j, c.kappa)
			}
		}
	}
	if places != 24 {
		t.Errorf("%d place cells, want 24", places)
	}
}

// Only −1 means zero: another negative count or concentration is an error, as before.
func TestPopulationOtherNegatives(t *testing.T) {
	for _, s := range []PopulationSettings{{PlaceFields: -3}, {HDKappa: -0.5}} {
		if _, err := NewPopulation(&s, 1); err == nil {
			t.Errorf("%+v: no error", s)
		}
	}
}
