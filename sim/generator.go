package sim

import (
	"errors"
	"math"
	"math/rand/v2"
)

// Generator draws batches of trajectories. It is not safe for concurrent use.
type Generator struct {
	p   Params
	src *rand.PCG
	rng *rand.Rand

	// RatInABox per-trajectory state, reused across batches so that Next does not allocate
	// (the Sorscher walk keeps its state in locals, one chunk of trajectories per part).
	x, y   []float32 // position, m (float32 so that targets are exact float32 sums of inputs)
	vx, vy []float64 // velocity, m/s
	rotVel []float64 // rotational velocity, rad/s

	// Sorscher: one random stream per chunk of trajectories, seeded from rng at each batch,
	// and the walk's task.
	chunkSrc []*rand.PCG
	chunkRng []*rand.Rand
	walk     sorscherWalk

	// Philox walk (RNG Philox): the key, drawn from src by New, and the index of the next
	// batch, which together are the whole state; and the walk's task.
	philoxKey uint64
	batch     uint64
	pwalk     philoxWalk
}

// streamSIM is the PCG stream NewSeed uses, so that a run's seed gives the simulator a
// stream distinct from other consumers seeded with the same number.
const streamSIM = 0x73696d // "sim"

// New returns a Generator for p drawing from src. It returns an error if p is invalid or
// src is nil. It takes the *rand.PCG itself, not a *rand.Rand, because its state is what
// MarshalBinary saves in a checkpoint.
func New(p Params, src *rand.PCG) (*Generator, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("sim: New: nil random source (use NewSeed, or rand.NewPCG)")
	}
	g := &Generator{p: p, src: src, rng: rand.New(src)}
	if p.RNG == Philox {
		g.philoxKey = g.rng.Uint64()
	}
	return g, nil
}

// NewSeed is New with rand.NewPCG(seed, streamSIM), a stream of its own ("sim"): its
// batches are not those a training run with the same seed drew (train keeps a stream per
// consumer), only trajectories from the same distribution.
func NewSeed(p Params, seed uint64) (*Generator, error) {
	return New(p, rand.NewPCG(seed, streamSIM))
}

// Params returns the generator's parameters.
func (g *Generator) Params() Params { return g.p }

// MarshalBinary returns the state of the generator's random source (for the Philox walk, its
// key and batch counter); a Generator with the same Params restored with UnmarshalBinary
// produces the same batches from then on.
func (g *Generator) MarshalBinary() ([]byte, error) {
	if g.p.RNG == Philox {
		return g.marshalPhilox(), nil
	}
	return g.src.MarshalBinary()
}

// UnmarshalBinary restores a state returned by MarshalBinary.
func (g *Generator) UnmarshalBinary(data []byte) error {
	if g.p.RNG == Philox {
		return g.unmarshalPhilox(data)
	}
	return g.src.UnmarshalBinary(data)
}

// Next fills dst with B fresh, independent trajectories of T steps. After the first call
// for a given B it does not allocate. It panics if dst's slices do not match its B and T.
func (g *Generator) Next(dst *Batch) {
	dst.check()
	g.grow(dst.B)
	switch {
	case g.p.RNG == Philox:
		g.philoxBatch(dst)
	case g.p.Model == Sorscher:
		g.sorscher(dst)
	default:
		g.ratInABox(dst)
	}
}

// SplitSize returns the granularity at which a batch can be drawn in parts: when it is s > 0,
// batches of B₁, B₂, … trajectories, each a multiple of s except perhaps the last, hold the
// same trajectories in the same order as one batch of B₁ + B₂ + … (the Sorscher walk from
// PCG, whose chunks of s trajectories draw their streams' seeds in order). It is 0 when
// the trajectories depend on the batch size: the RatInABox walk draws its numbers time step
// by time step across the batch, and the Philox walk keys each trajectory by its batch's
// index. Callers that need a very large batch (gridcells simulate) draw it in parts, so
// that memory holds the output once and Ctrl-C is answered between parts.
func (g *Generator) SplitSize() int {
	if g.p.RNG == Philox || g.p.Model != Sorscher {
		return 0
	}
	return sorscherChunk
}

func (g *Generator) grow(B int) {
	if g.p.RNG == Philox {
		return
	}
	if g.p.Model == Sorscher {
		g.growChunks(sorscherChunks(B))
		return
	}
	if len(g.x) == B {
		return
	}
	g.x = make([]float32, B)
	g.y = make([]float32, B)
	g.vx = make([]float64, B)
	g.vy = make([]float64, B)
	g.rotVel = make([]float64, B)
}

// wrapAngle maps a to [−π, π) as np.mod(a + π, 2π) − π does.
func wrapAngle(a float64) float64 {
	return floorMod(a+math.Pi, 2*math.Pi) - math.Pi
}

// floorMod returns a mod m in [0, m) (Python's % for floats; math.Mod keeps a's sign).
func floorMod(a, m float64) float64 {
	r := a - m*math.Floor(a/m)
	if r >= m { // a/m rounded up to an integer boundary
		r = 0
	}
	return r
}

// wrapCoord maps a coordinate into [−L/2, L/2) (spec §1.1 step 5).
func wrapCoord(v float32, L float64) float32 {
	w := float32(floorMod(float64(v)+L/2, L) - L/2)
	if float64(w) >= L/2 { // float32 rounding up onto the far edge
		w = float32(-L / 2)
	}
	return w
}
