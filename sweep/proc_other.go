//go:build !linux

package sweep

import "os/exec"

// bindToParent is a no-op without Pdeathsig: an interrupted worker's child may finish its
// run on its own.
func bindToParent(cmd *exec.Cmd) {}

func lockThread()   {}
func unlockThread() {}
