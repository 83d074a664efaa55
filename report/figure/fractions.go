package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Fraction is a proportion k/n with its 95 % confidence interval [Lo, Hi].
type Fraction struct {
	P, Lo, Hi float64 // NaN when N = 0
	K, N      int
	// Approx marks counts reconstructed from a published fraction (K = P·N rounded); the
	// bar's label then reads "≈K/N".
	Approx bool
}

// FractionGroup is one condition of a bar chart: one fraction per series.
type FractionGroup struct {
	Label     string
	Fractions []Fraction // one per series, in series order
}

// FractionSettings configures Fractions. A nil *FractionSettings means defaults.
type FractionSettings struct {
	Width, Height int    // pixels of the axes (default 100 per group, at least 480, × 420); the legend above them adds its height
	Title         string // default "fractions of networks per condition (95 % CI)"
	YLabel        string // default "fraction of networks"
	XLabel        string // what the groups are (the swept key, "condition"); default none
}

// Fractions draws grouped bars of fractions, one group per condition and one bar per
// series, with 95 % interval whiskers and the counts k/n written upwards above each
// whisker, as paper Fig. 2a shows the fraction of networks that decode position and, of
// those, the fraction with possible grid cells. A NaN fraction (n = 0) has no bar and the
// label "n/a", so that no data does not read as a missing series. It panics if a group
// does not have one fraction per series.
func Fractions(series []string, groups []FractionGroup, s *FractionSettings) (*Figure, error) {
	set := FractionSettings{Width: max(480, 100*len(groups)+120), Height: 420,
		Title: "fractions of networks per condition (95 % CI)", YLabel: "fraction of networks"}
	if s != nil {
		if s.Width > 0 {
			set.Width = s.Width
		}
		if s.Height > 0 {
			set.Height = s.Height
		}
		if s.Title != "" {
			set.Title = s.Title
		}
		if s.YLabel != "" {
			set.YLabel = s.YLabel
		}
		set.XLabel = s.XLabel
	}
	for _, g := range groups {
		if len(g.Fractions) != len(series) {
			panic(ErrShape)
		}
	}
	f := newFigure(set.Width, set.Height, 1, 1)
	p := plot.New()
	p.Title.Text = set.Title
	p.Y.Label.Text = set.YLabel
	p.X.Label.Text = set.XLabel
	// Y.Max is set when the panel is drawn (Figure.fitY, countLabels.yMax), to what the count
	// labels need in the data area they get.
	p.Y.Min, p.Y.Max = 0, 1.55
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: "0"}, {Value: 0.25}, {Value: 0.5, Label: "0.5"}, {Value: 0.75}, {Value: 1, Label: "1"}})
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	p.Add(plotter.NewGrid())
	// Bars of one group share 80 % of a unit of x.
	width := 0.8 / float64(max(1, len(series)))
	counts := &countLabels{}
	legend := newRowLegend()
	for si, name := range series {
		b := &ciBars{color: SeriesColor(si), width: width}
		for gi, g := range groups {
			fr := g.Fractions[si]
			x := float64(gi) - 0.4 + width*(float64(si)+0.5)
			if math.IsNaN(fr.P) {
				counts.labels = append(counts.labels, countLabel{x: x, y: 0, text: "n/a"})
				continue
			}
			b.bars = append(b.bars, ciBar{x: x, frac: fr})
			top := fr.P
			if isFinite(fr.Hi) {
				top = fr.Hi
			}
			text := fmt.Sprintf("%d/%d", fr.K, fr.N)
			if fr.Approx {
				text = "≈" + text
			}
			counts.labels = append(counts.labels, countLabel{x: x, y: top, text: text})
		}
		p.Add(b)
		legend.add(name, b)
	}
	// After every series' bars, so that no bar of a later series covers a label.
	p.Add(counts)
	labels := make([]string, len(groups))
	for i, g := range groups {
		labels[i] = shortLabel(g.Label, maxTickLabel)
	}
	p.NominalX(labels...)
	p.X.Min, p.X.Max = -0.6, float64(len(groups))-0.4
	if len(groups) > 5 {
		p.X.Tick.Label.Rotation = math.Pi / 6
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
	}
	f.plots[0][0] = p
	// Above the axes, where it covers no bar and no count.
	f.setRowLegend(legend)
	f.fitY = map[*plot.Plot]func(draw.Canvas){p: func(data draw.Canvas) { p.Y.Max = counts.yMax(p, data) }}
	return f, nil
}

