package figure

import (
	"bytes"
	"encoding/xml"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"

	"github.com/gridcells/gridcells/sim"
)

// dumpFigure, when set, receives every figure a test renders (for looking at them).
var dumpFigure func(name string, png []byte)

var update = flag.Bool("update", false, "regenerate the testdata/*_golden.png images")

// goldenDelta is the normalised YIQ colour distance (gonum cmpimg's measure) two pixels of a
// golden comparison may differ by, and goldenBadFraction the fraction of pixels allowed to
// differ by more: anti-aliased edges of text and lines can move by a pixel where another
// architecture fuses multiply-adds in the rasteriser, while a changed figure differs in
// more pixels (2e-4 is 30 pixels of the 480×320 survival figure; changing one glyph of its
// axis label changes 119).
const (
	goldenDelta       = 0.1
	goldenBadFraction = 2e-4
)

// decodePNG decodes b and checks its size.
func decodePNG(t *testing.T, b []byte, w, h int) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding the PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Fatalf("PNG is %d×%d pixels, want %d×%d", got.X, got.Y, w, h)
	}
	return img
}

// distinctColors counts the distinct colours of img, up to limit.
func distinctColors(img image.Image, limit int) int {
	seen := map[color.RGBA]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// checkFigure renders f to a file atomically, reads it back and checks that it decodes to
// a Width×Height image with more than a few colours (axes, text and data, not a blank).
func checkFigure(t *testing.T, f *Figure) image.Image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fig.png")
	if err := f.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, b, f.Width, f.Height)
	if dumpFigure != nil {
		dumpFigure(t.Name(), b)
	}
	const minColors = 8
	if n := distinctColors(img, minColors); n < minColors {
		t.Errorf("figure has %d distinct colours, want ≥ %d (blank?)", n, minColors)
	}
	return img
}

// yiqClose is gonum cmpimg's perceptual pixel comparison: the YIQ distance of two colours
// within delta (normalised to the largest possible distance).
func yiqClose(c1, c2 color.RGBA, delta float64) bool {
	const maxDist = 35215.0
	r1, g1, b1 := float64(c1.R), float64(c1.G), float64(c1.B)
	r2, g2, b2 := float64(c2.R), float64(c2.G), float64(c2.B)
	y := (r1-r2)*0.29889531 + (g1-g2)*0.58662247 + (b1-b2)*0.11448223
	i := (r1-r2)*0.59597799 - (g1-g2)*0.27417610 - (b1-b2)*0.32180189
	q := (r1-r2)*0.21147017 - (g1-g2)*0.52261711 + (b1-b2)*0.31114694
	return 0.5053*y*y+0.299*i*i+0.1957*q*q <= maxDist*delta*delta
}

// checkGolden compares the PNG got with testdata/<name>_golden.png within goldenDelta per
// pixel, or rewrites the golden with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+"_golden.png")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	gi, err := png.Decode(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	wi, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if gi.Bounds() != wi.Bounds() {
		t.Fatalf("%s: size %v, golden %v", name, gi.Bounds(), wi.Bounds())
	}
	bad := 0
	b := gi.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if !yiqClose(color.RGBAModel.Convert(gi.At(x, y)).(color.RGBA), color.RGBAModel.Convert(wi.At(x, y)).(color.RGBA), goldenDelta) {
				bad++
			}
		}
	}
	if float64(bad) > goldenBadFraction*float64(b.Dx()*b.Dy()) {
		_ = os.WriteFile(filepath.Join(t.TempDir(), name+".png"), got, 0o644)
		t.Errorf("%s differs from %s in %d pixels (rerun with -update if the change is intended)", name, path, bad)
	}
}

// hexMap returns an n×n rate map of three plane waves at 60° (a hexagonal grid of period
// `period` bins), the pattern the grid score rewards.
func hexMap(n int, period float64, phase float64) []float64 {
	k := 4 * math.Pi / (math.Sqrt(3) * period)
	m := make([]float64, n*n)
	for i := range n {
		for j := range n {
			v := 0.0
			for a := range 3 {
				th := float64(a)*math.Pi/3 + 0.2
				v += math.Cos(k*(math.Cos(th)*float64(i)+math.Sin(th)*float64(j)) + phase)
			}
			m[i*n+j] = math.Max(v, 0)
		}
	}
	return m
}

