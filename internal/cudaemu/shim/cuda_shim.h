// cuda_shim.h lets g++ compile kernels.cu and generate.cu, the exact texts NVRTC compiles, and
// run their kernels on the CPU: compute/cuda's generate_shim_test.go (testdata/shim/harness.cpp)
// and the emulated CUDA driver of internal/cudaemu. It defines the CUDA keywords, built-in
// variables and intrinsics that the two files use, with the semantics the CUDA C++ Programming
// Guide gives them:
//
//   - a launch runs the grid's blocks one after the other, on the calling OS thread; a block's
//     threads are fibers (each with its own stack) that a scheduler runs in turn, each until it
//     finishes or waits at a barrier, so that __syncthreads and __shared__ (static storage, one
//     copy, used by one block at a time) behave as on a GPU. threadIdx and blockIdx are set by
//     the scheduler before it resumes a fiber. Launches must not run concurrently (the emulator
//     holds a lock around each);
//   - __syncthreads releases the block when every thread that has not returned waits at it
//     (threads that returned do not hold it back, as on current GPUs); __shfl_down_sync and
//     __shfl_xor_sync release a warp (32 consecutive linear thread ids, x fastest, then y, z)
//     when every live thread of the warp has called one, then read the value of lane + delta,
//     or of lane ^ lane_mask (a thread's own where that lane is ≥ 32 or past the block's last
//     thread), for float, double, int and unsigned int. A kernel
//     whose threads wait at different barriers, or only part of a warp at a shuffle, would hang
//     on a GPU: here the scheduler sees that no fiber can run and aborts with a message;
//   - __fadd_rn, __fmul_rn, __fdiv_rn, __fsqrt_rn are the IEEE float32 operations; compile with
//     -ffp-contract=off so that g++ does not fuse them either (x86-64 SSE arithmetic is float32,
//     FLT_EVAL_METHOD 0); rintf rounds to nearest even in the default rounding mode. The other
//     maths functions (expf, tanhf, log, cos, …) are the C library's, within an ulp or two of
//     CUDA's, not bit-identical.
//
// On x86-64 a fiber switch is six register pushes and pops (gc_shim_switch); elsewhere, or with
// GC_SHIM_UCONTEXT defined, it is swapcontext, correct but slower (a system call per switch).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <math.h>
#include <sys/mman.h>
#include <type_traits>
#include <vector>

// GC_SHIM_UCONTEXT forces the portable fiber switch (cudaemu's TestShim builds both).
#if defined(__x86_64__) && !defined(GC_SHIM_UCONTEXT)
#define GC_SHIM_ASM_SWITCH 1
#else
#include <ucontext.h>
#endif

#define __global__
#define __launch_bounds__(...)
#define __device__
#define __forceinline__ inline
#define __shared__ static

struct dim3 {
	unsigned int x = 1, y = 1, z = 1;
};

// float4 as CUDA's vector type: 16-byte aligned, so that a misaligned float4 access by a
// kernel is undefined here as on a GPU (the sanitizers of the emulator tests can see it).
struct alignas(16) float4 {
	float x, y, z, w;
};

inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

// The built-in variables, set by the scheduler before it resumes a thread.
inline dim3 threadIdx, blockIdx, blockDim, gridDim;

// gc_shim_fiber is one thread of the running block.
struct gc_shim_fiber {
	enum State { ready, wait_block, wait_warp, done };
	State state = ready;
	bool started = false;
	unsigned int shuffles = 0; // shuffles made, to alternate exchange buffers
	dim3 idx;                  // threadIdx
	char *stack = nullptr; // from gc_shim_stacks while started and not done
#if GC_SHIM_ASM_SWITCH
	void *sp = nullptr;
#else
	ucontext_t ctx;
#endif
};

// gc_shim_sched is the state of the launch in progress.
struct gc_shim_sched {
	std::vector<gc_shim_fiber> fibers;
	std::vector<unsigned int> warp_live, warp_wait;
	std::vector<uint64_t> exchange; // the shuffles' values: two buffers of one slot per thread
	std::vector<char *> free_stacks;
	unsigned int current = 0, live = 0, block_wait = 0;
	const std::function<void()> *body = nullptr;
#if GC_SHIM_ASM_SWITCH
	void *sched_sp = nullptr;
#else
	ucontext_t sched_ctx;
#endif
};
inline gc_shim_sched gc_shim;

// Stacks are 256 KiB with a guard page below, so an overflow faults instead of corrupting.
inline constexpr size_t gc_shim_stack_size = 256 << 10, gc_shim_guard = 4096;

inline char *gc_shim_new_stack() {
	if (!gc_shim.free_stacks.empty()) {
		char *s = gc_shim.free_stacks.back();
		gc_shim.free_stacks.pop_back();
		return s;
	}
	void *m = mmap(nullptr, gc_shim_stack_size + gc_shim_guard, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		std::fprintf(stderr, "cuda_shim: cannot map a thread stack\n");
		std::abort();
	}
	mprotect(m, gc_shim_guard, PROT_NONE);
	return (char *)m + gc_shim_guard;
}

