package figure

import (
	"errors"
	"image"
	"image/color"
	"image/gif"
	"io"
	"time"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/gridcells/gridcells/internal/safefile"
)

// EncodeGIF writes frames as an animated GIF that loops, each figure drawn at its natural
// size (the largest of the frames', so that a title a digit longer does not resize the
// animation) and shown for delay, the last for hold. GIF frames have 256 colours: those of
// the heat maps (heatPalette), the series (SeriesColor) and greys for text, rules and empty
// bins, so heat maps, curves and paths keep their colours; other colours show as their
// nearest.
func EncodeGIF(w io.Writer, frames []*Figure, delay, hold time.Duration) error {
	if len(frames) == 0 {
		return errors.New("figure: no frames to animate")
	}
	width, height := 0, 0
	for _, f := range frames {
		width, height = max(width, f.Width), max(height, f.Height)
	}
	pal := gifPalette()
	q := quantizer{pal: pal, index: map[color.RGBA]uint8{}}
	anim := &gif.GIF{LoopCount: 0}
	for i, f := range frames {
		c := vgimg.NewWith(vgimg.UseWH(px(width), px(height)), vgimg.UseDPI(DPI))
		f.drawOn(draw.New(c))
		anim.Image = append(anim.Image, q.paletted(c.Image()))
		d := delay
		if i == len(frames)-1 {
			d = hold
		}
		anim.Delay = append(anim.Delay, max(1, int(d/(10*time.Millisecond)))) // hundredths of a second
	}
	return gif.EncodeAll(w, anim)
}

// WriteGIF writes frames as an animated GIF file at path (EncodeGIF), atomically.
func WriteGIF(path string, frames []*Figure, delay, hold time.Duration) error {
	return safefile.Write(path, func(w io.Writer) error { return EncodeGIF(w, frames, delay, hold) })
}

// gifPalette is the heat maps' 128 colours, the series colours and as many greys, from
// black to white, as fill 256.
func gifPalette() color.Palette {
	pal := make(color.Palette, 0, 256)
	pal = append(pal, heatPalette().Colors()...)
	pal = append(pal, seriesColors...)
	greys := 256 - len(pal)
	for g := range greys {
		v := uint8(g * 255 / (greys - 1))
		pal = append(pal, color.RGBA{v, v, v, 255})
	}
	return pal
}

// quantizer maps colours to their nearest in a palette, remembering each answer: a figure
// has few distinct colours, and the palette's linear search for each of a frame's pixels
// took most of the time.
type quantizer struct {
	pal   color.Palette
	index map[color.RGBA]uint8
}

// paletted returns img drawn with q's palette.
func (q quantizer) paletted(img image.Image) *image.Paletted {
	b := img.Bounds()
	out := image.NewPaletted(image.Rect(0, 0, b.Dx(), b.Dy()), q.pal)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			i, ok := q.index[c]
			if !ok {
				i = uint8(q.pal.Index(c))
				q.index[c] = i
			}
			out.Pix[(y-b.Min.Y)*out.Stride+(x-b.Min.X)] = i
		}
	}
	return out
}