func TestMontage(t *testing.T) {
	const n = 20
	rng := rand.New(rand.NewPCG(1, 2))
	var units []UnitMap
	for u := range 5 {
		m := hexMap(n, 6+float64(u), rng.Float64())
		m[3] = math.NaN() // empty bin: grey
		units = append(units, UnitMap{Unit: u, Score60: 1.1 - 0.3*float64(u), Map: m})
	}
	units[4].Score60 = math.NaN()
	f := Montage(units, n, &MontageSettings{Tile: 120})
	img := checkFigure(t, f)
	if f.Width != 3*120 || f.Height != 2*(120+titleRow)+30+keyHeight {
		t.Errorf("montage of 5 units is %d×%d, want 3 columns × 2 rows of 120+18 px + 30 px title + the colour key", f.Width, f.Height)
	}
	// The grey of empty bins must appear somewhere.
	found := false
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && !found; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == nanGrey {
				found = true
				break
			}
		}
	}
	if !found {
		t.Error("no grey pixel for the empty bins")
	}
}

func TestMontagePanicsOnShape(t *testing.T) {
	defer func() {
		if r := recover(); r != ErrShape {
			t.Errorf("recovered %v, want ErrShape", r)
		}
	}()
	Montage([]UnitMap{{Map: make([]float64, 10)}}, 4, nil)
}

func TestTopUnits(t *testing.T) {
	nan := math.NaN()
	got := TopUnits([]float64{0.2, nan, 1.3, -0.5, 1.3, 0.9}, 4)
	want := []int{2, 4, 5, 0}
	if len(got) != len(want) {
		t.Fatalf("TopUnits = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("TopUnits = %v, want %v", got, want)
		}
	}
	if all := TopUnits([]float64{nan, 1}, 10); len(all) != 2 || all[0] != 1 || all[1] != 0 {
		t.Errorf("TopUnits with k > len = %v, want [1 0]", all)
	}
}

func TestAutocorrelograms(t *testing.T) {
	const n = 20
	var panels []SACPanel
	for u := range 4 {
		panels = append(panels, NewSACPanel(u, 0.9, hexMap(n, 7, 0.3*float64(u)), n, 0.6))
	}
	if p := panels[0]; p.Size != 2*n-1 || len(p.SAC) != p.Size*p.Size || p.Inner != 4 || p.Outer != 12 {
		t.Fatalf("panel: size %d, %d values, ring %g–%g; want %d, %d, 4–12 bins", p.Size, len(p.SAC), p.Inner, p.Outer, 2*n-1, (2*n-1)*(2*n-1))
	}
	// The zero lag of an autocorrelogram is 1 (spec §5.2).
	const zeroLagTol = 1e-9
	if c := panels[0].SAC[(n-1)*(2*n-1)+n-1]; math.Abs(c-1) > zeroLagTol {
		t.Errorf("SAC at zero lag = %g, want 1", c)
	}
	f := Autocorrelograms(panels, &GridSettings{Tile: 150})
	checkFigure(t, f)
	// Two tiles of 150 px, widened to fit the title.
	if f.Width != max(2*150, titleWidth(f.Title)) || f.Width <= 300 || f.Height != 2*(150+titleRow)+30+keyHeight {
		t.Errorf("size %d×%d, want the title's %d px (more than 2 tiles' 300) × %d", f.Width, f.Height, titleWidth(f.Title), 2*(150+titleRow)+30+keyHeight)
	}
}

