package figure

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gridcells/gridcells/internal/safefile"
)

// DPI is the resolution every figure is rendered at: 96 dots per inch, the CSS pixel, so a
// figure of Width pixels shows at its natural size in a browser.
const DPI = 96

// Error is the type of the panics this package raises on programmer misuse.
type Error struct{ string }

func (e Error) Error() string { return e.string }

// Misuse panics.
var (
	ErrShape = Error{"figure: shape mismatch"}
	ErrSize  = Error{"figure: figure size must be positive"}
)

// Figure is a grid of gonum plots of a fixed pixel size, rendered to PNG on demand.
// A figure is built by one of the functions of this package (Montage, Autocorrelograms,
// Survival, Fractions, TrainingCurves, PeriodVsWidth, Spectra, Trajectories). Its methods
// may be called from several goroutines: drawings of one figure take turns.
type Figure struct {
	Width, Height int    // pixels at DPI
	Title         string // drawn centred above the panels; empty for none

	plots [][]*plot.Plot // rows of panels; a nil panel leaves its tile blank
	pad   vg.Length      // space between tiles
	// key is the colour bar drawn under the panels of heat-map figures; nil for none.
	key *colorKey
	// equal marks the panels of spatial maps (the box, k-space), drawn with one scale on
	// both axes in drawOn: the axes' labels take different room on x and y, and a square
	// box or a ring |k| = k* was drawn stretched.
	equal map[*plot.Plot]bool
	// rowLegend is drawn in rows above the panels (setRowLegend): between the title of the
	// figure's one panel and its axes, or under the figure's title; nil for none.
	rowLegend *rowLegend
	// fitY sets a panel's y range for the data area it is drawn in, just before it is
	// drawn: the room that text of a fixed size needs above the data is a share of the
	// range that depends on the area's height (Fractions' count labels).
	fitY map[*plot.Plot]func(data draw.Canvas)
	// titles holds the panels' titles as they were made, which arrange breaks into lines
	// for the width it lays the figure out at.
	titles map[*plot.Plot]string
	// layouts holds the last layout for a printed page (Print).
	layouts layoutCache
	// drawing is held while the figure is laid out or drawn: both set the panels' titles,
	// title padding and (Fractions) y range for the size they lay it out at, so that two
	// goroutines encoding one figure take turns.
	drawing sync.Mutex
}

// setEqualAxes marks p as a panel drawn with the same scale on x and y.
func (f *Figure) setEqualAxes(p *plot.Plot) {
	if f.equal == nil {
		f.equal = map[*plot.Plot]bool{}
	}
	f.equal[p] = true
}

// newFigure returns a figure of rows×cols empty tiles.
// newTiledFigure lays out n square tiles of tile pixels, each under a one-line title, in
// columns columns (≤ 0: a near-square grid of at most 8 columns), and returns the figure and
// the number of columns used.
func newTiledFigure(n, tile, columns int, title string) (*Figure, int) {
	cols := columns
	if cols <= 0 {
		cols = min(8, max(1, int(math.Ceil(math.Sqrt(float64(n))))))
	}
	rows := max(1, (n+cols-1)/cols)
	// At least as wide as the title, which one or two tiles would clip at both ends; the
	// maps stay square (equal axes) and centred in their wider tiles.
	width := max(cols*tile, titleWidth(title))
	f := newFigure(width, rows*(tile+titleRow)+30, rows, cols)
	f.Title = title
	return f, cols
}

func newFigure(width, height, rows, cols int) *Figure {
	if width <= 0 || height <= 0 || rows <= 0 || cols <= 0 {
		panic(ErrSize)
	}
	p := make([][]*plot.Plot, rows)
	for r := range p {
		p[r] = make([]*plot.Plot, cols)
	}
	return &Figure{Width: width, Height: height, plots: p, pad: 2 * vg.Millimeter}
}

// titleFont is the font of a figure's overall title: the regular face of the axis labels,
// larger. It must name a face that gonum's font cache holds (Liberation Serif has regular and
// bold weights only): a weight it lacks falls back to the regular face's glyphs under another
// name, and the vector formats then embed that face twice, the second time as a font of the
// same PDF resource name (a dictionary with a duplicated key, which qpdf flags).
var titleFont = font.Font{Typeface: "Liberation", Variant: "Serif", Size: vg.Points(13)}

// titleWidth is the width, pixels, that title takes in titleFont, with a margin each side.
func titleWidth(title string) int {
	sty := text.Style{Font: titleFont, Handler: plot.DefaultTextHandler}
	return pixels(sty.Width(title)) + 24
}

// px converts pixels to a vg.Length at DPI.
func px(n int) vg.Length { return vg.Length(n) * vg.Inch / DPI }

