package figure

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// MetricPoint is one logged step of a training run (one line of metrics.jsonl).
type MetricPoint struct {
	Step            int
	Loss            float64 // mean training loss since the previous point (NaN: not logged)
	EvalLoss        float64 // loss on a fresh batch without dropout (NaN: not logged)
	DecodingErrorCM float64 // position decoding error on that batch, cm (spec §2.3)
	// Scored marks a point with grid scores (eval.track_scores): MaxScore60, the best
	// score60 of the analysed units (NaN when none has one), and FracAbove03, the fraction
	// of them above 0.3.
	Scored                  bool
	MaxScore60, FracAbove03 float64
}

// CurveSettings configures TrainingCurves. A nil *CurveSettings means defaults.
type CurveSettings struct {
	Width, Height int    // pixels (default 900×360)
	Title         string // default "training"
	// DecodeThresholdCM draws the decoding-error threshold of the run classification as a
	// dashed line (default 10 cm, spec §5.6); negative draws none.
	DecodeThresholdCM float64
	// GridThreshold draws the score60 threshold of possible grid cells on the grid-score
	// panel as a dotted line (default 0.8, spec §5.6); negative draws none.
	GridThreshold float64
	LogLoss       bool // logarithmic loss axis (needs positive losses)
}

// TrainingCurves draws the training and evaluation loss (left) and the position decoding
// error (middle) against the training step and, where the points have grid scores
// (eval.track_scores), the best unit's score60 and the fraction of units above 0.3 (right):
// when the grid cells emerge. Points with NaN values are left out of their curve, so a
// diverged stretch shows as a gap. Runs of 10,000 steps or more count them in thousands,
// whose short tick labels stay apart in a printed column's narrow panels.
func TrainingCurves(points []MetricPoint, s *CurveSettings) (*Figure, error) {
	set := CurveSettings{Width: 900, Height: 360, Title: "training", DecodeThresholdCM: 10, GridThreshold: 0.8}
	scored := slices.ContainsFunc(points, func(m MetricPoint) bool { return m.Scored })
	if scored {
		set.Width = 1200 // three panels as wide as the two of the default
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
		if s.DecodeThresholdCM != 0 {
			set.DecodeThresholdCM = s.DecodeThresholdCM
		}
		if s.GridThreshold != 0 {
			set.GridThreshold = s.GridThreshold
		}
		set.LogLoss = s.LogLoss
	}
	cols := 2
	if scored {
		cols = 3
	}
	f := newFigure(set.Width, set.Height, 1, cols)
	f.Title = set.Title
	ax := newStepAxis(points)

	loss := ax.panel("loss", "loss")
	if set.LogLoss {
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	}
	keep := func(v float64) bool { return isFinite(v) && (!set.LogLoss || v > 0) }
	// One legend for all panels, above them: the evaluation curve has one colour in the loss
	// and decoding panels, and a legend inside a panel covered its curves once a printed
	// column made the panels small.
	legend := newRowLegend()
	for i, c := range []struct {
		name string
		val  func(MetricPoint) float64
	}{
		{"training", func(m MetricPoint) float64 { return m.Loss }},
		{"evaluation", func(m MetricPoint) float64 { return m.EvalLoss }},
	} {
		thumb, err := addCurve(loss, points, c.val, keep, SeriesColor(i), ax.per)
		if err != nil {
			return nil, err
		}
		if thumb != nil {
			legend.add(c.name, thumb)
		}
	}

	dec := ax.panel("position decoding error", "error (cm)")
	thumb, err := addCurve(dec, points, func(m MetricPoint) float64 { return m.DecodingErrorCM }, isFinite, SeriesColor(1), ax.per)
	if err != nil {
		return nil, err
	}
	if thumb != nil && !slices.ContainsFunc(legend.entries, func(e rowEntry) bool { return e.name == "evaluation" }) {
		legend.add("evaluation", thumb) // decoding error logged without an evaluation loss
	}
	if th := set.DecodeThresholdCM; th > 0 && len(points) > 0 {
		l, err := ax.threshold(points, th, []vg.Length{vg.Points(3), vg.Points(2)})
		if err != nil {
			return nil, err
		}
		dec.Add(l)
		legend.add(fmt.Sprintf("%g cm threshold", th), l)
		dec.Y.Min = 0
	}
	f.plots[0][0], f.plots[0][1] = loss, dec
	if scored {
		grid, err := gridScoreCurves(points, set.GridThreshold, legend, ax)
		if err != nil {
			return nil, err
		}
		f.plots[0][2] = grid
	}
	f.setRowLegend(legend)
	return f, nil
}

