//go:build !unix

package sweep

import "errors"

// runLock is a no-op where flock(2) is missing: there, run one worker per sweep.
type runLock struct{}

var errBusy = errors.New("another worker is running it")

func tryLock(path string) (*runLock, error) { return &runLock{}, nil }
func (l *runLock) unlock()                  {}
func locked(path string) bool               { return false }
