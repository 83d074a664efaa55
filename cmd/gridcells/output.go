package main

// What the commands write: checks of output paths before the work, counted nouns and the
// formats of figures.

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/report/figure"
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

// listSome joins the first n names with ", ", and says how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(" and %d more", len(names)-n)
}

// figureFormats is the --formats flag of the commands that write report figures: PNG
// always (the HTML page embeds it), and SVG or PDF copies for a paper's figures.
type figureFormats []string

func (f *figureFormats) String() string { return strings.Join(*f, ",") }

func (f *figureFormats) Set(s string) error {
	*f = nil
	for _, v := range strings.Split(s, ",") {
		v = strings.ToLower(strings.TrimSpace(v))
		if !slices.Contains(figure.Formats, v) {
			return fmt.Errorf("format %q: want a comma-separated list of %s", v, strings.Join(figure.Formats, ", "))
		}
		if !slices.Contains(*f, v) {
			*f = append(*f, v)
		}
	}
	return nil
}

// addFormatsFlag defines --formats on fs; where says where the figures go.
func addFormatsFlag(fs *flag.FlagSet, f *figureFormats, where string) {
	fs.Var(f, "formats", "figure file `formats` "+where+": png (always written) plus svg and/or pdf, vector copies with embedded fonts for a paper, e.g. png,pdf")
}

// plotEncoder encodes a single gonum plot of w × h in any of the figure formats.
func plotEncoder(p *plot.Plot, w, h vg.Length) func(io.Writer, string) error {
	return func(out io.Writer, format string) error { return figure.EncodePlot(out, p, w, h, format) }
}

// fileExists reports whether path names something that can be stat'ed.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
