package figure

import (
	"bytes"
	"fmt"
	"image/color"
	"image/gif"
	"testing"
	"time"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestEncodeGIF animates three montages of drifting hexagonal maps and checks the GIF that
// comes back: one frame per figure at the largest figure's size, looping, the delays
// asked for, and each frame the figure's own image to within the palette: nine pixels in
// ten within a few levels, and few far off.
func TestEncodeGIF(t *testing.T) {
	const n = 16
	var frames []*Figure
	for k := range 3 {
		units := []UnitMap{{Unit: 0, Score60: 0.1 * float64(k), Map: hexMap(n, 6, 0.5*float64(k))}, {Unit: 1, Score60: 1, Map: hexMap(n, 5, 1)}}
		title := fmt.Sprintf("pattern-forming dynamics, step %d", 10*k*k) // a longer title in later frames
		frames = append(frames, Montage(units, n, &MontageSettings{Title: title, Noun: "map", Tile: 120}))
	}
	width, height := 0, 0
	for _, f := range frames {
		width, height = max(width, f.Width), max(height, f.Height)
	}
	var buf bytes.Buffer
	if err := EncodeGIF(&buf, frames, 80*time.Millisecond, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	g, err := gif.DecodeAll(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Image) != 3 || g.LoopCount != 0 {
		t.Fatalf("%d frames, loop count %d; want 3, 0 (forever)", len(g.Image), g.LoopCount)
	}
	if want := []int{8, 8, 200}; fmt.Sprint(g.Delay) != fmt.Sprint(want) {
		t.Errorf("delays %v (1/100 s), want %v", g.Delay, want)
	}
	for k, img := range g.Image {
		if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
			t.Errorf("frame %d is %v, want %d×%d", k, b, width, height)
		}
		c := vgimg.NewWith(vgimg.UseWH(px(width), px(height)), vgimg.UseDPI(DPI))
		frames[k].drawOn(draw.New(c))
		ref := c.Image()
		near, far, worst := 0, 0, 0
		for y := range height {
			for x := range width {
				a := color.RGBAModel.Convert(ref.At(x, y)).(color.RGBA)
				b := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
				d := max(diff(a.R, b.R), diff(a.G, b.G), diff(a.B, b.B))
				switch {
				case d <= 6:
					near++
				case d > 48:
					far++
				}
				worst = max(worst, d)
			}
		}
		// The pixels between two cells of a heat map, and the colour key's gradient, blend
		// two heat colours, which the palette has only the nearest of.
		if px := float64(width * height); float64(near)/px < 0.9 || float64(far)/px > 0.005 || worst > 96 {
			t.Errorf("frame %d: %.1f %% of the pixels within 6 levels of the figure's, %.2f %% more than 48 off, the worst %d off", k, 100*float64(near)/px, 100*float64(far)/px, worst)
		}
	}
	if err := EncodeGIF(&buf, nil, time.Second, time.Second); err == nil {
		t.Error("no frames: no error")
	}
}

func diff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}
