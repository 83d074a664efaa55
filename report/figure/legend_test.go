package figure

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// TestRowLegendColumns checks that the entries take the fewest rows that fit the width, and
// that those rows are filled evenly: four entries in a width for three are two by two.
func TestRowLegendColumns(t *testing.T) {
	l := newRowLegend()
	for i := range 4 {
		l.add(fmt.Sprintf("series %d", i), &ciBars{color: SeriesColor(i)})
	}
	col, gap := l.columnWidth(), l.gap()
	for _, c := range []struct {
		fit, cols int // columns that fit the width; columns used
	}{{1, 1}, {2, 2}, {3, 2}, {4, 4}, {9, 4}} {
		w := vg.Length(c.fit)*(col+gap) - gap + vg.Millimeter/10
		if got := l.columns(w); got != c.cols {
			t.Errorf("width for %d columns: %d columns, want %d", c.fit, got, c.cols)
		}
		rows := (4 + c.cols - 1) / c.cols
		if got, want := l.height(w), vg.Length(rows)*l.rowHeight(); math.Abs(float64(got-want)) > 1e-9 {
			t.Errorf("width for %d columns: height %v, want %d rows of %v", c.fit, got, rows, l.rowHeight())
		}
	}
	if got := l.columns(0); got != 1 {
		t.Errorf("zero width: %d columns, want 1", got)
	}
	if got := newRowLegend().height(100); got != 0 {
		t.Errorf("empty legend is %v high, want 0", got)
	}
}

// TestLegendsClear lays out each figure with a row legend at its natural size and for pages
// 3.3, 5.5 and 7 in wide, and checks that the legend lies under the title and over the
// panels, within the figure, so that it covers no data: under its one panel's title and
// above that panel's data area (paper Fig. 2a's bars, survival functions, periods), or
// under the figure's title and above every panel's tile (training curves).
func TestLegendsClear(t *testing.T) {
	series := []string{"ours: error < 10 cm", "paper: error < 10 cm", "ours: score60 > 0.8 | decodes", "paper: score60 > 0.8 | decodes"}
	var groups []FractionGroup
	for _, name := range []string{"Cartesian", "high-dim Cartesian", "polar", "Gaussian", "DoG", "DoS", "SoD"} {
		groups = append(groups, FractionGroup{Label: name, Fractions: []Fraction{
			{P: 1, Lo: 0.2, Hi: 1, K: 1, N: 1}, {P: 0.92, Lo: 0.9, Hi: 0.94, K: 1554, N: 1689, Approx: true},
			{P: 0, Lo: 0, Hi: 0.79, K: 0, N: 1}, {P: 0.91, Lo: 0.89, Hi: 0.93, K: 1414, N: 1554, Approx: true}}})
	}
	periods := PeriodData{BinCM: 5, Units: []PeriodPoint{{0.12, 18}, {0.2, 5}}, Modes: []PeriodPoint{{0.12, 18}}, Theory: []PeriodPoint{{0.08, 12.1}, {0.2, 30.2}}}
	figs := map[string]*Figure{
		"paper Fig. 2a":             must(Fractions(series, groups, &FractionSettings{Title: "paper Fig. 2a beside this sweep (95 % Wilson intervals)"})),
		"survival":                  must(Survival(survivalSamples(), nil)),
		"periods":                   must(PeriodVsWidth(periods, nil)),
		"training":                  trainingFigure(t, false),
		"training with grid scores": trainingFigure(t, true),
	}
	const tol = 1e-6
	for name, f := range figs {
		if f.rowLegend == nil {
			t.Fatalf("%s: no row legend", name)
		}
		sizes := map[string][2]vg.Length{"natural": {px(f.Width), px(f.Height)}}
		for _, in := range []float64{3.3, 5.5, 7} {
			lw, lh, _ := printableFigure(f).layout(Print{Width: vg.Length(in) * vg.Inch})
			sizes[fmt.Sprintf("%g in", in)] = [2]vg.Length{lw, lh}
		}
		for size, sz := range sizes {
			at := name + " at " + size
			canvas := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: sz[0], Y: sz[1]}}}
			tiles, legend := f.arrange(canvas)
			// ceiling is the bottom of the title above the legend, floor the top of what
			// is under it.
			ceiling, floor := canvas.Max.Y, vg.Length(0)
			if f.Title != "" {
				ceiling -= titleStyle().Height(f.title(sz[0]))
			}
			if f.legendUnderTitle() {
				p := f.plots[0][0]
				ceiling = tiles[0][0].Max.Y - p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y
				floor = p.DataCanvas(tiles[0][0]).Max.Y
			} else {
				for c := range tiles[0] {
					floor = max(floor, tiles[0][c].Max.Y)
				}
			}
			switch {
			case legend.Size().Y <= 0:
				t.Errorf("%s: legend %v has no height", at, legend.Rectangle)
			case legend.Min.Y < floor-tol:
				t.Errorf("%s: legend reaches down to %v, into the panels (top %v)", at, legend.Min.Y, floor)
			case legend.Max.Y > ceiling+tol:
				t.Errorf("%s: legend reaches up to %v, into the title (bottom %v)", at, legend.Max.Y, ceiling)
			case legend.Min.X < canvas.Min.X-tol || legend.Max.X > canvas.Max.X+tol:
				t.Errorf("%s: legend %v outside the figure %v", at, legend.Rectangle, canvas.Rectangle)
			}
			l := f.rowLegend
			if cols := l.columns(legend.Size().X); cols > 1 {
				if w := vg.Length(cols)*(l.columnWidth()+l.gap()) - l.gap(); w > legend.Size().X+tol {
					t.Errorf("%s: %d columns take %v, wider than the legend's %v", at, cols, w, legend.Size().X)
				}
			}
		}
	}
}

