// Package figure draws the figures of gridcells' reports as PNG images with gonum/plot:
// rate-map montages, spatial autocorrelograms with the ring of their grid score, survival
// functions of per-unit grid scores (paper Fig. 2b), bar charts of per-condition fractions
// with 95 % intervals (Fig. 2a), training curves, grid period against place-cell width with
// theory's prediction (Fig. 3), covariance spectra of encodings side by side (Fig. 4) and
// trajectories with their occupancy.
//
// Every figure function takes plain data (slices and small structs, never file names) and
// returns a *Figure of a fixed pixel size at 96 dpi; Figure.WriteFile writes it atomically
// (temporary file and rename), Figure.PNG returns the bytes for embedding. Data that
// cannot be drawn (NaN scores, empty bins) is shown as such: empty rate-map bins grey,
// undefined scores "n/a" and left out of distributions with a count in the legend.
//
// # Panics and errors
//
// Programmer misuse (a map whose length is not n·n, a group with the wrong number of
// fractions, an empty box) panics with a value of type Error whose text starts "figure:".
// Errors returned come from gonum/plot or from writing the file.
package figure
