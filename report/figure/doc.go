// Package figure draws the figures of gridcells' reports with gonum/plot, as PNG, SVG and PDF:
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
// # Figures for a printed page
//
// A figure's natural size is a screen's, 7.5 to 9.5 in wide for a report's with 12 pt axis
// labels; scaled into a paper's column its text would print at 5 to 8 pt. Figure.EncodePrint
// (and Figure.Encoder, PlotEncoder for single gonum plots) lays it out again for a Print:
// Print.Width wide (narrower only where that would print taller than PrintPageHeight), its
// axis labels at Print.FontSize whatever the width, the PNG at Print.DPI. The layout canvas
// is Width × 12 pt/FontSize, on which text and rules take the room they take at the natural
// size and each row of panels keeps its shape, scaled to the page. Titles wider than the page
// or than their panel are broken into lines; legends that would cover data in a small panel
// (bar charts, survival functions, training curves) are drawn above the axes, in rows.
//
// # Vector formats
//
// SVG and PDF come from gonum/plot's vgsvg and vgpdf, with three of their faults mended here
// and tested by rendering each file with readers that share no code with gonum (poppler's
// pdftoppm, librsvg's rsvg-convert) against the PNG: vgpdf drew images upside down and wrote
// text beyond ASCII as UTF-8 bytes into a Windows-1252 font ("σ ×2" printed "Ïƒ Ã—2"); the
// PDF now shows the letters that code page has as text and draws the others (σ, ≥) as
// their glyphs' outlines. vgsvg declared its PNG images image/jpg, which strict readers
// drop. Both SVG and PDF have a white page behind the figure, as the PNG.
//
// # Panics and errors
//
// Programmer misuse (a map whose length is not n·n, a group with the wrong number of
// fractions, an empty box) panics with a value of type Error whose text starts "figure:".
// Errors returned come from gonum/plot or from writing the file.
package figure
