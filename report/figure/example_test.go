package figure_test

import (
	"bytes"
	"fmt"
	"image/png"
	"log"
	"math"

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