func TestSurvivalPoints(t *testing.T) {
	nan := math.NaN()
	// Values 0.1, 0.5, 0.5, 0.9 and a NaN: S = 1 below 0.1, 3/4 on [0.1, 0.5), 1/4 on
	// [0.5, 0.9), 0 from 0.9.
	pts := SurvivalPoints([]float64{0.5, nan, 0.9, 0.1, 0.5}, -1, 2)
	want := [][2]float64{{-1, 1}, {0.1, 0.75}, {0.5, 0.25}, {0.9, 0}, {2, 0}}
	if len(pts) != len(want) {
		t.Fatalf("SurvivalPoints = %v, want %v", pts, want)
	}
	for i, w := range want {
		if pts[i].X != w[0] || pts[i].Y != w[1] {
			t.Fatalf("SurvivalPoints = %v, want %v", pts, want)
		}
	}
	if SurvivalPoints([]float64{nan}, 0, 1) != nil {
		t.Error("SurvivalPoints of no finite value is not nil")
	}
}

// survivalSamples are fixed per-unit scores of three conditions: a DoS-like long right tail,
// a Gaussian-like bulk and a Cartesian-like low cluster with undefined scores.
func survivalSamples() []Sample {
	rng := rand.New(rand.NewPCG(7, 11))
	var dos, gauss, cart []float64
	for range 200 {
		dos = append(dos, rng.NormFloat64()*0.4+0.4)
		gauss = append(gauss, rng.NormFloat64()*0.2)
		cart = append(cart, rng.NormFloat64()*0.1-0.2)
	}
	cart[0], cart[1] = math.NaN(), math.NaN()
	return []Sample{{"DoS", dos}, {"Gaussian", gauss}, {"Cartesian", cart}}
}

func TestSurvivalGolden(t *testing.T) {
	f, err := Survival(survivalSamples(), &SurvivalSettings{Width: 480, Height: 320})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "survival", b)
}

// fractionGroups are the paper's Fig. 2a categories with made-up counts.
func fractionGroups() ([]string, []FractionGroup) {
	mk := func(k, n int) Fraction {
		p := float64(k) / float64(n)
		h := 1.96 * math.Sqrt(p*(1-p)/float64(n))
		return Fraction{P: p, Lo: math.Max(0, p-h), Hi: math.Min(1, p+h), K: k, N: n}
	}
	nan := math.NaN()
	return []string{"error < 10 cm", "score60 > 0.8 | error < 10 cm"}, []FractionGroup{
		{"Cartesian", []Fraction{mk(6, 10), mk(0, 6)}},
		{"Gaussian", []Fraction{mk(9, 10), mk(1, 9)}},
		{"DoS", []Fraction{mk(10, 10), mk(9, 10)}},
		{"none finished", []Fraction{{P: nan, Lo: nan, Hi: nan}, {P: nan, Lo: nan, Hi: nan}}},
	}
}

func TestFractionsGolden(t *testing.T) {
	series, groups := fractionGroups()
	f, err := Fractions(series, groups, &FractionSettings{Width: 520, Height: 340})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	b, err := f.PNG()
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "fractions", b)
}

func TestFractionsPanicsOnShape(t *testing.T) {
	defer func() {
		if r := recover(); r != ErrShape {
			t.Errorf("recovered %v, want ErrShape", r)
		}
	}()
	Fractions([]string{"a", "b"}, []FractionGroup{{"x", []Fraction{{}}}}, nil)
}

func TestTrainingCurves(t *testing.T) {
	pts := trainingPoints(30, 100, false)
	pts[10].Loss = math.NaN() // a diverged point leaves a gap, not an error
	for _, log := range []bool{false, true} {
		f, err := TrainingCurves(pts, &CurveSettings{Width: 600, Height: 260, LogLoss: log})
		if err != nil {
			t.Fatal(err)
		}
		checkFigure(t, f)
	}
}

