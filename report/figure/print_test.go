package figure

import (
	"bytes"
	"errors"
	"fmt"
	"image/png"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/recorder"
)

// printedText replays what drawing puts on a page laid out for pr and returns the size each
// string prints at (the font size times the canvas's scale where it is drawn) and the
// rightmost and topmost points a string is anchored at, on the page.
func printedText(t *testing.T, d printable, pr Print) (sizes map[string][]vg.Length, maxX, maxY vg.Length) {
	t.Helper()
	var rec recorder.Canvas
	lw, lh, scale := d.layout(pr)
	d.drawOn(&rec, lw, lh, scale)
	type state struct {
		scale float64
		shift vg.Point // translation on the page
	}
	cur := state{scale: 1}
	var stack []state
	sizes = map[string][]vg.Length{}
	for _, a := range rec.Actions {
		switch a := a.(type) {
		case *recorder.Push:
			stack = append(stack, cur)
		case *recorder.Pop:
			cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
		case *recorder.Scale:
			if a.X != a.Y {
				t.Fatalf("non-uniform scale %g×%g", a.X, a.Y)
			}
			cur.scale *= a.X
		case *recorder.Translate:
			cur.shift.X += a.Point.X * vg.Length(cur.scale)
			cur.shift.Y += a.Point.Y * vg.Length(cur.scale)
		case *recorder.Rotate:
			// Rotated y-axis labels: their size is what is checked, not their anchor.
		case *recorder.FillString:
			sizes[a.String] = append(sizes[a.String], a.Size*vg.Length(cur.scale))
			if len(stack) == 0 {
				maxX = max(maxX, cur.shift.X+a.Point.X*vg.Length(cur.scale))
				maxY = max(maxY, cur.shift.Y+a.Point.Y*vg.Length(cur.scale))
			}
		}
	}
	return sizes, maxX, maxY
}

// trainingPoints are n logged steps, every steps apart, of a run that learns: falling losses
// and decoding error and, if scored, grid scores that rise.
func trainingPoints(n, every int, scored bool) []MetricPoint {
	var pts []MetricPoint
	for i := range n {
		s := float64(i + 1)
		m := MetricPoint{Step: every * (i + 1), Loss: 5 / s, EvalLoss: 5.2 / s, DecodingErrorCM: 60 / math.Sqrt(s)}
		if scored {
			m.Scored, m.MaxScore60, m.FracAbove03 = true, 1.2*s/(s+5), 0.3*s/(s+10)
		}
		pts = append(pts, m)
	}
	return pts
}