// ciBar is one bar of a ciBars plotter.
type ciBar struct {
	x    float64 // bar centre
	frac Fraction
}

// ciBars draws bars from 0 to P with whiskers from Lo to Hi, in data coordinates.
type ciBars struct {
	bars  []ciBar
	color color.Color
	width float64 // bar width, x units
}

// Plot implements plot.Plotter.
func (b *ciBars) Plot(c draw.Canvas, plt *plot.Plot) {
	tx, ty := plt.Transforms(&c)
	line := draw.LineStyle{Color: color.Black, Width: vg.Points(1)}
	for _, bar := range b.bars {
		x0, x1 := tx(bar.x-b.width/2), tx(bar.x+b.width/2)
		y0, y1 := ty(0), ty(bar.frac.P)
		rect := c.ClipPolygonY([]vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		c.FillPolygon(b.color, rect)
		if isFinite(bar.frac.Lo) && isFinite(bar.frac.Hi) {
			xc := tx(bar.x)
			tick := (x1 - x0) / 4
			ylo, yhi := ty(bar.frac.Lo), ty(bar.frac.Hi)
			c.StrokeLine2(line, xc, ylo, xc, yhi)
			c.StrokeLine2(line, xc-tick, ylo, xc+tick, ylo)
			c.StrokeLine2(line, xc-tick, yhi, xc+tick, yhi)
		}
	}
}

// countLabel is the k/n (or "n/a") of one bar, written from (x, y) in data coordinates.
type countLabel struct {
	x, y float64
	text string
}

// countLabels writes the labels of every bar, rotated to run upwards: a label is then as
// wide as a line of text, and fits over its bar where a horizontal "1554/1689" spanned
// three bars and was painted over by them.
type countLabels struct{ labels []countLabel }

// countSkip is the room between a whisker's top and its count label.
const countSkip vg.Length = 1.5 // points

// style is the text style of the labels on plt: 10 pt, the ticks' size (7.5 pt printed at 9 pt
// labels), grey, running upwards from their point.
func (l *countLabels) style(plt *plot.Plot) draw.TextStyle {
	lab := draw.TextStyle{Color: color.Gray{40}, Font: plt.Y.Tick.Label.Font, Rotation: math.Pi / 2,
		XAlign: draw.XLeft, YAlign: draw.YCenter, Handler: plt.Y.Tick.Label.Handler}
	lab.Font.Size = vg.Points(10)
	return lab
}

// Plot implements plot.Plotter.
func (l *countLabels) Plot(c draw.Canvas, plt *plot.Plot) {
	tx, ty := plt.Transforms(&c)
	lab := l.style(plt)
	for _, cl := range l.labels {
		c.FillText(lab, vg.Point{X: tx(cl.x), Y: ty(cl.y) + countSkip}, cl.text)
	}
}

// yMax returns the least top of plt's y axis (its bottom at 0) at which every label, drawn
// in the data area data, ends within it, and no less than 1.05, so that a full bar's whisker
// stays clear of the top. A label of length L above a value v needs H·v/yMax + L ≤ H in a data
// area H high. Where a label is as long as three quarters of the area, the axis stops at four
// times its value and the label runs over the top: a thumbnail-sized figure.
func (l *countLabels) yMax(plt *plot.Plot, data draw.Canvas) float64 {
	h := data.Size().Y
	lab := l.style(plt)
	top := 1.05
	for _, cl := range l.labels {
		need := countSkip + lab.Width(cl.text) + vg.Points(1)
		if need > 3*h/4 {
			top = max(top, 4*cl.y)
			continue
		}
		top = max(top, cl.y*float64(h/(h-need)))
	}
	return top
}

// Thumbnail implements plot.Thumbnailer for the legend.
func (b *ciBars) Thumbnail(c *draw.Canvas) {
	pts := []vg.Point{{X: c.Min.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Min.Y}, {X: c.Max.X, Y: c.Max.Y}, {X: c.Min.X, Y: c.Max.Y}}
	c.FillPolygon(b.color, c.ClipPolygonY(pts))
}

// maxTickLabel is the most characters of a condition's name an axis shows: rotated tick
// labels take their length from the plot's height, and a few of 100 characters left the
// bars no room at all (a blank figure).
const maxTickLabel = 32

// shortLabel cuts s to at most n characters, ending it with "…" when cut.
func shortLabel(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
