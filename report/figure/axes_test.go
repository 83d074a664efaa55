package figure

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// TestTidyTicks: on every range, the labels state their ticks' values exactly, with one
// number of decimals, the fewest that do, and never in exponent form: a loss axis from
// 6.2370 to 6.2430 (DefaultTicks writes 6.2375 as "6.237", or every tick "6.24"), steps from
// 500 to 1000 (no "500.00"), a spectrum of 1e-4 (no "5e-05" beside "0.0001"), a range
// through zero (no "-0").
func TestTidyTicks(t *testing.T) {
	// Extreme magnitudes (a diverged loss) keep DefaultTicks' labels.
	for _, r := range [][2]float64{{0, 1e20}, {1e-300, 1e-299}, {-1e-9, 1e-9}} {
		tidy, def := TidyTicks{}.Ticks(r[0], r[1]), plot.DefaultTicks{}.Ticks(r[0], r[1])
		for i := range tidy {
			if tidy[i] != def[i] {
				t.Errorf("%v: tick %+v; DefaultTicks gives %+v", r, tidy[i], def[i])
			}
		}
	}
	for _, r := range [][2]float64{{6.2370, 6.2430}, {6.2380, 6.2395}, {500, 1000}, {0, 90}, {0, 1.6e-4}, {-2.5, 2.5}, {-25, 25}} {
		ticks := TidyTicks{}.Ticks(r[0], r[1])
		decimals := -1
		seen := map[string]bool{}
		var labelled []float64
		for _, tk := range ticks {
			if tk.Label == "" {
				continue
			}
			labelled = append(labelled, tk.Value)
			if strings.ContainsAny(tk.Label, "eE") || tk.Label == "-0" || strings.HasPrefix(tk.Label, "-0.") && strings.Trim(tk.Label, "-0.") == "" {
				t.Errorf("%v: label %q", r, tk.Label)
			}
			if seen[tk.Label] {
				t.Errorf("%v: label %q twice", r, tk.Label)
			}
			seen[tk.Label] = true
			d := 0
			if i := strings.IndexByte(tk.Label, '.'); i >= 0 {
				d = len(tk.Label) - i - 1
			}
			if decimals >= 0 && d != decimals {
				t.Errorf("%v: label %q has %d decimals, another %d", r, tk.Label, d, decimals)
			}
			decimals = d
			back, err := strconv.ParseFloat(tk.Label, 64)
			if err != nil || math.Abs(back-tk.Value) > 1e-9*math.Max(1, math.Abs(r[1]-r[0])) {
				t.Errorf("%v: label %q for tick %v", r, tk.Label, tk.Value)
			}
		}
		if len(labelled) > 1 && decimals > 0 {
			// One decimal fewer would misstate a tick.
			exact := true
			for _, v := range labelled {
				back, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'f', decimals-1, 64), 64)
				if back != v && math.Abs(back-v) > 1e-9*math.Abs(r[1]-r[0]) {
					exact = false
				}
			}
			if exact {
				t.Errorf("%v: %d decimals where %d state every tick", r, decimals, decimals-1)
			}
		}
	}
}

// TestEqualAxes: a panel of a 2 × 1 m box in a square tile gets a data area twice as wide as
// high, whatever room its axis labels take.
func TestEqualAxes(t *testing.T) {
	for _, r := range [][2]float64{{2, 1}, {1, 1}, {1, 3}} {
		p := plot.New()
		p.X.Label.Text, p.Y.Label.Text = "x (m)", "y (m)"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, r[0], 0, r[1]
		img := vgimg.New(4*vg.Inch, 4*vg.Inch)
		d := p.DataCanvas(equalAxes(p, draw.New(img)))
		w, h := float64(d.Max.X-d.Min.X), float64(d.Max.Y-d.Min.Y)
		if got := h / w; math.Abs(got-r[1]/r[0]) > 1e-9 {
			t.Errorf("box %g × %g: data area %.1f × %.1f pt, aspect %.4f; want %.4f", r[0], r[1], w, h, got, r[1]/r[0])
		}
	}
}
