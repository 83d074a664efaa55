package main

// What the commands write: checks of output paths before the work, counted nouns and the
// formats of figures.

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gridcells/gridcells/report"
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

// figureOutput is the figure flags of the commands that write figures: the formats, and
// the layout for a printed page (figure.Print) when --figure-width is given.
type figureOutput struct {
	formats  figureFormats
	width    string        // --figure-width, a length figure.ParseLength reads; "": the natural size
	fontSize float64       // --figure-font-size, points; 0: figure.DefaultPrintFontSize
	dpi      int           // --figure-dpi; 0: figure.DefaultPrintDPI
	pr       *figure.Print // what check made of the flags
	// warn receives the warnings of warnFit, for the command cmd; warned holds the figure
	// names warned of (a sweep's run reports repeat them), noted those given the note that
	// they print narrower (kept apart, so that a note does not silence a later warning).
	warn          io.Writer
	cmd           string
	warned, noted map[string]bool
}

// addFigureFlags defines --formats, --figure-width, --figure-font-size and --figure-dpi on fs;
// where says where the figures go.
func addFigureFlags(fs *flag.FlagSet, o *figureOutput, where string) {
	fs.Var(&o.formats, "formats", "figure file `formats` "+where+": png (always written) plus svg and/or pdf, vector copies with embedded fonts for a paper, e.g. png,pdf")
	fs.StringVar(&o.width, "figure-width", "", "lay the figure files out for a page this wide, a `length` such as 5.5in (NeurIPS text width), 3.3in (one journal column) or 14cm (narrower where that would print taller than 9 in), with their text at --figure-font-size and PNGs at --figure-dpi (default: each figure's natural screen size, 7.5-9.5 in for a report's, with 12 pt labels)")
	fs.Float64Var(&o.fontSize, "figure-font-size", 0, fmt.Sprintf("with --figure-width: the `points` axis labels print at; tick labels print at 10/12 of it (default %g)", float64(figure.DefaultPrintFontSize)))
	fs.IntVar(&o.dpi, "figure-dpi", 0, fmt.Sprintf("with --figure-width: the resolution of the PNG files, `dots` per inch (default %d)", figure.DefaultPrintDPI))
}

// check reads the print layout the flags ask for into o.pr, nil for the figures' natural
// size, before any work; warnFit then warns on warn, for the command cmd.
func (o *figureOutput) check(warn io.Writer, cmd string) error {
	pr, err := o.print()
	o.pr, o.warn, o.cmd = pr, warn, cmd
	return err
}

// print returns the layout the flags ask for: nil for the figures' natural size.
func (o *figureOutput) print() (*figure.Print, error) {
	if o.width == "" {
		switch {
		case o.fontSize != 0:
			return nil, usagef("--figure-font-size needs --figure-width: it is the size the text prints at on a page of that width")
		case o.dpi != 0:
			return nil, usagef("--figure-dpi needs --figure-width: without it, PNGs are drawn at their natural %d dpi screen size", figure.DPI)
		}
		return nil, nil
	}
	w, err := figure.ParseLength(o.width)
	if err != nil {
		return nil, usagef("--figure-width: %v", err)
	}
	pr := &figure.Print{Width: w, FontSize: vg.Length(o.fontSize), DPI: o.dpi}
	var pe *figure.PrintError
	if err := pr.Validate(); errors.As(err, &pe) {
		flag := map[string]string{"Width": "--figure-width", "FontSize": "--figure-font-size", "DPI": "--figure-dpi"}[pe.Field]
		value := pe.Value
		if pe.Field == "Width" {
			value = o.width // as given: 2cm, not 0.7874in
		}
		return nil, usagef("%s %s: want %s", flag, value, pe.Want)
	} else if err != nil {
		return nil, err
	}
	if pr.FontSize == 0 {
		pr.FontSize = figure.DefaultPrintFontSize
	}
	if pr.DPI == 0 {
		pr.DPI = figure.DefaultPrintDPI
	}
	// A PNG over figure.MaxPrintPixels fails only when written, after the work: a page of
	// this width and PrintPageHeight must not be one.
	dpi := float64(pr.DPI)
	if wpx, hpx := float64(w/vg.Inch)*dpi, float64(figure.PrintPageHeight/vg.Inch)*dpi; wpx*hpx > figure.MaxPrintPixels {
		return nil, usagef("--figure-width %s at %d dpi makes a page of %.0f × %.0f pixels (%s high), more than %d million: give a lower --figure-dpi or width",
			o.width, pr.DPI, wpx, hpx, figure.FormatLength(figure.PrintPageHeight), figure.MaxPrintPixels/1_000_000)
	}
	return pr, nil
}