// trainingFigure is the training figure of a run: two panels, or, when scored (the run
// tracked its grid scores), three, the last two titles long enough to be broken in a narrow
// column.
func trainingFigure(t *testing.T, scored bool) *Figure {
	t.Helper()
	pts := trainingPoints(30, 100, false)
	if scored {
		pts = trainingPoints(33, 500, true)
	}
	f, err := TrainingCurves(pts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// A printed figure's axis labels print at the font size asked for, its tick labels at 10/12
// of it, whatever the width; its text stays on the page; its panels are as much lower, in the
// layout, as the layout is narrower than the figure.
func TestPrintTextSize(t *testing.T) {
	f := trainingFigure(t, false)
	d := printableFigure(f)
	w, h := d.w, d.h
	if w <= 5*vg.Inch {
		t.Fatalf("the training figure is %v wide: too narrow to be laid out again at 3.3 and 5 in", w)
	}
	number := regexp.MustCompile(`^-?[0-9.]+$`)
	for _, width := range []vg.Length{3.3 * vg.Inch, 5 * vg.Inch} {
		for _, size := range []vg.Length{0, 7, 10} {
			pr := Print{Width: width, FontSize: size}
			want := pr.fontSize()
			name := fmt.Sprintf("%v/%vpt", FormatLength(width), float64(want))
			fit := f.PrintFit(pr)
			pw, ph := fit.Width, fit.Height
			if math.Abs(float64(pw-width)) > 1e-9 || fit.Narrower {
				t.Errorf("%s: page %v wide (narrower: %v), want %v", name, pw, fit.Narrower, width)
			}
			lw, lh, scale := d.layout(pr)
			if math.Abs(float64(lw)*scale-float64(pw)) > 1e-9 || math.Abs(float64(lh)*scale-float64(ph)) > 1e-9 {
				t.Errorf("%s: layout %v×%v at scale %g is not the page's %v×%v", name, lw, lh, scale, pw, ph)
			}
			// The panels are as much lower as they are narrower; where a rotated y-axis label
			// is longer than that (3.3 in at 10 pt), as little more as gonum's layout allows.
			natural := f.arrangement(w, h).rows[0]
			panels, share := f.arrangement(lw, lh).rows[0], natural*lw/w
			if tol := vg.Millimeter / 10; panels < share-tol || panels > share*1.2 || (float64(lw/w) > 0.45 && panels > share+tol) {
				t.Errorf("%s: panels %.2f pt high in the layout, want %.2f (%.2f at the natural size × %.3f)", name, float64(panels), float64(share), float64(natural), float64(lw/w))
			}
			sizes, maxX, maxY := printedText(t, d, pr)
			for _, label := range []string{"step", "loss", "error (cm)"} {
				got := sizes[label]
				if len(got) == 0 {
					t.Fatalf("%s: axis label %q not drawn", name, label)
				}
				for _, s := range got {
					if math.Abs(float64(s-want)) > 1e-9 {
						t.Errorf("%s: axis label %q prints at %.4g pt, want %.4g", name, label, float64(s), float64(want))
					}
				}
			}
			ticks := 0
			for str, ss := range sizes {
				if !number.MatchString(str) {
					continue
				}
				for _, s := range ss {
					ticks++
					if math.Abs(float64(s-want*10/12)) > 1e-9 {
						t.Errorf("%s: tick label %q prints at %.4g pt, want %.4g", name, str, float64(s), float64(want*10/12))
					}
				}
			}
			if ticks < 4 {
				t.Errorf("%s: %d tick labels found", name, ticks)
			}
			if maxX > pw || maxY > ph {
				t.Errorf("%s: text anchored at up to (%v, %v), off the %v×%v page", name, maxX, maxY, pw, ph)
			}
		}
	}
}

// A tall figure is laid out narrower than the page where the page's width would make it
// taller than PrintPageHeight, as wide as it can be within it; one that no width fits is laid
// out as narrow, and so as low, as it can be.
func TestPrintTallFigure(t *testing.T) {
	pr := Print{Width: 7 * vg.Inch, FontSize: 9}
	p := plot.New()
	p.X.Label.Text, p.Y.Label.Text = "dimensionality", "predictivity"
	s, err := plotter.NewScatter(plotter.XYs{{X: 1, Y: 2}, {X: 3, Y: 4}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(s)
	// 4 × 6 in: 7 in wide at 9 pt, it would print 9.5 in high.
	w, h := 4*vg.Inch, 6*vg.Inch
	fit := printablePlot(p, w, h).fit(pr)
	pw, ph := fit.Width, fit.Height
	if pw >= pr.Width || pw <= w*9/12 || ph > PrintPageHeight || ph < PrintPageHeight-vg.Inch/10 {
		t.Errorf("4×6 in plot printed %.2f×%.2f in, want narrower than 7 in and wider than its natural %.2f in, %.2f in high at most and nearly that",
			float64(pw/vg.Inch), float64(ph/vg.Inch), float64(w*9/12/vg.Inch), float64(PrintPageHeight/vg.Inch))
	}
	if !fit.Narrower || fit.Taller || fit.Wider != "" {
		t.Errorf("4×6 in plot: fit %+v, want Narrower only", fit)
	}
	// 4 × 14 in: 10.5 in high at its natural layout at 9 pt; narrower, it fits.
	w, h = 4*vg.Inch, 14*vg.Inch
	fit = printablePlot(p, w, h).fit(pr)
	pw, ph = fit.Width, fit.Height
	if pw >= w*9/12 || ph > PrintPageHeight || ph < PrintPageHeight-vg.Inch/10 {
		t.Errorf("4×14 in plot printed %.2f×%.2f in, want narrower than its natural %.2f in and nearly %.2f in high",
			float64(pw/vg.Inch), float64(ph/vg.Inch), float64(w*9/12/vg.Inch), float64(PrintPageHeight/vg.Inch))
	}
	// 4 × 60 in: no width fits; the narrowest it can be.
	d := printablePlot(p, 4*vg.Inch, 60*vg.Inch)
	lw, lh, scale := d.layout(pr)
	if least := d.minWidth(0); lw != least || lh*vg.Length(scale) <= PrintPageHeight {
		t.Errorf("4×60 in plot laid out %.2f×%.2f pt, want the least width %.2f pt, taller than the page", float64(lw), float64(lh), float64(least))
	}
	// A plot drawn outside the package's figures: its labels print at the size asked for.
	sizes, _, _ := printedText(t, printablePlot(p, w, h), pr)
	for _, l := range []string{"dimensionality", "predictivity"} {
		if got := sizes[l]; len(got) != 1 || math.Abs(float64(got[0]-9)) > 1e-9 {
			t.Errorf("label %q prints at %v pt, want 9", l, got)
		}
	}
}

// The files of a printed figure have the page's size: the PNG in pixels at the DPI asked
// for, the SVG and PDF in points.
func TestEncodePrintSize(t *testing.T) {
	f := trainingFigure(t, false)
	pr := Print{Width: 5.5 * vg.Inch, DPI: 200}
	fit := f.PrintFit(pr)
	pw, ph := fit.Width, fit.Height
	for _, format := range Formats {
		var b bytes.Buffer
		if err := f.Encoder(&pr)(&b, format); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		switch format {
		case "png":
			img, err := png.Decode(&b)
			if err != nil {
				t.Fatal(err)
			}
			wantW, wantH := float64(pw/vg.Inch)*200, float64(ph/vg.Inch)*200
			if got := img.Bounds().Size(); math.Abs(float64(got.X)-wantW) > 1 || math.Abs(float64(got.Y)-wantH) > 1 {
				t.Errorf("png is %d×%d pixels, want %.0f×%.0f", got.X, got.Y, wantW, wantH)
			}
		case "svg":
			m := regexp.MustCompile(`<svg width="([0-9.]+)pt" height="([0-9.]+)pt"`).FindSubmatch(b.Bytes())
			checkPoints(t, format, m, pw, ph)
		case "pdf":
			m := regexp.MustCompile(`/MediaBox \[0 0 ([0-9.]+) ([0-9.]+)\]`).FindSubmatch(b.Bytes())
			checkPoints(t, format, m, pw, ph)
		}
	}
	if err := f.Encoder(&pr)(&bytes.Buffer{}, "eps"); err == nil {
		t.Error("format eps accepted")
	}
	bad := Print{Width: 0.5 * vg.Inch}
	var pe *PrintError
	if err := f.EncodePrint(&bytes.Buffer{}, "png", bad); !errors.As(err, &pe) || pe.Field != "Width" {
		t.Errorf("width 0.5 in: error %v, want a *PrintError on Width", err)
	}
}

// checkPoints checks that the two numbers matched in m are w and h in points, to the
// hundredth that the formats write.
func checkPoints(t *testing.T, format string, m [][]byte, w, h vg.Length) {
	t.Helper()
	if m == nil {
		t.Errorf("%s: no page size found", format)
		return
	}
	gw, _ := strconv.ParseFloat(string(m[1]), 64)
	gh, _ := strconv.ParseFloat(string(m[2]), 64)
	if math.Abs(gw-float64(w)) > 0.01 || math.Abs(gh-float64(h)) > 0.01 {
		t.Errorf("%s page is %g×%g pt, want %.2f×%.2f", format, gw, gh, float64(w), float64(h))
	}
}

func TestPrintValidate(t *testing.T) {
	for _, tc := range []struct {
		pr    Print
		field string
	}{
		{Print{Width: 5.5 * vg.Inch}, ""},
		{Print{Width: 3 * vg.Inch, FontSize: 8, DPI: 600}, ""},
		{Print{}, "Width"},
		{Print{Width: 41 * vg.Inch}, "Width"},
		{Print{Width: 5 * vg.Inch, FontSize: 3}, "FontSize"},
		{Print{Width: 5 * vg.Inch, FontSize: 30}, "FontSize"},
		{Print{Width: 5 * vg.Inch, DPI: 50}, "DPI"},
		{Print{Width: 5 * vg.Inch, DPI: 5000}, "DPI"},
		{Print{Width: vg.Length(math.NaN())}, "Width"},
		{Print{Width: 5 * vg.Inch, FontSize: vg.Length(math.NaN())}, "FontSize"},
	} {
		err := tc.pr.Validate()
		var pe *PrintError
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: %v", tc.pr, err)
		case tc.field != "" && (!errors.As(err, &pe) || pe.Field != tc.field):
			t.Errorf("%+v: error %v, want one on %s", tc.pr, err, tc.field)
		}
	}
}

func TestParseLength(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want vg.Length
	}{
		{"5.5in", 5.5 * vg.Inch}, {"5.5", 5.5 * vg.Inch}, {" 14 cm ", 14 * vg.Centimeter},
		{"140mm", 140 * vg.Millimeter}, {"396pt", 396}, {"3.3IN", 3.3 * vg.Inch},
	} {
		got, err := ParseLength(tc.in)
		if err != nil || math.Abs(float64(got-tc.want)) > 1e-9 {
			t.Errorf("ParseLength(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", "in", "-2in", "0cm", "5 furlongs", "NaNin", "Infpt"} {
		if _, err := ParseLength(in); err == nil {
			t.Errorf("ParseLength(%q) accepted", in)
		}
	}
	if got, err := ParseLength(FormatLength(5.5 * vg.Inch)); err != nil || math.Abs(float64(got-5.5*vg.Inch)) > 1e-9 {
		t.Errorf("FormatLength does not read back: %v, %v", got, err)
	}
}

// Laid out for a page, each row of a figure's panels keeps its share of the height, or as
// much as the width lets a row of maps have; a figure laid out narrower than at its natural
// size is no taller either; it prints at the page's width unless that would make it taller
// than PrintPageHeight.
func TestPrintLayoutRows(t *testing.T) {
	const n = 12
	var units []UnitMap
	for u := range 16 {
		units = append(units, UnitMap{Unit: u, Score60: 1 - float64(u)/16, Map: hexMap(n, 4+float64(u%3), float64(u))})
	}
	series, groups := fractionGroups()
	fractions, err := Fractions(series, groups, nil)
	if err != nil {
		t.Fatal(err)
	}
	figs := map[string]*Figure{
		"montage":   Montage(units, n, nil),
		"fractions": fractions,
		"training":  trainingFigure(t, false),
	}
	for name, f := range figs {
		d := printableFigure(f)
		for _, width := range []vg.Length{3.3 * vg.Inch, 5.5 * vg.Inch, 12 * vg.Inch} {
			pr := Print{Width: width}
			lw, lh, _ := d.layout(pr)
			tol := vg.Millimeter / 10
			fit := d.fit(pr)
			pw, ph := fit.Width, fit.Height
			if pw != width && ph > PrintPageHeight {
				t.Errorf("%s at %s: printed %.2f×%.2f in", name, FormatLength(width), float64(pw/vg.Inch), float64(ph/vg.Inch))
			}
			if lh <= 0 || (lw <= d.w && lh > d.h+tol) {
				t.Errorf("%s at %s: laid out %.1f pt high, natural %.1f", name, FormatLength(width), float64(lh), float64(d.h))
			}
			natural, tallest, got := d.measure(d.w, d.h).rows, d.measure(lw, 10*d.h*max(1, lw/d.w)).rows, d.measure(lw, lh).rows
			for r := range natural {
				want := min(natural[r]*lw/d.w, tallest[r])
				if got[r] < want-tol || got[r] > want+2 {
					t.Errorf("%s at %s: row %d %.1f pt high, want %.1f", name, FormatLength(width), r, float64(got[r]), float64(want))
				}
			}
		}
	}
}

// A page too narrow for a figure at its font size (a legend, a colour key or the axes'
// text leave no room for panels) gets the figure as narrow as it can be: wider than the
// page, never collapsed to nothing, with its text on the page.
func TestPrintNarrowPage(t *testing.T) {
	survival, err := Survival(survivalSamples(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if survival.rowLegend == nil {
		t.Fatal("the survival figure has no legend to test")
	}
	var sacs []SACPanel
	for u := range 4 {
		sacs = append(sacs, NewSACPanel(u, 0.9, hexMap(20, 7, 0.3*float64(u)), 20, 0.6))
	}
	// A single plot too: gonum measures a data area wider than a canvas narrower than its
	// axes' text, which a width check alone takes for room.
	p := plot.New()
	p.Title.Text = "radial profile of the covariance spectrum"
	p.X.Label.Text, p.Y.Label.Text = "|k| (rad/m)", "spectrum / max spectrum"
	line, err := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 30, Y: 1}})
	if err != nil {
		t.Fatal(err)
	}
	p.Add(line)
	figs := map[string]printable{
		"survival":         printableFigure(survival),
		"autocorrelograms": printableFigure(Autocorrelograms(sacs, nil)),
		"training":         printableFigure(trainingFigure(t, false)),
		"plot":             printablePlot(p, 6*vg.Inch, 4*vg.Inch),
	}
	const tol = vg.Millimeter / 10
	for name, d := range figs {
		need := min(minPanelWidth, d.measure(d.w, 10*d.h).narrowest)
		for _, pr := range []Print{{Width: 1 * vg.Inch}, {Width: 1.5 * vg.Inch}, {Width: 1 * vg.Inch, FontSize: 24}, {Width: 2 * vg.Inch, FontSize: 24}, {Width: 3.3 * vg.Inch, FontSize: 24}} {
			at := fmt.Sprintf("%s at %s, %gpt", name, FormatLength(pr.Width), float64(pr.fontSize()))
			lw, lh, scale := d.layout(pr)
			pw, ph := lw*vg.Length(scale), lh*vg.Length(scale)
			if ph < vg.Inch/2 || pw < pr.Width-tol {
				t.Errorf("%s: printed %.2f × %.2f in", at, float64(pw/vg.Inch), float64(ph/vg.Inch))
			}
			if fit := d.fit(pr); (pw > pr.Width+tol) != (fit.Wider != "") || fit.Width != pw || fit.Height != ph {
				t.Errorf("%s: printed %.2f in wide, PrintFit %+v", at, float64(pw/vg.Inch), fit)
			}
			a := d.measure(lw, lh)
			if a.narrowest < need-tol {
				t.Errorf("%s: the narrowest panel is %.1f pt wide, want %.1f", at, float64(a.narrowest), float64(need))
			}
			for r, h := range a.rows {
				if h <= 0 {
					t.Errorf("%s: row %d is %.1f pt high", at, r, float64(h))
				}
			}
			_, maxX, maxY := printedText(t, d, pr)
			if maxX > pw+tol || maxY > ph+tol {
				t.Errorf("%s: text anchored at up to (%.1f, %.1f) pt, off the %.1f × %.1f pt page", at, float64(maxX), float64(maxY), float64(pw), float64(ph))
			}
		}
	}
}

// A printed PNG of more than MaxPrintPixels is refused before it is drawn.
func TestPrintPixelCap(t *testing.T) {
	f := trainingFigure(t, false)
	err := f.EncodePrint(&bytes.Buffer{}, "png", Print{Width: 40 * vg.Inch, FontSize: 4, DPI: 1200})
	if err == nil || !strings.Contains(err.Error(), "million") {
		t.Errorf("a 40 in PNG at 1200 dpi: error %v, want one about its pixels", err)
	}
	if err := f.EncodePrint(&bytes.Buffer{}, "pdf", Print{Width: 40 * vg.Inch, FontSize: 4, DPI: 1200}); err != nil {
		t.Errorf("the same as PDF: %v", err)
	}
}

// PrintFit names what makes a figure print wider than asked: a word of its title longer
// than the page, or the panels. A long title of short words is broken into lines instead.
func TestPrintFitWider(t *testing.T) {
	const n = 12
	units := []UnitMap{{Unit: 0, Score60: 1, Map: hexMap(n, 5, 0)}, {Unit: 1, Score60: 0.5, Map: hexMap(n, 6, 1)}}
	long := Montage(units, n, &MontageSettings{Title: "pattern-forming dynamics: two maps on a torus with a title longer than a column"})
	word := Montage(units, n, &MontageSettings{Title: "pattern-forming-dynamics-on-a-torus-with-a-title-longer-than-a-column"})
	for _, tc := range []struct {
		name string
		f    *Figure
		pr   Print
		want string
	}{
		{"long title", long, Print{Width: 2 * vg.Inch}, ""},
		{"long word", word, Print{Width: 2 * vg.Inch}, "its title"},
		{"survival", must(Survival(survivalSamples(), nil)), Print{Width: 1 * vg.Inch, FontSize: 24}, "its legend"},
		{"training at 1.5 in", trainingFigure(t, false), Print{Width: 1.5 * vg.Inch, FontSize: 12}, "its panels, axes and legend"},
		{"training at 5.5 in", trainingFigure(t, false), Print{Width: 5.5 * vg.Inch}, ""},
	} {
		if fit := tc.f.PrintFit(tc.pr); fit.Wider != tc.want {
			t.Errorf("%s: PrintFit %+v, want Wider %q", tc.name, fit, tc.want)
		}
	}
}

func must(f *Figure, err error) *Figure {
	if err != nil {
		panic(err)
	}
	return f
}

// TestWrapText breaks text at spaces into the fewest lines of whole words it can fill
// greedily, each within the width, a word too long for it alone on its line.
func TestWrapText(t *testing.T) {
	sty := titleStyle()
	const s = "occupancy (9892 of 10000 positions in the box)"
	for _, w := range []vg.Length{1000, sty.Width(s), 150, 100, 60, 1} {
		got := wrapText(sty, s, w)
		if strings.Join(strings.Fields(got), " ") != s {
			t.Errorf("width %v: %q does not keep the words of %q", w, got, s)
		}
		lines := strings.Split(got, "\n")
		for i, l := range lines {
			if sty.Width(l) > w && strings.Contains(l, " ") {
				t.Errorf("width %v: line %q is %v wide", w, l, sty.Width(l))
			}
			// Greedy: the next line's first word did not fit on this one.
			if i+1 < len(lines) && sty.Width(l+" "+strings.Fields(lines[i+1])[0]) <= w {
				t.Errorf("width %v: %q could take the next word of %q", w, l, lines[i+1])
			}
		}
		if w >= sty.Width(s) && got != s {
			t.Errorf("width %v: %q broken though it fits", w, got)
		}
	}
}

// Laid out for a narrow page, a figure's title and its panels' titles are broken into lines
// that fit the figure and their tiles, where they had run off both ends.
func TestPrintTitlesFit(t *testing.T) {
	paths := [][]Point{{{0, 0}, {0.2, 0.1}, {0.4, 0.3}}, {{-0.5, 0.5}, {-0.6, 0.4}, {2, 2}}} // one position outside the box
	traj, err := Trajectories(TrajectoryData{Paths: paths, Box: Box{-1.1, 1.1, -1.1, 1.1}, Bins: 22}, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 12
	units := []UnitMap{{Unit: 0, Score60: 1, Map: hexMap(n, 5, 0)}, {Unit: 1, Score60: 0.5, Map: hexMap(n, 6, 1)}}
	maps := Montage(units, n, &MontageSettings{Title: "pattern-forming dynamics: two maps on a torus with a title longer than a column"})
	const tol = 1e-6
	for name, f := range map[string]*Figure{"trajectories": traj, "maps": maps} {
		wrapped := false
		for _, in := range []float64{2, 3.3} {
			lw, lh, _ := printableFigure(f).layout(Print{Width: vg.Length(in) * vg.Inch})
			canvas := draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: lw, Y: lh}}}
			if title := f.title(lw); maxLineWidth(titleStyle(), title) > lw-px(titleWidth(""))+tol {
				t.Errorf("%s at %g in: title %q is wider than the %v pt canvas", name, in, title, lw)
			}
			f.arrange(canvas)
			cols := len(f.plots[0])
			tile := (lw - 2*f.pad - vg.Length(cols-1)*f.pad) / vg.Length(cols)
			for _, row := range f.plots {
				for _, p := range row {
					if p == nil {
						continue
					}
					if w := maxLineWidth(p.Title.TextStyle, p.Title.Text); w > tile+tol {
						t.Errorf("%s at %g in: panel title %q is %v pt wide, its tile %v", name, in, p.Title.Text, w, tile)
					}
					wrapped = wrapped || strings.Contains(p.Title.Text, "\n")
				}
			}
		}
		if !wrapped && name == "trajectories" {
			t.Errorf("%s: no panel title was broken; the test does not test", name)
		}
		f.arrange(draw.Canvas{Rectangle: vg.Rectangle{Max: vg.Point{X: px(f.Width), Y: px(f.Height)}}})
		for _, row := range f.plots {
			for _, p := range row {
				if p != nil && strings.Contains(p.Title.Text, "\n") {
					t.Errorf("%s at its natural size: panel title %q broken", name, p.Title.Text)
				}
			}
		}
	}
}

// maxLineWidth is the width of the widest line of s in sty.
func maxLineWidth(sty text.Style, s string) vg.Length {
	var w vg.Length
	for _, l := range strings.Split(s, "\n") {
		w = max(w, sty.Width(l))
	}
	return w
}
