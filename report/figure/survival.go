package figure

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Sample is a named set of values, such as the per-unit grid scores of one condition.
type Sample struct {
	Name   string
	Values []float64 // NaN values (undefined scores) are left out and counted in the legend
}

// SurvivalSettings configures Survival. A nil *SurvivalSettings means defaults.
type SurvivalSettings struct {
	Width, Height int       // pixels of the axes (default 640×420); the legend above them adds its height
	Title         string    // default "survival function(s) of per-unit grid scores"
	XLabel        string    // default "grid score (60°)"
	Thresholds    []float64 // dashed vertical lines (default 0.3, 0.8, 1.2: NFL's thresholds, spec §5.6)
}

// SurvivalPoints returns the empirical survival function S(x) = P(value > x) of the finite
// values of v as the corners of a post-step line: (lo, S(lo)), then (u, S(u)) at each
// distinct value u in increasing order, then (hi, S(hi)); S is constant from one corner's x
// up to the next. lo and hi extend the line to the plot's range; lo ≥ min(v) or hi ≤
// max(v) clip it. With no finite value it returns nil.
func SurvivalPoints(v []float64, lo, hi float64) plotter.XYs {
	s := finite(v)
	if len(s) == 0 {
		return nil
	}
	slices.Sort(s)
	n := float64(len(s))
	// above(x) = #{s > x}/n for the sorted s.
	above := func(x float64) float64 {
		i, found := slices.BinarySearch(s, x)
		if found {
			for i < len(s) && s[i] == x {
				i++
			}
		}
		return float64(len(s)-i) / n
	}
	var pts plotter.XYs
	if lo < s[0] {
		pts = append(pts, plotter.XY{X: lo, Y: above(lo)})
	}
	for i, u := range s {
		if (i > 0 && u == s[i-1]) || u < lo || u > hi {
			continue
		}
		pts = append(pts, plotter.XY{X: u, Y: above(u)})
	}
	if hi > s[len(s)-1] || len(pts) == 0 || pts[len(pts)-1].X < hi {
		pts = append(pts, plotter.XY{X: hi, Y: above(hi)})
	}
	return pts
}

