//go:build !unix

package flock

// Lock is a no-op where flock(2) is missing.
type Lock struct{}

// TryLock always succeeds here.
func TryLock(path string) (*Lock, error) { return &Lock{}, nil }

// Unlock does nothing here.
func (l *Lock) Unlock() {}

// Held is always false here.
func Held(path string) bool { return false }