// A point a curve leaves out (NaN, or not positive on a log axis) splits the curve: the
// runs either side are drawn apart, so the stretch shows as a gap; steps are in thousands
// from 10,000 on.
func TestCurveSegments(t *testing.T) {
	nan := math.NaN()
	var pts []MetricPoint
	for i, v := range []float64{1, 2, nan, 4, 5, 6, nan, nan, 9} {
		pts = append(pts, MetricPoint{Step: 1000 * (i + 1), Loss: v})
	}
	all, segs := curveSegments(pts, func(m MetricPoint) float64 { return m.Loss }, isFinite, 1000)
	var lens []int
	for _, s := range segs {
		lens = append(lens, len(s))
	}
	if len(all) != 6 || !slices.Equal(lens, []int{2, 3, 1}) || segs[1][0].X != 4 || segs[2][0].Y != 9 {
		t.Errorf("%d points in runs of %v (%v), want 6 in runs of 2, 3, 1 from step 4 and value 9", len(all), lens, segs)
	}
	// Drawn, the curve is two strokes of its colour and width, one per run of two points or
	// more (the lone last point shows as its marker, a thinner ring).
	p := plot.New()
	if _, err := addCurve(p, pts, func(m MetricPoint) float64 { return m.Loss }, isFinite, SeriesColor(3), 1000); err != nil {
		t.Fatal(err)
	}
	rec := &recorder.Canvas{}
	p.Draw(draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: 300, Y: 200}}})
	strokes, current, width := 0, color.Color(nil), vg.Length(0)
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.SetColor:
			current = a.Color
		case *recorder.SetLineWidth:
			width = a.Width
		case *recorder.Stroke:
			if current == SeriesColor(3) && width == vg.Points(1.5) {
				strokes++
			}
		}
	}
	if strokes != 2 {
		t.Errorf("the curve is drawn in %d strokes of its colour, want 2 (one per run of points)", strokes)
	}
	if ax := newStepAxis(pts); ax.per != 1 {
		t.Errorf("9,000 steps counted per %g, want 1", ax.per)
	}
	if ax := newStepAxis(append(pts, MetricPoint{Step: 10000})); ax.per != 1000 || ax.label != "step (thousands)" {
		t.Errorf("10,000 steps: %+v, want thousands", ax)
	}
}

