package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/report/figure"
)

// FiguresDir is the directory, beside report.html, that WriteFigures fills.
const FiguresDir = "figures"

// Figure is one figure of a report: its PNG bytes, the file name it is written under in
// FiguresDir and its caption.
type Figure struct {
	Name    string // file name, e.g. "ratemaps.png"
	Caption string
	PNG     []byte

	fig *figure.Figure // the figure PNG holds, for the vector formats WriteFigures may write
}

// PrintFit returns how the figure fits pr (figure.Figure.PrintFit).
func (f Figure) PrintFit(pr figure.Print) figure.PrintFit { return f.fig.PrintFit(pr) }

// Item is one line of a name–value table, such as a headline number of summary.json.
type Item struct{ Name, Value string }

// Report is a rendered report: its figures and the page that embeds them.
type Report struct {
	Kind    string // "run" or "sweep"
	Title   string
	Figures []Figure

	page page
}

// page is what the template renders.
type page struct {
	Kind      string
	Title     string
	Generated string
	Headline  []Item
	Notes     []string
	Config    string
	Figures   []pageFigure
	Tables    []table
}

type pageFigure struct {
	ID, Caption string
	// Src is the attribute src="data:image/png;base64,…". It is built whole because
	// html/template would escape every '+' of the base64 text as an entity in a URL value.
	Src   template.HTMLAttr
	Width int // natural width, CSS pixels
}

// table is a sortable HTML table: cells hold the text shown and, for numbers, the value
// sorted on (empty for NaN, which sorts last).
type table struct {
	ID, Caption string
	Late        bool // placed after the figures (long tables such as the runs of a sweep)
	Head        []column
	Rows        [][]cell
}

type column struct {
	Name    string
	Numeric bool
}

type cell struct {
	Text  string
	Sort  string       // data-v: the sort key (numbers in full precision); empty = text
	Href  template.URL // link target, relative; empty for none
	Class string
}

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("report").Parse(pageTemplate))

// addFigure renders f and appends it to the report under name.
func (r *Report) addFigure(name, caption string, f *figure.Figure) error {
	b, err := f.PNG()
	if err != nil {
		return fmt.Errorf("report: %s: %w", name, err)
	}
	r.Figures = append(r.Figures, Figure{Name: name, Caption: caption, PNG: b, fig: f})
	r.page.Figures = append(r.page.Figures, pageFigure{
		ID:      "fig-" + name[:len(name)-len(filepath.Ext(name))],
		Caption: caption,
		Src:     template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(b) + `"`),
		Width:   f.Width,
	})
	return nil
}

// WriteHTML writes the self-contained page: inline CSS and script, every figure embedded
// as a base64 data URI, so the file reads offline and can be mailed or archived alone.
func (r *Report) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	if err := tmpl.Execute(&b, r.page); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteFile writes the page to path atomically.
func (r *Report) WriteFile(path string) error {
	return safefile.Write(path, r.WriteHTML)
}

// WriteFigures writes every figure as dir/figures/<name> (a PNG) and, for each of the
// other formats asked for ("svg", "pdf": figure.Formats), beside it under the same base
// name, each atomically: at the size the page shows them when pr is nil, else laid out for
// pr, a printed page. It removes the figure files there, of any of these formats, that
// this report does not have: a figure an earlier report drew (a theory panel, say, before
// the option that draws it was turned off, or a PDF no longer asked for) would otherwise
// sit beside the new ones as if it belonged to them.
func (r *Report) WriteFigures(dir string, pr *figure.Print, formats ...string) error {
	fd := filepath.Join(dir, FiguresDir)
	if err := os.MkdirAll(fd, 0o755); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	keep := make(map[string]bool, len(r.Figures)) // base names
	for _, f := range r.Figures {
		encode := func(w io.Writer, format string) error {
			if format == "png" && pr == nil { // drawn already, for the page
				_, err := w.Write(f.PNG)
				return err
			}
			return f.fig.Encoder(pr)(w, format)
		}
		if err := figure.WriteFiles(filepath.Join(fd, f.Name), formats, encode); err != nil {
			return fmt.Errorf("report: %s: %w", f.Name, err)
		}
		keep[strings.TrimSuffix(f.Name, filepath.Ext(f.Name))] = true
	}
	for _, format := range figure.Formats {
		old, err := filepath.Glob(filepath.Join(fd, "*."+format))
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		for _, path := range old {
			if name := filepath.Base(path); !keep[strings.TrimSuffix(name, filepath.Ext(name))] {
				if err := os.Remove(path); err != nil {
					return fmt.Errorf("report: removing a stale figure: %w", err)
				}
			}
		}
	}
	return nil
}

// generatedAt is the time stamp of reports; tests fix it.
var generatedAt = func() time.Time { return time.Now().UTC() }

// newReport starts a report of the given kind.
func newReport(kind, title string) *Report {
	return &Report{Kind: kind, Title: title, page: page{Kind: kind, Title: title, Generated: generatedAt().Format(time.RFC3339)}}
}

// num formats x for a table: "–" for NaN, else 4 significant digits.
func num(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// numCell is a table cell of a number, sorted by its full value.
func numCell(x float64) cell {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return cell{Text: num(x), Class: "num"}
	}
	return cell{Text: num(x), Sort: strconv.FormatFloat(x, 'g', -1, 64), Class: "num"}
}

// intCell is a table cell of an integer.
func intCell(n int) cell { return cell{Text: strconv.Itoa(n), Sort: strconv.Itoa(n), Class: "num"} }

// fracCell shows k/n = p [lo, hi], sorted by p.
func fracCell(f figure.Fraction) cell {
	if math.IsNaN(f.P) {
		return cell{Text: fmt.Sprintf("%d/%d", f.K, f.N), Class: "num"}
	}
	return cell{Text: fmt.Sprintf("%d/%d = %.2f [%.2f, %.2f]", f.K, f.N, f.P, f.Lo, f.Hi), Sort: strconv.FormatFloat(f.P, 'g', -1, 64), Class: "num"}
}

// safeLink returns a relative link for a run's report. Only plain relative paths are
// linked; anything with a scheme is shown as text by html/template's URL filter anyway.
func safeLink(p string) template.URL {
	if strings.Contains(p, ":") {
		return ""
	}
	return template.URL(p)
}
