// Package analysis measures what grew in a trained network: rate maps, spatial
// autocorrelograms, grid scores, grid spacing/orientation/period, Fourier spectra, grid
// modules, decoding error and dimensionality (participation ratio).
//
// Formulas follow the reference codebases as written down in spec §5 (DeepMind scores.py as
// copied into Sorscher et al. and NFL; opexebo/BNT for the expanding-annulus score). Where
// the codebases disagree the choice is a named option (Method, SACMode), never silent.
//
// # Layout
//
// Rate maps are float64, row-major n×n, first index = x-bin, second = y-bin (scipy
// binned_statistic_2d order, spec §5.1), NaN for an empty bin. Several maps are stored back
// to back (unit-major). Autocorrelograms are (2n−1)×(2n−1) with the zero lag at
// (n−1, n−1).
//
// # Errors and panics
//
// Shape misuse by the caller (a slice whose length does not match the stated size) panics
// with a message starting "analysis:". Data that has no score (all bins empty, a constant
// map, ±Inf, rates so small that the reference overflows) gives NaN scores with a Reason;
// invalid settings (an unknown method, maps smaller than 2×2) return errors.
//
// # Concurrency and speed
//
// A Scorer precomputes, per map size and angle, the sparse rotation stencils restricted to
// the pixels inside the largest ring, and is safe for concurrent use; ScoreAll spreads maps
// over GOMAXPROCS goroutines. Results are deterministic.
package analysis