#if GC_SHIM_ASM_SWITCH
// gc_shim_switch saves the callee-saved registers on the current stack, stores the stack
// pointer in *save and continues on the stack to (System V ABI: the caller saved the rest).
// noipa: callers must assume it reads and writes every global (threadIdx changes across it).
[[gnu::naked, gnu::noipa]] inline void gc_shim_switch(void **, void *) {
	asm("pushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n\t"
	    "movq %rsp, (%rdi)\n\tmovq %rsi, %rsp\n\t"
	    "popq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n\tret\n\t");
}
#endif

// gc_shim_yield returns from the current fiber to the scheduler.
[[gnu::noipa]] inline void gc_shim_yield() {
	gc_shim_fiber &f = gc_shim.fibers[gc_shim.current];
#if GC_SHIM_ASM_SWITCH
	gc_shim_switch(&f.sp, gc_shim.sched_sp);
#else
	swapcontext(&f.ctx, &gc_shim.sched_ctx);
#endif
}

[[noreturn]] inline void gc_shim_entry() {
	(*gc_shim.body)();
	gc_shim.fibers[gc_shim.current].state = gc_shim_fiber::done;
	gc_shim_yield();
	std::abort(); // a finished fiber is never resumed
}

#if !GC_SHIM_ASM_SWITCH
inline void gc_shim_entry_c() { gc_shim_entry(); }
#endif

// gc_shim_resume runs fiber i until it yields.
inline void gc_shim_resume(unsigned int i) {
	gc_shim_fiber &f = gc_shim.fibers[i];
	threadIdx = f.idx;
	gc_shim.current = i;
	if (!f.started) {
		f.started = true;
		f.stack = gc_shim_new_stack();
#if GC_SHIM_ASM_SWITCH
		// A frame as if gc_shim_switch had saved it: six registers, then the return address
		// gc_shim_entry, entered with the stack 8 mod 16 as after a call.
		uintptr_t top = ((uintptr_t)f.stack + gc_shim_stack_size) & ~(uintptr_t)15;
		void **sp = (void **)top;
		*--sp = nullptr;
		*--sp = (void *)&gc_shim_entry;
		for (int r = 0; r < 6; r++) *--sp = nullptr;
		f.sp = sp;
#else
		getcontext(&f.ctx);
		f.ctx.uc_stack.ss_sp = f.stack;
		f.ctx.uc_stack.ss_size = gc_shim_stack_size;
		f.ctx.uc_link = nullptr;
		makecontext(&f.ctx, gc_shim_entry_c, 0);
#endif
	}
#if GC_SHIM_ASM_SWITCH
	gc_shim_switch(&gc_shim.sched_sp, f.sp);
#else
	swapcontext(&gc_shim.sched_ctx, &f.ctx);
#endif
	gc_shim_fiber &g = gc_shim.fibers[i];
	unsigned int w = i / 32;
	switch (g.state) {
	case gc_shim_fiber::done:
		gc_shim.free_stacks.push_back(g.stack);
		g.stack = nullptr;
		gc_shim.live--;
		gc_shim.warp_live[w]--;
		break;
	case gc_shim_fiber::wait_block: gc_shim.block_wait++; break;
	case gc_shim_fiber::wait_warp: gc_shim.warp_wait[w]++; break;
	case gc_shim_fiber::ready: break;
	}
}

// gc_shim_run_block runs one block of n threads to completion.
inline void gc_shim_run_block(unsigned int n) {
	gc_shim.fibers.assign(n, gc_shim_fiber{});
	dim3 idx{0, 0, 0};
	for (auto &f : gc_shim.fibers) { // x fastest, then y, then z
		f.idx = idx;
		if (++idx.x == blockDim.x) {
			idx.x = 0;
			if (++idx.y == blockDim.y) {
				idx.y = 0;
				idx.z++;
			}
		}
	}
	unsigned int warps = (n + 31) / 32;
	gc_shim.warp_live.assign(warps, 0);
	gc_shim.warp_wait.assign(warps, 0);
	for (unsigned int i = 0; i < n; i++) gc_shim.warp_live[i / 32]++;
	gc_shim.live = n;
	gc_shim.block_wait = 0;
	while (gc_shim.live > 0) {
		bool progress = false;
		for (unsigned int i = 0; i < n; i++) {
			if (gc_shim.fibers[i].state == gc_shim_fiber::ready) {
				gc_shim_resume(i);
				progress = true;
			}
		}
		// Release the warps whose live threads all wait at a shuffle, then the block if all of
		// its live threads wait at __syncthreads.
		for (unsigned int w = 0; w < warps; w++) {
			if (gc_shim.warp_wait[w] > 0 && gc_shim.warp_wait[w] == gc_shim.warp_live[w]) {
				for (unsigned int i = 32 * w; i < n && i < 32 * w + 32; i++)
					if (gc_shim.fibers[i].state == gc_shim_fiber::wait_warp) gc_shim.fibers[i].state = gc_shim_fiber::ready;
				gc_shim.warp_wait[w] = 0;
				progress = true;
			}
		}
		if (gc_shim.block_wait > 0 && gc_shim.block_wait == gc_shim.live) {
			for (auto &f : gc_shim.fibers)
				if (f.state == gc_shim_fiber::wait_block) f.state = gc_shim_fiber::ready;
			gc_shim.block_wait = 0;
			progress = true;
		}
		if (!progress && gc_shim.live > 0) {
			std::fprintf(stderr,
			             "cuda_shim: block (%u,%u,%u) is stuck: of its %u live threads, %u wait at __syncthreads and the "
			             "others at a warp shuffle their whole warp does not reach (this would hang on a GPU)\n",
			             blockIdx.x, blockIdx.y, blockIdx.z, gc_shim.live, gc_shim.block_wait);
			std::abort();
		}
	}
}

