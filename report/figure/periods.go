package figure

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// PeriodPoint is a grid period at a place-cell width.
type PeriodPoint struct {
	Sigma  float64 // place-cell width σ_E, m
	Period float64 // grid period, rate-map bins
}

// PeriodData is what PeriodVsWidth draws: the grid periods of single units, the KDE mode
// of the periods at each width (spec §5.6, module analysis) and the period that theory
// predicts from the optimal wavenumber k* of each width (spec §8.4).
type PeriodData struct {
	Units  []PeriodPoint // one per unit above the score threshold
	Modes  []PeriodPoint // one per width
	Theory []PeriodPoint // prediction curve, drawn as a line in order of Sigma
	// TheorySurround, when set, is added to the prediction's legend entry to say at which
	// surround scale it was drawn ("s = 2"), for sweeps whose widths pool several.
	TheorySurround string
	BinCM          float64 // rate-map bin side, cm, named in the axis label (0: not named)
}

// PeriodSettings configures PeriodVsWidth. A nil *PeriodSettings means defaults.
type PeriodSettings struct {
	Width, Height int    // pixels of the axes (default 640×440); the legend above them adds its height
	Title         string // default "grid period vs place-cell width"
}

// PeriodVsWidth draws grid period against place-cell width, as paper Fig. 3b does: unit
// periods as faint points, the KDE mode at each width as large markers joined by a line,
// and theory's prediction as a dashed line. Non-finite points are left out.
func PeriodVsWidth(d PeriodData, s *PeriodSettings) (*Figure, error) {
	set := PeriodSettings{Width: 640, Height: 440, Title: "grid period vs place-cell width"}
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
	}
	f := newFigure(set.Width, set.Height, 1, 1)
	p := plot.New()
	p.Title.Text = set.Title
	p.X.Label.Text = "place-cell width σ (m)"
	p.Y.Label.Text = "grid period (bins)"
	if d.BinCM > 0 {
		p.Y.Label.Text = fmt.Sprintf("grid period (bins of %g cm)", d.BinCM)
	}
	p.Add(plotter.NewGrid())
	legend := newRowLegend()
	xys := func(pts []PeriodPoint) plotter.XYs {
		var out plotter.XYs
		for _, q := range pts {
			if isFinite(q.Sigma) && isFinite(q.Period) {
				out = append(out, plotter.XY{X: q.Sigma, Y: q.Period})
			}
		}
		slices.SortStableFunc(out, func(a, b plotter.XY) int {
			switch {
			case a.X < b.X:
				return -1
			case a.X > b.X:
				return 1
			}
			return 0
		})
		return out
	}
	if u := xys(d.Units); len(u) > 0 {
		sc, err := plotter.NewScatter(u)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		sc.Color = color.NRGBA{0, 114, 178, 110}
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(2)
		p.Add(sc)
		legend.add(fmt.Sprintf("units (%d)", len(u)), sc)
	}
	if m := xys(d.Modes); len(m) > 0 {
		l, sc, err := plotter.NewLinePoints(m)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color, sc.Color = SeriesColor(1), SeriesColor(1)
		l.Width = vg.Points(1.5)
		sc.Shape = draw.CircleGlyph{}
		sc.Radius = vg.Points(4)
		p.Add(l, sc)
		legend.add("KDE mode of unit periods", thumbnails{l, sc})
	}
	if t := xys(d.Theory); len(t) > 0 {
		l, err := plotter.NewLine(t)
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		l.Color = color.Black
		l.Width = vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(l)
		name := "theory: 4π/(√3 k*)"
		if d.TheorySurround != "" {
			name += ", " + d.TheorySurround
		}
		legend.add(name, l)
	}
	p.Y.Min = 0
	if pad := 0.05 * (p.X.Max - p.X.Min); pad > 0 {
		p.X.Min, p.X.Max = p.X.Min-pad, p.X.Max+pad
	}
	f.plots[0][0] = p
	// Above the axes: the lower right corner, where periods that grow with σ leave room, held
	// a unit of short period at the widest σ all the same, and a printed column's small
	// panel had no free corner.
	f.setRowLegend(legend)
	return f, nil
}
