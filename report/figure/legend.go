package figure

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// rowLegend is a legend drawn above a figure's panels, its entries in rows of as many
// equal columns as the width takes (filled left to right, then down), the block centred.
// A bar chart's legend inside the axes covered its bars and their count labels wherever a
// printed column made the data area low (paper Fig. 2a at 3.3 in); above the axes it
// covers nothing, and in rows it takes one or two lines of height, not one per entry.
type rowLegend struct {
	entries []rowEntry
	style   text.Style // the entries' text
	thumb   vg.Length  // thumbnail width
	// titlePad is the panel's own padding under its title, to which placeRowLegend adds
	// the legend's room.
	titlePad vg.Length
}

// rowEntry is one entry of a rowLegend.
type rowEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// newRowLegend returns an empty rowLegend with the text of gonum's legends at 10 pt, the
// ticks' size: no text of a figure prints smaller than its tick labels.
func newRowLegend() *rowLegend {
	sty := plot.NewLegend().TextStyle
	sty.Font.Size = vg.Points(10)
	return &rowLegend{style: sty, thumb: vg.Points(18)}
}

// add appends an entry.
func (l *rowLegend) add(name string, thumb plot.Thumbnailer) {
	l.entries = append(l.entries, rowEntry{name, thumb})
}

// gap is the room between two columns, two ems of the entries' text.
func (l *rowLegend) gap() vg.Length { return 2 * l.style.Rectangle(" ").Max.X }

// columnWidth is the width of the widest entry: its thumbnail, a space and its text, as
// gonum's Legend draws an entry.
func (l *rowLegend) columnWidth() vg.Length {
	var w vg.Length
	for _, e := range l.entries {
		w = max(w, l.thumb+l.style.Rectangle(" "+e.name).Max.X)
	}
	return w
}

// columns is the number of columns in width w: as few as give the least rows that fit, so
// that the last row is as full as it can be (four entries in three columns would leave one
// alone in the second row; two by two reads as pairs); at least one.
func (l *rowLegend) columns(w vg.Length) int {
	n := len(l.entries)
	if n == 0 {
		return 0
	}
	fit := min(n, max(1, int(math.Floor(float64((w+l.gap())/(l.columnWidth()+l.gap()))))))
	rows := (n + fit - 1) / fit
	return (n + rows - 1) / rows
}

// rowHeight is the height of one row of entries: the tallest entry's text with its descent,
// and a small gap, as gonum's Legend steps its entries.
func (l *rowLegend) rowHeight() vg.Length {
	var h vg.Length
	for _, e := range l.entries {
		h = max(h, l.style.Rectangle(e.name).Max.Y)
	}
	return h + l.style.FontExtents().Descent + vg.Points(2)
}

// height is the height the legend takes at width w.
func (l *rowLegend) height(w vg.Length) vg.Length {
	cols := l.columns(w)
	if cols == 0 {
		return 0
	}
	rows := (len(l.entries) + cols - 1) / cols
	return vg.Length(rows) * l.rowHeight()
}

// draw draws the legend at the top of c, centred across it.
func (l *rowLegend) draw(c draw.Canvas) {
	cols := l.columns(c.Size().X)
	if cols == 0 {
		return
	}
	colW, gap, rowH := l.columnWidth(), l.gap(), l.rowHeight()
	left := c.Center().X - (vg.Length(cols)*(colW+gap)-gap)/2
	for i, e := range l.entries {
		row, col := i/cols, i%cols
		x := left + vg.Length(col)*(colW+gap)
		top := c.Max.Y - vg.Length(row)*rowH
		// One entry of gonum's Legend per cell draws thumbnail and text as its other
		// legends do.
		g := plot.NewLegend()
		g.TextStyle, g.ThumbnailWidth, g.Top, g.Left = l.style, l.thumb, true, true
		g.Add(e.name, e.thumb)
		g.Draw(draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: top - rowH}, Max: vg.Point{X: x + colW, Y: top}}})
	}
}

// setRowLegend gives f the legend l, drawn in rows above the panels, and makes the figure
// higher by the legend's height at its width so that the panels keep theirs. In a figure of
// one panel with a title, the legend is drawn between that title and the axes.
func (f *Figure) setRowLegend(l *rowLegend) {
	f.rowLegend = l
	if f.legendUnderTitle() {
		l.titlePad = f.plots[0][0].Title.Padding
	}
	f.Height += pixels(l.height(px(f.Width)-2*f.pad) + legendSkip)
}

// legendSkip is the room between a row legend and the panels under it.
const legendSkip = vg.Millimeter

// legendUnderTitle reports whether f's row legend goes under the title of its one panel.
func (f *Figure) legendUnderTitle() bool {
	return len(f.plots) == 1 && len(f.plots[0]) == 1 && f.plots[0][0] != nil && f.plots[0][0].Title.Text != ""
}

// placeRowLegend makes room for f's row legend on dc, the canvas of the panels, and returns
// its height and, where it goes above the panels, its canvas. Under a panel's title, gonum
// draws the title at the top of the tile and the axes a padding below it; that padding grows
// by the legend's height, so that gonum's layout (plot.Align) keeps the room, and
// rowLegendUnderTitle finds it once the tile is laid out.
func (f *Figure) placeRowLegend(dc *draw.Canvas) (vg.Length, draw.Canvas) {
	if f.rowLegend == nil {
		return 0, draw.Canvas{}
	}
	h := f.rowLegend.height(dc.Size().X - 2*f.pad)
	if f.legendUnderTitle() {
		f.plots[0][0].Title.Padding = f.rowLegend.titlePad + h + legendSkip
		return h, draw.Canvas{}
	}
	c := draw.Crop(*dc, f.pad, -f.pad, 0, -f.pad)
	c.Min.Y = c.Max.Y - h
	dc.Max.Y -= h + legendSkip
	return h, c
}

// rowLegendUnderTitle is the canvas of f's row legend h high in tile, the tile of f's one
// panel laid out after placeRowLegend: right under the panel's title.
func (f *Figure) rowLegendUnderTitle(tile draw.Canvas, h vg.Length) draw.Canvas {
	p := f.plots[0][0]
	top := tile.Max.Y - p.Title.TextStyle.Rectangle(p.Title.Text).Size().Y - f.rowLegend.titlePad
	return draw.Canvas{Canvas: tile.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: tile.Min.X, Y: top - h}, Max: vg.Point{X: tile.Max.X, Y: top}}}
}
