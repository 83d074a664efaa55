package sim

import (
	"math"
	"math/rand/v2"

	"github.com/gridcells/gridcells/internal/workpool"
)

// sorscherChunk is the number of trajectories walked with one random stream. A batch's
// chunks draw their streams' seeds from the generator's source in order, so the batch depends
// on the source state and this constant only, not on how many goroutines walk the chunks.
const sorscherChunk = 32

// sorscherChunks returns the number of chunks of a batch of B trajectories.
func sorscherChunks(B int) int { return (B + sorscherChunk - 1) / sorscherChunk }

// sorscher fills dst with the random walk of spec §1.1 (SOR trajectory_generator.py
// generate_trajectory; NFL trajectory_generator.py _trajectory_builder). With P[0..T+1]
// and H[0..T+1] the walk's positions and headings, the outputs follow step 6:
// InitPos = P[1], input t = ℓ[t+1]·(cos H[t+1], sin H[t+1]), target t = P[t+2].
//
// The trajectories are independent, so chunks of sorscherChunk of them are walked in parallel
// as the parts of a workpool operation, each with its own PCG stream seeded from g.rng.
func (g *Generator) sorscher(dst *Batch) {
	for c := range g.chunkSrc[:sorscherChunks(dst.B)] {
		g.chunkSrc[c].Seed(g.rng.Uint64(), g.rng.Uint64())
	}
	g.walk.g, g.walk.dst = g, dst
	workpool.Run(&g.walk, sorscherChunks(dst.B), 0)
	g.walk.dst = nil
}

// sorscherWalk is one batch's walk as a workpool.Task: part c walks chunk c.
type sorscherWalk struct {
	g   *Generator
	dst *Batch
}

// Run walks chunk c of the batch's trajectories.
func (w *sorscherWalk) Run(c int) {
	g, dst := w.g, w.dst
	p := &g.p
	B, T := dst.B, dst.T
	hw, hh := p.BoxWidth/2, p.BoxHeight/2
	rng := g.chunkRng[c]
	turnStd := p.RotVelStd * p.Dt // per-step turn std, 11.52·0.02 = 0.2304 rad
	for b := c * sorscherChunk; b < min((c+1)*sorscherChunk, B); b++ {
		// Step 2: P[0] uniform over the box, H[0] uniform in [0, 2π), kept wrapped to
		// [−π, π) from here on (the walk only uses it through sin, cos and the wall rule).
		x := float32((rng.Float64()*2 - 1) * hw)
		y := float32((rng.Float64()*2 - 1) * hh)
		h := wrapAngle(rng.Float64() * 2 * math.Pi)
		dst.InitHeading[b] = float32(h)
		// Step 4 for t = 0..T; step t moves P[t] to P[t+1] along H[t].
		for t := 0; t <= T; t++ {
			// Rayleigh(b) speed as b·|(N₁, N₂)|: two ziggurat normals cost no more than the
			// logarithm of inversion sampling (measured).
			n1, n2 := rng.NormFloat64(), rng.NormFloat64()
			v := p.SpeedScale * math.Sqrt(n1*n1+n2*n2)
			turn := 0.0
			if !p.Periodic {
				turn, v = avoidWall(float64(x), float64(y), h, v, hw, hh, p.BorderRegion, p.BorderSlowdown)
			}
			turn += turnStd * rng.NormFloat64()
			step := v * p.Dt
			sin, cos := sincos(h)
			ux, uy := float32(step*cos), float32(step*sin)
			x += ux
			y += uy
			if p.Periodic {
				x = wrapCoord(x, p.BoxWidth)
				y = wrapCoord(y, p.BoxHeight)
			}
			dst.move(b, t, x, y, ux, uy, float32(h))
			// A turn is at most π/2 from the wall rule plus a few std of noise, so one
			// add or subtract of 2π wraps h back; a larger one (a huge RotVelStd) falls back.
			h += turn
			switch {
			case h >= math.Pi && h < 3*math.Pi:
				h -= 2 * math.Pi
			case h < -math.Pi && h >= -3*math.Pi:
				h += 2 * math.Pi
			case h >= 3*math.Pi || h < -3*math.Pi:
				h = wrapAngle(h)
			}
			if h >= math.Pi { // −π − tiny + 2π rounded up to π
				h = -math.Pi
			}
		}
	}
}

