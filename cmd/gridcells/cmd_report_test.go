package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/train"
)

// copyTestdata copies testdata/report/<name> (a run directory from "gridcells train" and
// a sweep directory from "gridcells sweep", shrunk and edited by hand: tiny networks, 12×12
// rate maps; in the sweep, some units given scores above 0.8 with periods, and one run
// turned into a failed one) to a temporary directory, since the command writes into it.
func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", "report", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

func defaultReportOptions() reportOptions {
	return reportOptions{top: 16, paths: 5, decodeCM: 10, grid: 0.8, theory: true}
}

// checkPNGs checks that dir/figures holds exactly the named PNG files and that each decodes.
func checkPNGs(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dir, "figures"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != len(names) {
		var got []string
		for _, e := range ents {
			got = append(got, e.Name())
		}
		t.Errorf("figures/ holds %v, want %v", got, names)
	}
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(dir, "figures", n))
		if err != nil {
			t.Error(err)
			continue
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestReportRunCommand(t *testing.T) {
	dir := copyTestdata(t, "run")
	o := defaultReportOptions()
	o.top = 4
	var stdout, stderr bytes.Buffer
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "run report, 6 figures") {
		t.Errorf("stdout %q", stdout.String())
	}
	checkPNGs(t, dir, "autocorrelograms.png", "ratemaps.png", "scores.png", "spectrum.png", "training.png", "trajectories.png")
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	for _, want := range []string{
		"<title>run run</title>",
		`<th scope="row">decoding error (cm)</th><td class="num">106.719</td>`, // summary.json, 6 digits, named for readers
		`<th scope="row">fraction of units with score60 &gt; 0.3</th><td class="num">0.25</td>`,
		"of the 4 units with the highest 60° grid scores", // montage caption: --top 4 of the 8 units
		"&#34;box_width&#34;: 2.2",
		"Units (8 analysed)",
		// Spec §8.4: σ 0.12 m, s 2 (NFL convention) → k* 8.01 rad/m, spacing 0.906 m, which
		// is 4.9 bins of 2.2/12 m.
		"k* = 8.01 rad/m and a predicted grid period of 4.9 rate-map bins",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if n := strings.Count(html, "data:image/png;base64,"); n != 6 {
		t.Errorf("report.html embeds %d figures, want 6", n)
	}

	// Without theory, without trajectories: two figures fewer, written again over the first.
	o.theory, o.paths = false, 0
	stdout.Reset()
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "run report, 4 figures") {
		t.Errorf("stdout %q", stdout.String())
	}
}

