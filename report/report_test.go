package report

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gridcells/gridcells/report/figure"
)

func init() {
	generatedAt = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
}

// hexMap returns an n×n rectified sum of three plane waves at 60°: a hexagonal rate map
// of the given period (bins).
func hexMap(n int, period, phase float64) []float64 {
	k := 4 * math.Pi / (math.Sqrt(3) * period)
	m := make([]float64, n*n)
	for i := range n {
		for j := range n {
			v := 0.0
			for a := range 3 {
				th := float64(a) * math.Pi / 3
				v += math.Cos(k*(math.Cos(th)*float64(i)+math.Sin(th)*float64(j)) + phase)
			}
			m[i*n+j] = math.Max(v, 0)
		}
	}
	return m
}

// testRun is a small synthetic run: 6 units of 16×16 bins, 12 logged steps, 3 paths.
func testRun() *Run {
	const n = 16
	rng := rand.New(rand.NewPCG(5, 6))
	r := &Run{
		Title:    "run <test> & co", // escaped by the template
		Config:   "{\n  \"seed\": 1\n}",
		Headline: []Item{{"decoding error (cm)", "4.2"}, {"max score60", "1.1"}},
		NBins:    n,
		Top:      4,
	}
	for i := range 12 {
		r.Metrics = append(r.Metrics, figure.MetricPoint{Step: 10 * (i + 1), Loss: 6 / float64(i+1), EvalLoss: 6.1 / float64(i+1), DecodingErrorCM: 50 / float64(i+1)})
	}
	for u := range 6 {
		m := hexMap(n, 5+float64(u), rng.Float64())
		m[u] = math.NaN()
		r.Units = append(r.Units, Unit{Unit: 10 + u, Score60: 1.1 - 0.25*float64(u), Score90: 0.1, Outer60: 0.6, Period: 5 + float64(u), Map: m})
	}
	r.Units[5].Score60 = math.NaN()
	var paths [][]figure.Point
	for range 3 {
		p := []figure.Point{{X: 0, Y: 0}}
		for range 20 {
			q := p[len(p)-1]
			p = append(p, figure.Point{X: q.X + 0.05*rng.NormFloat64(), Y: q.Y + 0.05*rng.NormFloat64()})
		}
		paths = append(paths, p)
	}
	r.Spectrum = &figure.SpectrumPanel{Name: "DoS", Size: 3, Power: []float64{0, 1, 0, 1, 0, 1, 0, 1, 0}, DKX: 4, DKY: 4, K: []float64{0, 4, 8}, Profile: []float64{0, 1, 0.2}, PeakK: 4}
	r.Trajectories = &figure.TrajectoryData{Paths: paths, Box: figure.Box{XMin: -1.1, XMax: 1.1, YMin: -1.1, YMax: 1.1}}
	return r
}