// TestTrainingCurvesScores: points with grid scores (eval.track_scores) get a third panel
// with the best unit's score60, the fraction of units above 0.3 and the grid threshold, in
// the one legend. Points without scores keep two panels.
func TestTrainingCurvesScores(t *testing.T) {
	pts := trainingPoints(30, 100, true)
	pts[3].MaxScore60 = math.NaN()
	f, err := TrainingCurves(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	if len(f.plots[0]) != 3 {
		t.Fatalf("%d panels, want 3", len(f.plots[0]))
	}
	var names []string
	for _, e := range f.rowLegend.entries {
		names = append(names, e.name)
	}
	want := []string{"training", "evaluation", "10 cm threshold", "best unit's score60", "fraction of units above 0.3", "score60 0.8 threshold"}
	if !slices.Equal(names, want) {
		t.Errorf("legend %q, want %q", names, want)
	}
	if p := f.plots[0][2]; p.Y.Min > 0 || p.Y.Max < 0.9 {
		t.Errorf("grid-score axis %g to %g, want 0 and the 0.8 threshold within", p.Y.Min, p.Y.Max)
	}
	for i := range pts {
		pts[i].Scored = false
	}
	f, err = TrainingCurves(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.plots[0]) != 2 || len(f.rowLegend.entries) != 3 {
		t.Errorf("without scores: %d panels, %d legend entries; want 2 and 3", len(f.plots[0]), len(f.rowLegend.entries))
	}
}

func TestPeriodVsWidth(t *testing.T) {
	d := PeriodData{BinCM: 5}
	for _, sigma := range []float64{0.08, 0.12, 0.2} {
		// Spec §8.4: the NFL-convention prediction at s = 2 is about 151 bins per metre of σ.
		for u := range 5 {
			d.Units = append(d.Units, PeriodPoint{Sigma: sigma, Period: 151*sigma + float64(u) - 2})
		}
		d.Modes = append(d.Modes, PeriodPoint{Sigma: sigma, Period: 151 * sigma})
	}
	d.Theory = []PeriodPoint{{0.2, 30.2}, {0.08, 12.1}, {0.12, 18.1}} // unsorted on purpose
	d.Units = append(d.Units, PeriodPoint{Sigma: 0.1, Period: math.NaN()})
	f, err := PeriodVsWidth(d, &PeriodSettings{Width: 500, Height: 360})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
}

func TestSpectra(t *testing.T) {
	// Synthetic spectra: a ring at k* = 8 rad/m (DoS-like) and a peak at 0 (DoG-like).
	const r, dk = 20, 1.0
	m := 2*r + 1
	ring := make([]float64, m*m)
	peak := make([]float64, m*m)
	for i := range m {
		for j := range m {
			k := math.Hypot(float64(i-r)*dk, float64(j-r)*dk)
			ring[i*m+j] = math.Exp(-(k - 8) * (k - 8) / 4)
			peak[i*m+j] = math.Exp(-k * k / 20)
		}
	}
	var ks, pr, pp []float64
	for k := 0.0; k <= 20; k += 0.5 {
		ks = append(ks, k)
		pr = append(pr, math.Exp(-(k-8)*(k-8)/4))
		pp = append(pp, math.Exp(-k*k/20))
	}
	panels := []SpectrumPanel{
		{Name: "DoS", Size: m, Power: ring, DKX: dk, DKY: dk, K: ks, Profile: pr, PeakK: 8},
		{Name: "true DoG", Size: m, Power: peak, DKX: dk, DKY: dk, K: ks, Profile: pp},
	}
	f, err := Spectra(panels, &SpectraSettings{Tile: 220})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	if f.Width != 440 {
		t.Errorf("width %d, want two 220-px panels", f.Width)
	}

	// More codes than MaxSpectraColumns wrap into balanced bands of two panel rows each:
	// 5 codes in 3 + 2, 7 in 4 + 3, 8 in 4 + 4; Columns overrides.
	for _, c := range []struct{ n, columns, wantCols, wantBands int }{
		{4, 0, 4, 1}, {5, 0, 3, 2}, {7, 0, 4, 2}, {8, 0, 4, 2}, {9, 0, 3, 3}, {7, 2, 2, 4}, {3, 9, 3, 1},
	} {
		many := make([]SpectrumPanel, c.n)
		for i := range many {
			many[i] = panels[i%2]
		}
		f, err := Spectra(many, &SpectraSettings{Tile: 100, Columns: c.columns})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.plots) != 2*c.wantBands || len(f.plots[0]) != c.wantCols || f.Width < c.wantCols*100 || f.Height != c.wantBands*200+30+keyHeight {
			t.Errorf("%d codes, columns %d: %d×%d panels in %d×%d px; want %d×%d panels, height %d",
				c.n, c.columns, len(f.plots), len(f.plots[0]), f.Width, f.Height, 2*c.wantBands, c.wantCols, c.wantBands*200+30+keyHeight)
			continue
		}
		// Code i: its spectrum in band i/cols, column i%cols, its profile below it.
		for i := range c.n {
			r, col := 2*(i/c.wantCols), i%c.wantCols
			if f.plots[r][col] == nil || f.plots[r+1][col] == nil || f.plots[r][col].Title.Text != many[i].Name {
				t.Errorf("%d codes: code %d is not at band %d, column %d", c.n, i, r/2, col)
			}
		}
		if blank := 2*c.wantBands*c.wantCols - 2*c.n; blank < 0 || blank >= 2*c.wantCols {
			t.Errorf("%d codes: %d blank tiles", c.n, blank)
		}
	}
}

func TestOccupancy(t *testing.T) {
	b := Box{-1, 1, -1, 1}
	// Bins of 1 m: (−0.5, −0.5) → (0, 0); (1, 1) on the upper edge → (1, 1); (0.5, −0.5) →
	// (1, 0) twice; (2, 0) is outside and dropped.
	h, n := Occupancy([]Point{{-0.5, -0.5}, {1, 1}, {0.5, -0.5}, {0.5, -0.5}, {2, 0}}, b, 2)
	want := []float64{0.25, 0, 0.5, 0.25}
	if n != 4 {
		t.Errorf("%d positions inside, want 4", n)
	}
	for i := range want {
		if h[i] != want[i] {
			t.Fatalf("Occupancy = %v, want %v", h, want)
		}
	}
}

