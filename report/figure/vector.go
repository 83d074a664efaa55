package figure

import (
	"bytes"
	"image"
	"io"
	"unicode/utf8"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"golang.org/x/text/encoding/charmap"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// pdfCanvas is gonum's PDF canvas with images the right way up and text beyond ASCII drawn
// as it reads in the PNG.
//
// vgpdf embeds each font with the Windows-1252 code page (WinAnsiEncoding) and writes a
// string's UTF-8 bytes as they are, so every non-ASCII letter prints as two or three wrong
// ones ("σ 0.12 m, surround ×2" as "Ïƒ 0.12 m, surround Ã—2"; gonum/plot issue 347).
// FillString therefore writes the runs of letters that Windows-1252 has (×, °, µ, ², –, …)
// as that code page's bytes, where they stay text a reader can select and search, and
// draws each letter it lacks (σ, ≥, √, Greek and the rest) as its glyph's outline from the
// same font, placed where the PNG places it.
type pdfCanvas struct{ *vgpdf.Canvas }

func (c pdfCanvas) FillString(f font.Face, pt vg.Point, s string) {
	if f.Font.Size == 0 {
		return // as vgpdf: a zero-size font draws nothing
	}
	if isASCII(s) {
		c.Canvas.FillString(f, pt, s)
		return
	}
	// Each run starts where the previous one ends as drawn: fpdf sets text without kerning,
	// as vgpdf's own ASCII strings, so the pen advances by the glyphs' plain advances (placed
	// by the kerned width of the string before it, a σ after "AVAV" overlapped the V).
	x := pt.X
	for _, r := range winAnsiRuns(s) {
		if r.text {
			c.Canvas.FillString(f, vg.Point{X: x, Y: pt.Y}, toWinAnsi(s[r.start:r.end]))
			x += advance(f, s[r.start:r.end])
			continue
		}
		for _, ch := range s[r.start:r.end] {
			c.fillGlyph(f, vg.Point{X: x, Y: pt.Y}, ch)
			x += advance(f, string(ch))
		}
	}
}

// advance is the width of s in f without kerning: the sum of its glyphs' advances, unhinted,
// in font units scaled by Size/UnitsPerEm (the widths fpdf sets a string with).
func advance(f font.Face, s string) vg.Length {
	var buf sfnt.Buffer
	upem := f.Face.UnitsPerEm()
	var units fixed.Int26_6
	for _, r := range s {
		idx, err := f.Face.GlyphIndex(&buf, r)
		if err != nil {
			continue
		}
		if a, err := f.Face.GlyphAdvance(&buf, idx, fixed.Int26_6(upem), 0); err == nil {
			units += a
		}
	}
	return vg.Length(units) * f.Font.Size / vg.Length(upem)
}

// DrawImage draws img in rect with its first row at the top, as vgimg and vgsvg do. vgpdf
// places the image under its page's y-flipped transform without undoing the flip, so on its
// own every heat map (rate maps, autocorrelograms, spectra, occupancy) would print upside
// down; it is given the image's rows in reverse.
func (c pdfCanvas) DrawImage(rect vg.Rectangle, img image.Image) {
	b := img.Bounds()
	flipped := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			flipped.Set(x, b.Dy()-1-y, img.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	c.Canvas.DrawImage(rect, flipped)
}

// textRun is s[start:end] of a string given to FillString: letters Windows-1252 encodes
// (text) or letters it lacks.
type textRun struct {
	start, end int
	text       bool
}

// winAnsiRuns splits s into maximal runs of letters that Windows-1252 encodes and of letters
// it lacks.
func winAnsiRuns(s string) []textRun {
	var runs []textRun
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		_, ok := charmap.Windows1252.EncodeRune(r)
		// Invalid UTF-8 (RuneError of size 1) draws as the font's replacement glyph, as in
		// the PNG.
		ok = ok && r != utf8.RuneError
		if n := len(runs); n > 0 && runs[n-1].text == ok {
			runs[n-1].end = i + size
		} else {
			runs = append(runs, textRun{start: i, end: i + size, text: ok})
		}
		i += size
	}
	return runs
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// toWinAnsi is s, every letter of which Windows-1252 encodes, in that code page.
func toWinAnsi(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		c, _ := charmap.Windows1252.EncodeRune(r)
		b = append(b, c)
	}
	return string(b)
}

// fillGlyph fills the outline of r's glyph in f with its origin (the left end of the
// baseline) at pt, in the current colour and transform (a rotated axis label rotates it).
func (c pdfCanvas) fillGlyph(f font.Face, pt vg.Point, r rune) {
	if p := glyphPath(f, pt, r); len(p) > 0 {
		c.Fill(p)
	}
}

// glyphPath is the outline of r's glyph in f (the font's missing-glyph box where it has
// none, as the PNG draws) with its origin at pt, unhinted, as gonum measures text: font
// units scaled by Size/UnitsPerEm.
func glyphPath(f font.Face, pt vg.Point, r rune) vg.Path {
	var buf sfnt.Buffer
	idx, err := f.Face.GlyphIndex(&buf, r)
	if err != nil {
		return nil
	}
	upem := f.Face.UnitsPerEm()
	// A ppem of UnitsPerEm/64 makes LoadGlyph return coordinates in font units (26.6 values
	// whose raw integers are the units), as gonum's Face.Width does for advances.
	segs, err := f.Face.LoadGlyph(&buf, idx, fixed.Int26_6(upem), nil)
	if err != nil {
		return nil
	}
	scale := f.Font.Size / vg.Length(upem)
	// sfnt's y axis points down, the canvas's up.
	at := func(p fixed.Point26_6) vg.Point {
		return vg.Point{X: pt.X + vg.Length(p.X)*scale, Y: pt.Y - vg.Length(p.Y)*scale}
	}
	var path vg.Path
	for _, s := range segs {
		switch s.Op {
		case sfnt.SegmentOpMoveTo:
			if len(path) > 0 {
				path.Close()
			}
			path.Move(at(s.Args[0]))
		case sfnt.SegmentOpLineTo:
			path.Line(at(s.Args[0]))
		case sfnt.SegmentOpQuadTo:
			path.QuadTo(at(s.Args[0]), at(s.Args[1]))
		case sfnt.SegmentOpCubeTo:
			path.CubeTo(at(s.Args[0]), at(s.Args[1]), at(s.Args[2]))
		}
	}
	if len(path) > 0 {
		path.Close()
	}
	return path
}

// svgCanvas is gonum's SVG canvas with its images declared as what they are.
//
// vgsvg embeds each image as PNG data under the media type image/jpg, which is no media
// type (JPEG's is image/jpeg): browsers sniff the bytes and show it, but librsvg (GNOME,
// ImageMagick, rsvg-convert) and other strict readers drop the image, and a heat map's
// panel shows empty. WriteTo declares image/png, and asks the renderer to draw the image's
// pixels as squares rather than smooth them: a heat map's image holds several pixels a bin
// (heatMapWith), so smoothing would soften only the bins' edges, which stay sharp this way.
type svgCanvas struct{ *vgsvg.Canvas }

// vgsvg's image reference, and what WriteTo makes it.
var (
	svgImageAsJPG = []byte(`xlink:href="data:image/jpg;base64,`)
	svgImageAsPNG = []byte(`style="image-rendering:optimizeSpeed;image-rendering:pixelated" xlink:href="data:image/png;base64,`)
)

func (c svgCanvas) WriteTo(w io.Writer) (int64, error) {
	var b bytes.Buffer
	if _, err := c.Canvas.WriteTo(&b); err != nil {
		return 0, err
	}
	n, err := w.Write(bytes.ReplaceAll(b.Bytes(), svgImageAsJPG, svgImageAsPNG))
	return int64(n), err
}
