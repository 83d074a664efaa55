package figure

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
)

// vectorLabel has letters Windows-1252 encodes (×, µ, –, é) and letters it lacks (σ, ≥).
const vectorLabel = "DoS, σ 0.12 m, surround ×2, µm – é ≥ 1"

// vectorTestFace is the axis-label font at size.
func vectorTestFace(size vg.Length) font.Face {
	f := plot.New().X.Label.TextStyle.Font
	return font.DefaultCache.Lookup(f, size)
}

// vectorTestDrawing draws, on a canvas of 9 × 2 in, vectorLabel at 28 pt and a 4×4
// checkerboard of red and blue bins 1 in square, an image of 16×16 pixels a bin as the
// figures' heat maps are (heatMapWith), bin (0, 0) red at the top left.
func vectorTestDrawing(c vg.CanvasWriterTo) {
	c.SetColor(color.Black)
	c.FillString(vectorTestFace(28), vg.Point{X: 0.2 * vg.Inch, Y: 1.4 * vg.Inch}, vectorLabel)
	img := image.NewRGBA(image.Rect(0, 0, 64, 64))
	for y := range 64 {
		for x := range 64 {
			img.Set(x, y, [2]color.RGBA{{200, 30, 30, 255}, {30, 30, 200, 255}}[(x/16+y/16)%2])
		}
	}
	c.DrawImage(vg.Rectangle{Min: vg.Point{X: 3 * vg.Inch, Y: 0.1 * vg.Inch}, Max: vg.Point{X: 4 * vg.Inch, Y: 1.1 * vg.Inch}}, img)
}

const (
	vectorTestWidth  = 9 * vg.Inch
	vectorTestHeight = 2 * vg.Inch
	vectorTestDPI    = 144
)

