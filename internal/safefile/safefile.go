package safefile

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Write creates path atomically with the bytes that fill writes. If fill returns an error,
// nothing is left behind and the previous file at path (if any) is untouched.
//
// A path that exists and is neither a regular file nor a directory (/dev/null, /dev/stdout,
// a named pipe) is written into directly: renaming over it would replace the device with a
// regular file, for every program on the machine.
func Write(path string, fill func(w io.Writer) error) error {
	p, err := Prepare(path, fill)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Pending is a file written in full under a temporary name beside its destination and not
// yet renamed into place: files that belong together (a table as CSV and as Parquet) are
// all prepared, then all committed, so an interruption while writing them leaves the old
// set, not a new file beside an old one.
type Pending struct {
	tmp, path string // tmp is "" for a device written in place
}

// Prepare writes fill's bytes to a temporary file beside path (or, for a device, into it:
// see Write). Commit or Discard it.
func Prepare(path string, fill func(w io.Writer) error) (_ *Pending, err error) {
	if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return &Pending{path: path}, writeDevice(path, fill)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	removeStale(dir, base)
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	if err = fill(bw); err != nil {
		return nil, err
	}
	if err = bw.Flush(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Chmod(tmp, fileMode(dir)); err != nil {
		return nil, err
	}
	return &Pending{tmp: tmp, path: path}, nil
}

// fileMode is the mode of a new file in dir: 0644 (CreateTemp's own 0600 would keep a
// run's files from the group that reads its directory), but no more open than dir itself,
// so that a directory made private (0700, as under umask 077) keeps its files private. Go
// cannot read the umask without changing it, and the directory carries it.
func fileMode(dir string) os.FileMode {
	st, err := os.Stat(dir)
	if err != nil {
		return 0o644
	}
	return 0o644 & (st.Mode().Perm() | 0o600)
}

// Commit renames the file into place.
func (p *Pending) Commit() error {
	if p.tmp == "" {
		return nil
	}
	if err := os.Rename(p.tmp, p.path); err != nil {
		os.Remove(p.tmp)
		return err
	}
	p.tmp = ""
	SyncDir(filepath.Dir(p.path))
	return nil
}

// SyncDir flushes dir's entries (a rename into it) to the disk, so that after a power loss
// the new name holds the new file rather than the old one or nothing. It is best effort:
// errors are ignored, and some systems (Windows) cannot sync a directory.
func SyncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Discard removes the temporary file; after a Commit it does nothing.
func (p *Pending) Discard() {
	if p.tmp != "" {
		os.Remove(p.tmp)
		p.tmp = ""
	}
}

// WriteFile is Write for content already in memory.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeDevice writes fill's bytes into the existing non-regular file at path.
func writeDevice(path string, fill func(w io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := fill(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// StaleAfter is how long a temporary file must have gone unmodified before a later write of
// the same destination removes it. A writer killed outright (a second Ctrl-C, SIGKILL, a
// node lost) leaves its temporary file behind, hidden by its leading dot and as large as
// the output (939 MB for one encode). A writer at work modifies its file with every
// megabyte; every fill in this project serialises data already in memory, so a smaller
// file is written and renamed within moments. Only a writer stopped for an hour in the
// middle (Ctrl-Z, a suspended machine) loses its temporary file to a second writer of the
// same destination, and then fails at the rename rather than writing a partial file.
const StaleAfter = time.Hour

// RemoveTemporaries deletes every temporary file that writes of this package left in dir,
// whatever its age: those of writers killed outright. Call it only while no writer can be
// at work in dir (a run directory whose lock the caller holds), since it removes the files
// of writes in progress too. Errors are ignored, as in removeStale.
func RemoveTemporaries(dir string) { removeTemporaries(dir, "", time.Time{}) }

// removeStale deletes the temporary files that earlier writes of dir/base left behind and
// that have not been modified for StaleAfter. Errors are ignored: a file that cannot be
// listed or removed only stays where it was.
func removeStale(dir, base string) { removeTemporaries(dir, base, time.Now().Add(-StaleAfter)) }

// removeTemporaries deletes the temporary files in dir of writes of dir/base (of any file
// when base is ""), those last modified before cutoff when it is set. Errors are ignored.
func removeTemporaries(dir, base string, cutoff time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	// Write's temporary files are ".BASE.tmp-RANDOM".
	isTemp := func(name string) bool { return strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp-") }
	if base != "" {
		prefix := "." + base + ".tmp-"
		isTemp = func(name string) bool { return strings.HasPrefix(name, prefix) }
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !isTemp(e.Name()) {
			continue
		}
		if !cutoff.IsZero() {
			if info, err := e.Info(); err != nil || !info.ModTime().Before(cutoff) {
				continue
			}
		}
		os.Remove(filepath.Join(dir, e.Name()))
	}
}
