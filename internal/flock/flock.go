package flock

import (
	"fmt"
	"os"
	"time"
)

// Lock is a held lock; Unlock releases it.
type Lock struct{ f *os.File }

// TryLock takes the lock on path (created when missing) without waiting for a holder;
// ErrBusy when another open file (another process, or another TryLock here) holds it. A
// lock found taken is tried again a few times over about 10 ms: Held takes the lock for a
// moment to look, and a TryLock landing in that moment was refused (15,000 of 180,000
// attempts beside a loop of Held), so a status check could make a worker skip a run.
func TryLock(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("flock: %w", err)
	}
	for try := 0; ; try++ {
		busy, err := lockFile(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("flock: locking %s: %w", path, err)
		}
		if !busy {
			return &Lock{f: f}, nil
		}
		if try == busyTries-1 {
			f.Close()
			return nil, ErrBusy
		}
		time.Sleep(busyWait)
	}
}

// busyTries and busyWait space TryLock's attempts on a lock found taken.
const (
	busyTries = 6
	busyWait  = 2 * time.Millisecond
)

// Unlock releases the lock; the file stays.
func (l *Lock) Unlock() {
	unlockFile(l.f)
	l.f.Close()
}

// Held reports whether another open file holds the lock on path (false when the file does
// not exist). It looks by taking the lock for a moment, once, without TryLock's retries.
func Held(path string) bool {
	f, err := os.OpenFile(path, os.O_RDWR, 0) // without O_CREATE: fails on a missing file
	if err != nil {
		return false
	}
	defer f.Close()
	busy, err := lockFile(f)
	if err == nil && !busy {
		unlockFile(f)
	}
	return busy
}
