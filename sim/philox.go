package sim

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/gridcells/gridcells/internal/philox"
	"github.com/gridcells/gridcells/internal/workpool"
)

// RNG names the random source of the Sorscher walk.
type RNG string

const (
	// PCG is the default walk: per-chunk PCG streams seeded from the generator's source, in
	// float64 with float32 positions (sorscher.go). "" means PCG.
	PCG RNG = "pcg"
	// Philox is the counter-based walk of philox.go, in float32, whose draws are a pure function
	// of (seed, batch, trajectory, step): compute/cuda's generate.cu computes the same bits on a
	// GPU.
	Philox RNG = "philox"
)

// Philox walk: counter and key layout.
//
// Trajectory b of batch i draws from Philox4x32-10 (package internal/philox) with
//
//	key     = the generator's 64-bit Philox key, low word first (drawn from its PCG source by New),
//	counter = (j, b, low 32 bits of i, high 32 bits of i),
//
// where j = 0 gives the start (words 0, 1, 2: x, y, heading; word 3 unused) and j = t+1 gives
// step t = 0..T of spec §1.1 step 4 (word 0: the Rayleigh speed; words 1, 2: the Box–Muller
// normal of the turn noise; word 3 unused). Nothing depends on B or T: trajectory b of batch i
// is the same in a batch of any size B > b, and its first T steps are the same for any T.
//
// The arithmetic is float32 throughout, each operation rounded once (no fused multiply-add:
// products are wrapped in float32 conversions), with internal/philox's Log and Sincos, so that
// generate.cu's gc_walk, which performs the same operations with __fmul_rn and friends, gives
// the same bits. Positions and headings therefore differ from the PCG walk's float64 headings by
// float32 rounding only in their statistics, not in the algorithm.

// walkConsts are the Sorscher walk's parameters rounded to float32 as generate.cu receives them:
// each float64 value (or the float64 product or quotient named) rounded once.
type walkConsts struct {
	hw, hh       float32 // BoxWidth/2, BoxHeight/2
	w, h         float32 // BoxWidth, BoxHeight (periodic wrap)
	dt           float32
	turnStd      float32 // RotVelStd·Dt, rad per step
	speedScale   float32 // Rayleigh scale b, m/s
	border, slow float32 // BorderRegion, BorderSlowdown
	periodic     bool
}

func newWalkConsts(p *Params) walkConsts {
	return walkConsts{
		hw: float32(p.BoxWidth / 2), hh: float32(p.BoxHeight / 2),
		w: float32(p.BoxWidth), h: float32(p.BoxHeight),
		dt: float32(p.Dt), turnStd: float32(p.RotVelStd * p.Dt), speedScale: float32(p.SpeedScale),
		border: float32(p.BorderRegion), slow: float32(p.BorderSlowdown), periodic: p.Periodic,
	}
}

// Angles rounded to float32. Headings live in [−pi32, pi32), pi32 being π rounded up by 9e-8.
const (
	pi32        = float32(math.Pi)
	twoPi32     = float32(2 * math.Pi)
	halfPi32    = float32(math.Pi / 2)
	threeHalf32 = float32(3 * math.Pi / 2)
)

// philoxChunk is the number of trajectories of one workpool part (the split changes nothing:
// each trajectory's draws come from its own counters).
const philoxChunk = 32

// philoxWalk is one batch of the Philox walk as a workpool.Task: part c walks trajectories
// c·philoxChunk up to the next chunk.
type philoxWalk struct {
	c     walkConsts
	key   [2]uint32
	batch uint64
	dst   *Batch
}

func (g *Generator) philoxBatch(dst *Batch) {
	g.pwalk = philoxWalk{c: newWalkConsts(&g.p), key: philox.Key(g.philoxKey), batch: g.batch, dst: dst}
	workpool.Run(&g.pwalk, (dst.B+philoxChunk-1)/philoxChunk, 0)
	g.pwalk.dst = nil
	g.batch++
}

// Run walks chunk part of the batch.
func (w *philoxWalk) Run(part int) {
	for b := part * philoxChunk; b < min((part+1)*philoxChunk, w.dst.B); b++ {
		philoxTrajectory(&w.c, w.key, w.batch, b, w.dst)
	}
}

// philoxTrajectory writes trajectory b of batch into dst: spec §1.1 as sorscher.go walks it,
// with the draws of the layout above. generate.cu's gc_walk is this function line for line.
func philoxTrajectory(c *walkConsts, key [2]uint32, batch uint64, b int, dst *Batch) {
	T := dst.T
	lo, hi := uint32(batch), uint32(batch>>32)
	// Step 2: P[0] uniform over the box, H[0] uniform in [−π, π) (the PCG walk's [0, 2π)
	// wrapped). 2u − 1 is exact.
	r := philox.Block([4]uint32{0, uint32(b), lo, hi}, key)
	x := float32((2*philox.Uniform(r[0]) - 1) * c.hw)
	y := float32((2*philox.Uniform(r[1]) - 1) * c.hh)
	h := float32(philox.Uniform(r[2])*twoPi32) - pi32
	if h >= pi32 {
		h = -pi32
	}
	dst.InitHeading[b] = h
	for t := 0; t <= T; t++ {
		r = philox.Block([4]uint32{uint32(t + 1), uint32(b), lo, hi}, key)
		v := float32(c.speedScale * philox.Rayleigh(r[0]))
		turn := float32(0)
		if !c.periodic {
			turn, v = avoidWall32(c, x, y, h, v)
		}
		turn += float32(c.turnStd * philox.Normal(r[1], r[2]))
		step := float32(v * c.dt)
		sin, cos := philox.Sincos(h)
		ux, uy := float32(step*cos), float32(step*sin)
		x += ux
		y += uy
		if c.periodic {
			x = wrapCoord32(x, c.w, c.hw)
			y = wrapCoord32(y, c.h, c.hh)
		}
		dst.move(b, t, x, y, ux, uy, h)
		h = wrapHeading32(h + turn)
	}
}

