package predictivity

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/report/figure"
)

// Point is one model (one run) of the predictivity-versus-dimensionality comparison
// (spec §7.6, paper Fig. 6).
type Point struct {
	Run          string  // run directory or label
	Architecture string  // model.rnn_type of the run (RNN, LSTM, GRU, UGRNN, SRNN) or a label
	Activation   string  // model.activation
	PRActivity   float64 // participation ratio of the activations, samples × units (NaN when unknown)
	PRRateMaps   float64 // participation ratio of the rate maps smoothed by 2 bins (spec §5.7, analysis.RateMapParticipationRatio)
	PRBins       int     // bins per side of the maps of PRRateMaps (NFL's 20 where the run has them)
	PRUnits      int     // units (the PCA's samples) of PRRateMaps
	MedianR      float64 // median over neurons of the held-out Pearson r
	MedianR2     float64 // median over neurons of the held-out R²
	Units        int     // regressors per fit
}

// CSVHeader is the header row of WriteCSV.
var CSVHeader = []string{"run", "architecture", "activation", "pr_activations", "pr_ratemaps", "median_r", "median_r2", "n_units", "pr_ratemaps_nbins", "pr_ratemaps_units"}

// WriteCSV writes one row per point under CSVHeader; NaN is written as "NaN".
func WriteCSV(w io.Writer, pts []Point) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	for _, p := range pts {
		if err := cw.Write([]string{p.Run, p.Architecture, p.Activation, f(p.PRActivity), f(p.PRRateMaps),
			f(p.MedianR), f(p.MedianR2), strconv.Itoa(p.Units), strconv.Itoa(p.PRBins), strconv.Itoa(p.PRUnits)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Figure returns the scatter plot of median r against the rate-map participation ratio,
// one point per run, one colour and glyph per architecture (in order of first
// appearance), with a legend: the layout of the paper's Fig. 6. Points whose PR or r is
// not finite are left out.
func Figure(pts []Point) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "Neural predictivity vs dimensionality"
	p.Title.Padding = vg.Points(5) // gonum's default sets the title at the image's top edge
	p.X.Label.Text = "participation ratio of the rate maps"
	// The resolution the ratio was measured at (NFL's 20 bins), when the runs share one.
	bins := map[int]bool{}
	for _, q := range pts {
		if q.PRBins > 0 {
			bins[q.PRBins] = true
		}
	}
	if len(bins) == 1 {
		for n := range bins {
			p.X.Label.Text += fmt.Sprintf(" (%d×%d bins)", n, n)
		}
	}
	p.Y.Label.Text = "median held-out Pearson r"
	p.Legend.Top = true
	p.Legend.Left = true
	p.X.Tick.Marker, p.Y.Tick.Marker = figure.TidyTicks{}, figure.TidyTicks{}
	p.Add(plotter.NewGrid()) // under the points
	var archs []string
	for _, q := range pts {
		if !slices.Contains(archs, q.Architecture) {
			archs = append(archs, q.Architecture)
		}
	}
	// Filled glyphs first, one per architecture (cycled), so that colours are legible.
	shapes := []draw.GlyphDrawer{draw.CircleGlyph{}, draw.BoxGlyph{}, draw.PyramidGlyph{}, draw.RingGlyph{}, draw.SquareGlyph{}, draw.TriangleGlyph{}}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for i, a := range archs {
		var xys plotter.XYs
		for _, q := range pts {
			if q.Architecture == a && finite(q.PRRateMaps) && finite(q.MedianR) {
				xys = append(xys, plotter.XY{X: q.PRRateMaps, Y: q.MedianR})
				xlo, xhi = math.Min(xlo, q.PRRateMaps), math.Max(xhi, q.PRRateMaps)
				ylo, yhi = math.Min(ylo, q.MedianR), math.Max(yhi, q.MedianR)
			}
		}
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, fmt.Errorf("predictivity: %w", err)
		}
		s.GlyphStyle = draw.GlyphStyle{Color: figure.SeriesColor(i), Shape: shapes[i%len(shapes)], Radius: vg.Points(4)}
		p.Add(s)
		p.Legend.Add(a, s)
	}
	if xlo <= xhi {
		// Pad the data range so that no point sits on an axis.
		pad := func(lo, hi float64) (float64, float64) {
			d := 0.1 * (hi - lo)
			if d == 0 {
				d = 0.1 * math.Max(1, math.Abs(lo))
			}
			return lo - d, hi + d
		}
		p.X.Min, p.X.Max = pad(xlo, xhi)
		p.Y.Min, p.Y.Max = pad(ylo, yhi)
		p.Y.Max += 0.15 * (p.Y.Max - p.Y.Min) // room for the legend
	}
	return p, nil
}

// FigureWidth and FigureHeight are the natural size of Figure's plot.
const FigureWidth, FigureHeight = 6 * vg.Inch, 4.5 * vg.Inch

// EncodeFigure writes Figure(pts), FigureWidth × FigureHeight, to w in format: "png", "svg" or
// "pdf".
func EncodeFigure(w io.Writer, pts []Point, format string) error {
	p, err := Figure(pts)
	if err != nil {
		return err
	}
	return figure.EncodePlot(w, p, FigureWidth, FigureHeight, format)
}

// WriteFigure writes Figure(pts) as a PNG file, atomically.
func WriteFigure(path string, pts []Point) error {
	return safefile.Write(path, func(w io.Writer) error { return EncodeFigure(w, pts, "png") })
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