// pixels is the inverse of px: the whole pixels at DPI that cover the length l.
func pixels(l vg.Length) int { return int(math.Ceil(float64(l) * DPI / float64(vg.Inch))) }

// drawOn draws the title and the panels on dc, a canvas of the figure's size in any format.
func (f *Figure) drawOn(dc draw.Canvas) {
	f.drawing.Lock()
	defer f.drawing.Unlock()
	if f.Title != "" {
		sty := titleStyle()
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Millimeter}, f.title(dc.Size().X))
	}
	if f.key != nil {
		f.key.draw(dc)
	}
	tiles, legend := f.arrange(dc)
	for r := range f.plots {
		for c, p := range f.plots[r] {
			if p == nil {
				continue
			}
			if fit := f.fitY[p]; fit != nil {
				fit(p.DataCanvas(tiles[r][c]))
			}
			p.Draw(tiles[r][c])
		}
	}
	if f.rowLegend != nil {
		f.rowLegend.draw(legend)
	}
}

// titleStyle is the text style of a figure's overall title, anchored at its top centre.
func titleStyle() text.Style {
	return text.Style{Color: color.Black, Font: titleFont, XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
}

// title is f's title broken into lines no wider than a canvas w wide, less its margins.
func (f *Figure) title(w vg.Length) string {
	return wrapText(titleStyle(), f.Title, w-px(titleWidth("")))
}

// longestWord is the widest of the words of s in sty.
func longestWord(sty text.Style, s string) string {
	var long string
	for _, w := range strings.Fields(s) {
		if sty.Width(w) > sty.Width(long) {
			long = w
		}
	}
	return long
}

// arrange lays f out on dc without drawing: the canvas of each panel (of a blank tile, the
// zero canvas) below the title and above the colour key, and that of the row legend. It
// breaks the panels' titles into lines as wide as their tiles (wrapTitles).
func (f *Figure) arrange(dc draw.Canvas) (tiles [][]draw.Canvas, legend draw.Canvas) {
	if f.Title != "" {
		dc.Max.Y -= titleStyle().Height(f.title(dc.Size().X)) + 2*vg.Millimeter
	}
	if f.key != nil {
		dc.Min.Y += px(keyHeight)
	}
	rows, cols := len(f.plots), len(f.plots[0])
	layout := draw.Tiles{Rows: rows, Cols: cols, PadX: f.pad, PadY: f.pad, PadTop: f.pad, PadBottom: f.pad, PadLeft: f.pad, PadRight: f.pad}
	f.wrapTitles(layout.At(dc, 0, 0).Size().X)
	legendH, legend := f.placeRowLegend(&dc)
	// plot.Align needs a plot in every tile to size the axes; blank tiles get an empty
	// plot that is never drawn.
	grid := make([][]*plot.Plot, rows)
	for r := range grid {
		grid[r] = make([]*plot.Plot, cols)
		for c := range grid[r] {
			if grid[r][c] = f.plots[r][c]; grid[r][c] == nil {
				blank := plot.New()
				blank.HideAxes()
				grid[r][c] = blank
			} else {
				tidyAxes(grid[r][c])
			}
		}
	}
	tiles = plot.Align(grid, layout, dc)
	for r := range f.plots {
		for c, p := range f.plots[r] {
			switch {
			case p == nil:
				tiles[r][c] = draw.Canvas{}
			case f.equal[p]:
				tiles[r][c] = equalAxes(p, tiles[r][c])
			}
		}
	}
	if f.rowLegend != nil && f.legendUnderTitle() {
		legend = f.rowLegendUnderTitle(tiles[0][0], legendH)
	}
	return tiles, legend
}

// wrapTitles breaks the title of each panel into lines no wider than w, the width of a
// tile, from the title the panel was made with: a title wider than its tile ran off both
// ends, and off the figure, once a printed column made the tiles narrow. (plot.Align keeps
// the data areas of a row level when their titles take different numbers of lines.)
func (f *Figure) wrapTitles(w vg.Length) {
	if f.titles == nil {
		f.titles = map[*plot.Plot]string{}
	}
	for _, row := range f.plots {
		for _, p := range row {
			if p == nil {
				continue
			}
			orig, ok := f.titles[p]
			if !ok {
				orig = p.Title.Text
				f.titles[p] = orig
			}
			p.Title.Text = wrapText(p.Title.TextStyle, orig, w)
		}
	}
}

// wrapText breaks s at spaces into lines no wider than w in sty, filling each line with as
// many words as fit; a word wider than w alone has a line to itself. s unchanged if it fits.
func wrapText(sty text.Style, s string, w vg.Length) string {
	if s == "" || sty.Width(s) <= w {
		return s
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case sty.Width(line+" "+word) <= w:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// arrangement lays f out w × h without drawing it, for printable.
func (f *Figure) arrangement(w, h vg.Length) arrangement {
	f.drawing.Lock()
	defer f.drawing.Unlock()
	tiles, _ := f.arrange(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}})
	a := arrangement{rows: make([]vg.Length, len(f.plots)), narrowest: vg.Length(math.Inf(1))}
	for r, row := range f.plots {
		for c, p := range row {
			if p == nil {
				continue
			}
			d := p.DataCanvas(tiles[r][c]).Rectangle
			if !inside(tiles[r][c].Rectangle, vg.Rectangle{Max: vg.Point{X: w, Y: h}}) || !inside(d, tiles[r][c].Rectangle) {
				a.rows[r], a.narrowest = -1, -1
				continue
			}
			a.narrowest = min(a.narrowest, d.Size().X)
			if a.rows[r] >= 0 {
				a.rows[r] = max(a.rows[r], d.Size().Y)
			}
		}
	}
	if math.IsInf(float64(a.narrowest), 1) {
		a.narrowest = -1 // no panel
	}
	return a
}

// equalAxes shrinks the tile c, centred, along one side so that p's data area in it has
// the aspect of p's axis ranges: one metre (or bin, or rad/m) as long on y as on x. The room
// the axes take does not depend on the tile's size, so the data area shrinks by what the
// tile does.
func equalAxes(p *plot.Plot, c draw.Canvas) draw.Canvas {
	d := p.DataCanvas(c)
	w, h := d.Max.X-d.Min.X, d.Max.Y-d.Min.Y
	xr, yr := p.X.Max-p.X.Min, p.Y.Max-p.Y.Min
	if w <= 0 || h <= 0 || !(xr > 0) || !(yr > 0) {
		return c
	}
	want := vg.Length(yr / xr) // data height per data width
	if h > w*want {
		cut := h - w*want
		c.Min.Y += cut / 2
		c.Max.Y -= cut / 2
	} else {
		cut := w - h/want
		c.Min.X += cut / 2
		c.Max.X -= cut / 2
	}
	return c
}

// writeCanvas writes a drawn canvas to w in its format.
func writeCanvas(w io.Writer, c io.WriterTo) error {
	if _, err := c.WriteTo(w); err != nil {
		return fmt.Errorf("figure: %w", err)
	}
	return nil
}

// EncodePlot writes a single gonum plot of width × height to w in format, one of Formats,
// for plots drawn outside this package's figures (predictivity's scatter, theory's radial
// profile).
func EncodePlot(w io.Writer, p *plot.Plot, width, height vg.Length, format string) error {
	// The package's canvases rather than p.WriterTo's: the same resolution as the figures,
	// and the fonts embedded in SVG as in PDF.
	return encodeCanvas(w, format, width, height, DPI, func(c vg.CanvasWriterTo) { p.Draw(draw.New(c)) })
}

// Formats are the file formats Encode writes, by extension.
var Formats = []string{"png", "svg", "pdf"}

// Encode writes the figure to w in format, one of Formats, at its natural size: Width ×
// Height pixels at DPI for PNG, and the same size in inches for SVG and PDF, which draw lines
// and text as vectors, embed the heat maps (rate maps, autocorrelograms, spectra) as images of
// their bins, and embed their fonts, as journals ask.
func (f *Figure) Encode(w io.Writer, format string) error {
	return encodeCanvas(w, format, px(f.Width), px(f.Height), DPI, func(c vg.CanvasWriterTo) { f.drawOn(draw.New(c)) })
}

// PNG returns the figure as PNG bytes.
func (f *Figure) PNG() ([]byte, error) {
	var b bytes.Buffer
	if err := f.Encode(&b, "png"); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes the figure as a PNG file at path atomically (a temporary file renamed
// into place), so a reader never sees a partial image.
func (f *Figure) WriteFile(path string) error {
	return safefile.Write(path, func(w io.Writer) error { return f.Encode(w, "png") })
}

// WriteFiles writes one figure as path, a .png, and in each of the other formats asked for
// (of Formats) beside it, path with that format's extension, each atomically; encode writes
// the figure in one format. A copy in a format not asked for this time is of an earlier
// figure, and is removed.
func WriteFiles(path string, formats []string, encode func(w io.Writer, format string) error) error {
	all := []string{"png"}
	for _, f := range formats {
		if !slices.Contains(Formats, f) {
			return fmt.Errorf("figure: format %q: want one of %s", f, strings.Join(Formats, ", "))
		}
		if !slices.Contains(all, f) {
			all = append(all, f)
		}
	}
	base := strings.TrimSuffix(path, filepath.Ext(path))
	for _, format := range all {
		if err := safefile.Write(base+"."+format, func(w io.Writer) error { return encode(w, format) }); err != nil {
			return err
		}
	}
	for _, format := range Formats {
		if !slices.Contains(all, format) {
			if err := os.Remove(base + "." + format); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// finite returns the values of v that are neither NaN nor infinite.
func finite(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			out = append(out, x)
		}
	}
	return out
}

// isFinite reports whether x is neither NaN nor infinite.
func isFinite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// palette of the series of line and bar figures: the Okabe–Ito colours, distinguishable
// with the common colour-vision deficiencies (Okabe & Ito 2008).
var seriesColors = []color.Color{
	color.RGBA{0, 114, 178, 255},   // blue
	color.RGBA{213, 94, 0, 255},    // vermillion
	color.RGBA{0, 158, 115, 255},   // bluish green
	color.RGBA{204, 121, 167, 255}, // reddish purple
	color.RGBA{230, 159, 0, 255},   // orange
	color.RGBA{86, 180, 233, 255},  // sky blue
	color.RGBA{0, 0, 0, 255},       // black
	color.RGBA{240, 228, 66, 255},  // yellow: last, as it is faint on white
}

// SeriesColor returns the colour the figures give series i (the Okabe–Ito palette,
// distinguishable with the common colour-vision deficiencies); plots drawn elsewhere use
// it to match them.
func SeriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// dashes of series i beyond the palette, so that more than eight series stay distinct.
func seriesDashes(i int) []vg.Length {
	if i/len(seriesColors)%2 == 1 {
		return []vg.Length{vg.Points(4), vg.Points(2)}
	}
	return nil
}

// titleRow is the height, pixels, that tiled figures add to each tile for its title.
const titleRow = 18

// nanGrey is the colour of empty (NaN) rate-map bins.
var nanGrey = color.RGBA{170, 170, 170, 255}

// keyHeight is the height, pixels, that a colour key adds at the bottom of a figure.
const keyHeight = 34

// colorKey is a horizontal colour bar with labels under its ends and centre, which says
// how a figure's heat maps read: "min" to "max of each map", or −1, 0, 1.
type colorKey struct {
	colors            []color.Color // low to high
	low, middle, high string
	note              string // to the right of the bar, e.g. "grey: no data"
}

// addKey gives f the colour bar k, making the figure keyHeight pixels taller for it and,
// when narrower, wide enough for it.
func (f *Figure) addKey(k *colorKey) {
	f.key = k
	f.Height += keyHeight
	f.Width = max(f.Width, k.width())
}

// Layout of a colorKey, pixels: the bar's size, its left margin and the gap before the note.
const keyBarW, keyBarH, keyMargin, keyGap = 120, 8, 10, 10

// keyLabel is the text style of a colorKey's labels.
func keyLabel() text.Style {
	lab := text.Style{Color: color.Gray{40}, Font: titleFont, Handler: plot.DefaultTextHandler}
	lab.Font.Size = vg.Points(10)
	return lab
}

// width is the least figure width, pixels, that shows k whole.
func (k *colorKey) width() int {
	note := keyLabel().Width(k.note)
	return keyMargin + keyBarW + keyGap + pixels(note) + keyMargin
}

// draw draws the key at the bottom left of dc, in the keyHeight it takes.
func (k *colorKey) draw(dc draw.Canvas) {
	w, h := px(keyBarW), px(keyBarH)
	x0 := dc.Min.X + px(keyMargin)
	y0 := dc.Min.Y + px(16)
	n := len(k.colors)
	for i, c := range k.colors {
		xa := x0 + w*vg.Length(i)/vg.Length(n)
		xb := x0 + w*vg.Length(i+1)/vg.Length(n) + px(1)/4 // overlap: no seams
		dc.FillPolygon(c, []vg.Point{{X: xa, Y: y0}, {X: xb, Y: y0}, {X: xb, Y: y0 + h}, {X: xa, Y: y0 + h}})
	}
	dc.StrokeLines(draw.LineStyle{Color: color.Gray{90}, Width: vg.Points(0.5)},
		[]vg.Point{{X: x0, Y: y0}, {X: x0 + w, Y: y0}, {X: x0 + w, Y: y0 + h}, {X: x0, Y: y0 + h}, {X: x0, Y: y0}})
	lab := keyLabel()
	lab.YAlign = draw.YTop
	for _, l := range []struct {
		x     vg.Length
		align text.XAlignment
		text  string
	}{{x0, draw.XLeft, k.low}, {x0 + w/2, draw.XCenter, k.middle}, {x0 + w, draw.XRight, k.high}} {
		if l.text != "" {
			lab.XAlign = l.align
			dc.FillText(lab, vg.Point{X: l.x, Y: y0 - px(2)}, l.text)
		}
	}
	if k.note != "" {
		lab.XAlign, lab.YAlign = draw.XLeft, draw.YCenter
		dc.FillText(lab, vg.Point{X: x0 + w + px(keyGap), Y: y0 + h/2}, k.note)
	}
}
