package train

import (
	"math"
	"testing"
)

// TestDiverged checks the divergence rule on the metrics of a run that blew up late (the
// high-dim Cartesian network of the small encodings reproduction: 2.5 cm, then 86 cm), a
// healthy one, one whose last evaluation is NaN, one never evaluated and ones whose loss went
// to NaN or infinity.
func TestDiverged(t *testing.T) {
	line := func(step int, cm float64) MetricsLine {
		return MetricsLine{Step: step, Loss: 6.2, DecodingErrorCM: Number(cm)}
	}
	nanLoss := func(step int, cm float64) MetricsLine {
		return MetricsLine{Step: step, Loss: Number(math.NaN()), DecodingErrorCM: Number(cm)}
	}
	for _, tc := range []struct {
		name     string
		lines    []MetricsLine
		best     int
		diverged bool
	}{
		{"blew up", []MetricsLine{line(500, 6.1), line(2500, 2.5), line(11000, 3.0), line(12000, 83.9)}, 2500, true},
		{"healthy", []MetricsLine{line(500, 40), line(1000, 9), line(1500, 8.5), line(2000, 8.7)}, 1500, false},
		{"worse but decodes", []MetricsLine{line(500, 2), line(1000, 7)}, 500, false},
		{"NaN at the end", []MetricsLine{line(500, 5), line(1000, math.NaN())}, 500, true},
		{"never evaluated", nil, -1, false},
		// A loss that went to NaN at once: every evaluation NaN, so no best, but diverged.
		{"NaN from the start", []MetricsLine{nanLoss(100, math.NaN()), nanLoss(200, math.NaN())}, -1, true},
		// The loss overflowed while the last decoding still looked finite.
		{"NaN loss", []MetricsLine{line(100, 20), nanLoss(200, 97)}, 100, true},
		{"infinite loss", []MetricsLine{line(100, 20), {Step: 200, Loss: Number(math.Inf(1)), DecodingErrorCM: 25}}, 100, true},
		// An unstable learning rate: cross-entropy 3.4e12 at the first evaluation, 3e5 at the
		// last, against 4.9 for a healthy run; decoding as bad as a network that never learned.
		{"loss blew up", []MetricsLine{{Step: 50, Loss: 4.9, DecodingErrorCM: 98}, {Step: 100, Loss: 3.4e12, DecodingErrorCM: 99}, {Step: 300, Loss: 3e5, DecodingErrorCM: 97}}, 300, true},
		{"loss 50 times its lowest", []MetricsLine{{Step: 50, Loss: 0.001, DecodingErrorCM: 5}, {Step: 100, Loss: 0.05, DecodingErrorCM: 6}}, 50, false},
		// An MSE run 200 times its lowest but far below where it started, decoding well.
		{"MSE near 0", []MetricsLine{{Step: 50, Loss: 0.04, DecodingErrorCM: 20}, {Step: 100, Loss: 1e-4, DecodingErrorCM: 2}, {Step: 150, Loss: 2e-6, DecodingErrorCM: 0.3}, {Step: 200, Loss: 4e-4, DecodingErrorCM: 1.5}}, 150, false},
		// A NaN loss on the way does not hide a later blow-up.
		{"NaN then blow-up", []MetricsLine{{Step: 50, Loss: 4.8, DecodingErrorCM: 90}, {Step: 100, Loss: Number(math.NaN()), DecodingErrorCM: 90}, {Step: 150, Loss: 4, DecodingErrorCM: 80}, {Step: 200, Loss: 4000, DecodingErrorCM: 85}}, 150, true},
	} {
		best, _, div := diverged(tc.lines, 10, math.Inf(1), 6.2, 5)
		if best != tc.best || div != tc.diverged {
			t.Errorf("%s: best step %d, diverged %v; want %d, %v", tc.name, best, div, tc.best, tc.diverged)
		}
	}
	// The final evaluation (a different batch from the last line's) overflowed.
	lines := []MetricsLine{line(100, 20), line(200, 15)}
	for _, final := range [][2]float64{{math.NaN(), 15}, {6.2, math.NaN()}, {math.Inf(1), 15}} {
		if _, _, div := diverged(lines, 10, math.Inf(1), final[0], final[1]); !div {
			t.Errorf("final loss %v, decoding %v cm: not diverged", final[0], final[1])
		}
	}
	if _, _, div := diverged(nil, 10, math.Inf(1), math.NaN(), 50); !div {
		t.Error("no metrics, NaN final loss: not diverged")
	}
	// Blown up before the first logged step (cross-entropy 3.4e12 there, 2.5e7 at the end):
	// no healthy loss to compare with, but far above ln Np·10, the ceiling of Np 512.
	ceiling := 10 * math.Log(512)
	early := []MetricsLine{{Step: 50, Loss: 3.4e12, DecodingErrorCM: 98}, {Step: 300, Loss: 3.5e5, DecodingErrorCM: 97}}
	if _, _, div := diverged(early, 10, ceiling, 2.5e7, 97); !div {
		t.Error("cross-entropy blown up from the start: not diverged")
	}
	if _, _, div := diverged(early[:1], 10, ceiling, 6.1, 90); !div {
		t.Error("one metrics line above the ceiling: not diverged")
	}
	healthy := []MetricsLine{{Step: 50, Loss: 6.2, DecodingErrorCM: 98}, {Step: 300, Loss: 4.9, DecodingErrorCM: 12}}
	if _, _, div := diverged(healthy, 10, ceiling, 4.85, 11); div {
		t.Error("a healthy cross-entropy run: diverged")
	}
}
