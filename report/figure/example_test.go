package figure_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"math"

	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/report/figure"
)

// Rate maps of the two best of three units, ranked by grid score, as a montage.
func ExampleMontage() {
	const n = 16
	scores := []float64{0.4, 1.2, math.NaN()}
	maps := make([][]float64, len(scores))
	for u := range maps {
		maps[u] = make([]float64, n*n)
		for i := range maps[u] {
			maps[u][i] = math.Sin(float64(i*(u+1)) / 7)
		}
	}
	var units []figure.UnitMap
	for _, u := range figure.TopUnits(scores, 2) {
		units = append(units, figure.UnitMap{Unit: u, Score60: scores[u], Map: maps[u]})
	}
	f := figure.Montage(units, n, &figure.MontageSettings{Tile: 100})
	b, err := f.PNG() // or f.WriteFile("figures/ratemaps.png")
	if err != nil {
		log.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("units:", units[0].Unit, units[1].Unit)
	fmt.Println("size:", img.Bounds().Dx(), "×", img.Bounds().Dy())
	// Output:
	// units: 1 0
	// size: 200 × 182
}

// The training curves laid out for a 5.5 in text width (NeurIPS), axis labels at 9 pt.
func ExampleFigure_EncodePrint() {
	var pts []figure.MetricPoint
	for i := range 20 {
		s := float64(i + 1)
		pts = append(pts, figure.MetricPoint{Step: 100 * (i + 1), Loss: 5 / s, EvalLoss: 5.2 / s, DecodingErrorCM: 60 / math.Sqrt(s)})
	}
	f, err := figure.TrainingCurves(pts, nil)
	if err != nil {
		log.Fatal(err)
	}
	pr := figure.Print{Width: 5.5 * vg.Inch, FontSize: 9, DPI: 300}
	var b bytes.Buffer
	if err := f.EncodePrint(&b, "png", pr); err != nil { // or "pdf", "svg"
		log.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("natural: %.2f in wide\n", float64(f.Width)/figure.DPI)
	fmt.Printf("printed: %.2f in wide, %d pixels\n", float64(img.Bounds().Dx())/300, img.Bounds().Dx())
	// Output:
	// natural: 9.38 in wide
	// printed: 5.50 in wide, 1650 pixels
}
