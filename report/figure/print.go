package figure

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Print says how a figure is laid out for a printed page rather than a screen: its width, and
// the size its axis labels print at, every other text in proportion.
//
// At its natural size a figure is as wide as its panels need on a screen, 7.5 to 9.5 in for
// a run report's, with 12 pt axis labels. Scaled to a paper's column (5.5 in for NeurIPS,
// 3.3 in for one column of a two-column journal, 7 in for both) its text would print at 5 to
// 11 pt. A printed figure is instead laid out on a canvas of Width × 12 pt/FontSize, on which
// text and rules take the room they take at the natural size and each row of panels keeps
// its shape, and that canvas is scaled to Width: the text prints at FontSize whatever the
// width, and the panels take what is left. Titles wider than the canvas or their panel
// are broken into lines. A figure that would then print taller than
// PrintPageHeight (a single spectrum, tall and narrow, at 7 in) is laid out narrower where
// that makes it fit; one whose colour key, legend and axes leave its panels less
// than half an inch of the layout canvas (3/8 in printed at 9 pt) is laid out wider.
// Figure.PrintFit says what size a figure prints at and why.
type Print struct {
	Width    vg.Length // printed width, MinPrintWidth to MaxPrintWidth
	FontSize vg.Length // printed size of the axis labels; tick labels print at 10/12 of it; 0: DefaultPrintFontSize
	DPI      int       // resolution of the PNG; 0: DefaultPrintDPI
}

// PrintPageHeight is the height a printed figure keeps within when it can: the text height
// of a NeurIPS page, about that of most journals'.
const PrintPageHeight = 9 * vg.Inch

// Defaults of a Print's zero fields: 9 pt axis labels (7.5 pt ticks), within the 5–10 pt that
// journals ask figure text to print at, and the 300 dots per inch they ask of images.
const (
	DefaultPrintFontSize = 9 * vg.Length(1) // points
	DefaultPrintDPI      = 300
)

// Limits of a Print's fields, checked by Validate.
const (
	MinPrintWidth    = 1 * vg.Inch
	MaxPrintWidth    = 40 * vg.Inch
	MinPrintFontSize = 4 * vg.Length(1)
	MaxPrintFontSize = 24 * vg.Length(1)
	MinPrintDPI      = 72
	MaxPrintDPI      = 1200
)

// labelSize is the size of gonum's axis labels, 12 pt, which a figure's other text is sized
// against.
var labelSize = plot.New().X.Label.TextStyle.Font.Size

// PrintError is the error of Validate: a field of a Print out of its limits.
type PrintError struct {
	Field string // "Width", "FontSize" or "DPI"
	Value string // the value given, with its unit
	Want  string // the limits
}

func (e *PrintError) Error() string {
	return fmt.Sprintf("figure: print %s %s: want %s", e.Field, e.Value, e.Want)
}

// Validate returns a *PrintError for the first field of p outside its limits.
func (p Print) Validate() error {
	pt := func(l vg.Length) string { return strconv.FormatFloat(float64(l), 'g', 4, 64) + "pt" }
	switch {
	// Written so that NaN fails them: every comparison with NaN is false.
	case !(p.Width >= MinPrintWidth && p.Width <= MaxPrintWidth):
		return &PrintError{"Width", FormatLength(p.Width), FormatLength(MinPrintWidth) + " to " + FormatLength(MaxPrintWidth)}
	case p.FontSize != 0 && !(p.FontSize >= MinPrintFontSize && p.FontSize <= MaxPrintFontSize):
		return &PrintError{"FontSize", pt(p.FontSize), pt(MinPrintFontSize) + " to " + pt(MaxPrintFontSize)}
	case p.DPI != 0 && (p.DPI < MinPrintDPI || p.DPI > MaxPrintDPI):
		return &PrintError{"DPI", strconv.Itoa(p.DPI), strconv.Itoa(MinPrintDPI) + " to " + strconv.Itoa(MaxPrintDPI)}
	}
	return nil
}

func (p Print) fontSize() vg.Length {
	if p.FontSize == 0 {
		return DefaultPrintFontSize
	}
	return p.FontSize
}

func (p Print) dpi() int {
	if p.DPI == 0 {
		return DefaultPrintDPI
	}
	return p.DPI
}

