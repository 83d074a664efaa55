package reproduce

import "math"

// The paper's numbers (spec §7). Fractions of paper Fig. 2a are read off NFL's committed
// figure (figures/fig2_sweeps/03_results_by_sweep.png, ±0.02, spec §7.1); N is the number
// of finished and evaluated networks per category (factorial and random sweeps pooled).

// Category is one bar group of paper Fig. 2a.
type Category struct {
	Name   string  // the category as runs name it (config key "name")
	N      int     // networks in the paper's figure
	Decode float64 // fraction with decoding error < 10 cm
	Grid   float64 // fraction with max score60 > 0.8, given error < 10 cm
	// BestUnits is the range of score60 of the units the paper shows (Fig. 2c), "" when
	// none are shown.
	BestUnits string
}

// Fig2 holds paper Fig. 2a per category (spec §7.1) and the scores of the example units
// of Fig. 2c.
var Fig2 = []Category{
	{Name: "Cartesian", N: 1641, Decode: 0.59, Grid: 0.00, BestUnits: "0.26–0.33 (ramps and bands)"},
	{Name: "high-dim Cartesian", N: 193, Decode: 0.87, Grid: 0.00},
	{Name: "polar", N: 214, Decode: 0.89, Grid: 0.02, BestUnits: "place-like units"},
	{Name: "Gaussian", N: 692, Decode: 0.97, Grid: 0.10, BestUnits: "1.16–1.41 (square/plaid lattices)"},
	{Name: "DoG", N: 1103, Decode: 0.17, Grid: 0.16},
	{Name: "DoS", N: 1689, Decode: 0.92, Grid: 0.91, BestUnits: "1.15–1.34 (hexagonal)"},
	{Name: "SoD", N: 49, Decode: 1.00, Grid: 0.06},
}

// DecodedN is the number of the category's networks that decode (error < 10 cm): the
// denominator of its grid fraction. The figure gives fractions only, so this is Decode·N
// rounded, uncertain by the ±0.02 of reading Decode off the figure.
func (c Category) DecodedN() int { return int(math.Round(c.Decode * float64(c.N))) }

// category returns the Fig. 2 category named name.
func category(name string) (Category, bool) {
	for _, c := range Fig2 {
		if c.Name == name {
			return c, true
		}
	}
	return Category{}, false
}

// PeriodMode is the KDE mode of the grid period at one place-cell width (paper Fig. 3b).
type PeriodMode struct {
	Sigma float64 // place-cell width σ, m
	Bins  float64 // KDE mode of the periods of DoS units with score60 > 0.8, 5-cm bins (spec §5.6: bins, not cm)
}

// Fig3Modes are the modes of paper Fig. 3b that spec §7.3 reads off the figure.
var Fig3Modes = []PeriodMode{{0.08, 14.5}, {0.12, 21}, {0.20, 30.5}}

// Fig3Ratios is the range of the ratios of consecutive modes (σ ascending, 12 ratios) in
// paper Fig. 3c: no module structure with the biological ≈1.4 ratio (spec §7.3).
var Fig3Ratios = [2]float64{0.99, 1.15}

// PaperBinCM is the rate-map bin of the paper's periods: 44 bins over 2.2 m (spec §0.1
// item 5, §5.6).
const PaperBinCM = 5.0

// Spacing is one row of spec §8.4's table: the grid spacing that the DoS spectrum's k*
// predicts (NFL convention σ_I = s·σ).
type Spacing struct {
	Sigma, S float64 // place-cell width, m; surround factor
	KStar    float64 // rad/m
	Bins     float64 // predicted spacing 4π/(√3 k*), 5-cm bins
}

// Sec84 is spec §8.4's table (derived there from the closed form k*² = 4 ln s/(σ²(s²−1))).
var Sec84 = []Spacing{
	{0.08, 2, 12.02, 12.1}, {0.12, 1.5, 9.49, 15.3}, {0.12, 2, 8.01, 18.1}, {0.12, 3, 6.18, 23.5}, {0.20, 2, 4.81, 30.2},
}

// Paper Fig. 4 (spec §7.4): percentages of units per DoS network above the thresholds,
// over the widths of the DoS sweep, as text ranges; and the ideal DoS sweep's fraction of
// runs with possible grid cells.
var (
	Fig4UnitsAbove = []struct {
		Threshold float64
		Text      string
	}{{0.3, "10–20 %"}, {0.8, "≲ 5 %"}, {1.15, "0–1 %"}}
	// Fig4IdealGrid is the fraction of the ideal DoS networks (σ 0.12, s 2, ReLU) with
	// possible grid cells (NFL notebooks/05_dog_ideal pie chart, N 8; spec §7.4).
	Fig4IdealGrid  = 1.0
	Fig4IdealN     = 8
	Fig4DoGBelow05 = "almost all DoG unit scores < 0.5; DoS has a tail beyond 1"
)

// Paper Fig. 5 (spec §7.5): single-field single-scale DoS vs multiple fields and scales,
// N 6 each.
var (
	Fig5N = 6
	// Fig5Decode is the fraction of runs with decoding error < 10 cm (both conditions).
	Fig5Decode = 1.0
	// Fig5Survival05 is the survival of the per-unit score at 0.5.
	Fig5Survival05 = map[string]float64{"DoS": 0.1, "multi-field, multi-scale": 0}
	// Fig5Best is the range of the best units' scores.
	Fig5Best = map[string]string{"DoS": "1.15–1.34 (hexagonal)", "multi-field, multi-scale": "0.66–1.22 (not hexagonal)"}
)
