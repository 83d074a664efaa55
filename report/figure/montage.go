package figure

import (
	"cmp"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/palette"
	"gonum.org/v1/plot/palette/moreland"
	"gonum.org/v1/plot/plotter"
)

// UnitMap is one unit's rate map with its grid score.
type UnitMap struct {
	Unit    int       // unit index in the network
	Score60 float64   // 60° grid score (NaN when undefined)
	Map     []float64 // n×n rate map, first index the x-bin (spec §5.1); NaN = empty bin
}

// MontageSettings configures Montage. A nil *MontageSettings means defaults.
type MontageSettings struct {
	Columns int    // tiles per row (default ⌈√units⌉, at most 8)
	Tile    int    // tile side, pixels (default 180)
	Title   string // figure title (default "rate maps")
	Noun    string // what a tile is, in its title (default "unit"; "map" for pattern-forming dynamics)
}

// mapGrid adapts an n0×n1 row-major array (first index along x) to plotter.GridXYZ, with
// cell (c, r) centred at (x0 + c·dx, y0 + r·dy).
type mapGrid struct {
	z              []float64
	n0, n1         int
	x0, y0, dx, dy float64
}

func (g mapGrid) Dims() (c, r int)   { return g.n0, g.n1 }
func (g mapGrid) X(c int) float64    { return g.x0 + float64(c)*g.dx }
func (g mapGrid) Y(r int) float64    { return g.y0 + float64(r)*g.dy }
func (g mapGrid) Z(c, r int) float64 { return g.z[c*g.n1+r] }

// heatPalette is the colour map of rate maps and spectra: Moreland's perceptually
// uniform black-body scale (low = black, high = pale yellow), which leaves mid grey free
// for empty bins. Its last tenth, which runs into pure white, is cut off so that the
// highest rates stay distinct from the white page.
func heatPalette() palette.Palette {
	const colors, cut = 128, 14
	return fixedPalette(moreland.BlackBody().Palette(colors + cut).Colors()[:colors])
}

// fixedPalette is a palette.Palette of given colours.
type fixedPalette []color.Color

// Colors implements palette.Palette.
func (p fixedPalette) Colors() []color.Color { return p }

// imageSide is the least side, pixels, of the image heatMap draws: each cell becomes a
// block of whole pixels, so that the image's scaling to the panel (bilinear in vgimg)
// keeps cell edges sharp.
const imageSide = 240

// heatMap returns the n0×n1 array z as an image over the data rectangle of its cells,
// coloured on the finite range of z, or on [lo, hi] when both are finite, with NaN cells
// grey. The cells are drawn as one image rather than as rectangles, which would leave
// anti-aliasing seams between them.
func heatMap(g mapGrid, lo, hi float64) *plotter.Image {
	return heatMapWith(heatPalette().Colors(), g, lo, hi)
}

// divergingPalette colours a signed quantity (a correlation in [−1, 1]): blue below zero,
// near-white at zero, red above (Moreland's smooth blue–red, a perceptually balanced
// diverging map). On the sequential black-body scale zero was mid-orange.
func divergingPalette() []color.Color {
	return moreland.SmoothBlueRed().Palette(129).Colors()
}

// heatMapWith is heatMap on the colours pal, lowest value first.
func heatMapWith(pal []color.Color, g mapGrid, lo, hi float64) *plotter.Image {
	if !isFinite(lo) || !isFinite(hi) {
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range g.z {
			if isFinite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
		switch {
		case lo > hi: // no finite value: every cell is drawn grey
			lo, hi = 0, 1
		case lo == hi: // constant map: mid colour
			lo, hi = lo-1, hi+1
		}
	}
	scale := float64(len(pal)-1) / (hi - lo)
	s := max(1, (imageSide+max(g.n0, g.n1)-1)/max(g.n0, g.n1))
	img := image.NewRGBA(image.Rect(0, 0, g.n0*s, g.n1*s))
	for c := range g.n0 {
		for r := range g.n1 {
			col := color.Color(nanGrey)
			if v := g.Z(c, r); isFinite(v) {
				col = pal[int(math.Round((math.Max(lo, math.Min(hi, v))-lo)*scale))]
			}
			// Image rows run downwards, the grid's y upwards.
			draw.Draw(img, image.Rect(c*s, (g.n1-1-r)*s, (c+1)*s, (g.n1-r)*s), image.NewUniform(col), image.Point{}, draw.Src)
		}
	}
	return plotter.NewImage(img, g.x0-g.dx/2, g.y0-g.dy/2, g.x0+(float64(g.n0)-0.5)*g.dx, g.y0+(float64(g.n1)-0.5)*g.dy)
}

// TopUnits returns the indices of the k highest scores, highest first; NaN scores rank
// last, ties keep index order. k larger than len(scores) returns them all.
func TopUnits(scores []float64, k int) []int {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		sa, sb := scores[a], scores[b]
		switch {
		case math.IsNaN(sa) && math.IsNaN(sb):
			return 0
		case math.IsNaN(sa):
			return 1
		case math.IsNaN(sb):
			return -1
		}
		return cmp.Compare(sb, sa)
	})
	return idx[:min(max(k, 0), len(idx))]
}

// Montage draws the rate maps of units as a grid of heat maps, each scaled to its own
// range (black = lowest rate, white = highest, grey = empty bin), titled with the unit index
// and its 60° grid score, as NFL's and Sorscher's rate-map panels are (paper Fig. 2c).
// Every map is n×n with the x-bin first, shown with x to the right and y up. It panics if
// a map's length is not n·n.
func Montage(units []UnitMap, n int, s *MontageSettings) *Figure {
	var set MontageSettings
	if s != nil {
		set = *s
	}
	if set.Tile <= 0 {
		set.Tile = 180
	}
	if set.Title == "" {
		set.Title = "rate maps"
	}
	if set.Noun == "" {
		set.Noun = "unit"
	}
	f, cols := newTiledFigure(len(units), set.Tile, set.Columns, set.Title)
	for i, u := range units {
		if len(u.Map) != n*n {
			panic(ErrShape)
		}
		p := plot.New()
		p.Title.Text = fmt.Sprintf("%s %d, score %s", set.Noun, u.Unit, formatScore(u.Score60))
		p.Title.TextStyle.Font.Size = 10
		p.HideAxes()
		p.Add(heatMap(mapGrid{z: u.Map, n0: n, n1: n, dx: 1, dy: 1}, math.NaN(), math.NaN()))
		f.plots[i/cols][i%cols] = p
		f.setEqualAxes(p)
	}
	key := &colorKey{colors: heatPalette().Colors(), low: "min", high: "max of each map"}
	if slices.ContainsFunc(units, func(u UnitMap) bool { return slices.ContainsFunc(u.Map, math.IsNaN) }) {
		key.note = "grey: no data" // only where there are empty bins (not for the dynamics' maps)
	}
	f.addKey(key)
	return f
}

// formatScore prints a grid score with two decimals, or "n/a" when undefined.
func formatScore(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	t := fmt.Sprintf("%.2f", s)
	if t == "-0.00" { // a score just below 0 is not a negative one at this precision
		t = "0.00"
	}
	return t
}
