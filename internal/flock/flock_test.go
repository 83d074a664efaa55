//go:build unix || windows

package flock

import (
	"errors"
	"path/filepath"
	"testing"
)

// TestTryLock: a second TryLock of a held lock is ErrBusy, Held says so, and after Unlock
// the lock can be taken again.
func TestTryLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".lock")
	if Held(path) {
		t.Fatal("a missing file is held")
	}
	l, err := TryLock(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TryLock(path); !errors.Is(err, ErrBusy) {
		t.Fatalf("second TryLock: %v, want ErrBusy", err)
	}
	if !Held(path) {
		t.Error("Held is false while locked")
	}
	l.Unlock()
	if Held(path) {
		t.Error("Held is true after Unlock")
	}
	l2, err := TryLock(path)
	if err != nil {
		t.Fatalf("TryLock after Unlock: %v", err)
	}
	l2.Unlock()
	if _, err := TryLock(filepath.Join(t.TempDir(), "no", "dir", ".lock")); err == nil || errors.Is(err, ErrBusy) {
		t.Errorf("lock in a missing directory: %v, want an error other than ErrBusy", err)
	}
}

// A lock nobody holds is taken even while another goroutine keeps looking at it with Held,
// which takes it for a moment each time: TryLock tries again rather than report it busy.
func TestTryLockBesideHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.lock")
	if l, err := TryLock(path); err != nil {
		t.Fatal(err)
	} else {
		l.Unlock()
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				Held(path)
			}
		}
	}()
	busy := 0
	for range 3000 {
		l, err := TryLock(path)
		if errors.Is(err, ErrBusy) {
			busy++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		l.Unlock()
	}
	close(stop)
	<-done
	if busy > 0 {
		t.Errorf("%d of 3000 TryLocks of a free lock reported busy beside a loop of Held", busy)
	}
}