// gc_shim_run runs body as every thread of a grid×block launch.
inline void gc_shim_run(dim3 grid, dim3 block, const std::function<void()> &body) {
	gridDim = grid;
	blockDim = block;
	unsigned int n = block.x * block.y * block.z;
	gc_shim.body = &body;
	gc_shim.exchange.assign(2 * (size_t)n, 0);
	for (unsigned int z = 0; z < grid.z; z++)
		for (unsigned int y = 0; y < grid.y; y++)
			for (unsigned int x = 0; x < grid.x; x++) {
				blockIdx = dim3{x, y, z};
				gc_shim_run_block(n);
			}
	gc_shim.body = nullptr;
}

inline unsigned int gc_shim_linear_tid() { return threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z); }

inline void __syncthreads() {
	gc_shim.fibers[gc_shim.current].state = gc_shim_fiber::wait_block;
	gc_shim_yield();
}

inline void gc_shim_warp_barrier() {
	gc_shim.fibers[gc_shim.current].state = gc_shim_fiber::wait_warp;
	gc_shim_yield();
}

// gc_shim_shuffle is a full-warp shuffle (name for messages): every live thread of the warp
// stores v, then reads the value of the lane that source(lane) names, its own where that lane
// is ≥ 32 or past the block's last thread.
template <class T, class Source> T gc_shim_shuffle(const char *name, unsigned int mask, T v, Source source) {
	static_assert(sizeof(T) <= 8 && std::is_trivially_copyable_v<T>, "cuda_shim: shuffle of an unsupported type");
	if (mask != 0xffffffffu) {
		std::fprintf(stderr, "cuda_shim: %s with mask %#x: only full-warp masks are emulated\n", name, mask);
		std::abort();
	}
	unsigned int tid = gc_shim_linear_tid(), n = blockDim.x * blockDim.y * blockDim.z;
	uint64_t bits = 0;
	std::memcpy(&bits, &v, sizeof(T));
	// Two exchange buffers, used by alternate shuffles of a thread (the warp's threads make the
	// same shuffles): one barrier per shuffle suffices, since a thread writes a buffer again
	// only after the next shuffle's barrier, which every thread of its warp reaches after it
	// has read this one.
	gc_shim_fiber &f = gc_shim.fibers[gc_shim.current];
	uint64_t *buf = gc_shim.exchange.data() + (f.shuffles++ & 1) * n;
	buf[tid] = bits;
	gc_shim_warp_barrier(); // every live thread of the warp has stored its value
	unsigned int lane = tid & 31, src = source(lane), base = tid - lane;
	T r = v;
	if (src < 32 && base + src < n) std::memcpy(&r, &buf[base + src], sizeof(T));
	return r;
}

template <class T> T __shfl_down_sync(unsigned int mask, T v, int delta) {
	// A negative delta reads the thread's own value.
	return gc_shim_shuffle("__shfl_down_sync", mask, v,
	                       [delta](unsigned int lane) { return delta < 0 ? 32u : lane + (unsigned int)delta; });
}

// __shfl_xor_sync reads lane ^ lane_mask's value: the butterfly of warp reductions.
template <class T> T __shfl_xor_sync(unsigned int mask, T v, int lane_mask) {
	return gc_shim_shuffle("__shfl_xor_sync", mask, v, [lane_mask](unsigned int lane) { return lane ^ (unsigned int)lane_mask; });
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
// expf, tanhf, fabsf, fmaxf, fminf, floorf, rintf, sqrtf, log, cos and sin are the C library's,
// from math.h.

// gc_shim_launch runs kernel(args...) on a grid of grid blocks of block threads (one-dimensional).
template <class Kernel, class... Args> void gc_shim_launch(unsigned int grid, unsigned int block, Kernel kernel, Args... args) {
	std::function<void()> body = [&] { kernel(args...); };
	gc_shim_run(dim3{grid, 1, 1}, dim3{block, 1, 1}, body);
}