func encodeVectorTest(t *testing.T, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := encodeCanvas(&b, format, vectorTestWidth, vectorTestHeight, vectorTestDPI, vectorTestDrawing); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWinAnsiRuns(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []textRun
	}{
		{"", nil},
		{"score60", []textRun{{0, 7, true}}},
		{"×2 µm", []textRun{{0, 7, true}}},
		{"σ", []textRun{{0, 2, false}}},
		{"a σ≥b", []textRun{{0, 2, true}, {2, 7, false}, {7, 8, true}}},
		{"x\xffy", []textRun{{0, 1, true}, {1, 2, false}, {2, 3, true}}}, // invalid UTF-8
	} {
		if got := winAnsiRuns(c.in); !slices.Equal(got, c.want) {
			t.Errorf("winAnsiRuns(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := toWinAnsi("×µ–é"); got != "\xd7\xb5\x96\xe9" {
		t.Errorf("toWinAnsi = %q", got)
	}
}

// A glyph's outline spans the box the font's glyph header gives it (sfnt.GlyphBounds, read
// from the font, not from the outline), scaled to the size, wherever it is drawn.
func TestGlyphPathBounds(t *testing.T) {
	const size = 50
	f := vectorTestFace(size)
	origin := vg.Point{X: 10, Y: 20}
	var buf sfnt.Buffer
	for _, r := range "σ≥Ω√µ×g" {
		p := glyphPath(f, origin, r)
		if len(p) == 0 {
			t.Errorf("%q: no outline", r)
			continue
		}
		minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
		for _, c := range p {
			if c.Type == vg.CloseComp {
				continue
			}
			for _, q := range append([]vg.Point{c.Pos}, c.Control...) {
				minX, maxX = math.Min(minX, float64(q.X-origin.X)), math.Max(maxX, float64(q.X-origin.X))
				minY, maxY = math.Min(minY, float64(q.Y-origin.Y)), math.Max(maxY, float64(q.Y-origin.Y))
			}
		}
		idx, err := f.Face.GlyphIndex(&buf, r)
		if err != nil || idx == 0 {
			t.Fatalf("%q: glyph %d, %v", r, idx, err)
		}
		upem := f.Face.UnitsPerEm()
		b, _, err := f.Face.GlyphBounds(&buf, idx, fixed.Int26_6(upem), 0)
		if err != nil {
			t.Fatal(err)
		}
		scale := size / float64(upem)
		// GlyphBounds is y-down; the canvas is y-up.
		want := [4]float64{float64(b.Min.X) * scale, -float64(b.Max.Y) * scale, float64(b.Max.X) * scale, -float64(b.Min.Y) * scale}
		got := [4]float64{minX, minY, maxX, maxY}
		for i := range got {
			if math.Abs(got[i]-want[i]) > 0.01*size {
				t.Errorf("%q: outline spans %.2f, font's box %.2f (points)", r, got, want)
				break
			}
		}
	}
}

// pdfContent is the concatenation of the decompressed streams of a PDF that show text or
// fill paths (its page contents), the fonts' streams left out.
func pdfContent(t *testing.T, pdf []byte) []byte {
	t.Helper()
	var out []byte
	for _, m := range regexp.MustCompile(`(?s)stream\r?\n(.*?)endstream`).FindAllSubmatch(pdf, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		b, err := io.ReadAll(r)
		if err != nil && len(b) == 0 {
			continue
		}
		if bytes.Contains(b, []byte("Tj")) {
			out = append(out, b...)
		}
	}
	if out == nil {
		t.Fatal("no page content with text found in the PDF")
	}
	return out
}

// The PDF shows the letters Windows-1252 has as that code page's single bytes, never as
// UTF-8 (which the WinAnsi font would print as "Ïƒ" and "Ã—"), and fills the others as
// outlines.
func TestPDFTextBeyondASCII(t *testing.T) {
	content := pdfContent(t, encodeVectorTest(t, "pdf"))
	var shown []byte
	for _, m := range regexp.MustCompile(`(?s)\((.*?)\) ?Tj`).FindAllSubmatch(content, -1) {
		shown = append(shown, m[1]...)
	}
	for _, want := range []string{"DoS, ", " 0.12 m, surround \xd72, \xb5m \x96 \xe9 ", " 1"} {
		if !bytes.Contains(shown, []byte(want)) {
			t.Errorf("the text shown lacks %q: %q", want, shown)
		}
	}
	for _, utf8 := range []string{"σ", "≥", "×", "µ", "–", "é"} {
		if bytes.Contains(content, []byte(utf8)) {
			t.Errorf("%s written as UTF-8 bytes", utf8)
		}
	}
	// σ and ≥ are drawn as two filled outlines (PDF's nonzero fill, operator f).
	if n := len(regexp.MustCompile(`(?m)^f$| f\n`).FindAll(content, -1)); n < 2 {
		t.Errorf("%d filled paths, want the outlines of σ and ≥", n)
	}
}

// The SVG declares its images as the PNG data they are, drawn as square bins, on a white
// page, and the image decodes to the heat map's bins.
func TestSVGImagesArePNG(t *testing.T) {
	svg := encodeVectorTest(t, "svg")
	if bytes.Contains(svg, []byte("image/jpg")) {
		t.Error("an image declared image/jpg")
	}
	m := regexp.MustCompile(`<image [^>]*style="image-rendering:optimizeSpeed;image-rendering:pixelated" xlink:href="data:image/png;base64,([A-Za-z0-9+/=]+)"`).FindSubmatch(svg)
	if m == nil {
		t.Fatal("no <image> of PNG data drawn pixelated")
	}
	data, err := base64.StdEncoding.DecodeString(string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the image is not PNG: %v", err)
	}
	if r, _, b, _ := img.At(0, 0).RGBA(); img.Bounds().Dx() != 64 || r>>8 != 200 || b>>8 != 30 {
		t.Errorf("image %v, bin (0, 0) %v", img.Bounds(), img.At(0, 0))
	}
	if !regexp.MustCompile(`<path d="M0,0L648,0L648,144L0,144Z" style="fill:#FFFFFF" />`).Match(svg) {
		t.Error("no white page behind the drawing")
	}
}

// Rendered by independent readers (poppler's pdftoppm, librsvg's rsvg-convert) at the PNG's
// resolution, the PDF and SVG look like the PNG: in 8×8-pixel blocks of grey level 0–1, none
// differs by more than 0.25 and under 2 % by more than 0.1 (anti-aliasing differs between
// rasterisers). A misdrawn letter at 28 pt (σ printed as "Ïƒ") or a missing heat map
// differs by 0.5 or more in whole blocks. The bins must stay squares, not a blur: the centre
// of each bin has its colour. Skipped where the readers are not installed (CI installs
// poppler-utils and librsvg2-bin).
func TestVectorFormatsRenderAsPNG(t *testing.T) {
	want := decodeOnWhite(t, encodeVectorTest(t, "png"))
	dir := t.TempDir()
	for _, c := range []struct {
		format, tool string
		args         func(in, out string) []string // out: the PNG to write
	}{
		{"pdf", "pdftoppm", func(in, out string) []string {
			return []string{"-r", "144", "-png", "-singlefile", in, strings.TrimSuffix(out, ".png")}
		}},
		{"svg", "rsvg-convert", func(in, out string) []string {
			return []string{"--dpi-x", "144", "--dpi-y", "144", "-o", out, in}
		}},
	} {
		t.Run(c.format, func(t *testing.T) {
			tool, err := exec.LookPath(c.tool)
			if err != nil {
				t.Skipf("%s not installed", c.tool)
			}
			in := filepath.Join(dir, "test."+c.format)
			if err := os.WriteFile(in, encodeVectorTest(t, c.format), 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(dir, c.format+"-rendered.png")
			if msg, err := exec.Command(tool, c.args(in, out)...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", c.tool, err, msg)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got := decodeOnWhite(t, b)
			worst, frac := blockDifference(want, got)
			t.Logf("%s: worst %.3f frac %.4f", c.tool, worst, frac)
			if worst > 0.25 || frac > 0.02 {
				t.Errorf("rendered by %s: worst block differs by %.3f, %.2f%% of blocks by > 0.1; want ≤ 0.25 and ≤ 2%%", c.tool, worst, 100*frac)
			}
			// Bin (i, j) of the 1-in square at (3 in, 0.1 in), 0.25 in a side: its centre.
			for i := range 4 {
				for j := range 4 {
					x := int((3 + 0.25*float64(j) + 0.125) * vectorTestDPI)
					y := int((2 - 1.1 + 0.25*float64(i) + 0.125) * vectorTestDPI)
					r, _, bl, _ := got.At(x, y).RGBA()
					red := (i+j)%2 == 0
					if red != (r>>8 > 150 && bl>>8 < 80) || !red != (bl>>8 > 150 && r>>8 < 80) {
						t.Errorf("bin (%d, %d) centre %v, want %s", i, j, got.At(x, y), map[bool]string{true: "red", false: "blue"}[red])
					}
				}
			}
		})
	}
}

func decodeOnWhite(t *testing.T, b []byte) *image.RGBA {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	// Transparent pixels are on white paper.
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Over)
	return rgba
}

// blockDifference compares the grey levels of a and b in 8×8 blocks: the largest difference
// of a block's mean, and the fraction of blocks whose means differ by more than 0.1. b is
// first shifted by up to a pixel each way to where it matches a best: rasterisers round a
// page's size and origin differently (poppler makes a 2 in page at 144 dpi 289 pixels tall).
func blockDifference(a, b *image.RGBA) (worst, frac float64) {
	grey := func(img *image.RGBA, x, y int) float64 {
		c := color.GrayModel.Convert(img.At(img.Bounds().Min.X+x, img.Bounds().Min.Y+y)).(color.Gray)
		return float64(c.Y) / 255
	}
	w := (min(a.Bounds().Dx(), b.Bounds().Dx()) - 2) / 8
	h := (min(a.Bounds().Dy(), b.Bounds().Dy()) - 2) / 8
	compare := func(dx, dy int) (worst, frac, total float64) {
		bad := 0
		for by := range h {
			for bx := range w {
				var d float64
				for y := 1 + by*8; y < 1+by*8+8; y++ {
					for x := 1 + bx*8; x < 1+bx*8+8; x++ {
						d += grey(a, x, y) - grey(b, x+dx, y+dy)
					}
				}
				d = math.Abs(d) / 64
				worst, total = math.Max(worst, d), total+d
				if d > 0.1 {
					bad++
				}
			}
		}
		return worst, float64(bad) / float64(w*h), total
	}
	best := math.Inf(1)
	for dy := -1; dy <= 1; dy++ {
		for dx := -1; dx <= 1; dx++ {
			if wo, fr, total := compare(dx, dy); total < best {
				best, worst, frac = total, wo, fr
			}
		}
	}
	return worst, frac
}

// PNGs say their resolution (pHYs, pixels per metre): the natural size at DPI, a printed
// figure at its Print's DPI, so that LaTeX and word processors place it at its size. The
// chunk's CRC is checked by reading it back, and image/png still decodes the file.
func TestPNGResolution(t *testing.T) {
	for _, dpi := range []int{DPI, 300} {
		var b bytes.Buffer
		if err := encodeCanvas(&b, "png", 2*vg.Inch, vg.Inch, dpi, func(vg.CanvasWriterTo) {}); err != nil {
			t.Fatal(err)
		}
		data := b.Bytes()
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 2*dpi {
			t.Errorf("%d dpi: %d pixels for 2 in", dpi, img.Bounds().Dx())
		}
		found := false
		for off := 8; off+12 <= len(data); {
			n := int(binary.BigEndian.Uint32(data[off:]))
			typ, body := string(data[off+4:off+8]), data[off+8:off+8+n]
			if crc := binary.BigEndian.Uint32(data[off+8+n:]); crc != crc32.ChecksumIEEE(data[off+4:off+8+n]) {
				t.Errorf("%d dpi: chunk %s has a bad CRC", dpi, typ)
			}
			if typ == "pHYs" {
				found = true
				x, y := binary.BigEndian.Uint32(body), binary.BigEndian.Uint32(body[4:])
				if body[8] != 1 || x != y || math.Abs(float64(x)-float64(dpi)/0.0254) > 0.5 { // whole pixels per metre
					t.Errorf("%d dpi: pHYs %d × %d per unit %d", dpi, x, y, body[8])
				}
			}
			off += 12 + n
		}
		if !found {
			t.Errorf("%d dpi: no pHYs chunk", dpi)
		}
	}
}

// A letter drawn as an outline after text is placed where the text ends as the PDF sets it
// (without kerning): placed by the kerned width, a σ after "AVAV…" overlapped the last V.
// Rendered by poppler, the σ stands apart from the V by its space.
func TestPDFOutlineAfterKernedText(t *testing.T) {
	tool, err := exec.LookPath("pdftoppm")
	if err != nil {
		t.Skip("pdftoppm not installed")
	}
	var b bytes.Buffer
	if err := encodeCanvas(&b, "pdf", 9*vg.Inch, vg.Inch, 144, func(c vg.CanvasWriterTo) {
		c.SetColor(color.Black)
		c.FillString(vectorTestFace(28), vg.Point{X: 0.2 * vg.Inch, Y: 0.4 * vg.Inch}, "AVAVAVAVAVAVAVAV σ")
	}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "k.pdf"), filepath.Join(dir, "k")
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(tool, "-r", "144", "-png", "-singlefile", in, out).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, msg)
	}
	data, err := os.ReadFile(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img := decodeOnWhite(t, data)
	// Columns with ink, right to left: the σ, then the gap of the space, then the V.
	inked := func(x int) bool {
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			if color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y < 128 {
				return true
			}
		}
		return false
	}
	x := img.Bounds().Max.X - 1
	for ; x > 0 && !inked(x); x-- {
	}
	for ; x > 0 && inked(x); x-- { // the σ
	}
	gap := 0
	for ; x > 0 && !inked(x); x-- {
		gap++
	}
	// The space of Liberation Serif is 0.25 em: 7 pt, 14 pixels at 144 dpi.
	if gap < 8 {
		t.Errorf("σ %d pixels from the V before it, want the space's 14 or so", gap)
	}
}