// testSweep is a synthetic sweep of three conditions of two runs each.
func testSweep() *Sweep {
	nan := math.NaN()
	frac := func(k, n int) figure.Fraction {
		if n == 0 {
			return figure.Fraction{P: nan, Lo: nan, Hi: nan}
		}
		p := float64(k) / float64(n)
		return figure.Fraction{P: p, Lo: math.Max(0, p-0.3), Hi: math.Min(1, p+0.3), K: k, N: n}
	}
	s := &Sweep{Title: "sweep", Keys: []string{"encoding.kind"}, DecodeCM: 10, Grid: 0.8, ParamKeys: []string{"encoding.kind", "seed"}}
	s.Conditions = []Condition{
		{Values: []string{"dos"}, Runs: 2, N: 2, FracDecode: frac(2, 2), FracGrid: frac(2, 2), Scores: []float64{0.2, 0.9, 1.2, nan}},
		{Values: []string{"gaussian"}, Runs: 2, N: 2, FracDecode: frac(2, 2), FracGrid: frac(0, 2), Scores: []float64{0.1, 0.3, -0.2}},
		{Values: []string{"cartesian"}, Runs: 2, N: 0, FracDecode: frac(0, 0), FracGrid: frac(0, 0)},
	}
	s.Runs = []SweepRun{
		{ID: "aaa", Index: 0, Params: []string{"dos", "0"}, Status: "finished", DecodingErrorCM: 3.5, MaxScore60: 1.2, HasGrid: true, Steps: 100, Link: "runs/aaa/report.html"},
		{ID: "bbb", Index: 1, Params: []string{"dos", "1"}, Status: "finished", DecodingErrorCM: 4.5, MaxScore60: 0.9, HasGrid: true, Steps: 100},
		{ID: "ccc", Index: 2, Params: []string{"gaussian", "0"}, Status: "finished", DecodingErrorCM: 2.5, MaxScore60: 0.3, Steps: 100},
		{ID: "ddd", Index: 3, Params: []string{"gaussian", "1"}, Status: "finished", DecodingErrorCM: 12.5, MaxScore60: 0.1, Steps: 100},
		{ID: "eee", Index: 4, Params: []string{"cartesian", "0"}, Status: "failed", DecodingErrorCM: nan, MaxScore60: nan, Error: "diverged"},
		{ID: "fff", Index: 5, Params: []string{"cartesian", "1"}, Status: "pending", DecodingErrorCM: nan, MaxScore60: nan},
	}
	s.Spectra = []figure.SpectrumPanel{
		{Name: "dos", Size: 3, Power: []float64{0, 1, 0, 1, 0, 1, 0, 1, 0}, DKX: 4, DKY: 4, K: []float64{0, 4, 8}, Profile: []float64{0, 1, 0.2}, PeakK: 4},
		{Name: "gaussian", Size: 3, Power: []float64{0, 0, 0, 0, 1, 0, 0, 0, 0}, DKX: 4, DKY: 4, K: []float64{0, 4, 8}, Profile: []float64{1, 0.3, 0}},
	}
	s.Periods = &figure.PeriodData{Units: []figure.PeriodPoint{{Sigma: 0.12, Period: 18}}, Modes: []figure.PeriodPoint{{Sigma: 0.12, Period: 18}}, Theory: []figure.PeriodPoint{{Sigma: 0.1, Period: 15}, {Sigma: 0.2, Period: 30}}}
	return s
}

var imgRE = regexp.MustCompile(`<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" width="(\d+)"`)

