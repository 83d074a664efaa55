package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/theory"
)

// SpectrumPanel is the Fourier spectrum of one encoding's place-cell covariance
// (spec §8.1–§8.2).
type SpectrumPanel struct {
	Name string
	// Power is the 2-D transform, Size×Size with the kx index first and k = 0 at the centre
	// index (Size−1)/2, on steps DKX, DKY, rad/m.
	Size     int
	Power    []float64
	DKX, DKY float64
	// K and Profile are the radial profile Σ̃(|k|) at wavenumbers K, rad/m.
	K, Profile []float64
	PeakK      float64 // k*, rad/m; 0 when the spectrum peaks at k = 0
}

// SpectrumPanelOf copies the parts of a theory.Spectrum that Spectra draws.
func SpectrumPanelOf(name string, sp *theory.Spectrum) SpectrumPanel {
	return SpectrumPanel{Name: name, Size: 2*sp.LagRadius + 1, Power: sp.Power, DKX: sp.DKX, DKY: sp.DKY,
		K: sp.K, Profile: sp.Profile, PeakK: sp.PeakK}
}

// PeakMarkerColor is the colour of the line that marks k* on a radial profile: a darker cyan
// than the ring drawn at |k| = k* on the 2-D spectrum, which has to show on black.
var PeakMarkerColor color.Color = color.RGBA{0, 150, 200, 255}

// SpectraSettings configures Spectra. A nil *SpectraSettings means defaults.
type SpectraSettings struct {
	Tile  int     // side of each panel, pixels (default 300)
	Title string  // default "Fourier spectra of the place-cell covariance"
	KMax  float64 // largest |k| shown, rad/m (default max(3·k*, 20) over the panels)
	// Columns is the number of codes side by side (default: all of up to MaxSpectraColumns,
	// more wrapped into balanced rows, each code's 2-D spectrum above its profile).
	Columns int
}

// MaxSpectraColumns is the most codes Spectra puts side by side by default. Seven codes in
// one row made a figure 22 in wide, whose 10 pt text printed at about 3 pt in a 7 in figure;
// two rows of four make it 12.5 in.
const MaxSpectraColumns = 4

