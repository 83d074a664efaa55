package flock

import "errors"

// ErrBusy: another holder has the lock.
var ErrBusy = errors.New("locked by another process")
