package cudaemu

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// shimProgram exercises cuda_shim.h's semantics: thread numbering in 2-D blocks, __shared__
// 2-D arrays across __syncthreads, down and xor shuffles of int and double (lanes past the warp
// or the block keep their value), a float xor-butterfly sum, threads that return before a
// barrier, and the abort of a block whose threads wait at different barriers. Each line it prints is checked by TestShim against values computed here.
const shimProgram = `#include "cuda_shim.h"
#include <cstdio>
#include <string>

__global__ void reverse(int *out) {
	__shared__ int s[4][16];
	int tid = threadIdx.x + blockDim.x * threadIdx.y;
	s[threadIdx.y][threadIdx.x] = tid + 1000 * blockIdx.x;
	__syncthreads();
	out[blockIdx.x * 64 + tid] = s[blockDim.y - 1 - threadIdx.y][blockDim.x - 1 - threadIdx.x];
}

__global__ void shuffle(int *iout, double *dout) {
	int tid = threadIdx.x + blockDim.x * threadIdx.y;
	iout[tid] = __shfl_down_sync(0xffffffffu, tid, 3);
	dout[tid] = __shfl_down_sync(0xffffffffu, 0.5 * tid, 17);
}

__global__ void shuffle_xor(int *iout, double *dout) {
	int tid = threadIdx.x + blockDim.x * threadIdx.y;
	iout[tid] = __shfl_xor_sync(0xffffffffu, tid, 17);
	dout[tid] = __shfl_xor_sync(0xffffffffu, 0.5 * tid, 6);
}

// butterfly sums 1/(tid+1) over each warp: every lane must get the same bits.
__global__ void butterfly(float *out) {
	float v = 1.0f / (float)(threadIdx.x + 1);
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	out[threadIdx.x] = v;
}

__global__ void early_return(int *out) {
	__shared__ int s[64];
	if (threadIdx.x >= 40) return;
	s[threadIdx.x] = threadIdx.x;
	__syncthreads();
	out[threadIdx.x] = s[39 - threadIdx.x];
}

__global__ void stuck(int *out) {
	if (threadIdx.x < 16) __syncthreads();
	else out[threadIdx.x] = __shfl_down_sync(0xffffffffu, 1, 1);
}

int main(int argc, char **argv) {
	std::string mode = argc > 1 ? argv[1] : "";
	if (mode == "stuck") {
		int out[32];
		gc_shim_run(dim3{1, 1, 1}, dim3{32, 1, 1}, [&] { stuck(out); });
		return 0;
	}
	int r[128], iv[64], e[40], xv[48];
	double dv[64], xd[48];
	float bf[64];
	gc_shim_run(dim3{2, 1, 1}, dim3{16, 4, 1}, [&] { reverse(r); });
	gc_shim_run(dim3{1, 1, 1}, dim3{16, 4, 1}, [&] { shuffle(iv, dv); });
	gc_shim_run(dim3{1, 1, 1}, dim3{16, 3, 1}, [&] { shuffle_xor(xv, xd); });
	gc_shim_launch(1, 64, butterfly, bf);
	gc_shim_launch(1, 64, early_return, e);
	for (int i = 0; i < 128; i++) std::printf("reverse %d %d\n", i, r[i]);
	for (int i = 0; i < 64; i++) std::printf("shuffle %d %d %.1f\n", i, iv[i], dv[i]);
	for (int i = 0; i < 48; i++) std::printf("xor %d %d %.1f\n", i, xv[i], xd[i]);
	for (int i = 0; i < 64; i++) std::printf("butterfly %d %08x\n", i, __float_as_uint(bf[i]));
	for (int i = 0; i < 40; i++) std::printf("early %d %d\n", i, e[i]);
	return 0;
}
`

// TestShim compiles shimProgram with cuda_shim.h, with the x86-64 fiber switch where there is
// one and with the portable swapcontext, and checks what it prints.
func TestShim(t *testing.T) {
	gxx, err := exec.LookPath("g++")
	if err != nil {
		t.Skipf("no g++: %v", err)
	}
	dir := t.TempDir()
	shim, err := csrc.ReadFile("shim/cuda_shim.h")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cuda_shim.h"), shim, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prog.cpp"), []byte(shimProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	for i := 0; i < 128; i++ {
		blk, tid := i/64, i%64
		fmt.Fprintf(&want, "reverse %d %d\n", i, 63-tid+1000*blk)
	}
	for i := 0; i < 64; i++ {
		src, dsrc := i, i
		if i%32+3 < 32 {
			src = i + 3
		}
		if i%32+17 < 32 {
			dsrc = i + 17
		}
		fmt.Fprintf(&want, "shuffle %d %d %.1f\n", i, src, 0.5*float64(dsrc))
	}
	// xor: lane ^ mask within the warp, the thread's own value where that thread is past the
	// block's 48 (warp 1 has lanes 0 to 15 only).
	for i := 0; i < 48; i++ {
		src, dsrc := i&^31|(i&31^17), i&^31|(i&31^6)
		if src >= 48 {
			src = i
		}
		if dsrc >= 48 {
			dsrc = i
		}
		fmt.Fprintf(&want, "xor %d %d %.1f\n", i, src, 0.5*float64(dsrc))
	}
	// butterfly: each lane adds its partner's partial sum, and float32 addition commutes, so
	// all 32 lanes of a warp end with the same bits (those of lane 0's order of additions).
	for w := 0; w < 2; w++ {
		var part [32]float32
		for l := range part {
			part[l] = 1 / float32(32*w+l+1)
		}
		for o := 16; o > 0; o >>= 1 {
			var next [32]float32
			for l := range part {
				next[l] = part[l] + part[l^o]
			}
			part = next
		}
		for l := range part {
			fmt.Fprintf(&want, "butterfly %d %08x\n", 32*w+l, math.Float32bits(part[0]))
		}
	}
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&want, "early %d %d\n", i, 39-i)
	}
	for _, v := range []struct {
		name  string
		flags []string
	}{{"default", nil}, {"ucontext", []string{"-DGC_SHIM_UCONTEXT"}}} {
		t.Run(v.name, func(t *testing.T) {
			bin := filepath.Join(dir, "prog-"+v.name)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append(append(append([]string{}, CompileFlags...), v.flags...), "-Werror", "-o", bin, filepath.Join(dir, "prog.cpp"))
			if out, err := exec.CommandContext(ctx, gxx, args...).CombinedOutput(); err != nil {
				t.Fatalf("g++: %v\n%s", err, out)
			}
			out, err := exec.CommandContext(ctx, bin).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if string(out) != want.String() {
				t.Errorf("shim program printed\n%s\nwant\n%s", out, want.String())
			}
			out, err = exec.CommandContext(ctx, bin, "stuck").CombinedOutput()
			if err == nil || !strings.Contains(string(out), "is stuck") {
				t.Errorf("a block waiting at different barriers: err %v, output %q; want an abort saying it is stuck", err, out)
			}
		})
	}
}