// Spectra draws the encodings' covariance spectra side by side (in bands of up to
// MaxSpectraColumns codes; SpectraSettings.Columns), as paper Fig. 4c compares
// DoS with true DoG: on top the 2-D power with the ring |k| = k* dashed, below the radial
// profile scaled to its largest magnitude with k* marked. A ring-shaped spectrum (DoS)
// selects a grid period; one peaked at k = 0 (Gaussian, true DoG) does not (spec §8.2).
// It panics if a panel's Power is not Size×Size or its K and Profile differ in length.
func Spectra(panels []SpectrumPanel, s *SpectraSettings) (*Figure, error) {
	var set SpectraSettings
	if s != nil {
		set = *s
	}
	if set.Tile <= 0 {
		set.Tile = 300
	}
	if set.Title == "" {
		set.Title = "Fourier spectra of the place-cell covariance"
	}
	kmax := set.KMax
	if kmax <= 0 {
		kmax = 20
		for _, sp := range panels {
			kmax = math.Max(kmax, 3*sp.PeakK)
		}
	}
	n := max(1, len(panels))
	cols := set.Columns
	if cols <= 0 {
		rows := (n + MaxSpectraColumns - 1) / MaxSpectraColumns
		cols = (n + rows - 1) / rows // balanced: 5 codes in rows of 3 and 2, not 4 and 1
	}
	cols = min(cols, n)
	bands := (n + cols - 1) / cols // rows of codes, each two rows of panels
	// Square tiles keep the ring |k| = k* round.
	f := newFigure(max(cols*set.Tile, titleWidth(set.Title)), bands*2*set.Tile+30, 2*bands, cols)
	f.Title = set.Title
	negative := false // some panel has values below 0, drawn as 0
	for i, sp := range panels {
		row, col := 2*(i/cols), i%cols
		if len(sp.Power) != sp.Size*sp.Size || len(sp.K) != len(sp.Profile) {
			panic(ErrShape)
		}
		r := float64(sp.Size-1) / 2
		lim := math.Min(kmax, r*math.Min(sp.DKX, sp.DKY))
		top := plot.New()
		top.Title.Text = sp.Name
		// 10 pt, as the profiles' titles: a code's name with its widths ("DoS, σ 0.12 m,
		// surround ×2") at 12 pt is wider than a column of a figure laid out for a page.
		top.Title.TextStyle.Font.Size = vg.Points(10)
		top.X.Label.Text = "kx (rad/m)"
		top.Y.Label.Text = "ky (rad/m)"
		// Crop to the shown window, so the image neither spills over the axes nor spends
		// its pixels on wavenumbers outside it.
		c := (sp.Size - 1) / 2
		wx := min(c, int(math.Ceil(lim/sp.DKX)))
		wy := min(c, int(math.Ceil(lim/sp.DKY)))
		crop := make([]float64, 0, (2*wx+1)*(2*wy+1))
		for i := c - wx; i <= c+wx; i++ {
			crop = append(crop, sp.Power[i*sp.Size+c-wy:i*sp.Size+c+wy+1]...)
		}
		// Coloured from 0 to the panel's maximum, values below 0 as 0: the spectrum of a
		// DoS code dips below 0 near k = 0, and a scale from the panel's own minimum put 0
		// at a third of the palette, so that one panel's empty background was mid-red and
		// another's black.
		lo, hi := 0.0, math.Inf(-1)
		for _, v := range crop {
			if isFinite(v) {
				hi = math.Max(hi, v)
				negative = negative || v < 0
			}
		}
		if !(hi > 0) {
			lo, hi = math.NaN(), math.NaN() // nothing above 0: the panel's own range
		}
		top.Add(heatMap(mapGrid{z: crop, n0: 2*wx + 1, n1: 2*wy + 1, x0: -float64(wx) * sp.DKX, y0: -float64(wy) * sp.DKY, dx: sp.DKX, dy: sp.DKY}, lo, hi))
		if sp.PeakK > 0 {
			top.Add(circle(sp.PeakK, ringColor))
		}
		// The axes end at the image's edges, so it neither spills over the title nor leaves a gap.
		ex, ey := (float64(wx)+0.5)*sp.DKX, (float64(wy)+0.5)*sp.DKY
		top.X.Min, top.X.Max, top.Y.Min, top.Y.Max = -ex, ex, -ey, ey
		f.plots[row][col] = top
		f.setEqualAxes(top)

		prof := plot.New()
		prof.X.Label.Text = "|k| (rad/m)"
		prof.Y.Label.Text = "spectrum / max |spectrum|"
		prof.Add(plotter.NewGrid())
		scale := 0.0
		for j, k := range sp.K {
			if k <= lim && isFinite(sp.Profile[j]) {
				scale = math.Max(scale, math.Abs(sp.Profile[j]))
			}
		}
		if scale == 0 {
			scale = 1
		}
		var xy plotter.XYs
		for j, k := range sp.K {
			if k <= lim && isFinite(sp.Profile[j]) {
				xy = append(xy, plotter.XY{X: k, Y: sp.Profile[j] / scale})
			}
		}
		if len(xy) > 0 {
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("figure: %w", err)
			}
			l.Color = SeriesColor(0)
			l.Width = vg.Points(1.5)
			prof.Add(l)
		}
		lowest := 0.0
		for _, q := range xy {
			lowest = math.Min(lowest, q.Y)
		}
		if sp.PeakK > 0 {
			mk, err := plotter.NewLine(plotter.XYs{{X: sp.PeakK, Y: lowest}, {X: sp.PeakK, Y: 1}})
			if err != nil {
				return nil, fmt.Errorf("figure: %w", err)
			}
			mk.Color = PeakMarkerColor
			mk.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
			prof.Add(mk)
			prof.Title.Text = fmt.Sprintf("ring at k* = %.2f rad/m", sp.PeakK)
		} else {
			prof.Title.Text = "peak at k = 0: no grid period"
		}
		prof.Title.TextStyle.Font.Size = vg.Points(10)
		prof.X.Min, prof.X.Max = 0, lim
		prof.Y.Min, prof.Y.Max = lowest-0.05, 1.05
		f.plots[row+1][col] = prof
	}
	key := &colorKey{colors: heatPalette().Colors(), low: "0", high: "max of each panel"}
	if negative {
		key.note = "below 0: as 0"
	}
	f.addKey(key)
	return f, nil
}
