package sim

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/philox"
)

func philoxParams() Params {
	p := DefaultParams()
	p.RNG = Philox
	return p
}

// trajectoryEqual reports whether trajectory bx of x and trajectory by of y agree bit for bit
// over their first T steps.
func trajectoryEqual(x *Batch, bx int, y *Batch, by, T int) bool {
	eq := func(u, v float32) bool { return math.Float32bits(u) == math.Float32bits(v) }
	if !eq(x.InitPos[2*bx], y.InitPos[2*by]) || !eq(x.InitPos[2*bx+1], y.InitPos[2*by+1]) || !eq(x.InitHeading[bx], y.InitHeading[by]) {
		return false
	}
	for t := 0; t < T; t++ {
		i, j := t*x.B+bx, t*y.B+by
		for k := 0; k < 2; k++ {
			if !eq(x.Vel[2*i+k], y.Vel[2*j+k]) || !eq(x.Pos[2*i+k], y.Pos[2*j+k]) {
				return false
			}
		}
		if !eq(x.Heading[i], y.Heading[j]) {
			return false
		}
	}
	return true
}

// TestPhiloxLayout: trajectory b of batch i depends on (key, i, b, step) only, so it is the
// same in a batch of 400 as in one of 200 and its first 10 steps are those of a 20-step batch;
// batch i+1 differs from batch i.
func TestPhiloxLayout(t *testing.T) {
	small, big, short := NewBatch(200, 20), NewBatch(400, 20), NewBatch(200, 10)
	for i := 0; i < 3; i++ {
		gs, gb, gt := mustNew(t, philoxParams(), 5), mustNew(t, philoxParams(), 5), mustNew(t, philoxParams(), 5)
		for range i + 1 {
			gs.Next(small)
			gb.Next(big)
			gt.Next(short)
		}
		for b := 0; b < 200; b++ {
			if !trajectoryEqual(small, b, big, b, 20) {
				t.Fatalf("batch %d: trajectory %d differs between B = 200 and B = 400", i, b)
			}
			if !trajectoryEqual(short, b, small, b, 10) {
				t.Fatalf("batch %d: trajectory %d's first 10 steps differ between T = 10 and T = 20", i, b)
			}
		}
	}
	g := mustNew(t, philoxParams(), 5)
	g.Next(small)
	g.Next(big)
	if trajectoryEqual(small, 0, big, 0, 20) {
		t.Error("batches 0 and 1 start with the same trajectory")
	}
	// PhiloxBatch is the generator's batch as a function of (key, index).
	key, _, _ := g.PhiloxState()
	direct := NewBatch(400, 20)
	if err := PhiloxBatch(direct, DefaultParams(), key, 1); err != nil {
		t.Fatal(err)
	}
	if !batchesEqual(direct, big) {
		t.Error("PhiloxBatch(key, 1) differs from the generator's batch 1")
	}
	bad := DefaultParams()
	bad.Dt = 0
	if err := PhiloxBatch(direct, bad, key, 1); err == nil {
		t.Error("PhiloxBatch accepted dt = 0")
	}
}

// TestPhiloxCounters checks the documented counter layout against direct Block calls: the
// start (j = 0) gives the initial heading, and in the interior, where the wall rule does not
// act, step t's length is speedScale·Rayleigh(word 0 of j = t+2)·dt (input t is walk step t+1)
// and its turn is turnStd·Normal(words 1, 2 of j = t+2).
func TestPhiloxCounters(t *testing.T) {
	const batches = 3
	p := philoxParams()
	g := mustNew(t, p, 9)
	key, _, ok := g.PhiloxState()
	if !ok {
		t.Fatal("PhiloxState not ok for a Philox generator")
	}
	c := newWalkConsts(&p)
	B, T := 50, 8
	dst := NewBatch(B, T)
	var checked int
	for i := uint64(0); i < batches; i++ {
		if _, next, _ := g.PhiloxState(); next != i {
			t.Fatalf("next batch %d, want %d", next, i)
		}
		g.Next(dst)
		for b := 0; b < B; b++ {
			ctr := func(j int) [4]uint32 { return [4]uint32{uint32(j), uint32(b), uint32(i), uint32(i >> 32)} }
			r := philox.Block(ctr(0), philox.Key(key))
			h0 := float32(philox.Uniform(r[2])*twoPi32) - pi32
			if dst.InitHeading[b] != h0 {
				t.Fatalf("batch %d trajectory %d: initial heading %v, want %v from counter (0, b, i)", i, b, dst.InitHeading[b], h0)
			}
			for s := 0; s+1 < T; s++ {
				k := s*B + b
				x, y := dst.InitPos[2*b], dst.InitPos[2*b+1]
				if s > 0 {
					x, y = dst.Pos[2*(k-B)], dst.Pos[2*(k-B)+1]
				}
				if wallDist(x, y, p.BoxWidth, p.BoxHeight) < 2*p.BorderRegion {
					continue
				}
				r := philox.Block(ctr(s+2), philox.Key(key))
				step := float32(float32(c.speedScale*philox.Rayleigh(r[0])) * c.dt)
				sin, cos := philox.Sincos(dst.Heading[k])
				if dst.Vel[2*k] != float32(step*cos) || dst.Vel[2*k+1] != float32(step*sin) {
					t.Fatalf("batch %d trajectory %d step %d: input (%v, %v), want length %v from counter (%d, b, i)",
						i, b, s, dst.Vel[2*k], dst.Vel[2*k+1], step, s+2)
				}
				want := wrapHeading32(dst.Heading[k] + float32(c.turnStd*philox.Normal(r[1], r[2])))
				if dst.Heading[k+B] != want {
					t.Fatalf("batch %d trajectory %d step %d: next heading %v, want %v", i, b, s, dst.Heading[k+B], want)
				}
				checked++
			}
		}
	}
	if checked < batches*B*(T-1)/2 {
		t.Errorf("only %d interior steps checked", checked)
	}
}