// Coefficients of sincos: π/2 in two parts for the reduction (the first with 33 bits, so that
// j·pio2Hi is exact for the quadrants |j| ≤ 4 in use), and the Taylor coefficients of sin and
// cos on [−π/4, π/4], where the first neglected terms, r¹³/13! and r¹⁴/14!, are below 1e-11.
const (
	pio2Hi = 1.5707963267341256    // π/2 rounded to 33 bits
	pio2Lo = 6.077100506506192e-11 // π/2 − pio2Hi
	sin3   = -1.0 / 6
	sin5   = 1.0 / 120
	sin7   = -1.0 / 5040
	sin9   = 1.0 / 362880
	sin11  = -1.0 / 39916800
	cos4   = 1.0 / 24
	cos6   = -1.0 / 720
	cos8   = 1.0 / 40320
	cos10  = -1.0 / 3628800
	cos12  = 1.0 / 479001600
)

// sincos returns sin h and cos h with absolute error below 1e-11 for |h| ≤ 2π, about twice as
// fast as math.Sincos, which pays for arguments of any size: the walk's headings stay wrapped
// to [−π, π). It reduces h by the nearest multiple j of π/2 and evaluates both series on the
// remainder.
func sincos(h float64) (sin, cos float64) {
	j := math.RoundToEven(h * (2 / math.Pi))
	r := h - j*pio2Hi - j*pio2Lo
	r2 := r * r
	s := r + r*r2*(sin3+r2*(sin5+r2*(sin7+r2*(sin9+r2*sin11))))
	c := 1 - 0.5*r2 + r2*r2*(cos4+r2*(cos6+r2*(cos8+r2*(cos10+r2*cos12))))
	switch int(j) & 3 {
	case 0:
		return s, c
	case 1:
		return c, -s
	case 2:
		return -s, -c
	default:
		return -c, s
	}
}

// growChunks makes sure there is a random stream for each of n chunks.
func (g *Generator) growChunks(n int) {
	for len(g.chunkSrc) < n {
		src := &rand.PCG{}
		g.chunkSrc = append(g.chunkSrc, src)
		g.chunkRng = append(g.chunkRng, rand.New(src))
	}
}

// avoidWall is SOR's avoid_wall for one walker at (x, y) with heading h: if the nearest
// wall (ties go to the first of right, top, left, bottom) is closer than border and the
// walker heads towards it (|a| < π/2, a the heading relative to the wall's outward
// normal), it returns the turn that makes the walker run parallel to the wall and the
// speed times slowdown; otherwise no turn and the speed unchanged.
func avoidWall(x, y, h, v, hw, hh, border, slowdown float64) (turn, speed float64) {
	d, normal := hw-x, 0.0
	if dt := hh - y; dt < d {
		d, normal = dt, math.Pi/2
	}
	if dl := x + hw; dl < d {
		d, normal = dl, math.Pi
	}
	if db := y + hh; db < d {
		d, normal = db, 3*math.Pi/2
	}
	if d >= border {
		return 0, v
	}
	a := wrapAngle(floorMod(h, 2*math.Pi) - normal)
	abs := math.Abs(a)
	if abs >= math.Pi/2 {
		return 0, v
	}
	// np.sign(0) = 0: a walker heading straight at the wall is slowed but not turned.
	switch {
	case a > 0:
		turn = math.Pi/2 - abs
	case a < 0:
		turn = -(math.Pi/2 - abs)
	}
	return turn, v * slowdown
}