// With --figure-width the figure files are laid out for the page, the PNGs at --figure-dpi;
// the page embeds them at their screen size still.
func TestReportRunCommandPrint(t *testing.T) {
	dir := copyTestdata(t, "run")
	o := defaultReportOptions()
	o.top = 4
	o.figures = figureOutput{width: "3.3in", fontSize: 8, dpi: 150}
	if err := o.figures.formats.Set("pdf"); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "figures", "training.png"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// 3.3 in at 150 dpi: the training figure is wider than that at its natural size.
	if w := img.Bounds().Dx(); w < 494 || w > 496 {
		t.Errorf("training.png is %d pixels wide, want 495 (3.3 in at 150 dpi)", w)
	}
	pdf, err := os.ReadFile(filepath.Join(dir, "figures", "training.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(pdf, []byte("/MediaBox [0 0 237.60 ")) {
		t.Errorf("training.pdf is not 3.3 in (237.60 pt) wide")
	}
	html, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(html, []byte(base64.StdEncoding.EncodeToString(b[:48]))) {
		t.Errorf("report.html embeds the printed PNG, not the screen one")
	}
}

// A page too narrow for a figure at its font size: the figure is written wider, and the
// command says so.
func TestReportPrintTooNarrow(t *testing.T) {
	dir := copyTestdata(t, "run")
	o := defaultReportOptions()
	o.figures = figureOutput{width: "1in", fontSize: 24}
	var stdout, stderr bytes.Buffer
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "wider than --figure-width 1in") || !strings.Contains(stderr.String(), "at 24 pt") {
		t.Errorf("no warning of the figures wider than 1 in at 24 pt; stderr:\n%s", stderr.String())
	}
}

// A run whose tracked scores never crossed the threshold reads "none" in the headline, one
// that did not track them "not tracked"; the summary's −1 and null are not shown raw.
func TestReportFirstGridStep(t *testing.T) {
	for value, want := range map[string]string{"-1": "none", "null": "not tracked", "3500": ">3500<"} {
		dir := copyTestdata(t, "run")
		path := filepath.Join(dir, "summary.json")
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.Replace(b, []byte("{"), []byte(`{"first_grid_step": `+value+`,`), 1)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		o := defaultReportOptions()
		var stdout, stderr bytes.Buffer
		if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
			t.Fatal(err)
		}
		html, err := os.ReadFile(filepath.Join(dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		i := bytes.Index(html, []byte("grid cells from step"))
		if i < 0 {
			t.Fatalf("first_grid_step %s: no headline row", value)
		}
		if row := string(html[i:min(len(html), i+200)]); !strings.Contains(row, want) {
			t.Errorf("first_grid_step %s: headline row %q lacks %q", value, row, want)
		}
	}
}

func TestReportSweepCommand(t *testing.T) {
	dir := copyTestdata(t, "sweep")
	o := defaultReportOptions()
	o.runs = true
	out := filepath.Join(t.TempDir(), "elsewhere", "sweep.html")
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		t.Fatal(err)
	}
	o.out = out
	var stdout, stderr bytes.Buffer
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	// Two distinct codes (DoS at σ 0.12 and 0.2): the spectra figure has both.
	checkPNGs(t, dir, "fractions.png", "periods.png", "spectra.png", "survival.png")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	rel, err := filepath.Rel(filepath.Dir(out), filepath.Join(dir, "runs", "076170e09d9e", "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		// Conditions by place-cell width (the swept key other than seed), with Wilson intervals:
		// 2/2 decode, 2/2 with grid cells at σ 0.12; σ 0.2 has one finished and one failed run.
		`<td>0.12</td><td data-v="2" class="num">2</td><td data-v="2" class="num">2</td><td data-v="1" class="num">2/2 = 1.00 [0.34, 1.00]</td>`,
		`<td>0.2</td><td data-v="2" class="num">2</td><td data-v="1" class="num">1</td>`,
		`<td class="failed">failed</td>`, "train: loss diverged (NaN) at step 12",
		`<a href="` + filepath.ToSlash(rel) + `">076170e09d9e</a>`, // link to the run's own report (--runs)
	} {
		if !strings.Contains(html, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// --runs wrote the finished runs' reports; the failed run has none.
	for id, want := range map[string]bool{"076170e09d9e": true, "a4731297a9d8": false} {
		_, err := os.Stat(filepath.Join(dir, "runs", id, "report.html"))
		if got := err == nil; got != want {
			t.Errorf("run %s has report.html: %v, want %v", id, got, want)
		}
	}
}

func TestReportCommandUsage(t *testing.T) {
	runDir := copyTestdata(t, "run")
	sweepDir := copyTestdata(t, "sweep")
	// A run that has not finished: its config.json, no summary.json.
	unfinished := t.TempDir()
	cj, err := os.ReadFile(filepath.Join(runDir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unfinished, "config.json"), cj, 0o644); err != nil {
		t.Fatal(err)
	}
	// A directory whose config.json is not a run's.
	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "config.json"), []byte(`{"hello": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// A sweep that gridcells reproduce wrote: its report holds the paper comparison.
	reproduced := copyTestdata(t, "sweep")
	if err := os.WriteFile(filepath.Join(reproduced, reproduceComparison), []byte("quantity\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(runDir, "summary.json")
	for _, c := range []struct {
		name string
		args []string
		edit func(*reportOptions)
		want string
	}{
		{"no argument", nil, nil, "exactly one"},
		{"two arguments", []string{runDir, sweepDir}, nil, "exactly one"},
		{"missing", []string{filepath.Join(runDir, "nope")}, nil, notExistText(t)},
		{"file", []string{file}, nil, "not a directory"},
		{"unfinished run", []string{unfinished}, nil, "has not finished"},
		{"foreign config.json", []string{foreign}, nil, "not a gridcells run directory"},
		{"reproduce result", []string{reproduced}, nil, "--collect-only"},
		{"sweep flag on a run", []string{runDir}, func(o *reportOptions) { o.by = "seed" }, "for a sweep directory"},
		{"plain directory", []string{t.TempDir()}, nil, "neither a run directory"},
		{"top", []string{runDir}, func(o *reportOptions) { o.top = -1 }, "--top"},
		{"decode", []string{runDir}, func(o *reportOptions) { o.decodeCM = -1 }, "--decode-cm"},
		{"by", []string{sweepDir}, func(o *reportOptions) { o.by = "no_such_key" }, "no_such_key"},
		{"font size without width", []string{runDir}, func(o *reportOptions) { o.figures.fontSize = 8 }, "--figure-font-size needs --figure-width"},
		{"dpi without width", []string{runDir}, func(o *reportOptions) { o.figures.dpi = 600 }, "--figure-dpi needs --figure-width"},
		{"width unit", []string{runDir}, func(o *reportOptions) { o.figures.width = "5 furlongs" }, "--figure-width: length \"5 furlongs\""},
		{"width range", []string{runDir}, func(o *reportOptions) { o.figures.width = "0.5in" }, "--figure-width 0.5in: want 1in to 40in"},
		{"font size range", []string{runDir}, func(o *reportOptions) { o.figures.width, o.figures.fontSize = "5in", 30 }, "--figure-font-size 30pt: want 4pt to 24pt"},
		{"dpi range", []string{runDir}, func(o *reportOptions) { o.figures.width, o.figures.dpi = "5in", 5000 }, "--figure-dpi 5000: want 72 to 1200"},
		{"width as given", []string{runDir}, func(o *reportOptions) { o.figures.width = "2cm" }, "--figure-width 2cm: want 1in to 40in"},
		{"font size NaN", []string{runDir}, func(o *reportOptions) { o.figures.width, o.figures.fontSize = "5in", math.NaN() }, "--figure-font-size NaNpt"},
		{"pixels", []string{runDir}, func(o *reportOptions) { o.figures.width, o.figures.dpi = "40in", 1200 }, "48000 × 10800 pixels"},
		{"page pixels", []string{runDir}, func(o *reportOptions) { o.figures.width, o.figures.dpi = "8.3in", 1200 }, "9960 × 10800 pixels"},
	} {
		t.Run(c.name, func(t *testing.T) {
			o := defaultReportOptions()
			if c.edit != nil {
				c.edit(&o)
			}
			var stdout, stderr bytes.Buffer
			err := runReport(context.Background(), &o, c.args, &stdout, &stderr)
			if !errors.As(err, new(UsageError)) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want a usage error mentioning %q", err, c.want)
			}
		})
	}
	// Nothing was written by the refused invocations.
	for _, d := range []string{runDir, sweepDir} {
		if _, err := os.Stat(filepath.Join(d, "report.html")); err == nil {
			t.Errorf("%s: report.html written by a refused invocation", d)
		}
		if _, err := os.Stat(filepath.Join(d, "figures")); err == nil {
			t.Errorf("%s: figures/ written by a refused invocation", d)
		}
	}
}

func TestFlattenJSON(t *testing.T) {
	items, err := flattenJSON([]byte(`{"a": 1, "b": {"x": 0.123456789, "y": null}, "c": [1, 2], "d": "s", "e": true}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "a=1;b x=0.123457;b y=–;c=1, 2;d=s;e=true"
	var got []string
	for _, it := range items {
		got = append(got, it.Name+"="+it.Value)
	}
	if g := strings.Join(got, ";"); g != want {
		t.Errorf("flattenJSON = %s, want %s", g, want)
	}
}

// TestPeriodNoteUsesMapBins: the predicted period is given in bins of the maps the run's
// scores were measured on (summary.json's nbins after "eval --nbins 20"), not of the
// config's first resolution.
func TestPeriodNoteUsesMapBins(t *testing.T) {
	cfg, err := config.Preset(config.PresetNFL2022) // DoS σ 0.12, s 2: 0.906 m, 18.1 bins of 44
	if err != nil {
		t.Fatal(err)
	}
	for nbins, want := range map[int]string{0: "period of 18.1 rate-map bins", 44: "period of 18.1 rate-map bins", 20: "period of 8.2 rate-map bins"} {
		if note := periodNote(cfg, nbins, nil, 0.8); !strings.Contains(note, want) {
			t.Errorf("nbins %d: %q, want %q", nbins, note, want)
		}
	}
}

// TestTopUnitsFromPlotUnits: --top 0 draws the run's eval.plot_units.
func TestTopUnitsFromPlotUnits(t *testing.T) {
	dir := copyTestdata(t, "run")
	path := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, bytes.Replace(b, []byte(`"plot_units": 16`), []byte(`"plot_units": 6`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		dir       string
		top, want int
	}{{dir, 0, 6}, {dir, 3, 3}, {t.TempDir(), 0, 16}} {
		if got := topUnits(c.dir, c.top); got != c.want {
			t.Errorf("topUnits(%s, %d) = %d, want %d", c.dir, c.top, got, c.want)
		}
	}
}

// TestSpectrumTitle: a sweep's spectrum panels are told apart by the runs' names, with the
// constant σ and surround.
func TestSpectrumTitle(t *testing.T) {
	cfg, err := config.Preset(config.PresetNFL2022)
	if err != nil {
		t.Fatal(err)
	}
	if got := spectrumTitle(cfg); got != "DoS, σ 0.12 m, surround ×2" {
		t.Errorf("unnamed DoS: %q", got)
	}
	cfg.Name = "multi-field"
	if got := spectrumTitle(cfg); got != "multi-field, σ 0.12 m, surround ×2" {
		t.Errorf("named: %q", got)
	}
	cfg.Name, cfg.Encoding.PlaceCellRF = "multi-scale", config.Uniform(0.06, 0.24)
	if got := spectrumTitle(cfg); got != "multi-scale, surround ×2" {
		t.Errorf("drawn widths: %q", got)
	}
}

// Ctrl-C while a report is drawn ends it with the context's error (exit 130) and writes no
// report (it finished and exited 0).
func TestReportInterrupted(t *testing.T) {
	for _, kind := range []string{"run", "sweep"} {
		dir := copyTestdata(t, kind)
		o := defaultReportOptions()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var stdout, stderr bytes.Buffer
		if err := runReport(ctx, &o, []string{dir}, &stdout, &stderr); err != context.Canceled {
			t.Errorf("%s report with Ctrl-C: %v; want context.Canceled", kind, err)
		}
		if _, err := os.Stat(filepath.Join(dir, "report.html")); err == nil {
			t.Errorf("%s report with Ctrl-C wrote report.html", kind)
		}
	}
}

// --by none pools every run into one condition, as in sweep collect.
func TestReportSweepByNone(t *testing.T) {
	dir := copyTestdata(t, "sweep")
	o := defaultReportOptions()
	o.by = "none"
	var stdout, stderr bytes.Buffer
	if err := runReport(context.Background(), &o, []string{dir}, &stdout, &stderr); err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "<td>all</td>") {
		t.Error("--by none: no condition \"all\" in the report")
	}
}

// Every key summary.json has gets a readable name in the report's headline table.
func TestSummaryNames(t *testing.T) {
	b, err := json.Marshal(train.Summary{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for k := range m {
		if _, ok := summaryNames[k]; !ok {
			t.Errorf("summary.json key %q has no entry in summaryNames", k)
		}
	}
}

// The period figure's theory curve says at which surround scale it is drawn when the
// sweep has several (NFL's DoS sweep pools five at each width).
func TestSurroundNote(t *testing.T) {
	for _, tc := range []struct {
		all  map[float64]bool
		used map[float64]float64
		want string
	}{
		{map[float64]bool{2: true}, map[float64]float64{0.08: 2, 0.12: 2}, ""},
		{map[float64]bool{1.5: true, 2: true, 4: true}, map[float64]float64{0.08: 2, 0.12: 2}, "s = 2"},
		{map[float64]bool{1.5: true, 2: true, 4: true}, map[float64]float64{0.08: 2, 0.12: 1.5}, "s nearest 2"},
	} {
		if got := surroundNote(tc.all, tc.used); got != tc.want {
			t.Errorf("surroundNote(%v, %v) = %q, want %q", tc.all, tc.used, got, tc.want)
		}
	}
}

// The occupancy beside the trajectories is binned like the run's rate maps, so its empty
// bins are the maps' grey ones; it was always 44 bins.
func TestReportOccupancyBinnedLikeMaps(t *testing.T) {
	dir := copyTestdata(t, "run")
	d, err := evalTrajectories(dir, 20, 5, 2.2, 2.2, 12) // the run's eval_batch_size, box and maps
	if err != nil || d == nil {
		t.Fatalf("%v, %v", d, err)
	}
	if d.Bins != 12 || len(d.Paths) != 5 {
		t.Errorf("occupancy at %d bins with %d paths, want 12 and 5", d.Bins, len(d.Paths))
	}
}
