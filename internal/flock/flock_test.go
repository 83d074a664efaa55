//go:build unix

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
