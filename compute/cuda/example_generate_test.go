//go:build !nocuda

package cuda_test

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cuda"
	"github.com/gridcells/gridcells/sim"
)

// ExampleBackend_NewBatchGenerator generates batch 0 of a Philox walk and its DoS codes on the
// GPU, the batch that sim's generator with the same key would draw on the CPU, and advances that
// generator past it so that its state (for checkpoints) stays in step. (No Output line: it
// needs a GPU, so go test only compiles it.)
func ExampleBackend_NewBatchGenerator() {
	b, err := cuda.New(nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close() // last: after the generator's and the tensors' Free
	p := sim.DefaultParams()
	p.RNG = sim.Philox
	walker, err := sim.NewSeed(p, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	key, _, _ := walker.PhiloxState()
	const B, T, np = 200, 20, 512
	centres := make([]float32, 2*np) // encode.Code.Centres() of the run's code
	for i := range centres {
		centres[i] = float32(i%44)*0.05 - 1.1
	}
	g, err := b.NewBatchGenerator(
		cuda.WalkParams{B: B, T: T, Key: key, BoxWidth: p.BoxWidth, BoxHeight: p.BoxHeight, Dt: p.Dt,
			RotVelStd: p.RotVelStd, SpeedScale: p.SpeedScale, BorderRegion: p.BorderRegion, BorderSlowdown: p.BorderSlowdown},
		&cuda.PlaceParams{Kind: cuda.PlaceDifferenceOfSoftmaxes, Centres: centres, Sigma: 0.12, Surround: 2})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer g.Free()
	vel, pos, initPos := b.New(T*B, 2), b.New(T*B, 2), b.New(B, 2)
	initCode, targets := b.New(B, np), b.New(T*B, np)
	defer func() {
		for _, t := range []compute.Tensor{vel, pos, initPos, initCode, targets} {
			b.Free(t)
		}
	}()
	g.Generate(walker.SkipBatch(), vel, initCode, targets, pos, initPos)
	row := make([]float32, np)
	b.Download(row, b.View(targets, 0, 0, 1, np)) // waits for the stream
	fmt.Println(row[:4])
}
