package figure

import (
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// TestDistinctTicks checks the labels of a loss axis from 6.2380 to 6.2395: DefaultTicks
// labels them all "6.24" (checked, so that the test shows what it mends), distinctTicks with
// the fewest decimals that tell them apart, and on a wide range it keeps DefaultTicks' labels.
func TestDistinctTicks(t *testing.T) {
	if distinctLabels(plot.DefaultTicks{}.Ticks(6.2380, 6.2395)) {
		t.Fatal("DefaultTicks now labels 6.2380…6.2395 distinctly; the test no longer shows the defect")
	}
	ticks := distinctTicks{}.Ticks(6.2380, 6.2395)
	if !distinctLabels(ticks) {
		t.Fatalf("labels not distinct: %+v", ticks)
	}
	for _, tk := range ticks {
		if tk.Label != "" && len(tk.Label) > len("6.2385") {
			t.Errorf("label %q has more decimals than needed", tk.Label)
		}
	}
	wide, def := distinctTicks{}.Ticks(0, 90), plot.DefaultTicks{}.Ticks(0, 90)
	if len(wide) != len(def) {
		t.Fatalf("%d ticks on 0…90, DefaultTicks gives %d", len(wide), len(def))
	}
	for i := range wide {
		if wide[i] != def[i] {
			t.Errorf("tick %d on 0…90: %+v, DefaultTicks gives %+v", i, wide[i], def[i])
		}
	}
}

// TestLegendAway places the legend for three kinds of curve: falling from the top left
// (top), staying high (bottom), staying high over a low threshold line (top, with the y axis
// extended by 30 % so that the legend sits above the curve).
func TestLegendAway(t *testing.T) {
	line := func(ys ...float64) plotter.XYs {
		xy := make(plotter.XYs, len(ys))
		for i, y := range ys {
			xy[i] = plotter.XY{X: float64(100 * (i + 1)), Y: y}
		}
		return xy
	}
	for _, c := range []struct {
		name    string
		series  []plotter.XYs
		top     bool
		extends bool
	}{
		{"falling", []plotter.XYs{line(90, 60, 40, 25, 15, 10, 8, 7, 6, 5)}, true, false},
		{"high", []plotter.XYs{line(10, 85, 88, 84, 90, 86, 89, 87, 88, 86)}, false, false},
		{"high over a threshold", []plotter.XYs{line(10, 85, 88, 84, 90, 86, 89, 87, 88, 86), {{X: 100, Y: 0}, {X: 1000, Y: 0}}}, true, true},
	} {
		p := plot.New()
		for _, xy := range c.series {
			l, err := plotter.NewLine(xy)
			if err != nil {
				t.Fatal(err)
			}
			p.Add(l)
		}
		yMax := p.Y.Max
		legendAway(p, c.series...)
		if p.Legend.Top != c.top || (p.Y.Max > yMax) != c.extends {
			t.Errorf("%s: legend at the top %v, y axis %v → %v; want top %v, extended %v", c.name, p.Legend.Top, yMax, p.Y.Max, c.top, c.extends)
		}
	}
}
