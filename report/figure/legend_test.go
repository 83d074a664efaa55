package figure

import (
	"fmt"
	"math"
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

// TestFractionsLegendClear lays paper Fig. 2a's bar chart (7 groups, 4 series) out at its
// natural size and for pages 3.3, 5.5 and 7 in wide, and checks that the legend lies
// between the panel's title and its data area, within the figure, so that it covers no bar,
// whisker or count label.
func TestFractionsLegendClear(t *testing.T) {
	series := []string{"ours: error < 10 cm", "paper: error < 10 cm", "ours: score60 > 0.8 | decodes", "paper: score60 > 0.8 | decodes"}
	var groups []FractionGroup
	for _, name := range []string{"Cartesian", "high-dim Cartesian", "polar", "Gaussian", "DoG", "DoS", "SoD"} {
		groups = append(groups, FractionGroup{Label: name, Fractions: []Fraction{
			{P: 1, Lo: 0.2, Hi: 1, K: 1, N: 1}, {P: 0.92, Lo: 0.9, Hi: 0.94, K: 1554, N: 1689, Approx: true},
			{P: 0, Lo: 0, Hi: 0.79, K: 0, N: 1}, {P: 0.91, Lo: 0.89, Hi: 0.93, K: 1414, N: 1554, Approx: true}}})
	}
	f, err := Fractions(series, groups, &FractionSettings{Title: "paper Fig. 2a beside this sweep (95 % Wilson intervals)"})
	if err != nil {
		t.Fatal(err)
	}
	p := f.plots[0][0]
	sizes := map[string][2]vg.Length{"natural": {px(f.Width), px(f.Height)}}
	for _, in := range []float64{3.3, 5.5, 7} {
		lw, lh, _ := printableFigure(f).layout(Print{Width: vg.Length(in) * vg.Inch})
		sizes[fmt.Sprintf("%g in", in)] = [2]vg.Length{lw, lh}
	}
	const tol = 1e-6
	for name, sz := range sizes {
		canvas := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: sz[0], Y: sz[1]}}}
		tiles, above := f.arrange(canvas)
		tile := tiles[0][0]
		data := p.DataCanvas(tile)
		title := tile.Max.Y - p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y
		switch {
		case above.Size().Y <= 0:
			t.Errorf("%s: legend %v has no height", name, above.Rectangle)
		case above.Min.Y < data.Max.Y-tol:
			t.Errorf("%s: legend reaches down to %v, into the data area (top %v)", name, above.Min.Y, data.Max.Y)
		case above.Max.Y > title+tol:
			t.Errorf("%s: legend reaches up to %v, into the title (bottom %v)", name, above.Max.Y, title)
		case above.Min.X < canvas.Min.X-tol || above.Max.X > canvas.Max.X+tol:
			t.Errorf("%s: legend %v outside the figure %v", name, above.Rectangle, canvas.Rectangle)
		}
		cols := f.rowLegend.columns(above.Size().X)
		if w := vg.Length(cols)*(f.rowLegend.columnWidth()+f.rowLegend.gap()) - f.rowLegend.gap(); w > above.Size().X+tol && cols > 1 {
			t.Errorf("%s: %d columns take %v, wider than the legend's %v", name, cols, w, above.Size().X)
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
	for _, h := range []vg.Length{60, 80, 120, 200, 400, 1000} {
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
