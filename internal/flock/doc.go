// Package flock holds exclusive locks on files, so that two processes do not train
// or evaluate one run directory at once (package train) and two sweep workers do not take
// one run (package sweep).
//
// A lock is flock(2) on an open file, or LockFileEx on Windows: the system drops it when its
// holder exits in any way, kill -9 included, so a killed process never leaves a stale lock.
// Where neither exists (Plan 9, WebAssembly) locks always succeed: run one process per
// directory there.
package flock
