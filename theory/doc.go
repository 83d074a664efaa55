// Package theory predicts, from a target code alone, whether path-integrating networks
// trained on it should grow grid cells and at what scale (spec §8; Sorscher et al. 2019;
// Schaeffer, Khona & Fiete 2022, Results #6–#7).
//
// # Closed forms
//
// Tuning describes a single-field place-cell tuning shape (Gaussian, DoS in either
// surround convention, true DoG, general DoG, SoD; spec §2.2). Its Transform is the radial
// Fourier profile p̂(k) of spec §8.2 and PeakWavenumber the wavenumber k* at which |p̂|
// peaks (0 when the peak is at the origin, i.e. no finite-wavelength instability).
// HexSpacing converts k* into the nearest-neighbour spacing 4π/(√3 k*) of the hexagonal
// lattice built from three plane waves on the ring |k| = k* (spec §8.4).
//
// # Numerical spectrum
//
// ComputeSpectrum evaluates any target code (anything with Np and Encode, which
// encode.Code satisfies) on a res × res grid of bin centres over the box, forms the
// translation-averaged place-cell covariance Σ(Δ) = ⟨Σ_i p_i(x) p_i(x+Δ)⟩_x (spec §8.1, the
// quantity SOR's compute_covariance estimates), and returns its 2-D Fourier transform, the
// radial profile Σ̃(|k|) and the peak wavenumber. The covariance is an autocorrelation of
// each cell's map summed over cells, so it is computed with FFTs in O(Np·res²·log res)
// rather than from the res² × res² matrix C = P Pᵀ.
//
// # Pattern formation
//
// Simulate runs SOR's pattern-forming dynamics (spec §8.3) on the covariance: the
// single-map recipe G ← φ(G + η(−G + Σ⋆G)) and the multi-map recipe with the Sanger/Oja
// orthogonalisation term, with a ReLU (symmetry breaking: hexagons) or tanh (symmetry
// preserving: stripes) nonlinearity. FourierLattice reads the dominant wave vectors of a
// map, a grid-score-free check of hexagonality.
//
// # Trained runs
//
// CompareRun reads a run directory's config.json and scores.csv and compares the
// predicted spacing with the measured period of its grid-like units.
//
// # Errors and panics
//
// Invalid parameters (user configuration) are returned as errors that name the field and
// the allowed values: by TuningOf, Tuning.Validate and the functions that take settings.
// Programmer misuse panics with a message prefixed "theory: ": a destination slice of the
// wrong length, or a Tuning method (Transform, PeakWavenumber) called on a Tuning that fails
// Validate. Every random draw comes from the *rand.Rand
// passed in; results do not depend on GOMAXPROCS.
package theory