// newCanvas returns an empty canvas of w × h in format, one of Formats, with dpi the PNG's
// resolution.
func newCanvas(format string, w, h vg.Length, dpi int) (vg.CanvasWriterTo, error) {
	switch format {
	case "png":
		return pngCanvas{vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))}, dpi}, nil
	case "svg":
		// The fonts embedded, so that it shows the same on a machine without them.
		c := vgsvg.NewWith(vgsvg.UseWH(w, h), vgsvg.EmbedFonts(true))
		// White behind everything, as the PNG (vgimg's default) and a PDF page: on a dark
		// slide or viewer a transparent SVG shows its black text on black.
		var page vg.Path
		page.Move(vg.Point{})
		page.Line(vg.Point{X: w})
		page.Line(vg.Point{X: w, Y: h})
		page.Line(vg.Point{Y: h})
		page.Close()
		c.SetColor(color.White)
		c.Fill(page)
		return svgCanvas{c}, nil
	case "pdf":
		c := vgpdf.New(w, h)
		c.EmbedFonts(true) // as journals ask
		return pdfCanvas{c}, nil
	}
	return nil, fmt.Errorf("figure: format %q: want png, svg or pdf", format)
}

// pngCanvas is gonum's PNG canvas with the image's resolution written into the file.
//
// Go's image/png writes no pHYs chunk, and a PNG without one is placed at the reader's
// default: 72 dpi in pdflatex (a 3.3 in figure at 300 dpi came in 13.75 in wide), 96 in
// Word. WriteTo adds pHYs at dpi after the header, so that a figure laid out for a page
// (Print) is placed at its printed size, and one at its natural size at DPI.
type pngCanvas struct {
	vgimg.PngCanvas
	dpi int
}

func (c pngCanvas) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	if _, err := c.PngCanvas.WriteTo(&b); err != nil {
		return 0, err
	}
	out, err := withPHYs(b.Bytes(), c.dpi)
	if err != nil {
		return 0, err
	}
	n, err := w.Write(out)
	return int64(n), err
}

// pngHeaderEnd is where a PNG's IHDR chunk ends: the 8-byte signature, then IHDR's length,
// type, 13 bytes of data and CRC (PNG specification, §5.2–5.3 and §11.2.2).
const pngHeaderEnd = 8 + 4 + 4 + 13 + 4

// withPHYs returns the PNG data with a pHYs chunk (PNG specification §11.3.5.3) saying dpi
// dots per inch, in pixels per metre, inserted after IHDR, where the chunk may stand.
func withPHYs(data []byte, dpi int) ([]byte, error) {
	if len(data) < pngHeaderEnd || string(data[12:16]) != "IHDR" {
		return nil, fmt.Errorf("figure: PNG without its IHDR header")
	}
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	chunk := make([]byte, 4+4+9+4)
	binary.BigEndian.PutUint32(chunk[0:], 9)
	copy(chunk[4:], "pHYs")
	binary.BigEndian.PutUint32(chunk[8:], ppm)
	binary.BigEndian.PutUint32(chunk[12:], ppm)
	chunk[16] = 1 // unit: the metre
	binary.BigEndian.PutUint32(chunk[17:], crc32.ChecksumIEEE(chunk[4:17]))
	out := make([]byte, 0, len(data)+len(chunk))
	out = append(out, data[:pngHeaderEnd]...)
	out = append(out, chunk...)
	return append(out, data[pngHeaderEnd:]...), nil
}

// encodeCanvas writes to out, in format, what drawing draws on a new canvas of w × h (at dpi
// for PNG).
func encodeCanvas(out io.Writer, format string, w, h vg.Length, dpi int, drawing func(vg.CanvasWriterTo)) error {
	c, err := newCanvas(format, w, h, dpi)
	if err != nil {
		return err
	}
	drawing(c)
	return writeCanvas(out, c)
}

// printable is a drawing of a natural size that can be laid out for a page: a Figure's,
// or a single gonum plot's.
type printable struct {
	w, h vg.Length // natural size
	// measure lays the drawing out w × h without drawing it.
	measure func(w, h vg.Length) arrangement
	// fixed is the least width the drawing's own text needs whatever its panels: the
	// longest word of the figure's title, its colour key or a legend entry, which fixedWhat
	// names ("its title").
	fixed     vg.Length
	fixedWhat string
	draw      func(draw.Canvas) // draws it on a canvas of any size
	// cache holds the last layout, which each format's file and PrintFit ask for again.
	cache *layoutCache
}

