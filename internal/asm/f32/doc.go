// Package f32 holds float32 kernels for the hot loops of gridcells, each with an AVX2/FMA
// assembly path on amd64 and a pure-Go fallback (build tag purego or noasm, or any other GOARCH).
//
// The expf kernels serve the place-cell target codes (spec §2.2): a softmax over Np cells of
// −|x−c_i|²/(2σ²) is a row of exponentials of squared distances, so generating a batch of
// targets is dominated by float32 exp. Exp is a Cephes-style expf:
// range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two for Cody–Waite accuracy),
// a degree-6 minimax polynomial for e^r, and 2^n built in the exponent bits.
//
// Accuracy (tested against math.Exp): relative error ≤ MaxRelErr for x in [ExpUnderflow, ExpSaturate].
// Below ExpUnderflow (where e^x < 2^-125) the kernels return 0; above ExpSaturate
// they return e^ExpSaturate ≈ 2.4e38 instead of overflowing. The softmax callers only pass
// arguments ≤ 0.
//
// NaN rules, the same on both paths (tested): an exponential of NaN is NaN, and so is every sum
// it enters; the minimum reductions (Min, Dist2Min, DiffMinSum, Dist2ExpPowSum's d²) skip NaNs,
// as a comparison-based minimum does, and return +Inf when every element is NaN.
//
// The difference-of-softmaxes rows (dos.go, Dist2ExpPowSum) use a leaner base-2 exponential of
// the same accuracy (Exp2MaxRelErr).
//
// Slice kernels follow the dst-first convention; a length mismatch panics with an "f32:" message.
package f32