func TestTrajectoriesOf(t *testing.T) {
	const B, T = 4, 30
	gen, err := sim.New(sim.DefaultParams(), rand.NewPCG(1, 1))
	if err != nil {
		t.Fatal(err)
	}
	b := sim.NewBatch(B, T)
	gen.Next(b)
	d := TrajectoriesOf(b, 3, 2.2, 2.2)
	if len(d.Paths) != 3 || len(d.Occupancy) != B*T {
		t.Fatalf("%d paths, %d occupancy points; want 3 and %d", len(d.Paths), len(d.Occupancy), B*T)
	}
	// Path i is InitPos then Pos[t][i] for t = 0..T−1 (time-major, spec §1.1 batches).
	for i, p := range d.Paths {
		if len(p) != T+1 || p[0] != (Point{float64(b.InitPos[2*i]), float64(b.InitPos[2*i+1])}) {
			t.Fatalf("path %d: %d points from %v", i, len(p), p[0])
		}
		for tt := range T {
			k := 2 * (tt*B + i)
			if p[tt+1] != (Point{float64(b.Pos[k]), float64(b.Pos[k+1])}) {
				t.Fatalf("path %d step %d = %v, want Pos[%d][%d]", i, tt, p[tt+1], tt, i)
			}
		}
	}
	// The walk stays in the box, so every position counts in the occupancy.
	if _, n := Occupancy(d.Occupancy, d.Box, 10); n != B*T {
		t.Errorf("%d of %d positions inside the box", n, B*T)
	}
	f, err := Trajectories(d, &TrajectorySettings{Tile: 200})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
}

func TestTrajectories(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var paths [][]Point
	for range 3 {
		p := []Point{{rng.Float64() - 0.5, rng.Float64() - 0.5}}
		for range 50 {
			q := p[len(p)-1]
			p = append(p, Point{math.Max(-1.1, math.Min(1.1, q.X+0.05*rng.NormFloat64())), math.Max(-1.1, math.Min(1.1, q.Y+0.05*rng.NormFloat64()))})
		}
		paths = append(paths, p)
	}
	f, err := Trajectories(TrajectoryData{Paths: paths, Box: Box{-1.1, 1.1, -1.1, 1.1}, Bins: 22}, &TrajectorySettings{Tile: 250})
	if err != nil {
		t.Fatal(err)
	}
	checkFigure(t, f)
	if f.Width != 500 || f.Height != 280+keyHeight {
		t.Errorf("size %d×%d, want 500×%d (with the occupancy's colour key)", f.Width, f.Height, 280+keyHeight)
	}
	// 153 positions in 22×22 bins leave most bins unvisited: grey, and the key says so.
	if f.key == nil || f.key.note != "fraction of positions per bin; grey: none" {
		t.Errorf("key %+v", f.key)
	}
}

// TestMontageOrientation checks the axes of a rate map: the first index is the x-bin
// (spec §5.1), drawn to the right, and y grows upwards, so the bin (x = n−1, y = 0) is at
// the lower right of its tile. That bin is empty (NaN) and so the only grey one.
func TestMontageOrientation(t *testing.T) {
	const n = 4
	m := make([]float64, n*n)
	for i := range m {
		m[i] = float64(i % 3)
	}
	m[(n-1)*n+0] = math.NaN()
	f := Montage([]UnitMap{{Unit: 0, Score60: 0, Map: m}}, n, &MontageSettings{Tile: 200})
	img := checkFigure(t, f)
	b := img.Bounds()
	var sx, sy, count int
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)) == nanGrey {
				sx, sy, count = sx+x, sy+y, count+1
			}
		}
	}
	if count == 0 {
		t.Fatal("no grey pixel")
	}
	cx, cy := float64(sx)/float64(count), float64(sy)/float64(count)
	if cx < float64(b.Dx())*0.65 || cy < float64(b.Dy())*0.65 {
		t.Errorf("empty bin drawn around (%.0f, %.0f) of a %d×%d image, want the lower right", cx, cy, b.Dx(), b.Dy())
	}
}

