//go:build unix

package sweep

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// runLock is an exclusive flock(2) on a run's .lock file. The kernel drops it when the
// holder exits in any way (kill -9 included), so a killed worker never leaves a stale lock.
type runLock struct{ f *os.File }

// errBusy: another process holds the run's lock.
var errBusy = errors.New("another worker is running it")

// tryLock takes the lock without waiting; errBusy when another process holds it.
func tryLock(path string) (*runLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errBusy
		}
		return nil, fmt.Errorf("sweep: locking %s: %w", path, err)
	}
	return &runLock{f: f}, nil
}

func (l *runLock) unlock() { l.f.Close() }

// locked reports whether another open file description holds the lock.
func locked(path string) bool {
	if !exists(path) {
		return false
	}
	l, err := tryLock(path)
	if err != nil {
		return errors.Is(err, errBusy)
	}
	l.unlock()
	return false
}
