//go:build windows

package flock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile takes LockFileEx's exclusive lock on the first byte of f without waiting; busy
// when another handle, in this process or another, holds it. Like flock(2) the lock belongs
// to the open file, and Windows drops it when the holder exits, however it ends. The lock
// files are never read or written, so the mandatory byte-range semantics change nothing.
func lockFile(f *os.File) (busy bool, err error) {
	var ol windows.Overlapped
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return true, nil
	}
	return false, err
}

// unlockFile releases f's lock at once: Windows releases the locks of a closed handle only
// when it gets to it, and a TryLock right after an Unlock must find the lock free.
func unlockFile(f *os.File) {
	var ol windows.Overlapped
	windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
