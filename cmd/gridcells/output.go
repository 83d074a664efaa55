package main

// What the commands write: checks of output paths before the work, and counted nouns.

import (
	"os"
	"path/filepath"
	"strconv"
)

// checkOutFile checks, before any work, that path can be written as a file by the flag
// named flag: not an existing directory, in a directory that exists. Otherwise the rename
// that puts a finished file in place fails with a bare "file exists" or "no such file"
// after the work is done.
func checkOutFile(flag, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usagef("%s %s is a directory; give a file name", flag, path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("%s %s: directory %s does not exist", flag, path, dir)
	}
	return nil
}

// checkOutDir checks that path can be used as an output directory (it is created when
// missing): nothing but a directory may exist there.
func checkOutDir(flag, path string) error {
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		return usagef("%s %s exists and is not a directory", flag, path)
	}
	return nil
}

// count writes n with the singular or plural noun: "1 run", "3 runs".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
