// Package encode computes the target codes that path-integrating networks are trained to output,
// and decodes positions from network outputs (Schaeffer, Khona & Fiete 2022; Sorscher et al. 2019;
// spec §2).
//
// A Code maps 2-d positions (metres, box centred at the origin) to Np outputs: Cartesian and polar
// codes (low- and high-dimensional) and place-cell codes — Gaussian, DoS (difference of softmaxes,
// NFL's "difference_of_gaussians"), true DoG, general DoG and SoD — with multiple fields per cell
// (1 + Poisson(λ), nearest-field rule), multiple scales (σ and s drawn per cell and field) and
// elliptical fields. The surround width convention is explicit: SigmaRatio (NFL, σ_I = s·σ) or
// VarianceRatio (Sorscher, σ_I² = s·σ²).
//
// Build a Code with New from Params (or FromConfig from a run config) and an explicitly seeded
// *rand.Rand; the same seed gives the same centres and projections. The code a training run
// used, with its place-cell centres, is ForRun(cfg): its random stream is the run's, which
// FromConfig with a source of the caller's cannot reproduce (train.LoadModel returns it
// with the trained network).
//
// Layout: row-major float32, positions n×2, codes n×Np. Methods take dst first; a nil dst is
// allocated. Panics: a dst or input whose length does not match (programmer misuse) panics with an
// "encode:" message. Errors: invalid Params (user configuration) return config.BadValue, a
// *config.ConfigError naming the field's configuration key and its allowed values; a random
// projection too close to rank-deficient for its pseudo-inverse decoder returns an error.
//
// Speed: the place codes' fast path (one field, shared σ and s, round fields) runs the float32
// kernels of internal/asm/f32 over the squared distances to the centres. When σ_I²/σ_E² is a
// power of two (σ ratio 2, variance ratio 2 or 4), the centre Gaussian is the surround Gaussian
// squared, so a DoS/DoG cell costs one exp. The dot-product form x·c − |c|²/2 (whose softmax
// equals that of −|x−c|²/2) is not used: it cancels terms of size |x|² in float32, an exponent
// error of ≈ε|x|²/σ², measured 1e-3 relative at σ = 1 cm, while the distance costs one more
// vector op. Large batches are split over goroutines.
package encode