// checkPage checks that html embeds want figures as decodable PNG data URIs, refers to no
// external resource and contains each of the strings in has.
func checkPage(t *testing.T, html string, want int, has ...string) {
	t.Helper()
	m := imgRE.FindAllStringSubmatch(html, -1)
	if len(m) != want {
		t.Errorf("page embeds %d PNG figures, want %d", len(m), want)
	}
	for _, sm := range m {
		b, err := base64.StdEncoding.DecodeString(sm[1])
		if err != nil {
			t.Fatalf("figure data URI: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("embedded figure does not decode: %v", err)
		}
		if w := img.Bounds().Dx(); sm[2] != strconvItoa(w) {
			t.Errorf("img width attribute %s, PNG is %d wide", sm[2], w)
		}
	}
	// Self-contained: no external scripts, styles, images or fonts.
	for _, bad := range []string{"<link", "src=\"http", "src='http", "url(http", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("page refers to an external resource (%q)", bad)
		}
	}
	for _, s := range has {
		if !strings.Contains(html, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}

func strconvItoa(n int) string { return intCell(n).Text }

func TestRunReport(t *testing.T) {
	rep, err := NewRunReport(testRun())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"training.png", "ratemaps.png", "autocorrelograms.png", "scores.png", "trajectories.png", "spectrum.png"}
	if len(rep.Figures) != len(names) {
		t.Fatalf("%d figures, want %d", len(rep.Figures), len(names))
	}
	for i, n := range names {
		if rep.Figures[i].Name != n {
			t.Errorf("figure %d is %s, want %s", i, rep.Figures[i].Name, n)
		}
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	if err := rep.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	// A figure left by an earlier report goes; other files stay.
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"stale.png", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, FiguresDir, n), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := rep.WriteFigures(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, FiguresDir, "stale.png")); !os.IsNotExist(err) {
		t.Errorf("stale.png still there (err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, FiguresDir, "notes.txt")); err != nil {
		t.Errorf("notes.txt: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, FiguresDir, n))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	// Vector copies beside the PNGs when asked for; asked no more, they go.
	if err := rep.WriteFigures(dir, nil, "svg", "pdf"); err != nil {
		t.Fatal(err)
	}
	vector := func(n, ext string) string { return filepath.Join(dir, FiguresDir, strings.TrimSuffix(n, ".png")+ext) }
	for _, n := range names {
		for _, ext := range []string{".svg", ".pdf"} {
			if st, err := os.Stat(vector(n, ext)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", vector(n, ext), err)
			}
		}
	}
	if err := rep.WriteFigures(dir, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(vector(names[0], ".pdf")); !os.IsNotExist(err) {
		t.Errorf("a PDF no longer asked for is still there (err %v)", err)
	}
	if err := rep.WriteFigures(dir, nil, "eps"); err == nil {
		t.Error("format eps accepted")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	checkPage(t, html, len(names),
		"<title>run &lt;test&gt; &amp; co</title>", // the title is escaped
		"decoding error (cm)", "&#34;seed&#34;: 1", // headline, config
		`<td data-v="1.1" class="num">1.1</td>`, // sortable unit table with sort keys
		"generated 2026-01-02T03:04:05Z")
	// Six units, the NaN score without a sort key so it sorts last.
	if got := strings.Count(html, "<tr><td data-v=\"1"); got != 6 {
		t.Errorf("units table has %d rows, want 6", got)
	}
}

func TestRunReportWithoutData(t *testing.T) {
	rep, err := NewRunReport(&Run{Headline: []Item{{"steps", "0"}}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	checkPage(t, b.String(), 0, "No metrics were logged", "<title>gridcells run</title>")
}

func TestRunReportBadMap(t *testing.T) {
	r := testRun()
	r.Units[0].Map = r.Units[0].Map[:10]
	if _, err := NewRunReport(r); err == nil || !strings.Contains(err.Error(), "unit 10") {
		t.Errorf("error %v, want one naming unit 10", err)
	}
}

// A sweep whose runs tracked their scores has the emergence column, sorted by the median
// step (a condition in which half the runs or more had no grid cells after every step); one
// whose runs did not has no such column.
func TestSweepReportEmergence(t *testing.T) {
	s := testSweep()
	s.Conditions[0].Tracked, s.Conditions[0].GridFromCell, s.Conditions[0].MedianGridFrom = 2, "4500 (2/2)", 4500
	s.Conditions[1].Tracked, s.Conditions[1].GridFromCell, s.Conditions[1].MedianGridFrom = 1, "none (0/1)", math.Inf(1)
	html := sweepHTML(t, s)
	for _, want := range []string{"grid cells from step: median (runs/tracked; runs&#39; own threshold)", `<td data-v="4500" class="num">4500 (2/2)</td>`, `<td data-v="Infinity" class="num">none (0/1)</td>`} {
		if !strings.Contains(html, want) {
			t.Errorf("sweep report lacks %q", want)
		}
	}
	if html := sweepHTML(t, testSweep()); strings.Contains(html, "grid cells from step") {
		t.Error("a sweep without tracked scores has the emergence column")
	}
}

func sweepHTML(t *testing.T, s *Sweep) string {
	t.Helper()
	rep, err := NewSweepReport(s)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSweepReport(t *testing.T) {
	rep, err := NewSweepReport(testSweep())
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	checkPage(t, html, 4,
		`<a href="runs/aaa/report.html">aaa</a>`,
		`<td data-v="1" class="num">2/2 = 1.00 [0.70, 1.00]</td>`, // condition fraction with its interval
		`<td class="num">0/0</td>`,                                // no finished run: no fraction
		`<td class="failed">failed</td>`, "diverged",
		`<th scope="row">finished</th><td class="num">4</td>`,
		`table class="sortable" id="table-runs"`, `data-type="num"`)
	for _, n := range []string{"fractions.png", "survival.png", "periods.png", "spectra.png"} {
		found := false
		for _, f := range rep.Figures {
			found = found || f.Name == n
		}
		if !found {
			t.Errorf("no figure %s", n)
		}
	}
}

// A random search groups one run per condition: with 3,000 conditions the fractions figure
// shows the 40 with the most finished runs (it was 300,120 pixels wide), the survival
// figure 12 curves, and the tables their first 1,000 rows, each saying so.
func TestSweepReportManyConditions(t *testing.T) {
	s := &Sweep{Title: "random", Keys: []string{"model.learning_rate"}, DecodeCM: 10, Grid: 0.8, ParamKeys: []string{"model.learning_rate"}}
	frac := figure.Fraction{P: 0.5, Lo: 0.1, Hi: 0.9, K: 1, N: 2}
	for i := range 3000 {
		n := 1
		if i%100 == 7 { // 30 conditions of 3 finished runs: these come first
			n = 3
		}
		v := strconv.Itoa(i)
		s.Conditions = append(s.Conditions, Condition{Values: []string{v}, Runs: n, N: n, FracDecode: frac, FracGrid: frac, Scores: []float64{0.1 * float64(i%10)}})
		s.Runs = append(s.Runs, SweepRun{ID: "r" + v, Index: i, Params: []string{v}, Status: "finished", DecodingErrorCM: 5, MaxScore60: 0.5, Steps: 10})
	}
	rep, err := NewSweepReport(s)
	if err != nil {
		t.Fatal(err)
	}
	widths := map[string]int{}
	for _, f := range rep.Figures {
		img, err := png.Decode(bytes.NewReader(f.PNG))
		if err != nil {
			t.Fatal(err)
		}
		widths[f.Name] = img.Bounds().Dx()
		if (f.Name == "fractions.png" || f.Name == "survival.png") && !strings.Contains(f.Caption, "of 3000 conditions with the most finished runs") {
			t.Errorf("%s caption does not say which conditions it shows: %q", f.Name, f.Caption)
		}
	}
	if w := widths["fractions.png"]; w == 0 || w > 100*maxFigureConditions+120 {
		t.Errorf("fractions.png %d pixels wide; want at most %d", w, 100*maxFigureConditions+120)
	}
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if n := strings.Count(html, "<tr"); n > 2*maxTableRows+50 {
		t.Errorf("%d table rows in the page; want about %d", n, 2*maxTableRows)
	}
	for _, want := range []string{"the first 1000 of 3000", "r999<", "Conditions (the first 1000 of 3000"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "r1000<") {
		t.Error("the runs table goes past its first 1000 rows")
	}
	// 50,000 units with a period: the scatter draws every 3rd.
	s.Periods = &figure.PeriodData{}
	for i := range 50000 {
		s.Periods.Units = append(s.Periods.Units, figure.PeriodPoint{Sigma: 0.12, Period: 10 + float64(i%20)})
	}
	rep, err = NewSweepReport(s)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range rep.Figures {
		if f.Name == "periods.png" {
			found = true
			if !strings.Contains(f.Caption, "one unit in 3 (16667 of 50000)") {
				t.Errorf("periods caption: %q", f.Caption)
			}
		}
	}
	if !found {
		t.Error("no periods figure")
	}
	keep, eligible := s.largestConditions(maxFigureConditions, false)
	if eligible != len(s.Conditions) {
		t.Errorf("%d conditions to choose among; want all %d", eligible, len(s.Conditions))
	}
	// The 30 conditions of 3 runs, then the first of the others: 0–6 and 8–10.
	shown := 0
	for i, k := range keep {
		want := i%100 == 7 || i <= 10
		if k != want {
			t.Errorf("condition %d shown %v; want %v", i, k, want)
		}
		if k {
			shown++
		}
	}
	if shown != maxFigureConditions {
		t.Errorf("%d conditions shown; want %d", shown, maxFigureConditions)
	}
}

// The page says that unfinished runs are left out of the fractions, how many finished runs
// diverged, and what "baseline" stands for in the figures; the survival figure draws each
// threshold once (--grid-threshold 0.3 drew 0.3 twice and lost 0.8).
func TestSweepReportNotes(t *testing.T) {
	s := testSweep()
	s.Runs[3].Diverged = true
	html := sweepHTML(t, s)
	for _, want := range []string{
		"2 of 6 runs have not finished; the conditions count finished runs only",
		"Diverged during training: 1 of the finished runs",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("sweep report lacks %q", want)
		}
	}
	if strings.Contains(html, "“baseline”") {
		t.Error("a one-key sweep's page explains a baseline it does not have")
	}

	hyper := &Sweep{Title: "hyper", Keys: []string{"model.activation", "training.learning_rate"}, DecodeCM: 10, Grid: 0.3}
	frac := figure.Fraction{P: 0.5, Lo: 0.1, Hi: 0.9, K: 1, N: 2}
	for _, v := range [][]string{{"relu", "0.003"}, {"tanh", "0.003"}, {"relu", "0.5"}} {
		hyper.Conditions = append(hyper.Conditions, Condition{Values: v, Runs: 2, N: 2, FracDecode: frac, FracGrid: frac, Scores: []float64{0.1, 0.5}})
	}
	rep, err := NewSweepReport(hyper)
	if err != nil {
		t.Fatal(err)
	}
	explained := 0
	for _, f := range rep.Figures {
		if strings.Contains(f.Caption, "“baseline” is the condition at the most common value of every key that varies (activation=relu, learning_rate=0.003)") {
			explained++
		}
	}
	if explained != 2 {
		t.Errorf("%d figure captions explain the baseline, want 2 (fractions, survival)", explained)
	}
}