func TestShortLabel(t *testing.T) {
	for in, want := range map[string]string{"DoS": "DoS", "learning_rate=0.01, batch_size=50": "learning_rate=0.01, batch_size=…", "σ=0.12, s=2": "σ=0.12, s=2"} {
		if got := shortLabel(in, 32); got != want || len([]rune(got)) > 32 {
			t.Errorf("shortLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// Every format encodes: PNG of the figure's pixel size, SVG that is well-formed XML with the
// title as text and the heat maps as images, and a PDF file; an unknown format is an error.
func TestEncodeFormats(t *testing.T) {
	const n = 12
	units := []UnitMap{{Unit: 0, Score60: 1, Map: hexMap(n, 5, 0)}, {Unit: 1, Score60: 0.2, Map: hexMap(n, 7, 1)}}
	f := Montage(units, n, &MontageSettings{Tile: 100, Title: "two units"})
	for _, format := range Formats {
		var b bytes.Buffer
		if err := f.Encode(&b, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		data := b.Bytes()
		switch format {
		case "png":
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil || img.Bounds().Dx() != f.Width || img.Bounds().Dy() != f.Height {
				t.Errorf("png: %v, %v; want %d×%d", err, img.Bounds(), f.Width, f.Height)
			}
		case "svg":
			dec := xml.NewDecoder(bytes.NewReader(data))
			var root string
			for {
				tok, err := dec.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("svg is not well-formed XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok && root == "" {
					root = se.Name.Local
				}
			}
			if root != "svg" || !bytes.Contains(data, []byte("two units")) || !bytes.Contains(data, []byte("<image")) {
				t.Errorf("svg: root %q, title present %v, images present %v", root, bytes.Contains(data, []byte("two units")), bytes.Contains(data, []byte("<image")))
			}
		case "pdf":
			if !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.Contains(data[max(0, len(data)-64):], []byte("%%EOF")) {
				t.Errorf("pdf: %d bytes without the PDF header and trailer", len(data))
			}
		}
	}
	if err := f.Encode(io.Discard, "eps"); err == nil {
		t.Error("format eps accepted")
	}
}

// Samples named after the paper's codes keep their code's colour whatever their order;
// other names, or a repeated code, take the series order.
func TestCodeColors(t *testing.T) {
	if !namedByCode([]Sample{{Name: "Gaussian"}, {Name: "DoS"}}) {
		t.Error("Gaussian and DoS not recognised as codes")
	}
	if codeColors["DoS"] != SeriesColor(0) {
		t.Error("DoS does not have the first series colour, which single-run figures use")
	}
	for _, s := range [][]Sample{{{Name: "DoS"}, {Name: "σ 0.12"}}, {{Name: "DoG"}, {Name: "true DoG"}}, nil} {
		if namedByCode(s) {
			t.Errorf("%v taken as distinct codes", s)
		}
	}
}

// A periodic walk's wrap (a step across the box) breaks the drawn path instead of drawing a
// line across the box; a NaN position breaks it too; ordinary steps do not.
func TestPathSegmentsWrap(t *testing.T) {
	box := Box{XMin: -1.1, XMax: 1.1, YMin: -1.1, YMax: 1.1}
	path := []Point{{1.0, 0}, {1.08, 0.01}, {-1.05, 0.02}, {-1.0, 0.03}, {math.NaN(), 0}, {-0.9, -1.05}, {-0.9, -1.08}, {-0.88, 1.07}}
	segs := pathSegments(path, box)
	want := []int{2, 2, 2, 1}
	if len(segs) != len(want) {
		t.Fatalf("%d segments %v, want %d", len(segs), segs, len(want))
	}
	for i, n := range want {
		if len(segs[i]) != n {
			t.Errorf("segment %d has %d points, want %d", i, len(segs[i]), n)
		}
	}
	if n := len(pathSegments([]Point{{0, 0}, {0.1, 0.1}, {0.3, 0.2}}, box)); n != 1 {
		t.Errorf("an ordinary path in %d segments", n)
	}
}

// A spectrum that dips below 0 is coloured from 0 to its maximum, negatives as 0: a bin at
// 0 gets the palette's lowest colour whatever the panel's minimum, and the key says so.
func TestSpectraColourFromZero(t *testing.T) {
	const m = 9
	power := make([]float64, m*m)
	power[4*m+4] = -0.5 // k = 0, as a DoS code's spectrum
	power[4*m+6] = 2    // the ring
	ks, pr := []float64{0, 1, 2, 3, 4}, []float64{-0.5, 0, 2, 0, 0}
	f, err := Spectra([]SpectrumPanel{{Name: "DoS", Size: m, Power: power, DKX: 1, DKY: 1, K: ks, Profile: pr, PeakK: 2}}, &SpectraSettings{Tile: 200})
	if err != nil {
		t.Fatal(err)
	}
	if f.key == nil || f.key.low != "0" || f.key.note != "below 0: as 0" {
		t.Fatalf("key %+v, want 0 to the maximum, negatives noted", f.key)
	}
	rec := &recorder.Canvas{}
	f.drawOn(draw.Canvas{Canvas: rec, Rectangle: vg.Rectangle{Max: vg.Point{X: px(f.Width), Y: px(f.Height)}}})
	low := color.RGBAModel.Convert(heatPalette().Colors()[0])
	for _, a := range rec.Actions {
		if d, ok := a.(*recorder.DrawImage); ok {
			// The corner bin holds 0 (image rows run downwards, y upwards: any corner will do).
			if got := color.RGBAModel.Convert(d.Image.At(0, 0)); got != low {
				t.Errorf("a bin at 0 drawn %v, want the palette's lowest colour %v", got, low)
			}
			return
		}
	}
	t.Fatal("no heat map drawn")
}

func TestScoreTicks(t *testing.T) {
	labels := func(min, max float64) []string {
		var out []string
		for _, tk := range (scoreTicks{}).Ticks(min, max) {
			if tk.Label != "" {
				out = append(out, tk.Label)
			}
		}
		return out
	}
	for _, c := range []struct {
		min, max float64
		want     []string
	}{
		{-0.3, 1.1, []string{"-0.25", "0", "0.25", "0.5", "0.75", "1"}},
		{-0.35, 1.35, []string{"0", "0.5", "1"}},
		{-0.6, 1.6, []string{"-0.5", "0", "0.5", "1", "1.5"}},
		{-1.6, 2.9, []string{"-1", "0", "1", "2"}},
		{0.2, 1.3, []string{"0.25", "0.5", "0.75", "1", "1.25"}},
		{-0.1, 35, []string{"0", "5", "10", "15", "20", "25", "30", "35"}},
		{-0.1, 1e6, []string{"0", "200000", "400000", "600000", "800000", "1000000"}},
	} {
		if got := labels(c.min, c.max); !slices.Equal(got, c.want) {
			t.Errorf("[%g, %g]: %v, want %v", c.min, c.max, got, c.want)
		}
	}
	// Any range gets a bounded number of ticks (a threshold of 1e7 once asked for 2·10⁷
	// of them), and a range too narrow for the steps still gets labelled ticks.
	for _, r := range [][2]float64{{-1e7, 1e7}, {0.545, 0.555}, {-3, 1e300}} {
		ticks := (scoreTicks{}).Ticks(r[0], r[1])
		if len(ticks) > 25 || len(labels(r[0], r[1])) < 2 {
			t.Errorf("[%g, %g]: %d ticks, %d labelled", r[0], r[1], len(ticks), len(labels(r[0], r[1])))
		}
	}
}