// TestPhiloxCheckpoint: the state is the key and the batch counter; a restored generator and
// one that skipped batches (generated elsewhere) continue with the same batches.
func TestPhiloxCheckpoint(t *testing.T) {
	p := philoxParams()
	a := mustNew(t, p, 3)
	want, got := NewBatch(30, 12), NewBatch(30, 12)
	a.Next(want)
	state, err := a.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	a.Next(want)
	a.Next(want) // batch 2

	r := mustNew(t, p, 77)
	if err := r.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	r.Next(got)
	r.Next(got)
	if !batchesEqual(got, want) {
		t.Fatal("restored generator diverges")
	}

	s := mustNew(t, p, 3)
	if i := s.SkipBatch(); i != 0 {
		t.Fatalf("SkipBatch = %d, want 0", i)
	}
	if i := s.SkipBatch(); i != 1 {
		t.Fatalf("SkipBatch = %d, want 1", i)
	}
	s.Next(got)
	if !batchesEqual(got, want) {
		t.Fatal("batch 2 after two skips differs")
	}

	// A PCG state does not restore a Philox walk, nor the reverse.
	pcg := mustNew(t, DefaultParams(), 3)
	ps, _ := pcg.MarshalBinary()
	if err := r.UnmarshalBinary(ps); err == nil {
		t.Error("Philox generator accepted a PCG state")
	}
	if err := pcg.UnmarshalBinary(state); err == nil {
		t.Error("PCG generator accepted a Philox state")
	}
	defer func() {
		if recover() == nil {
			t.Error("SkipBatch on a PCG generator did not panic")
		}
	}()
	pcg.SkipBatch()
}

// TestPhiloxKeyFromSource: New draws the key from its PCG source, so different sources (the
// training and evaluation streams of a run) walk differently and NewSeed is deterministic.
func TestPhiloxKeyFromSource(t *testing.T) {
	p := philoxParams()
	a, err := New(p, rand.NewPCG(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(p, rand.NewPCG(1, 3))
	ka, _, _ := a.PhiloxState()
	kb, _, _ := b.PhiloxState()
	if want := rand.New(rand.NewPCG(1, 2)).Uint64(); ka != want {
		t.Errorf("key %#x, want the source's first Uint64 %#x", ka, want)
	}
	if ka == kb {
		t.Error("different sources gave the same key")
	}
	cfg := config.Trajectory{MotionModel: "sorscher", RNG: "philox", BoxWidth: 2.2, BoxHeight: 2.2, Dt: 0.02,
		RotVelStd: 11.52, SpeedScale: 0.8168, BorderRegion: 0.03, BorderSlowdown: 0.25}
	if q, err := FromConfig(cfg); err != nil || q.RNG != Philox {
		t.Errorf("FromConfig rng philox: %v, %q", err, q.RNG)
	}
}

func TestWrap32(t *testing.T) {
	for _, tc := range []struct{ in, want float32 }{{1.1, -1.1}, {1.2, -1.0}, {-1.2, 1.0}, {0.5, 0.5}, {-1.1, -1.1}} {
		if got := wrapCoord32(tc.in, 2.2, 1.1); math.Abs(float64(got-tc.want)) > 1e-6 || got >= 1.1 || got < -1.1 {
			t.Errorf("wrapCoord32(%v, 2.2) = %v, want %v", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want float32 }{
		{0, 0}, {pi32, -pi32}, {-pi32, -pi32}, {4, 4 - twoPi32}, {-4, -4 + twoPi32}, {20, 20 - 3*twoPi32},
		{float32(math.Inf(1)), -pi32}, {float32(math.NaN()), -pi32},
	} {
		if got := wrapHeading32(tc.in); math.Abs(float64(got-tc.want)) > 1e-5 || got >= pi32 || got < -pi32 {
			t.Errorf("wrapHeading32(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
