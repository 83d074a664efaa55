// Package flock holds exclusive advisory locks on files, so that two processes do not train
// or evaluate one run directory at once (package train) and two sweep workers do not take
// one run (package sweep).
//
// A lock is flock(2) on an open file: the kernel drops it when its holder exits in any way,
// kill -9 included, so a killed process never leaves a stale lock. Where flock(2) is missing
// (non-unix systems) locks always succeed: run one process per directory there.
package flock
