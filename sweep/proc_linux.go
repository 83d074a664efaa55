package sweep

import (
	"os/exec"
	"runtime"
	"syscall"
)

// bindToParent makes the kernel kill cmd's process when the worker dies, even by kill -9:
// the run is then left with its last checkpoint, resumable, and never trained by an orphan
// while a new worker resumes it. Pdeathsig fires when the creating OS thread exits, so the
// caller locks its goroutine to its thread until Wait returns (lockThread).
func bindToParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}

func lockThread()   { runtime.LockOSThread() }
func unlockThread() { runtime.UnlockOSThread() }