// gridScoreCurves is TrainingCurves' third panel: the best unit's score60 and the fraction
// of units above 0.3 against the step, with the grid threshold th dotted (none when th < 0).
// Both are dimensionless and share the axis: a score60 runs from about −0.5 to 1.5, a
// fraction from 0 to 1.
func gridScoreCurves(points []MetricPoint, th float64, legend *rowLegend, ax stepAxis) (*plot.Plot, error) {
	p := ax.panel("grid scores of the units", "score60, fraction")
	for i, c := range []struct {
		name string
		val  func(MetricPoint) float64
	}{
		{"best unit's score60", func(m MetricPoint) float64 { return m.MaxScore60 }},
		{"fraction of units above 0.3", func(m MetricPoint) float64 { return m.FracAbove03 }},
	} {
		val := func(m MetricPoint) float64 {
			if !m.Scored {
				return math.NaN()
			}
			return c.val(m)
		}
		thumb, err := addCurve(p, points, val, isFinite, SeriesColor(2+i), ax.per)
		if err != nil {
			return nil, err
		}
		if thumb != nil {
			legend.add(c.name, thumb)
		}
	}
	if th >= 0 {
		l, err := ax.threshold(points, th, []vg.Length{vg.Points(1), vg.Points(2)})
		if err != nil {
			return nil, err
		}
		p.Add(l)
		legend.add(fmt.Sprintf("score60 %g threshold", th), l)
		p.Y.Min, p.Y.Max = math.Min(p.Y.Min, 0), math.Max(p.Y.Max, th+0.1)
	}
	return p, nil
}

// stepAxis is the x axis of the training curves: the step, in thousands for long runs.
type stepAxis struct {
	per   float64 // steps per unit of x
	label string
}

// newStepAxis counts points' steps in thousands when the last is 10,000 or more.
func newStepAxis(points []MetricPoint) stepAxis {
	if len(points) > 0 && points[len(points)-1].Step >= 10000 {
		return stepAxis{per: 1000, label: "step (thousands)"}
	}
	return stepAxis{per: 1, label: "step"}
}

// panel is a panel of curves against the step, with a grid.
func (ax stepAxis) panel(title, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = ax.label
	p.Y.Label.Text = yLabel
	p.Y.Tick.Marker = TidyTicks{}
	p.Add(plotter.NewGrid())
	return p
}

// threshold is a grey horizontal line at y across the steps of points, dashed as given.
func (ax stepAxis) threshold(points []MetricPoint, y float64, dashes []vg.Length) (*plotter.Line, error) {
	x0, x1 := float64(points[0].Step)/ax.per, float64(points[len(points)-1].Step)/ax.per
	if x1 == x0 { // one point: the range gonum gives a panel's single point
		x0, x1 = x0-1, x0+1
	}
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	l.Color = color.Gray{120}
	l.Dashes = dashes
	return l, nil
}

// addCurve adds the line (and point markers, so single points show) of val over the
// points that keep accepts, against the step in units of per steps, and returns its legend
// thumbnail: nil where no point is kept. A point keep refuses (a NaN evaluation, a diverged
// stretch) breaks the line, so that it shows as a gap, not as a line across it.
func addCurve(p *plot.Plot, points []MetricPoint, val func(MetricPoint) float64, keep func(float64) bool, c color.Color, per float64) (plot.Thumbnailer, error) {
	all, segments := curveSegments(points, val, keep, per)
	if len(all) == 0 {
		return nil, nil
	}
	sc, err := plotter.NewScatter(all)
	if err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	sc.Color = c
	sc.Radius = vg.Points(math.Max(0.5, 2-float64(len(all))/100))
	var thumb thumbnails
	for _, seg := range segments {
		l, err := plotter.NewLine(seg)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color, l.Width = c, vg.Points(1.5)
		p.Add(l)
		if thumb == nil {
			thumb = thumbnails{l, sc}
		}
	}
	p.Add(sc)
	return thumb, nil
}

// curveSegments returns the points (step/per, val) that keep accepts, all of them and in runs
// of consecutive kept points: a refused point ends a run.
func curveSegments(points []MetricPoint, val func(MetricPoint) float64, keep func(float64) bool, per float64) (all plotter.XYs, segments []plotter.XYs) {
	open := false
	for _, m := range points {
		v := val(m)
		if !keep(v) {
			open = false
			continue
		}
		xy := plotter.XY{X: float64(m.Step) / per, Y: v}
		all = append(all, xy)
		if !open {
			segments = append(segments, nil)
			open = true
		}
		segments[len(segments)-1] = append(segments[len(segments)-1], xy)
	}
	return all, segments
}

// thumbnails draws several legend thumbnails on top of each other: a line with its markers.
type thumbnails []plot.Thumbnailer

// Thumbnail implements plot.Thumbnailer.
func (t thumbnails) Thumbnail(c *draw.Canvas) {
	for _, th := range t {
		th.Thumbnail(c)
	}
}
