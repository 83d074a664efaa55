// cuda_shim.h lets g++ compile generate.cu, the exact text NVRTC compiles, and run its kernels
// on the CPU (generate_shim_test.go). It defines the CUDA keywords, built-in variables and
// intrinsics that generate.cu uses, with the semantics the CUDA C++ Programming Guide gives them:
//
//   - a launch runs the grid's blocks one after the other; a block's threads run at the same
//     time, one std::thread each, so that __syncthreads (a std::barrier over the block) and
//     __shared__ (static storage, one copy, used by one block at a time) behave as on a GPU;
//     a kernel that skips a __syncthreads in some threads deadlocks here (the test has a timeout);
//   - __shfl_down_sync exchanges through a block-wide buffer between two barriers, which is exact
//     for the full-warp, whole-block calls of gen_reduce2 (blockDim.x a multiple of 32);
//   - __fadd_rn, __fmul_rn, __fdiv_rn, __fsqrt_rn are the IEEE float32 operations; compile with
//     -ffp-contract=off so that g++ does not fuse them either (x86-64 SSE arithmetic is float32,
//     FLT_EVAL_METHOD 0); rintf rounds to nearest even in the default rounding mode.
#pragma once

#include <barrier>
#include <cmath>
#include <math.h>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
	unsigned int x = 1, y = 1, z = 1;
};

inline thread_local dim3 threadIdx, blockIdx;
inline dim3 blockDim, gridDim;
inline std::barrier<> *gc_shim_barrier;

inline void __syncthreads() { gc_shim_barrier->arrive_and_wait(); }

inline float gc_shim_shuffle[1024];

inline float __shfl_down_sync(unsigned int, float v, int delta) {
	gc_shim_shuffle[threadIdx.x] = v;
	__syncthreads();
	unsigned int lane = threadIdx.x & 31;
	float r = lane + delta < 32 ? gc_shim_shuffle[threadIdx.x + delta] : v;
	__syncthreads();
	return r;
}

inline unsigned int __umulhi(unsigned int a, unsigned int b) { return (unsigned int)(((uint64_t)a * b) >> 32); }
inline unsigned int __float_as_uint(float f) {
	unsigned int u;
	std::memcpy(&u, &f, 4);
	return u;
}
inline float __uint_as_float(unsigned int u) {
	float f;
	std::memcpy(&f, &u, 4);
	return f;
}
inline float __uint2float_rn(unsigned int u) { return (float)u; }
inline float __int2float_rn(int i) { return (float)i; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __fsqrt_rn(float a) { return std::sqrt(a); }
// expf, fabsf, floorf, fminf and rintf are the C library's, from math.h.

// gc_shim_launch runs kernel(args...) on a grid of grid blocks of block threads: block
// std::threads, each running its thread of every block in turn, with a barrier between blocks
// so that one block at a time uses the __shared__ storage.
template <class Kernel, class... Args> void gc_shim_launch(unsigned int grid, unsigned int block, Kernel kernel, Args... args) {
	gridDim = dim3{grid, 1, 1};
	blockDim = dim3{block, 1, 1};
	std::barrier<> bar(block);
	gc_shim_barrier = &bar;
	std::vector<std::thread> threads;
	threads.reserve(block);
	for (unsigned int t = 0; t < block; t++) {
		threads.emplace_back([=, &bar] {
			threadIdx = dim3{t, 1, 1};
			for (unsigned int b = 0; b < grid; b++) {
				blockIdx = dim3{b, 1, 1};
				kernel(args...);
				bar.arrive_and_wait();
			}
		});
	}
	for (auto &th : threads) th.join();
}
