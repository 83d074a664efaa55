// Package jsonnum provides a float64 that survives JSON when it is not finite: a diverged
// run's loss or a run without scorable units is NaN, which encoding/json refuses to write.
// The run directory's summary.json and metrics.jsonl (package train) and the sweep tables
// that read them (package sweep) share it.
package jsonnum
