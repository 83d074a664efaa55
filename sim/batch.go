package sim

import "fmt"

// Batch holds B trajectories of T steps, time-major (see the package documentation).
type Batch struct {
	B, T        int
	InitPos     []float32 // B×2, m: the position before the first input
	InitHeading []float32 // B, rad in [−π, π): the walker's heading before the first input (unused by the RNN)
	Vel         []float32 // T×B×2, m: per-step displacement (not m/s; spec §0.1 item 8)
	Pos         []float32 // T×B×2, m: target positions, Pos[t] = Pos[t−1] + Vel[t]
	Heading     []float32 // T×B, rad in [−π, π): direction of motion in step t (Sorscher: exactly that of Vel[t]; RatInABox: of the velocity, which the wall conveyor shift can deflect Vel[t] from)
}

// NewBatch allocates a Batch for B trajectories of T steps.
func NewBatch(B, T int) *Batch {
	if B < 1 || T < 1 {
		panic(fmt.Sprintf("sim: NewBatch(%d, %d): B and T must be at least 1", B, T))
	}
	return &Batch{
		B: B, T: T,
		InitPos:     make([]float32, 2*B),
		InitHeading: make([]float32, B),
		Vel:         make([]float32, 2*T*B),
		Pos:         make([]float32, 2*T*B),
		Heading:     make([]float32, T*B),
	}
}

// move records step t of trajectory b of the Sorscher walks (PCG and Philox): the position
// (x, y) after it; for t ≥ 1 also the displacement (ux, uy) that led there and its heading
// h. Step 0 only places the walker: its position is InitPos, the first input is step 1's.
func (d *Batch) move(b, t int, x, y, ux, uy, h float32) {
	if t == 0 {
		d.InitPos[2*b], d.InitPos[2*b+1] = x, y
		return
	}
	k := (t-1)*d.B + b
	d.Vel[2*k], d.Vel[2*k+1] = ux, uy
	d.Pos[2*k], d.Pos[2*k+1] = x, y
	d.Heading[k] = h
}

// check panics unless every slice of b has the length B and T call for.
func (b *Batch) check() {
	if b.B < 1 || b.T < 1 || len(b.InitPos) != 2*b.B || len(b.InitHeading) != b.B ||
		len(b.Vel) != 2*b.T*b.B || len(b.Pos) != 2*b.T*b.B || len(b.Heading) != b.T*b.B {
		panic(fmt.Sprintf("sim: Batch slices do not match B=%d, T=%d", b.B, b.T))
	}
}
