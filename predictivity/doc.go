// Package predictivity measures how well a model's units predict recorded neurons, and
// relates that to the dimensionality of the model's representation: the neural
// predictivity analysis of Nayebi et al. (2021) that Schaeffer, Khona & Fiete (NeurIPS
// 2022, Fig. 6; spec §7.6) revisit, where predictivity tracks the participation ratio of
// the rate maps rather than their grid-likeness.
//
// # Regression
//
// Fit maps model units to neurons with cross-validated ridge regression, as in
// neural-predictivity studies: outer K-fold cross-validation over samples (rate-map bins
// or time points), with the ridge penalty of each neuron chosen by an inner K-fold
// cross-validation on the outer training set over a logarithmic grid. Each fit takes one
// thin SVD of the standardised design, after which every penalty costs only a small
// matrix product (Hastie, Tibshirani & Friedman, ESL §3.4.1, eq. 3.47). Model units can be
// subsampled to a fixed number, repeatedly, so that models with more units do not win by
// having more regressors. Samples where any unit or neuron is NaN (unvisited bins) are
// dropped from every fit.
//
// # Layout
//
// Data are float64 and row-major. The design (model) is samples×units and the response
// (neurons) samples×neurons; Transpose turns the units×bins layout of rate maps and the
// neurons×samples layout of recordings into that form.
//
// # Synthetic recordings
//
// Population generates a seeded stand-in for a medial entorhinal recording (grid cells in
// modules with the biological scale ratio ≈1.4, multi-field place cells, border cells,
// head-direction cells, noise), and RandomFeatures generates random ReLU feature models of
// position with a controlled number of smooth components, grid-like or not, so that the
// analysis can be exercised without private data.
//
// # Errors and panics
//
// Slices whose length disagrees with the stated shape panic with a message starting
// "predictivity:". Invalid settings and data that cannot be fitted (too few usable
// samples) return errors that name the field.
//
// # Determinism
//
// Fold assignment and unit subsampling come from PCG streams of Settings.Seed; the same
// inputs and settings give the same numbers.
package predictivity
