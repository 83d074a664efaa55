package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestWriteLeavesNothingOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.txt")
	if err := WriteFile(p, []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write error = %v; want %v", err, boom)
	}
	got, _ := os.ReadFile(p)
	if string(got) != "old" {
		t.Errorf("file after failed write = %q; want %q", got, "old")
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("directory has %d entries after failed write; want 1 (no temp files)", len(ents))
	}
}

// A prepared file is invisible until Commit; Discard leaves the old file and no temp file.
func TestPrepareCommitDiscard(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "a.parquet")
	for _, p := range []string{a, b} {
		if err := WriteFile(p, []byte("old")); err != nil {
			t.Fatal(err)
		}
	}
	fill := func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }
	pa, err := Prepare(a, fill)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := Prepare(b, fill)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{a, b} {
		if got, _ := os.ReadFile(p); string(got) != "old" {
			t.Fatalf("%s before Commit = %q; want old", p, got)
		}
	}
	if err := pa.Commit(); err != nil {
		t.Fatal(err)
	}
	pa.Discard() // after Commit: nothing
	pb.Discard()
	if got, _ := os.ReadFile(a); string(got) != "new" {
		t.Errorf("committed file = %q; want new", got)
	}
	if got, _ := os.ReadFile(b); string(got) != "old" {
		t.Errorf("discarded file's destination = %q; want old", got)
	}
	if err := pb.Commit(); err != nil { // a discarded file commits nothing
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("%d entries; want 2 (no temp files)", len(ents))
	}
}

// A temporary file left by a writer killed outright is removed by the next write of the same
// destination once it is StaleAfter old; a recent one (a writer still at work) and those of
// other destinations stay.
func TestWriteRemovesStaleTemporaries(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-StaleAfter - time.Minute)
	stale := filepath.Join(dir, ".out.npy.tmp-111")
	fresh := filepath.Join(dir, ".out.npy.tmp-222")
	other := filepath.Join(dir, ".out.npy.bak.tmp-333") // another destination, out.npy.bak
	for _, p := range []string{stale, fresh, other} {
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{stale, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := WriteFile(filepath.Join(dir, "out.npy"), []byte("whole")); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary still there (Stat: %v)", err)
	}
	for _, p := range []string{fresh, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s removed: %v", filepath.Base(p), err)
		}
	}
}

// BenchmarkWriteCrowdedDir writes a small file into an empty directory and into one beside
// 20,000 run directories, the size of a large sweep, to price the listing that looks for
// stale temporary files on every write.
func BenchmarkWriteCrowdedDir(b *testing.B) {
	for _, runs := range []int{0, 20000} {
		b.Run("runs="+strconv.Itoa(runs), func(b *testing.B) {
			dir := b.TempDir()
			for i := range runs {
				if err := os.Mkdir(filepath.Join(dir, "run-"+strconv.Itoa(i)), 0o755); err != nil {
					b.Fatal(err)
				}
			}
			path := filepath.Join(dir, "summary.csv")
			data := []byte("a,b\n1,2\n")
			for b.Loop() {
				if err := WriteFile(path, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A file is 0644 in an open directory and no more open than a private one (0700, as made
// under umask 077): it was 0644 whatever the umask.
func TestFileModeFollowsDirectory(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits on Windows")
	}
	for _, c := range []struct{ dir, want os.FileMode }{{0o755, 0o644}, {0o750, 0o640}, {0o700, 0o600}} {
		dir := filepath.Join(t.TempDir(), "d")
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dir, c.dir); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "f")
		if err := WriteFile(path, []byte("x")); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != c.want {
			t.Errorf("directory %o: file %v, %v; want %o", c.dir, st.Mode().Perm(), err, c.want)
		}
	}
}
