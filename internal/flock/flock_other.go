//go:build !unix && !windows

package flock

import "os"

// lockFile always succeeds where the system offers no file lock (Plan 9, WebAssembly).
func lockFile(*os.File) (busy bool, err error) { return false, nil }

func unlockFile(*os.File) {}
