package predictivity

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "regenerate testdata/*_golden.png")

// Golden comparison: a pixel is bad when a channel differs by more than goldenChannelTol
// (of 0xffff), and at most goldenBadFraction of the pixels may be bad (anti-aliasing).
const (
	goldenChannelTol  = 0x1000
	goldenBadFraction = 2e-4
)

// TestFigureGolden draws the paper's Fig. 6 points (spec §7.6: Nayebi et al. 2021
// predictivity of the ReLU networks vs NFL's rate-map participation ratio, from NFL
// notebooks/20_nayebi2021_neural_predictivity) and compares with the golden image.
func TestFigureGolden(t *testing.T) {
	pts := []Point{
		{Run: "rnn", Architecture: "RNN", Activation: "relu", PRRateMaps: 3.4, MedianR: 0.68},
		{Run: "srnn", Architecture: "SRNN", Activation: "relu", PRRateMaps: 4.9, MedianR: 0.78},
		{Run: "lstm", Architecture: "LSTM", Activation: "relu", PRRateMaps: 8.8, MedianR: 0.79},
		{Run: "gru", Architecture: "GRU", Activation: "relu", PRRateMaps: 9.4, MedianR: 0.76},
		{Run: "ugrnn", Architecture: "UGRNN", Activation: "relu", PRRateMaps: 16.7, MedianR: 0.81},
		{Run: "nan", Architecture: "UGRNN", Activation: "relu", PRRateMaps: math.NaN(), MedianR: 0.5},
	}
	p, err := Figure(pts)
	if err != nil {
		t.Fatal(err)
	}
	wt, err := p.WriterTo(600, 450, "png")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := wt.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "fig6_golden.png")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	gi, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	wi, err := png.Decode(bytes.NewReader(want))
	if err != nil {
		t.Fatal(err)
	}
	if gi.Bounds() != wi.Bounds() {
		t.Fatalf("size %v, golden %v", gi.Bounds(), wi.Bounds())
	}
	if bad := badPixels(gi, wi); float64(bad) > goldenBadFraction*float64(gi.Bounds().Dx()*gi.Bounds().Dy()) {
		t.Errorf("%d pixels differ from %s (run with -update to regenerate after a deliberate change)", bad, path)
	}
}

func badPixels(a, b image.Image) int {
	far := func(x, y uint32) bool { return x > y+goldenChannelTol || y > x+goldenChannelTol }
	bad := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if far(r1, r2) || far(g1, g2) || far(b1, b2) || far(a1, a2) {
				bad++
			}
		}
	}
	return bad
}
