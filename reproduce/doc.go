// Package reproduce holds one built-in sweep per result of Schaeffer, Khona & Fiete (NeurIPS
// 2022) at three scales, and compares what a finished sweep measured with the paper's
// numbers (spec §6, §7).
//
// # Results
//
// encodings (paper Fig. 2), periods (Fig. 3), dos-details (Fig. 4), hyperparameters
// (Result #4), biological (Fig. 5) and theory (Results #6–#7; nothing is trained). Each
// result's sweep is a W&B-style sweep YAML file embedded in the binary
// (sweeps/RESULT_SCALE.yaml), one YAML document per NFL-style sweep (NFL keeps one file per
// encoding); Result.Expand expands every document and concatenates the runs into one
// manifest. Runs name their paper category in the config key "name".
//
// # Scales
//
// paper uses the paper's sizes and steps (spec §6.1: Ng 1024, 20 × 10,000 steps, every
// factorial value); small is what a few CPU hours (or one GPU hour) trains, built on the
// quick preset; tiny is what CI trains in about a minute on 2 cores (Ng 48, 1500 steps,
// batch 50, one seed, rate maps at 20 bins). Tiny runs are far too short to grow grid
// cells; they exercise every step of the pipeline on real training.
//
// # Comparison
//
// Compare reads a collected sweep (package sweep's results and per-condition table, and
// each finished run's scores.csv) and returns rows that put the paper's numbers (package
// variables Fig2, Fig3Modes, ...; spec §7) beside ours with their counts and 95 % Wilson
// intervals. Theory computes the theory result from the codes alone (package theory).
//
// # Errors
//
// An unknown result or scale is an error that lists the allowed names. The embedded files
// are checked by the package's tests, so an expansion error means a programming error in
// them; it is returned, never a panic.
package reproduce
