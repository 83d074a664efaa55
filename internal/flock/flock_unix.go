//go:build unix

package flock

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// TryLock takes the lock on path (created when missing) without waiting; ErrBusy when
// another open file description (another process, or another TryLock here) holds it.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, fmt.Errorf("flock: locking %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Unlock releases the lock; the file stays.
func (l *Lock) Unlock() { l.f.Close() }

// Held reports whether another open file description holds the lock on path (false when
// the file does not exist).
func Held(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	l, err := TryLock(path)
	if err != nil {
		return errors.Is(err, ErrBusy)
	}
	l.Unlock()
	return false
}