// avoidWall32 is avoidWall in float32 for a heading h in [−pi32, pi32): SOR's avoid_wall, the
// nearest wall (ties to the first of right, top, left, bottom) within the border band and a
// heading towards it (|a| < π/2) turn the walker parallel to the wall and slow it.
func avoidWall32(c *walkConsts, x, y, h, v float32) (turn, speed float32) {
	d, normal := c.hw-x, float32(0)
	if dt := c.hh - y; dt < d {
		d, normal = dt, halfPi32
	}
	if dl := x + c.hw; dl < d {
		d, normal = dl, pi32
	}
	if db := y + c.hh; db < d {
		d, normal = db, threeHalf32
	}
	if !(d < c.border) {
		return 0, v
	}
	// h − normal lies in [−5π/2, π); one 2π brings it to [−π, π), as wrapAngle(h mod 2π − normal).
	a := h - normal
	if a < -pi32 {
		a += twoPi32
	}
	abs := float32(math.Abs(float64(a)))
	if abs >= halfPi32 {
		return 0, v
	}
	switch {
	case a > 0:
		turn = halfPi32 - abs
	case a < 0:
		turn = -(halfPi32 - abs)
	}
	return turn, float32(v * c.slow)
}

// wrapHeading32 maps h to [−pi32, pi32): one add or subtract of 2π for the turns of the walk
// (at most π/2 plus a few noise std), a floor for larger ones, and −pi32 for what rounding (or a
// non-finite turn) leaves outside.
func wrapHeading32(h float32) float32 {
	if h >= pi32 {
		h -= twoPi32
	} else if h < -pi32 {
		h += twoPi32
	}
	if !(h >= -pi32 && h < pi32) {
		q := float32(math.Floor(float64((h + pi32) / twoPi32)))
		h -= float32(twoPi32 * q)
		if !(h >= -pi32 && h < pi32) {
			h = -pi32
		}
	}
	return h
}

// wrapCoord32 maps a coordinate v into [−half, half) on a side of length l = 2·half, as
// wrapCoord does in float64 (spec §1.1 step 5); the ends of the floor-mod that rounding can
// miss go to −half, the same point of the torus.
func wrapCoord32(v, l, half float32) float32 {
	w := v + half
	w -= float32(l * float32(math.Floor(float64(w/l))))
	if !(w >= 0 && w < l) {
		w = 0
	}
	w -= half
	if w >= half {
		w = -half
	}
	return w
}

// PhiloxBatch fills dst with batch index of the Philox walk of p under key: the batch a
// Generator with RNG Philox and that key draws as its batch number index (the walk is a pure
// function of p, key, index, B and T). p.RNG is ignored; p must otherwise be valid. It panics if
// dst's slices do not match its B and T.
func PhiloxBatch(dst *Batch, p Params, key, index uint64) error {
	p.RNG = Philox
	if err := p.Validate(); err != nil {
		return err
	}
	dst.check()
	w := &philoxWalk{c: newWalkConsts(&p), key: philox.Key(key), batch: index, dst: dst}
	workpool.Run(w, (dst.B+philoxChunk-1)/philoxChunk, 0)
	return nil
}

// philoxStateTag starts a Philox generator's MarshalBinary state, followed by the key and the
// index of the next batch, both little-endian uint64.
const philoxStateTag = "sim-philox:"

func (g *Generator) marshalPhilox() []byte {
	b := append([]byte(philoxStateTag), make([]byte, 16)...)
	binary.LittleEndian.PutUint64(b[len(philoxStateTag):], g.philoxKey)
	binary.LittleEndian.PutUint64(b[len(philoxStateTag)+8:], g.batch)
	return b
}

func (g *Generator) unmarshalPhilox(data []byte) error {
	if len(data) != len(philoxStateTag)+16 || string(data[:len(philoxStateTag)]) != philoxStateTag {
		return errors.New("sim: state is not that of a Philox walk (trajectory.rng = philox)")
	}
	g.philoxKey = binary.LittleEndian.Uint64(data[len(philoxStateTag):])
	g.batch = binary.LittleEndian.Uint64(data[len(philoxStateTag)+8:])
	return nil
}

// PhiloxState returns the Philox walk's key and the index of the batch Next draws next; ok is
// false for a generator that does not use the Philox walk. A GPU generator given the same key
// and index (compute/cuda's BatchGenerator) produces the same batch.
func (g *Generator) PhiloxState() (key, batch uint64, ok bool) {
	return g.philoxKey, g.batch, g.p.RNG == Philox
}

// SkipBatch returns the index of the batch Next would draw and advances past it without
// drawing it, for a caller that generates that batch elsewhere (on a GPU, from PhiloxState's
// key) while this generator keeps the position for checkpoints. It panics unless the generator
// uses the Philox walk.
func (g *Generator) SkipBatch() uint64 {
	if g.p.RNG != Philox {
		panic("sim: SkipBatch on a generator without the Philox walk")
	}
	g.batch++
	return g.batch - 1
}