// layoutCache is a printable's last layout: a figure's files in three formats and its
// PrintFit lay it out for the same Print four times, and a layout takes up to a second at
// extreme sizes (40 in at 4 pt).
type layoutCache struct {
	sync.Mutex
	valid  bool
	pr     Print
	lw, lh vg.Length
	scale  float64
}

// arrangement is what layout needs to know of a drawing laid out at a size.
type arrangement struct {
	// rows holds the height that the data areas of each row of panels take, the tallest of
	// the row; negative where a tile of the row is inverted: the canvas is smaller than the
	// text around the panels.
	rows []vg.Length
	// narrowest is the width of the narrowest data area, ≤ 0 where the panels have none.
	narrowest vg.Length
}

// printableFigure is f as a printable.
func printableFigure(f *Figure) printable {
	fixed, what := 0, ""
	if f.Title != "" {
		// The title is broken into lines to fit (Figure.title); its longest word is not.
		fixed, what = titleWidth(longestWord(titleStyle(), f.Title)), "its title"
	}
	if f.key != nil && f.key.width() > fixed {
		fixed, what = f.key.width(), "its colour key"
	}
	if f.rowLegend != nil {
		// One column of the legend, within the figure's margins.
		if w := pixels(f.rowLegend.columnWidth() + 2*f.pad); w > fixed {
			fixed, what = w, "its legend"
		}
	}
	return printable{w: px(f.Width), h: px(f.Height), measure: f.arrangement, fixed: px(fixed), fixedWhat: what, draw: f.drawOn, cache: &f.layouts}
}

// printablePlot is p at its natural size w × h as a printable.
func printablePlot(p *plot.Plot, w, h vg.Length) printable {
	measure := func(w, h vg.Length) arrangement {
		c := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: w, Y: h}}}
		d := p.DataCanvas(c)
		if !inside(d.Rectangle, c.Rectangle) {
			return arrangement{rows: []vg.Length{-1}, narrowest: -1}
		}
		return arrangement{rows: []vg.Length{d.Size().Y}, narrowest: d.Size().X}
	}
	return printable{w: w, h: h, measure: measure, draw: p.Draw, cache: &layoutCache{}}
}

// inside reports whether r is a rectangle of positive size within c: on a canvas too small
// for the text around a panel, gonum's layout returns data areas that are inverted or that
// reach outside their tile (68 pt wide on a 36 pt canvas).
func inside(r, c vg.Rectangle) bool {
	const tol = vg.Millimeter / 100
	return r.Max.X > r.Min.X && r.Max.Y > r.Min.Y &&
		r.Min.X >= c.Min.X-tol && r.Min.Y >= c.Min.Y-tol && r.Max.X <= c.Max.X+tol && r.Max.Y <= c.Max.Y+tol
}

// minPanelWidth is the least width, on the layout canvas, that layout leaves a panel's data
// area (or its natural width, if less): about 3/8 in printed at 9 pt.
const minPanelWidth = vg.Inch / 2

