// Package safefile writes files atomically: the content goes to a temporary file in the
// same directory, is synced, and is renamed over the destination only when complete, so a
// reader (or a resumed run) sees either the old file or the whole new one, never a part.
// A destination that is not a regular file (/dev/null, a pipe) is written into instead.
//
// A process killed while writing leaves its hidden temporary file (".NAME.tmp-*"); the next
// write of the same destination removes those untouched for StaleAfter.
package safefile
