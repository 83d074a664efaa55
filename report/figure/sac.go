package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/analysis"
)

// SACPanel is one unit's spatial autocorrelogram with the ring its grid score came from.
type SACPanel struct {
	Unit    int       // unit index in the network
	Score60 float64   // 60° grid score (NaN when undefined)
	Size    int       // side m of the autocorrelogram, 2n−1 for an n×n map
	SAC     []float64 // m×m, first index the x lag, zero lag at (m−1)/2 (spec §5.2)
	// Inner and Outer are the radii, in bins, of the ring (annulus) that gave Score60
	// (spec §5.3: inner 0.2·n, outer r_out·n); Outer ≤ 0 draws no ring.
	Inner, Outer float64
}

// ringInner is the inner radius of every ring of the reference scorer in units of n
// (spec §5.3: r_in = 0.2 for all ten rings).
const ringInner = 0.2

// NewSACPanel computes the autocorrelogram of the n×n rate map rm (NaN = empty bin, the
// reference's zero filling, spec §5.2) and places the ring of outer radius outer·n (the
// GridScore.Outer60 of the unit, in units of n) around it, with the reference inner radius
// 0.2·n. It panics if len(rm) ≠ n·n.
func NewSACPanel(unit int, score60 float64, rm []float64, n int, outer float64) SACPanel {
	if len(rm) != n*n {
		panic(ErrShape)
	}
	sac, _ := analysis.Autocorrelogram(rm, n, analysis.SACReference)
	p := SACPanel{Unit: unit, Score60: score60, Size: 2*n - 1, SAC: sac}
	if outer > 0 && !math.IsNaN(outer) {
		p.Inner, p.Outer = ringInner*float64(n), outer*float64(n)
	}
	return p
}

// GridSettings configures the tiled figures Autocorrelograms. A nil *GridSettings means
// defaults.
type GridSettings struct {
	Columns int    // tiles per row (default ⌈√panels⌉, at most 8)
	Tile    int    // tile side, pixels (default 180)
	Title   string // figure title (default "spatial autocorrelograms")
}

// ringColor is the colour of a ring drawn on the black-body scale (the spectrum's k*): cyan
// stands out on it.
var ringColor = color.RGBA{0, 220, 255, 255}

// Autocorrelograms draws each panel's autocorrelogram as a heat map on the lag plane
// (lags in bins, x lag to the right), on a diverging blue–white–red scale fixed to the
// correlation range [−1, 1], with the annulus its grid score came from drawn as two dashed
// black circles. It panics if a panel's SAC is not Size×Size.
func Autocorrelograms(panels []SACPanel, s *GridSettings) *Figure {
	var set GridSettings
	if s != nil {
		set = *s
	}
	if set.Tile <= 0 {
		set.Tile = 180
	}
	if set.Title == "" {
		set.Title = "spatial autocorrelograms (dashed: ring of the score)"
	}
	f, cols := newTiledFigure(len(panels), set.Tile, set.Columns, set.Title)
	for i, sp := range panels {
		if len(sp.SAC) != sp.Size*sp.Size {
			panic(ErrShape)
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("unit %d, score %s", sp.Unit, formatScore(sp.Score60))
		p.Title.TextStyle.Font.Size = 10
		p.HideAxes()
		half := float64(sp.Size-1) / 2
		p.Add(heatMapWith(divergingPalette(), mapGrid{z: sp.SAC, n0: sp.Size, n1: sp.Size, x0: -half, y0: -half, dx: 1, dy: 1}, -1, 1))
		if sp.Outer > 0 {
			for _, r := range []float64{sp.Inner, sp.Outer} {
				p.Add(circle(r, color.Black)) // cyan is lost on blue–red
			}
		}
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = -half-0.5, half+0.5, -half-0.5, half+0.5
		f.plots[i/cols][i%cols] = p
		f.setEqualAxes(p)
	}
	f.addKey(&colorKey{colors: divergingPalette(), low: "−1", middle: "0", high: "1", note: "correlation"})
	return f
}

// circle returns a dashed circle of radius r about the origin.
func circle(r float64, c color.Color) *plotter.Line {
	const segments = 120
	pts := make(plotter.XYs, segments+1)
	for i := range pts {
		a := 2 * math.Pi * float64(i) / segments
		pts[i].X, pts[i].Y = r*math.Cos(a), r*math.Sin(a)
	}
	l, err := plotter.NewLine(pts)
	if err != nil {
		panic(err) // the points are finite by construction
	}
	l.Color = c
	l.Width = vg.Points(1.2)
	l.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	return l
}
