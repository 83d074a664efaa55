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
}

// CurveSettings configures TrainingCurves. A nil *CurveSettings means defaults.
type CurveSettings struct {
	Width, Height int    // pixels (default 900×360)
	Title         string // default "training"
	// DecodeThresholdCM draws the decoding-error threshold of the run classification as a
	// dashed line (default 10 cm, spec §5.6); negative draws none.
	DecodeThresholdCM float64
	LogLoss           bool // logarithmic loss axis (needs positive losses)
}

// TrainingCurves draws the training and evaluation loss (left) and the position decoding
// error (right) against the training step. Points with NaN values are left out of their
// curve, so a diverged stretch shows as a gap.
func TrainingCurves(points []MetricPoint, s *CurveSettings) (*Figure, error) {
	set := CurveSettings{Width: 900, Height: 360, Title: "training", DecodeThresholdCM: 10}
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
		set.LogLoss = s.LogLoss
	}
	f := newFigure(set.Width, set.Height, 1, 2)
	f.Title = set.Title

	loss := plot.New()
	loss.Title.Text = "loss"
	loss.X.Label.Text = "step"
	loss.Y.Label.Text = "loss"
	loss.Add(plotter.NewGrid())
	if set.LogLoss {
		loss.Y.Scale = plot.LogScale{}
		loss.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	} else {
		loss.Y.Tick.Marker = TidyTicks{}
	}
	keep := func(v float64) bool { return isFinite(v) && (!set.LogLoss || v > 0) }
	// One legend for both panels, above them: the evaluation curve has one colour in both,
	// and a legend inside a panel covered its curves once a printed column made the panels
	// small.
	legend := newRowLegend()
	for i, c := range []struct {
		name string
		val  func(MetricPoint) float64
	}{
		{"training", func(m MetricPoint) float64 { return m.Loss }},
		{"evaluation", func(m MetricPoint) float64 { return m.EvalLoss }},
	} {
		thumb, err := addCurve(loss, points, c.val, keep, SeriesColor(i))
		if err != nil {
			return nil, err
		}
		if thumb != nil {
			legend.add(c.name, thumb)
		}
	}

	dec := plot.New()
	dec.Title.Text = "position decoding error"
	dec.X.Label.Text = "step"
	dec.Y.Label.Text = "decoding error (cm)"
	dec.Y.Tick.Marker = TidyTicks{}
	dec.Add(plotter.NewGrid())
	thumb, err := addCurve(dec, points, func(m MetricPoint) float64 { return m.DecodingErrorCM }, isFinite, SeriesColor(1))
	if err != nil {
		return nil, err
	}
	if thumb != nil && !slices.ContainsFunc(legend.entries, func(e rowEntry) bool { return e.name == "evaluation" }) {
		legend.add("evaluation", thumb) // decoding error logged without an evaluation loss
	}
	if th := set.DecodeThresholdCM; th > 0 && len(points) > 0 {
		x0, x1 := float64(points[0].Step), float64(points[len(points)-1].Step)
		if x1 == x0 { // one point: the range gonum gives the loss panel's single point
			x0, x1 = x0-1, x0+1
		}
		l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: th}, {X: x1, Y: th}})
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color = color.Gray{120}
		l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
		dec.Add(l)
		legend.add(fmt.Sprintf("%g cm threshold", th), l)
		dec.Y.Min = 0
	}
	f.plots[0][0], f.plots[0][1] = loss, dec
	f.setRowLegend(legend)
	return f, nil
}

// addCurve adds the line (and point markers, so single points show) of val over the
// points that keep accepts, and returns its legend thumbnail: nil where no point is kept.
func addCurve(p *plot.Plot, points []MetricPoint, val func(MetricPoint) float64, keep func(float64) bool, c color.Color) (plot.Thumbnailer, error) {
	var xy plotter.XYs
	for _, m := range points {
		if v := val(m); keep(v) {
			xy = append(xy, plotter.XY{X: float64(m.Step), Y: v})
		}
	}
	if len(xy) == 0 {
		return nil, nil
	}
	l, sc, err := plotter.NewLinePoints(xy)
	if err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	l.Color, sc.Color = c, c
	l.Width = vg.Points(1.5)
	sc.Radius = vg.Points(math.Max(0.5, 2-float64(len(xy))/100))
	p.Add(l, sc)
	return thumbnails{l, sc}, nil
}

// thumbnails draws several legend thumbnails on top of each other: a line with its markers.
type thumbnails []plot.Thumbnailer

// Thumbnail implements plot.Thumbnailer.
func (t thumbnails) Thumbnail(c *draw.Canvas) {
	for _, th := range t {
		th.Thumbnail(c)
	}
}