// layout returns the size of the canvas on which d is laid out for pr, and the scale from
// that canvas to the page (Print): pr.Width wide on the page, or wider where the panels need
// it (minWidth); where that would print taller than PrintPageHeight, the widest canvas that
// does not, or, where none does, the narrowest d can have, which is the lowest.
func (d printable) layout(pr Print) (lw, lh vg.Length, scale float64) {
	if c := d.cache; c != nil {
		c.Lock()
		defer c.Unlock()
		if c.valid && c.pr == pr {
			return c.lw, c.lh, c.scale
		}
		defer func() { c.valid, c.pr, c.lw, c.lh, c.scale = true, pr, lw, lh, scale }()
	}
	scale = float64(pr.fontSize() / labelSize)
	page := PrintPageHeight / vg.Length(scale) // on the layout canvas
	full := d.minWidth(pr.Width / vg.Length(scale))
	if lh = d.heightAt(full); lh <= page {
		return full, lh, scale
	}
	least := d.minWidth(0)
	if lh := d.heightAt(least); lh > page {
		return least, lh, scale // too tall at any width it can have: as low as it can be
	}
	lo, hi := least, full // the page is no taller than PrintPageHeight at lo, too tall at hi
	for hi-lo > vg.Millimeter {
		if mid := (lo + hi) / 2; d.heightAt(mid) <= page {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, d.heightAt(lo), scale
}

// minWidth returns the least canvas width, from w up to the natural width, at which d's title
// and key fit and every panel keeps a data area minPanelWidth wide (or as wide as at the
// natural size, if less): w itself where it does or where it is the natural width or more;
// minWidth(0) is the least width d can have.
func (d printable) minWidth(w vg.Length) vg.Length {
	if w >= d.w {
		return w
	}
	const tol = vg.Millimeter / 10
	tall := func(w vg.Length) arrangement { return d.measure(w, 10*d.h) } // the height not the limit
	need := min(minPanelWidth, tall(d.w).narrowest)
	ok := func(w vg.Length) bool { return w >= d.fixed && tall(w).narrowest >= need-tol }
	if ok(w) {
		return w
	}
	lo, hi := w, d.w
	for hi-lo > vg.Millimeter {
		if mid := (lo + hi) / 2; ok(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// heightAt returns the height of d's canvas at width lw: the least at which each row of
// panels is as much higher than at the natural size as the canvas is wider (lower: narrower),
// so that panels keep their shape, or as high as it can be at this width (a row of maps,
// drawn with equal axes, gains or loses the width of its axes' text as well). Keeping the
// figure's aspect instead would leave a legend inside the axes covering half of a short
// panel. It is found by bisection rather than by scaling the data areas' share of the
// natural height, as the room of the text is not quite fixed: a y-axis label longer than a
// short panel is high takes more of the height (gonum pads the axes for it).
func (d printable) heightAt(lw vg.Length) vg.Length {
	const tol = vg.Millimeter / 10
	grow := max(1, lw/d.w)
	natural, tallest := d.measure(d.w, d.h).rows, d.measure(lw, 10*d.h*grow).rows
	want := make([]vg.Length, len(natural))
	text := d.h // the room of the text at the natural size: no canvas is lower
	for r, n := range natural {
		want[r] = max(0, min(n*lw/d.w, tallest[r]))
		text -= max(n, 0)
	}
	fits := func(h vg.Length) bool {
		for r, got := range d.measure(lw, h).rows {
			if got < want[r]-tol || (got < 0 && want[r] > 0) {
				return false
			}
		}
		return true
	}
	// Below the text's room the tiles invert and their data areas measure nonsense, so the
	// bisection starts there.
	lo, hi := max(text, 0), 2*d.h*grow
	if !fits(hi) {
		return hi // not met with gonum's layout; a bound all the same
	}
	for hi-lo > tol {
		if mid := (lo + hi) / 2; fits(mid) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// drawOn draws d on c, a canvas of lw × lh scaled by scale (layout).
func (d printable) drawOn(c vg.Canvas, lw, lh vg.Length, scale float64) {
	c.Scale(scale, scale)
	d.draw(draw.Canvas{Canvas: c, Rectangle: vg.Rectangle{Max: vg.Point{X: lw, Y: lh}}})
}

// MaxPrintPixels bounds the pixels of a printed PNG (4 bytes each in memory): 40 in at
// 1200 dpi, within Print's limits, would be a 48000-pixel-wide image.
const MaxPrintPixels = 100_000_000

// encode writes d in format laid out for pr.
func (d printable) encode(out io.Writer, format string, pr Print) error {
	if err := pr.Validate(); err != nil {
		return err
	}
	lw, lh, scale := d.layout(pr)
	pw, ph := lw*vg.Length(scale), lh*vg.Length(scale)
	if format == "png" {
		dpi := float64(pr.dpi())
		if wpx, hpx := float64(pw/vg.Inch)*dpi, float64(ph/vg.Inch)*dpi; wpx*hpx > MaxPrintPixels {
			return fmt.Errorf("figure: a PNG of %.1f × %.1f in at %d dpi is %.0f × %.0f pixels, more than %d million: lower the resolution or the width",
				float64(pw/vg.Inch), float64(ph/vg.Inch), pr.dpi(), wpx, hpx, MaxPrintPixels/1_000_000)
		}
	}
	return encodeCanvas(out, format, pw, ph, pr.dpi(), func(c vg.CanvasWriterTo) { d.drawOn(c, lw, lh, scale) })
}

// PrintFit is how a drawing fits a Print.
type PrintFit struct {
	Width, Height vg.Length // printed size
	// Wider names what makes it print wider than Print.Width, when it does: "its title" (a
	// word of it), "its colour key", "its legend" (an entry), or "its panels, axes and
	// legend" (less than minPanelWidth each).
	Wider string
	// Taller reports that it prints taller than PrintPageHeight: no width it can have at the
	// Print's font size fits.
	Taller bool
	// Narrower reports that it was laid out narrower than Print.Width so that it keeps
	// within PrintPageHeight.
	Narrower bool
}

// fit returns how d fits pr.
func (d printable) fit(pr Print) PrintFit {
	lw, lh, scale := d.layout(pr)
	f := PrintFit{Width: lw * vg.Length(scale), Height: lh * vg.Length(scale)}
	const tol = vg.Millimeter / 10
	if f.Width > pr.Width+tol {
		f.Wider = "its panels, axes and legend"
		if d.fixed > pr.Width/vg.Length(scale)+tol {
			f.Wider = d.fixedWhat // alone wider than the page
		}
	}
	f.Taller = f.Height > PrintPageHeight+tol
	f.Narrower = f.Width < pr.Width-tol
	return f
}

// PrintFit returns how f fits pr: its printed size, pr.Width wide, narrower where that would
// print taller than PrintPageHeight, wider where its panels would be too narrow (Print).
func (f *Figure) PrintFit(pr Print) PrintFit { return printableFigure(f).fit(pr) }

// PlotPrintFit returns how p, a plot of natural size width × height, fits pr.
func PlotPrintFit(p *plot.Plot, width, height vg.Length, pr Print) PrintFit {
	return printablePlot(p, width, height).fit(pr)
}

// EncodePrint writes the figure to w in format, one of Formats, laid out for pr.
func (f *Figure) EncodePrint(w io.Writer, format string, pr Print) error {
	return printableFigure(f).encode(w, format, pr)
}

// Encoder returns the function that writes f in a format, for WriteFiles: f.Encode when pr
// is nil, else f.EncodePrint.
func (f *Figure) Encoder(pr *Print) func(io.Writer, string) error {
	if pr == nil {
		return f.Encode
	}
	return func(w io.Writer, format string) error { return f.EncodePrint(w, format, *pr) }
}

// PlotEncoder returns the function that writes p, a plot of natural size width × height, in
// a format, for WriteFiles: at that size when pr is nil, else laid out for pr.
func PlotEncoder(p *plot.Plot, width, height vg.Length, pr *Print) func(io.Writer, string) error {
	if pr == nil {
		return func(w io.Writer, format string) error { return EncodePlot(w, p, width, height, format) }
	}
	d := printablePlot(p, width, height) // one layout for every format
	return func(w io.Writer, format string) error { return d.encode(w, format, *pr) }
}

// lengthUnits are the units ParseLength reads, with their size.
var lengthUnits = []struct {
	name string
	size vg.Length
}{{"in", vg.Inch}, {"cm", vg.Centimeter}, {"mm", vg.Millimeter}, {"pt", 1}}

// ParseLength reads a printed length such as "5.5in", "14cm", "140mm" or "396pt"; a bare
// number is in inches.
func ParseLength(s string) (vg.Length, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	unit := vg.Inch
	for _, u := range lengthUnits {
		if strings.HasSuffix(t, u.name) {
			t, unit = strings.TrimSpace(strings.TrimSuffix(t, u.name)), u.size
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v > 0) || v > 1e6 || strings.Contains(t, "_") {
		return 0, fmt.Errorf("length %q: want a positive length such as 5.5in, 14cm, 140mm or 396pt (a bare number is in inches)", s)
	}
	return vg.Length(v) * unit, nil
}

// FormatLength writes l in inches, as ParseLength reads it.
func FormatLength(l vg.Length) string {
	return strconv.FormatFloat(float64(l/vg.Inch), 'g', 4, 64) + "in"
}