// Survival draws the empirical survival functions P(score > x) of each sample on one set
// of axes, as paper Fig. 2b does for the per-unit grid scores of each encoding, with
// dashed vertical lines at the thresholds. The legend gives each sample's count of finite
// values (and of undefined ones, when there are any).
func Survival(samples []Sample, s *SurvivalSettings) (*Figure, error) {
	set := SurvivalSettings{Width: 640, Height: 420, Title: "survival functions of per-unit grid scores",
		XLabel: "grid score (60°)", Thresholds: []float64{0.3, 0.8, 1.2}}
	if len(samples) == 1 {
		set.Title = "survival function of per-unit grid scores"
	}
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
		if s.XLabel != "" {
			set.XLabel = s.XLabel
		}
		if s.Thresholds != nil {
			set.Thresholds = s.Thresholds
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, sm := range samples {
		for _, v := range finite(sm.Values) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	if lo > hi { // no data at all: show the usual score range
		lo, hi = -1, 1.5
	}
	// Every threshold is on the axis, so that the caption's lines are all drawn (an
	// untrained run's scores may all lie below 0.8).
	for _, th := range set.Thresholds {
		lo, hi = math.Min(lo, th), math.Max(hi, th)
	}
	margin := 0.05 * math.Max(hi-lo, 0.1)
	lo, hi = lo-margin, hi+margin

	f := newFigure(set.Width, set.Height, 1, 1)
	p := plot.New()
	p.Title.Text = set.Title
	p.X.Label.Text = set.XLabel
	p.Y.Label.Text = "P(score > x)"
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min, p.X.Max = lo, hi
	p.X.Tick.Marker = scoreTicks{}
	p.Add(plotter.NewGrid())
	var marks plotter.XYLabels
	for _, th := range set.Thresholds {
		l, err := plotter.NewLine(plotter.XYs{{X: th, Y: 0}, {X: th, Y: 1.02}})
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color = color.Gray{140}
		l.Dashes = []vg.Length{vg.Points(2), vg.Points(2)}
		p.Add(l)
		marks.XYs = append(marks.XYs, plotter.XY{X: th, Y: 1.02})
		marks.Labels = append(marks.Labels, strconv.FormatFloat(th, 'g', -1, 64))
	}
	if len(marks.Labels) > 0 {
		// Each line's value at its top, hanging right of it: a survival curve is far below 1
		// beyond the lowest threshold (0.3), so nothing crosses the labels there, where at the
		// foot every curve's tail ran through them. The legend sits above the axes.
		lab, err := plotter.NewLabels(marks)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		for i := range lab.TextStyle {
			lab.TextStyle[i].Color = color.Gray{60}
			lab.TextStyle[i].Font.Size = vg.Points(10)
			lab.TextStyle[i].XAlign = draw.XLeft
			lab.TextStyle[i].YAlign = draw.YTop
		}
		lab.Offset = vg.Point{X: vg.Points(1.5)}
		p.Add(lab)
	}
	legend := newRowLegend()
	byCode := namedByCode(samples)
	for i, sm := range samples {
		pts := SurvivalPoints(sm.Values, lo, hi)
		nf := len(finite(sm.Values))
		name := shortLabel(sm.Name, maxTickLabel) // a legend entry
		label := fmt.Sprintf("%s (%d units)", name, nf)
		if nan := len(sm.Values) - nf; nan > 0 {
			label = fmt.Sprintf("%s (%d units, %d undefined)", name, nf, nan)
		}
		if pts == nil {
			continue
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.StepStyle = plotter.PostStep
		l.Color, l.Dashes = SeriesColor(i), seriesDashes(i)
		if byCode {
			l.Color, l.Dashes = codeColors[sm.Name], codeDashes(sm.Name)
		}
		l.Width = vg.Points(1.5)
		p.Add(l)
		legend.add(label, l)
	}
	f.plots[0][0] = p
	// Above the axes, not on them: the curves fill the top left and the threshold lines
	// cross the whole height, so a legend inside hid one or the other. Beside the axes, it
	// took half of a printed column's width.
	f.setRowLegend(legend)
	return f, nil
}

// codeColors are the colours of the paper's target codes (their names in reports), so that
// a code has one colour in every figure that compares codes: DoS takes the first series
// colour, which a run report's single curve and other sweeps' first condition have too.
// The three difference-of-Gaussians variants (the paper's DoG, true and general) share
// one: a figure comparing two of them takes the series order instead (namedByCode).
var codeColors = map[string]color.Color{
	"DoS":                seriesColors[0],
	"Gaussian":           seriesColors[1],
	"DoG":                seriesColors[2],
	"true DoG":           seriesColors[2],
	"general DoG":        seriesColors[2],
	"SoD":                seriesColors[3],
	"Cartesian":          seriesColors[4],
	"high-dim Cartesian": seriesColors[5],
	"polar":              seriesColors[6],
	"high-dim polar":     seriesColors[7],
}

// codeDashes dashes the curves of the codes that are not place cells (Cartesian and polar,
// high-dimensional or not): Okabe–Ito's orange and sky blue, theirs, are near the
// vermillion and blue of the Gaussian and DoS codes, and a dash tells the pairs apart.
func codeDashes(name string) []vg.Length {
	switch name {
	case "Cartesian", "high-dim Cartesian", "polar", "high-dim polar":
		return []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return nil
}

// namedByCode reports whether every sample is named after a different code of codeColors,
// as the conditions of the paper's encodings sweep are.
func namedByCode(samples []Sample) bool {
	seen := map[color.Color]bool{}
	for _, sm := range samples {
		c, ok := codeColors[sm.Name]
		if !ok || seen[c] {
			return false
		}
		seen[c] = true
	}
	return len(samples) > 0
}
