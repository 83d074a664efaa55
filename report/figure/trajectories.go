package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gridcells/gridcells/sim"
)

// Point is a position in the box, m.
type Point struct{ X, Y float64 }

// Box is the arena, m.
type Box struct{ XMin, XMax, YMin, YMax float64 }

// TrajectoryData is what Trajectories draws.
type TrajectoryData struct {
	Paths []([]Point) // trajectories, each a sequence of positions
	// Occupancy are the positions whose histogram is drawn; nil uses every point of Paths.
	Occupancy []Point
	Box       Box
	Bins      int // histogram bins per side (default 44, NFL's rate-map resolution)
}

// TrajectorySettings configures Trajectories. A nil *TrajectorySettings means defaults.
type TrajectorySettings struct {
	Tile  int    // side of each of the two panels, pixels (default 380)
	Title string // default "trajectories and occupancy"
}

// Trajectories draws sample trajectories in the box (left; a dot marks each start) and the
// occupancy, the fraction of time steps spent in each of Bins×Bins bins (right, same
// binning rule as the rate maps of spec §5.1: points outside the box are dropped, the
// upper edge belongs to the last bin). It panics if the box is empty.
func Trajectories(d TrajectoryData, s *TrajectorySettings) (*Figure, error) {
	var set TrajectorySettings
	if s != nil {
		set = *s
	}
	if set.Tile <= 0 {
		set.Tile = 380
	}
	if set.Title == "" {
		set.Title = "trajectories and occupancy"
	}
	b := d.Box
	if !(b.XMax > b.XMin && b.YMax > b.YMin) {
		panic(Error{"figure: Trajectories: empty box"})
	}
	bins := d.Bins
	if bins <= 0 {
		bins = 44
	}
	f := newFigure(2*set.Tile, set.Tile+30, 1, 2)
	f.Title = set.Title

	paths := plot.New()
	paths.Title.Text = fmt.Sprintf("%d trajectories", len(d.Paths))
	paths.X.Label.Text = "x (m)"
	paths.Y.Label.Text = "y (m)"
	frame, err := plotter.NewLine(plotter.XYs{{X: b.XMin, Y: b.YMin}, {X: b.XMax, Y: b.YMin}, {X: b.XMax, Y: b.YMax}, {X: b.XMin, Y: b.YMax}, {X: b.XMin, Y: b.YMin}})
	if err != nil {
		return nil, fmt.Errorf("figure: %w", err)
	}
	frame.Color = color.Gray{80}
	paths.Add(frame)
	for i, path := range d.Paths {
		segs := pathSegments(path, b)
		if len(segs) == 0 {
			continue
		}
		for _, xy := range segs {
			l, err := plotter.NewLine(xy)
			if err != nil {
				return nil, fmt.Errorf("figure: %w", err)
			}
			l.Color = SeriesColor(i)
			l.Width = vg.Points(1)
			paths.Add(l)
		}
		start, err := plotter.NewScatter(segs[0][:1])
		if err != nil {
			return nil, fmt.Errorf("figure: %w", err)
		}
		start.Color = SeriesColor(i)
		start.Shape = draw.CircleGlyph{}
		start.Radius = vg.Points(2.5)
		paths.Add(start)
	}
	pad := 0.02 * math.Max(b.XMax-b.XMin, b.YMax-b.YMin)
	paths.X.Min, paths.X.Max, paths.Y.Min, paths.Y.Max = b.XMin-pad, b.XMax+pad, b.YMin-pad, b.YMax+pad

	occ := d.Occupancy
	if occ == nil {
		for _, path := range d.Paths {
			occ = append(occ, path...)
		}
	}
	hist, total := Occupancy(occ, b, bins)
	occPlot := plot.New()
	occPlot.Title.Text = fmt.Sprintf("occupancy (%d positions)", total)
	if total < len(occ) {
		// The walk's steps can end a little past a wall; rate maps drop those points too.
		occPlot.Title.Text = fmt.Sprintf("occupancy (%d of %d positions in the box)", total, len(occ))
	}
	occPlot.X.Label.Text = "x (m)"
	occPlot.Y.Label.Text = "y (m)"
	dx, dy := (b.XMax-b.XMin)/float64(bins), (b.YMax-b.YMin)/float64(bins)
	top, empty := 0.0, 0
	shown := make([]float64, len(hist))
	for i, v := range hist {
		top = math.Max(top, v)
		shown[i] = v
		if v == 0 {
			// Grey, as the rate maps' empty bins (which these are when binned alike), not
			// the colour of the least visited bins.
			shown[i], empty = math.NaN(), empty+1
		}
	}
	occPlot.Add(heatMap(mapGrid{z: shown, n0: bins, n1: bins, x0: b.XMin + dx/2, y0: b.YMin + dy/2, dx: dx, dy: dy}, 0, math.Max(top, 1e-300)))
	occPlot.X.Min, occPlot.X.Max, occPlot.Y.Min, occPlot.Y.Max = b.XMin, b.XMax, b.YMin, b.YMax
	f.plots[0][0], f.plots[0][1] = paths, occPlot
	f.setEqualAxes(paths)
	f.setEqualAxes(occPlot)
	key := &colorKey{colors: heatPalette().Colors(), low: "0", high: "max", note: "fraction of positions per bin"}
	if empty > 0 {
		key.note += "; grey: none"
	}
	f.addKey(key)
	return f, nil
}

