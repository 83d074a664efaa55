// Package parallel runs the independent items of a long job (rows of a sweep manifest,
// rate maps to score, spectra to accumulate) on a few goroutines and stops handing out items
// as soon as the job is cancelled or an item fails.
//
// It is for items of milliseconds to seconds, where a goroutine per worker and an atomic
// counter cost nothing and the point is to answer Ctrl-C within one item. The kernels of a
// training step, tens of microseconds each, use internal/workpool instead.
package parallel