// TestCountLabelsYMax checks the top of the y axis against the condition it solves: at
// every data-area height, each count label, drawn from its whisker's top, ends within the
// data area, and one label (or the 1.05 floor) touches the top, so no room is wasted.
func TestCountLabelsYMax(t *testing.T) {
	p := plot.New()
	l := &countLabels{labels: []countLabel{{x: 0, y: 1, text: "≈1554/1689"}, {x: 1, y: 0.8, text: "0/1"}, {x: 2, y: 0.3, text: "≈188/1103"}, {x: 3, y: 0, text: "n/a"}}}
	lab := l.style(p)
	for _, h := range []vg.Length{80, 120, 200, 400, 1000} { // each label within 3/4 of the height
		data := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 300, Y: h}}}
		top := l.yMax(p, data)
		tight := math.Abs(top-1.05) < 1e-9
		for _, cl := range l.labels {
			end := h*vg.Length(cl.y/top) + countSkip + lab.Width(cl.text) + 1
			if end > h+1e-6 {
				t.Errorf("height %v: y max %.3f; label %q above %g ends at %v", h, top, cl.text, cl.y, end)
			}
			if math.Abs(float64(end-h)) < 1e-6 {
				tight = true
			}
		}
		if !tight {
			t.Errorf("height %v: y max %.3f leaves every label short of the top", h, top)
		}
	}
	// A label longer than three quarters of the area: the axis stops at 4× its value.
	data := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: 300, Y: 20}}}
	if got := l.yMax(p, data); got != 4 {
		t.Errorf("20 pt high: y max %g, want 4", got)
	}
}

// Encoding one figure from several goroutines at once, at its natural size and laid out for
// a page, gives each the image it gets alone: the layout of one drawing (wrapped titles,
// the legend's room, the count labels' y range) does not leak into another.
func TestFigureConcurrentEncode(t *testing.T) {
	series, groups := fractionGroups()
	f := must(Fractions(series, groups, &FractionSettings{Title: "fractions of networks that decode and have possible grid cells, per condition"}))
	pr := Print{Width: 2.5 * vg.Inch, DPI: 96}
	alone := func(printed bool) []byte {
		var b bytes.Buffer
		var err error
		if printed {
			err = f.EncodePrint(&b, "png", pr)
		} else {
			err = f.Encode(&b, "png")
		}
		if err != nil {
			t.Error(err)
		}
		return b.Bytes()
	}
	want := [2][]byte{alone(false), alone(true)}
	var wg sync.WaitGroup
	got := make([][]byte, 8)
	for i := range got {
		wg.Go(func() { got[i] = alone(i%2 == 1) })
	}
	wg.Wait()
	for i, b := range got {
		if !bytes.Equal(b, want[i%2]) {
			t.Errorf("drawing %d (printed %v) differs from the same drawing alone", i, i%2 == 1)
		}
	}
}

// The panels of a row keep their data areas level wherever their titles are broken into
// different numbers of lines (plot.Align) and however low a printed column makes them (a
// y label longer than the panel is high made gonum pad its axes, 15 pt lower than the
// others': the labels are short): the three-panel training figure at its natural size and
// in 3.3 and 5.5 in columns.
func TestRowDataAreasLevel(t *testing.T) {
	f := trainingFigure(t, true)
	for _, in := range []float64{0, 3.3, 5.5} {
		w, h := px(f.Width), px(f.Height)
		if in > 0 {
			w, h, _ = printableFigure(f).layout(Print{Width: vg.Length(in) * vg.Inch})
		}
		tiles, _ := f.arrange(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}})
		lines := map[int]bool{}
		var tops []vg.Length
		for c, p := range f.plots[0] {
			tops = append(tops, p.DataCanvas(tiles[0][c]).Max.Y)
			lines[strings.Count(p.Title.Text, "\n")+1] = true
		}
		if in == 3.3 && len(lines) < 2 {
			t.Errorf("3.3 in: the titles %v are all broken alike; the test does not test", lines)
		}
		// gonum's Align spaces the axes by their tick labels; 2 pt is the most that leaves.
		if lo, hi := slices.Min(tops), slices.Max(tops); hi-lo > 2 {
			t.Errorf("%g in: data areas' tops at %v, %.1f pt apart", in, tops, float64(hi-lo))
		}
	}
}
