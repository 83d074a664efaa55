// Package analysis measures what grew in a trained network: rate maps, spatial
// autocorrelograms, grid scores, grid spacing/orientation/period, Fourier spectra, grid
// modules, decoding error and dimensionality (participation ratio).
//
// Formulas follow the reference codebases as written down in spec §5 (DeepMind scores.py as
// copied into Sorscher et al. and NFL; opexebo/BNT for the expanding-annulus score). Where
// the codebases disagree the choice is a named option (Method, SACMode), never silent.
//
// # Entry points
//
//   - RateMapAccumulator, Smooth, GaussianFilter: rate maps from streamed positions and
//     activations, smoothed NaN-aware (opexebo) or as scipy's gaussian_filter (NFL).
//   - Autocorrelogram (SACReference or SACNaNAware), SACDirect, RotateSAC.
//   - NewScorer, Scorer.Score, Scorer.ScoreAll: grid scores (MethodNFL, MethodDeepMind, MethodBNT).
//   - MeasurePeriodicity, PowerSpectrum, DominantWavenumber: period, orientation, spectra.
//   - ModulesKDE, ModulesCluster: grid modules and their scale ratios over a population.
//   - ParticipationRatio, RateMapParticipationRatio, DecodingDistance (metres).
//
// # Accuracy
//
// The fixed-ring scores agree with the DeepMind reference scorer (scipy 1.10) to about 1e-8
// on the project's golden maps and on maps of 3 to 44 bins (testdata), including NaN bins and
// the maps on which the reference overflows (NaN with a Reason here). S12 of the
// autocorrelogram comes from an FFT, the other four sums from exact corner-anchored running
// sums; a lag whose overlap holds rates too small for the FFT's absolute rounding error is
// summed directly, as the reference does, so tails of place fields come out right.
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
// with a message starting "analysis:". Data that has no score (±Inf, rates so small that the
// reference overflows; with MethodBNT or SACNaNAware all bins empty or a constant map) gives
// NaN scores with a Reason. With the fixed rings and SACReference a map that is flat once
// its NaN bins are 0 (a silent unit) scores 0, as the reference scores it, with a Reason.
// Invalid settings (an unknown method, maps smaller than 2×2) return errors.
//
// # Concurrency and speed
//
// A Scorer precomputes, per map size and angle, the sparse rotation stencils restricted to
// the pixels inside the largest ring, and is safe for concurrent use; ScoreAll spreads maps
// over GOMAXPROCS goroutines. Results are deterministic.
package analysis
