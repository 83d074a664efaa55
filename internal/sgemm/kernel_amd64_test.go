//go:build !noasm && !purego

package sgemm

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// The AVX-512 kernel's tile and packers with the micro-kernel written in Go:
// on a machine without AVX-512 it runs the blocking, edge-tile and parallel
// code for a 12×32 tile and the packers through every test of configs, so
// that only the assembly micro-kernel itself is left to run where the CPU has
// AVX-512 (TestMicroKernels; testdata/kernel_emu.py emulates it here).
var kernelLoop12x32 = func() microKernel {
	k := kernelAVX512
	k.name, k.run = "loop12x32", loopKernel(kernelAVX512.mr, kernelAVX512.nr)
	return k
}()

func init() {
	if cpu.X86.HasAVX2 { // for the packers (AVX)
		extraTestKernels = append(extraTestKernels, &kernelLoop12x32)
	}
}

// TestPanelPackers checks each assembly kernel's packers bit for bit against
// the Go loops of packA and packB (the same kernel with its packers removed),
// for full and partial panels, k below, at and around each packer's k step, and
// padded, offset sources. The packers use AVX (VEX) instructions only, so those
// of the AVX-512 kernel run here on any AVX2 machine, even one that cannot run
// its micro-kernel.
func TestPanelPackers(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("packers need AVX")
	}
	rnd := rand.New(rand.NewPCG(15, 16))
	for _, kern := range []*microKernel{&kernelAVX2FMA, &kernelAVX512} {
		goLoops := *kern
		goLoops.packAN, goLoops.packAT, goLoops.packBN, goLoops.packBT = panelPacker{}, panelPacker{}, panelPacker{}, panelPacker{}
		mr, nr := kern.mr, kern.nr
		for _, kb := range []int{1, 3, 4, 7, 8, 9, 17, 64} {
			for _, rows := range []int{mr, 2*mr + 1, mr - 1} {
				// Stored op(A) is rows×kb (N) or kb×rows (T) inside a larger matrix,
				// read from row offset ic and column offset pc.
				const ic, pc, pad = 2, 3, 5
				for _, tA := range []bool{false, true} {
					sr, sc := ic+rows, pc+kb
					if tA {
						sr, sc = pc+kb, ic+rows
					}
					ld := sc + pad
					src := randSlice(rnd, sr*ld)
					size := roundUp(rows, mr) * kb
					got, want := make([]float32, size), make([]float32, size)
					packA(kern, got, tA, src, ld, ic, pc, rows, kb)
					packA(&goLoops, want, tA, src, ld, ic, pc, rows, kb)
					if !sameBits(got, want) {
						t.Fatalf("%s packA tA=%v rows=%d kb=%d: differs from the Go loops at %s", kern.name, tA, rows, kb, firstDiff(got, want))
					}
				}
			}
			for _, cols := range []int{nr, 2*nr + 3, nr - 1} {
				const pc, jc, pad = 3, 2, 5
				for _, tB := range []bool{false, true} {
					sr, sc := pc+kb, jc+cols
					if tB {
						sr, sc = jc+cols, pc+kb
					}
					ld := sc + pad
					src := randSlice(rnd, sr*ld)
					size := roundUp(cols, nr) * kb
					got, want := make([]float32, size), make([]float32, size)
					packB(kern, got, tB, src, ld, pc, jc, kb, cols)
					packB(&goLoops, want, tB, src, ld, pc, jc, kb, cols)
					if !sameBits(got, want) {
						t.Fatalf("%s packB tB=%v cols=%d kb=%d: differs from the Go loops at %s", kern.name, tB, cols, kb, firstDiff(got, want))
					}
				}
			}
		}
	}
}

func firstDiff(x, y []float32) string {
	for i := range x {
		if x[i] != y[i] {
			return fmt.Sprintf("index %d: %v, want %v", i, x[i], y[i])
		}
	}
	return "none"
}