// warnFit says on the warning writer of check, once per figure name, where the figure name
// does not fit the page the flags ask for (figure.PrintFit): wider than --figure-width, or
// taller than a page at any width it can have; and, as a note, where it was laid out
// narrower than --figure-width to keep within a page's height.
func (o *figureOutput) warnFit(name string, fit figure.PrintFit) {
	if o.pr == nil || o.warned[name] {
		return
	}
	if fit.Wider == "" && !fit.Taller {
		if fit.Narrower && !o.noted[name] {
			fmt.Fprintf(o.warn, "gridcells %s: note: %s prints %s wide, narrower than --figure-width %s, so that it keeps within a %s page's height\n",
				o.cmd, name, figure.FormatLength(fit.Width), o.width, figure.FormatLength(figure.PrintPageHeight))
			if o.noted == nil {
				o.noted = map[string]bool{}
			}
			o.noted[name] = true
		}
		return
	}
	smaller := ""
	if o.pr.FontSize > figure.MinPrintFontSize {
		smaller = " or a smaller --figure-font-size"
	}
	pt := float64(o.pr.FontSize)
	if fit.Wider != "" {
		fmt.Fprintf(o.warn, "gridcells %s: warning: %s prints %s wide, wider than --figure-width %s, for %s at %g pt; give a larger width%s\n",
			o.cmd, name, figure.FormatLength(fit.Width), o.width, fit.Wider, pt, smaller)
	}
	if fit.Taller {
		advice := "draw fewer panels"
		if smaller != "" {
			advice = "give a smaller --figure-font-size, or draw fewer panels"
		}
		fmt.Fprintf(o.warn, "gridcells %s: warning: %s prints %s high, taller than a %s page at any width it can have at %g pt; %s\n",
			o.cmd, name, figure.FormatLength(fit.Height), figure.FormatLength(figure.PrintPageHeight), pt, advice)
	}
	if o.warned == nil {
		o.warned = map[string]bool{}
	}
	o.warned[name] = true
}

// write writes f as path and in o's other formats (figure.WriteFiles), laid out as o asks,
// and warns where it does not fit the page.
func (o *figureOutput) write(path string, f *figure.Figure) error {
	if err := figure.WriteFiles(path, o.formats, f.Encoder(o.pr)); err != nil {
		return err
	}
	if o.pr != nil {
		o.warnFit(filepath.Base(path), f.PrintFit(*o.pr))
	}
	return nil
}

// writePlot is write for a single gonum plot of natural size w × h.
func (o *figureOutput) writePlot(path string, p *plot.Plot, w, h vg.Length) error {
	if err := figure.WriteFiles(path, o.formats, figure.PlotEncoder(p, w, h, o.pr)); err != nil {
		return err
	}
	if o.pr != nil {
		o.warnFit(filepath.Base(path), figure.PlotPrintFit(p, w, h, *o.pr))
	}
	return nil
}

// writeReport writes rep's figures in dir/figures (report.Report.WriteFigures) in o's
// formats, laid out as o asks, and warns where one does not fit the page.
func (o *figureOutput) writeReport(rep *report.Report, dir string) error {
	if err := rep.WriteFigures(dir, o.pr, o.formats...); err != nil {
		return err
	}
	if o.pr != nil {
		for _, f := range rep.Figures {
			o.warnFit(f.Name, f.PrintFit(*o.pr))
		}
	}
	return nil
}

// fileExists reports whether path names something that can be stat'ed.
func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Timing of the animations (theory --animate, simulate --gif): the frames at 10 per second,
// the last held as long as 20 of them.
const (
	animationDelay = 100 * time.Millisecond
	animationHold  = 2 * time.Second
)
