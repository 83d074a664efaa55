package sim

import (
	"math"
	"math/rand/v2"
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
// The trajectories are independent, so chunks of sorscherChunk of them are walked in parallel,
// each with its own PCG stream seeded from g.rng.
func (g *Generator) sorscher(dst *Batch) {
	for c := range g.chunkSrc[:sorscherChunks(dst.B)] {
		g.chunkSrc[c].Seed(g.rng.Uint64(), g.rng.Uint64())
	}
	g.parallelChunks(dst, sorscherChunks(dst.B))
}

// sorscherChunk walks chunk c of dst's trajectories.
func (g *Generator) sorscherWalk(dst *Batch, c int) {
	p := &g.p
	B, T := dst.B, dst.T
	hw, hh := p.BoxWidth/2, p.BoxHeight/2
	rng := g.chunkRng[c]
	turnStd := p.RotVelStd * p.Dt // per-step turn std, 11.52·0.02 = 0.2304 rad
	for b := c * sorscherChunk; b < min((c+1)*sorscherChunk, B); b++ {
		// Step 2: P[0] uniform over the box, H[0] uniform in [0, 2π).
		x := float32((rng.Float64()*2 - 1) * hw)
		y := float32((rng.Float64()*2 - 1) * hh)
		h := rng.Float64() * 2 * math.Pi
		dst.InitHeading[b] = float32(wrapAngle(h))
		// Step 4 for t = 0..T; step t moves P[t] to P[t+1] along H[t].
		for t := 0; t <= T; t++ {
			// Rayleigh(b) speed as b·|(N₁, N₂)|: two ziggurat normals cost less than
			// the logarithm of inversion sampling.
			n1, n2 := rng.NormFloat64(), rng.NormFloat64()
			v := p.SpeedScale * math.Sqrt(n1*n1+n2*n2)
			turn := 0.0
			if !p.Periodic {
				turn, v = avoidWall(float64(x), float64(y), h, v, hw, hh, p.BorderRegion, p.BorderSlowdown)
			}
			turn += turnStd * rng.NormFloat64()
			step := v * p.Dt
			sin, cos := math.Sincos(h)
			ux, uy := float32(step*cos), float32(step*sin)
			x += ux
			y += uy
			if p.Periodic {
				x = wrapCoord(x, p.BoxWidth)
				y = wrapCoord(y, p.BoxHeight)
			}
			if t == 0 {
				dst.InitPos[2*b], dst.InitPos[2*b+1] = x, y
			} else {
				k := (t-1)*B + b
				dst.Vel[2*k], dst.Vel[2*k+1] = ux, uy
				dst.Pos[2*k], dst.Pos[2*k+1] = x, y
				dst.Heading[k] = float32(wrapAngle(h))
			}
			h += turn
		}
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