// pathSegments splits a trajectory into the runs of finite positions that the figure joins
// with lines: a step longer than half the box's width or height is a periodic walk's wrap
// (spec §1.1's periodic box), which a line would draw straight across the box, so the path
// starts anew on the other side, as does a path after a non-finite position.
func pathSegments(path []Point, b Box) []plotter.XYs {
	halfW, halfH := (b.XMax-b.XMin)/2, (b.YMax-b.YMin)/2
	var segs []plotter.XYs
	var cur plotter.XYs
	for _, q := range path {
		if !isFinite(q.X) || !isFinite(q.Y) {
			if len(cur) > 0 {
				segs, cur = append(segs, cur), nil
			}
			continue
		}
		if n := len(cur); n > 0 && (math.Abs(q.X-cur[n-1].X) > halfW || math.Abs(q.Y-cur[n-1].Y) > halfH) {
			segs, cur = append(segs, cur), nil
		}
		cur = append(cur, plotter.XY{X: q.X, Y: q.Y})
	}
	if len(cur) > 0 {
		segs = append(segs, cur)
	}
	return segs
}

// TrajectoriesOf returns the data of Trajectories for a batch of package sim (time-major
// positions Pos, T×B×2, m; the layout of a run's eval/positions.npy too): the first `paths`
// trajectories, each starting at its InitPos when the batch has one, with every position
// of the batch for the occupancy, in the box of the given size centred on the origin (sim's
// convention). It panics if len(b.Pos) ≠ T·B·2.
func TrajectoriesOf(b *sim.Batch, paths int, width, height float64) TrajectoryData {
	if len(b.Pos) != b.T*b.B*2 {
		panic(ErrShape)
	}
	d := TrajectoryData{Box: Box{XMin: -width / 2, XMax: width / 2, YMin: -height / 2, YMax: height / 2}}
	at := func(t, i int) Point { k := 2 * (t*b.B + i); return Point{X: float64(b.Pos[k]), Y: float64(b.Pos[k+1])} }
	for i := range min(max(paths, 0), b.B) {
		var p []Point
		if len(b.InitPos) == 2*b.B {
			p = append(p, Point{X: float64(b.InitPos[2*i]), Y: float64(b.InitPos[2*i+1])})
		}
		for t := range b.T {
			p = append(p, at(t, i))
		}
		d.Paths = append(d.Paths, p)
	}
	d.Occupancy = make([]Point, 0, b.T*b.B)
	for t := range b.T {
		for i := range b.B {
			d.Occupancy = append(d.Occupancy, at(t, i))
		}
	}
	return d
}

// Occupancy returns the fraction of the positions in each of bins×bins bins of the box
// (first index the x-bin) and the number of positions that fell inside the box. Points
// outside are dropped; a point on the upper edge goes in the last bin (spec §5.1). With
// no point inside, every fraction is 0.
func Occupancy(pos []Point, b Box, bins int) ([]float64, int) {
	hist := make([]float64, bins*bins)
	n := 0
	bin := func(v, lo, hi float64) (int, bool) {
		if !(v >= lo && v <= hi) {
			return 0, false
		}
		i := int((v - lo) / (hi - lo) * float64(bins))
		return min(i, bins-1), true
	}
	for _, q := range pos {
		i, okx := bin(q.X, b.XMin, b.XMax)
		j, oky := bin(q.Y, b.YMin, b.YMax)
		if okx && oky {
			hist[i*bins+j]++
			n++
		}
	}
	if n > 0 {
		for i := range hist {
			hist[i] /= float64(n)
		}
	}
	return hist, n
}
