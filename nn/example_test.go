package nn_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/nn"
)

// A Sorscher RNN on the CPU: one training step fills the gradients, Forward gives the
// outputs and the grid-cell activations.
func ExampleModel_Step() {
	cfg := nn.Config{Cell: nn.RNN, Ng: 32, Np: 16, Activation: compute.ReLU, Loss: nn.CrossEntropy, WeightDecay: 1e-4}
	m, err := nn.New(cpu.New(nil), cfg, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		fmt.Println(err)
		return
	}
	const B, T = 4, 20
	in := nn.Batch{B: B, T: T,
		Vel:      make([]float32, T*B*2),
		InitCode: make([]float32, B*cfg.Np),
		Targets:  make([]float32, T*B*cfg.Np)}
	for i := range in.InitCode {
		in.InitCode[i] = 1 / float32(cfg.Np) // uniform codes: the loss is about log Np
	}
	for i := range in.Targets {
		in.Targets[i] = 1 / float32(cfg.Np)
	}
	loss := m.Step(in)
	out, g := m.Forward(in, nil, nil)
	fmt.Printf("loss %.1f (near log 16 = 2.77 at initialisation)\n", loss)
	fmt.Println(len(out), len(g))
	for _, p := range m.Params() {
		fmt.Println(p.Name, p.Rows, p.Cols)
	}
	// Output:
	// loss 2.8 (near log 16 = 2.77 at initialisation)
	// 1280 2560
	// W_enc 16 32
	// W_in 2 32
	// W_rec 32 32
	// W_dec 32 16
}
