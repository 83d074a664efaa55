package figure

import (
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// TidyTicks is plot.DefaultTicks with every label written with the same, fewest decimals
// that state its tick's value exactly: DefaultTicks chooses the decimals from the step's
// magnitude, which on a narrow range far from zero (a loss from 6.2375 to 6.2425) labels
// ticks 6.2375, 6.2400, 6.2425 as "6.237", "6.240", "6.242" (or every one "6.24"), and
// elsewhere writes "500.00" for 500 or mixes "5e-05" with "0.0001". Values that need more
// than 6 decimals or reach 10⁶ keep DefaultTicks' labels, in exponent form. Figure applies
// it to every axis left on DefaultTicks; other plots can set it as an axis's Tick.Marker.
type TidyTicks struct{}

// Ticks implements plot.Ticker.
func (TidyTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	var vals []float64
	for _, t := range ticks {
		if t.Label != "" {
			vals = append(vals, t.Value)
		}
	}
	if len(vals) == 0 {
		return ticks
	}
	step := math.Inf(1)
	for i := 1; i < len(vals); i++ {
		step = math.Min(step, math.Abs(vals[i]-vals[i-1]))
	}
	if math.IsInf(step, 1) || step == 0 {
		step = math.Max(math.Abs(vals[0]), 1)
	}
	prec := labelPrecision(vals, step)
	if prec > 6 || math.Max(math.Abs(vals[0]), math.Abs(vals[len(vals)-1])) >= 1e6 {
		return ticks // DefaultTicks' exponent form reads better than 10 digits
	}
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', prec, 64)
			if ticks[i].Label == "-0" || strings.Trim(ticks[i].Label, "-0.") == "" {
				ticks[i].Label = strings.TrimPrefix(ticks[i].Label, "-") // no "-0.00" at zero
			}
		}
	}
	return ticks
}

// labelPrecision returns the fewest decimals (up to 15) with which every value of vals,
// written and read back, is within a millionth of step of itself.
func labelPrecision(vals []float64, step float64) int {
	for prec := 0; prec < 15; prec++ {
		exact := true
		for _, v := range vals {
			back, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', prec, 64), 64)
			if err != nil || math.Abs(back-v) > 1e-6*step {
				exact = false
				break
			}
		}
		if exact {
			return prec
		}
	}
	return 15
}

// tidyAxes gives the axes of p that use plot.DefaultTicks TidyTicks instead.
func tidyAxes(p *plot.Plot) {
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		if _, ok := ax.Tick.Marker.(plot.DefaultTicks); ok {
			ax.Tick.Marker = TidyTicks{}
		}
	}
}

// scoreTicks marks a grid-score axis at round multiples of a step that always include 0 when
// it is in range (0.25 on a span up to 1.5, 0.5 up to 4, then 1, 2, 5, 10, … so that there
// are at most about ten), with a minor tick between: the default ticks of a padded range
// (−0.25, 0.50, 1.25) skipped 0, where the scores of a population of non-grid units pile
// up. A span too narrow for two of its ticks gets TidyTicks.
type scoreTicks struct{}

// Ticks implements plot.Ticker.
func (scoreTicks) Ticks(min, max float64) []plot.Tick {
	span := max - min
	if !(span > 0) || math.IsInf(span, 0) {
		return TidyTicks{}.Ticks(min, max)
	}
	step := 0.25
	for _, s := range []float64{0.5, 1} {
		if span/step <= 6 {
			break
		}
		step = s
	}
nice:
	for e := 1.0; span/step > 10; e *= 10 { // 1, 2, 5, 10, 20, 50, …
		for _, m := range []float64{1, 2, 5} {
			if step = m * e; span/step <= 10 {
				break nice
			}
		}
	}
	lo, hi := math.Ceil(min/step*2-1e-9), math.Floor(max/step*2+1e-9)
	if hi-lo < 2 {
		return TidyTicks{}.Ticks(min, max)
	}
	var ticks []plot.Tick
	for i := lo; i <= hi; i++ {
		v := i * step / 2
		t := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			t.Label = strconv.FormatFloat(v, 'f', -1, 64)
			if v == 0 {
				t.Label = "0"
			}
		}
		ticks = append(ticks, t)
	}
	return ticks
}
