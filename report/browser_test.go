package report

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// chromiumTimeout bounds one headless Chromium run; a page of a few hundred kB loads in
// about a second.
const chromiumTimeout = 90 * time.Second

// chromium returns the path of a Chromium binary (Debian package chromium), or "" when
// there is none.
func chromium() string {
	if p := os.Getenv("GRIDCELLS_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// runChromium loads the file page in headless Chromium with the extra flags and returns
// its stdout and the console messages it logged (lines of stderr naming CONSOLE).
func runChromium(t *testing.T, bin, page string, extra ...string) (stdout string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), chromiumTimeout)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	args = append(args, extra...)
	args = append(args, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	// Chromium's helper processes inherit stdout; if a timeout kills the browser, stop
	// waiting for them to close it.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, tail(errb.String(), 2000))
	}
	for _, l := range strings.Split(errb.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	return out.String(), console
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

var loadedRE = regexp.MustCompile(`data-figures-loaded="(\d+)/(\d+)"`)

// checkInBrowser opens the page in headless Chromium and checks that it logs nothing to
// the console (no script error), that all `figures` images decoded (the page's own load
// handler counts them), that the screenshot is not blank, and that extraScript (appended
// before </body>, may be empty) leaves each of the strings in want in the final DOM.
func checkInBrowser(t *testing.T, bin string, rep *Report, figures int, extraScript string, want ...string) {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	if extraScript != "" {
		html = strings.Replace(html, "</body>", "<script>"+extraScript+"</script>\n</body>", 1)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}

	dom, console := runChromium(t, bin, page, "--dump-dom")
	for _, l := range console {
		t.Errorf("console message: %s", l)
	}
	m := loadedRE.FindStringSubmatch(dom)
	if m == nil {
		t.Fatalf("no data-figures-loaded attribute in the DOM (load handler did not run)")
	}
	if m[1] != m[2] || m[2] != strconvItoa(figures) {
		t.Errorf("%s of %s images decoded, want %d of %d", m[1], m[2], figures, figures)
	}
	for _, w := range want {
		if !strings.Contains(dom, w) {
			t.Errorf("DOM lacks %q", w)
		}
	}

	shot := filepath.Join(dir, "shot.png")
	const width, height = 1280, 1800
	runChromium(t, bin, page, "--screenshot="+shot, "--window-size=1280,1800", "--hide-scrollbars")
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if s := img.Bounds().Size(); s.X != width || s.Y != height {
		t.Errorf("screenshot %v, want %d×%d", s, width, height)
	}
	// Non-blank: the page's figures (data, text, colour maps) give many colours and a
	// good share of non-white pixels.
	colors, nonWhite := screenshotStats(img)
	const minColors, minNonWhite = 50, 0.02
	if colors < minColors || nonWhite < minNonWhite {
		t.Errorf("screenshot looks blank: %d colours, %.3f non-white", colors, nonWhite)
	}
}

// screenshotStats returns the number of distinct colours and the fraction of non-white
// pixels of img.
func screenshotStats(img image.Image) (int, float64) {
	seen := map[[3]uint32]bool{}
	nonWhite := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			seen[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
			if r>>8 < 250 || g>>8 < 250 || bl>>8 < 250 {
				nonWhite++
			}
		}
	}
	return len(seen), float64(nonWhite) / float64(b.Dx()*b.Dy())
}

func TestBrowserRunReport(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("headless Chromium not found (Debian package chromium; or set GRIDCELLS_CHROMIUM)")
	}
	rep, err := NewRunReport(testRun())
	if err != nil {
		t.Fatal(err)
	}
	checkInBrowser(t, bin, rep, len(rep.Figures), "")
}

func TestBrowserSweepReport(t *testing.T) {
	bin := chromium()
	if bin == "" {
		t.Skip("headless Chromium not found (Debian package chromium; or set GRIDCELLS_CHROMIUM)")
	}
	rep, err := NewSweepReport(testSweep())
	if err != nil {
		t.Fatal(err)
	}
	// Click "max score60" of the runs table twice (descending) and record the run order;
	// then sort by decoding error ascending: runs without a number go last either way.
	const script = `
var heads = document.querySelectorAll("#table-runs thead th");
function col(name) { for (var i = 0; i < heads.length; i++) { if (heads[i].textContent === name) { return heads[i]; } } }
function order() { return Array.prototype.map.call(document.querySelectorAll("#table-runs tbody tr"), function (r) { return r.cells[0].textContent; }).join(","); }
col("max score60").click(); col("max score60").click();
document.body.setAttribute("data-test-desc", order());
col("decoding error (cm)").click();
document.body.setAttribute("data-test-err", order());
col("run").click(); col("run").click();
document.body.setAttribute("data-test-id", order());`
	checkInBrowser(t, bin, rep, len(rep.Figures), script,
		`data-test-desc="aaa,bbb,ccc,ddd,eee,fff"`,
		`data-test-err="ccc,aaa,bbb,ddd,eee,fff"`,
		`data-test-id="fff,eee,ddd,ccc,bbb,aaa"`,
		`aria-sort="descending"`)
}
