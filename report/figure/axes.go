package figure

import (
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
)

// distinctTicks is plot.DefaultTicks with labels that differ: DefaultTicks chooses the
// decimals from the tick step's magnitude, and on a narrow range far from zero (a loss
// falling from 6.2395 to 6.2380) it labels every tick "6.24". distinctTicks then gives the
// labelled ticks the fewest decimals (up to 10) that tell them apart.
type distinctTicks struct{}

func (distinctTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for prec := 0; prec <= 10 && !distinctLabels(ticks); prec++ {
		for i, t := range ticks {
			if t.Label != "" {
				ticks[i].Label = strconv.FormatFloat(t.Value, 'f', prec, 64)
			}
		}
	}
	return ticks
}

// distinctLabels reports whether no two labelled ticks share a label.
func distinctLabels(ticks []plot.Tick) bool {
	seen := map[string]bool{}
	for _, t := range ticks {
		if t.Label == "" {
			continue
		}
		if seen[t.Label] {
			return false
		}
		seen[t.Label] = true
	}
	return true
}

// legendAway places p's legend (on the right) where the series leave room for it: at the top
// when the right of the plot is clear there (a training curve falls from the top left), else
// at the bottom when that is clear (an untrained run's decoding error stays near the top),
// else at the top of a y axis extended by 30 % so that the legend sits above the data. The
// series are counted over the right 45 % of the x range, in the top and bottom 40 % of the
// y range, which is p's axes once the series are added.
func legendAway(p *plot.Plot, series ...plotter.XYs) {
	p.Legend.Top = true
	xr, yr := p.X.Max-p.X.Min, p.Y.Max-p.Y.Min
	if xr <= 0 || yr <= 0 {
		return
	}
	top, bottom := 0, 0
	for _, xy := range series {
		for _, v := range xy {
			if (v.X-p.X.Min)/xr < 0.55 {
				continue
			}
			switch y := (v.Y - p.Y.Min) / yr; {
			case y > 0.6:
				top++
			case y < 0.4:
				bottom++
			}
		}
	}
	switch {
	case top == 0:
	case bottom == 0:
		p.Legend.Top = false
	default:
		p.Y.Max += 0.3 * yr
	}
}
