// Kernels of the gridcells CUDA backend, compiled at run time by NVRTC (see nvrtc.go).
//
// Every tensor is a rows×cols row-major block with leading dimension ld (a view of a larger
// matrix when ld > cols), so element i of the block, in row-major order, is at
// (i / cols)·ld + i % cols. Elementwise kernels run a grid-stride loop over the rows·cols
// elements; the launch shape only changes speed, never results.
//
// Reductions are deterministic: each block sums its elements in double precision in a fixed
// order and writes one partial; gc_reduce then sums the partials in a fixed order. The same
// inputs give the same bits on every run, unlike atomicAdd.

#define GC_LOOP(i, n) \
	for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * gridDim.x)

// Lanes (compute.LaneScalarer): a reduction over the K column blocks of an ensemble runs as
// one launch of K·bpl blocks, bpl per lane. Block j works on lane j / bpl exactly as block
// j % bpl of a bpl-block launch over that lane alone would, so each lane's partials, and so
// its sum, are those of its own launch. A single tensor is one lane (bpl = gridDim.x).
#define GC_LANE_LOOP(i, n, bpl) \
	for (long long i = (long long)(blockIdx.x % (bpl)) * blockDim.x + threadIdx.x; i < (n); i += (long long)blockDim.x * (bpl))

// GPUs have no integer divider: a 64-bit division is a long software sequence, enough to
// make a memory-bound pass compute-bound. Contiguous tensors need none, and blocks below
// 2³¹ elements divide in 32 bits.
__device__ __forceinline__ long long gc_at(long long i, int cols, int ld) {
	if (ld == cols) return i;
	if (i < 0x7fffffffLL) {
		unsigned int u = (unsigned int)i, c = (unsigned int)cols;
		return (long long)(u / c) * ld + (u % c);
	}
	return (i / cols) * (long long)ld + (i % cols);
}

// Activations, as backend.go kernelActivation maps compute.Activation: 0 linear, 1 relu,
// 2 tanh, 3 sigmoid.
__device__ __forceinline__ float gc_act(float x, int f) {
	switch (f) {
	case 1: return x > 0.0f ? x : 0.0f;
	case 2: return tanhf(x);
	case 3: return 1.0f / (1.0f + expf(-x));
	}
	return x;
}

// φ'(x) from y = φ(x) (compute.Activation.DerivFromOutput).
__device__ __forceinline__ float gc_dact(float y, int f) {
	switch (f) {
	case 1: return y > 0.0f ? 1.0f : 0.0f;
	case 2: return 1.0f - y * y;
	case 3: return y * (1.0f - y);
	}
	return 1.0f;
}

// gc_masked_grad is d·φ'(x) given y = φ(x). relu masks (0·Inf would be NaN): the CPU
// backend sets masked entries to 0.
__device__ __forceinline__ float gc_masked_grad(float d, float y, int f) {
	float g = gc_dact(y, f);
	return (f == 1) ? (g > 0.0f ? d : 0.0f) : d * g;
}

// gc_block_sum returns the sum of v over the block in thread 0 (blockDim.x a multiple of
// 32, at most 1024). Every thread must call it.
__device__ double gc_block_sum(double v) {
	__shared__ double part[32];
	__syncthreads(); // part may still be read by a previous call
	for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	if (lane == 0) part[warp] = v;
	__syncthreads();
	if (warp == 0) {
		v = lane < (int)(blockDim.x >> 5) ? part[lane] : 0.0;
		for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
	}
	return v;
}

// gc_block_bcast_sum returns the block sum of v to every thread.
__device__ double gc_block_bcast_sum(double v) {
	__shared__ double total;
	v = gc_block_sum(v);
	if (threadIdx.x == 0) total = v;
	__syncthreads();
	return total;
}

// gc_block_max returns the maximum of v over the block to every thread.
__device__ float gc_block_max(float v) {
	__shared__ float part[32];
	__shared__ float total;
	__syncthreads();
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
	if (lane == 0) part[warp] = v;
	__syncthreads();
	if (warp == 0) {
		v = lane < (int)(blockDim.x >> 5) ? part[lane] : -3.402823466e38f;
		for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_down_sync(0xffffffffu, v, o));
		if (lane == 0) total = v;
	}
	__syncthreads();
	return total;
}

// gc_add_squares adds v² to acc, a float4's components in order; gc_scaled is a·v.
__device__ __forceinline__ void gc_add_squares(double* acc, float v) { *acc += (double)v * v; }
__device__ __forceinline__ void gc_add_squares(double* acc, float4 v) {
	*acc += (double)v.x * v.x;
	*acc += (double)v.y * v.y;
	*acc += (double)v.z * v.z;
	*acc += (double)v.w * v.w;
}
__device__ __forceinline__ float gc_scaled(float a, float v) { return a * v; }
__device__ __forceinline__ float4 gc_scaled(float a, float4 v) { return make_float4(a * v.x, a * v.y, a * v.z, a * v.w); }

// gc_sum_squares_body is gc_sum_squares on elements of type T (float, or float4 for
// gc_sum_squares4; cols and leading dimensions counted in T).
template <typename T>
__device__ void gc_sum_squares_body(double* partial, T* d, int ldd, const T* x, int ldx, int rows, int cols, float a, int bpl) {
	long long n = (long long)rows * cols, lane = blockIdx.x / bpl;
	x += lane * cols;
	if (d) d += lane * cols;
	double acc = 0.0;
	GC_LANE_LOOP(i, n, bpl) {
		T v = x[gc_at(i, cols, ldx)];
		gc_add_squares(&acc, v);
		if (d) d[gc_at(i, cols, ldd)] = gc_scaled(a, v);
	}
	acc = gc_block_sum(acc);
	if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// gc_warp_max and gc_warp_sum return the maximum and sum over the warp to every thread.
__device__ __forceinline__ float gc_warp_max(float v) {
	for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}

__device__ __forceinline__ double gc_warp_sum(double v) {
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// gc_ce_row is one row of gc_softmax_ce, computed by the threads of the block:
// *loss = log Σ_j e^{z_j−m} · Σ_j y_j − Σ_j y_j (z_j − m), m = max_j z_j, and with g != 0,
// g_j = scale·(softmax(z)_j·Σy − y_j) (g may be z: each thread reads z_j before it writes g_j).
__device__ void gc_ce_row(double* loss, float* g, const float* z, const float* y, int cols, double scale) {
	int t = threadIdx.x, n = blockDim.x;
	float m = -3.402823466e38f;
	for (int j = t; j < cols; j += n) m = fmaxf(m, z[j]);
	m = gc_block_max(m);
	double s = 0.0, sy = 0.0, syz = 0.0;
	for (int j = t; j < cols; j += n) {
		float dz = z[j] - m;
		s += (double)expf(dz);
		sy += (double)y[j];
		syz += (double)y[j] * dz;
	}
	s = gc_block_bcast_sum(s);
	sy = gc_block_bcast_sum(sy);
	syz = gc_block_bcast_sum(syz);
	if (t == 0) *loss = log(s) * sy - syz;
	if (g) {
		double a = scale * sy / s;
		for (int j = t; j < cols; j += n) g[j] = (float)(a * expf(z[j] - m) - scale * y[j]);
	}
}

// gc_ce_warp_row is one row of gc_softmax_ce_warp, of at most 128·C columns, computed by
// one warp with gc_ce_row's formulas. Thread t holds columns 128c + 4t + q (c < C, q < 4) of z
// and y in registers: the row is read once, as float4s when its columns and addresses allow,
// and its gradient written once. gc_ce_row's warp form read z three times and y twice, with
// one 4-byte load in flight per thread: a 64-lane ensemble's 256,000 rows of 512 took
// 1.12 ms on the H100, 1.4 TB/s. The sums run over a thread's columns in the order above
// whether the loads are float4s or floats, so a row's bits do not depend on its alignment
// (a lane of an ensemble and the same network alone get the same loss and gradient).
template <int C>
__device__ void gc_ce_warp_row(double* loss, float* g, const float* z, const float* y, int cols, double scale) {
	int t = threadIdx.x & 31;
	bool vec = (cols & 3) == 0 && (((size_t)z | (size_t)y | (size_t)g) & 15) == 0;
	float zr[4 * C], yr[4 * C];
#pragma unroll
	for (int c = 0; c < C; c++) {
		int j = 128 * c + 4 * t;
		if (vec && j < cols) {
			float4 a = *(const float4*)(z + j), b = *(const float4*)(y + j);
			zr[4 * c] = a.x, zr[4 * c + 1] = a.y, zr[4 * c + 2] = a.z, zr[4 * c + 3] = a.w;
			yr[4 * c] = b.x, yr[4 * c + 1] = b.y, yr[4 * c + 2] = b.z, yr[4 * c + 3] = b.w;
		} else {
#pragma unroll
			for (int q = 0; q < 4; q++) {
				zr[4 * c + q] = j + q < cols ? z[j + q] : -3.402823466e38f;
				yr[4 * c + q] = j + q < cols ? y[j + q] : 0.0f;
			}
		}
	}
	float m = -3.402823466e38f;
#pragma unroll
	for (int i = 0; i < 4 * C; i++) m = fmaxf(m, zr[i]);
	m = gc_warp_max(m);
	double s = 0.0, sy = 0.0, syz = 0.0;
#pragma unroll
	for (int i = 0; i < 4 * C; i++) {
		if (128 * (i / 4) + 4 * t + i % 4 < cols) {
			float dz = zr[i] - m;
			zr[i] = expf(dz);
			s += (double)zr[i];
			sy += (double)yr[i];
			syz += (double)yr[i] * dz;
		}
	}
	s = gc_warp_sum(s);
	sy = gc_warp_sum(sy);
	syz = gc_warp_sum(syz);
	if (t == 0) *loss = log(s) * sy - syz;
	if (!g) return;
	double a = scale * sy / s;
#pragma unroll
	for (int c = 0; c < C; c++) {
		int j = 128 * c + 4 * t;
		float o[4];
#pragma unroll
		for (int q = 0; q < 4; q++) o[q] = (float)(a * zr[4 * c + q] - scale * yr[4 * c + q]);
		if (vec && j < cols) {
			*(float4*)(g + j) = make_float4(o[0], o[1], o[2], o[3]);
		} else {
#pragma unroll
			for (int q = 0; q < 4; q++)
				if (j + q < cols) g[j + q] = o[q];
		}
	}
}

extern "C" {

__global__ void gc_fill(float* d, int ldd, int rows, int cols, float v) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) d[gc_at(i, cols, ldd)] = v;
}

__global__ void gc_copy(float* d, int ldd, const float* s, int lds, int rows, int cols) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) d[gc_at(i, cols, ldd)] = s[gc_at(i, cols, lds)];
}

__global__ void gc_scale(float* d, int ldd, int rows, int cols, float a) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) d[gc_at(i, cols, ldd)] *= a;
}

__global__ void gc_add_scalar(float* d, int ldd, int rows, int cols, float a) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) d[gc_at(i, cols, ldd)] += a;
}

// d = d + a·x
__global__ void gc_axpy(float* d, int ldd, const float* x, int ldx, int rows, int cols, float a) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long k = gc_at(i, cols, ldd);
		d[k] = d[k] + a * x[gc_at(i, cols, ldx)];
	}
}

// d = (acc ? d : 0) + p ⊙ q
__global__ void gc_mul(float* d, int ldd, const float* p, int ldp, const float* q, int ldq, int rows, int cols, int acc) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long k = gc_at(i, cols, ldd);
		float v = p[gc_at(i, cols, ldp)] * q[gc_at(i, cols, ldq)];
		d[k] = acc ? d[k] + v : v;
	}
}

__global__ void gc_activate(float* d, int ldd, const float* s, int lds, int rows, int cols, int f) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) d[gc_at(i, cols, ldd)] = gc_act(s[gc_at(i, cols, lds)], f);
}

// d = d ⊙ φ'(x) given y = φ(x)
__global__ void gc_activation_grad(float* d, int ldd, const float* y, int ldy, int rows, int cols, int f) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long k = gc_at(i, cols, ldd);
		d[k] = gc_masked_grad(d[k], y[gc_at(i, cols, ldy)], f);
	}
}

// d[i, :] += v for every row i
__global__ void gc_add_row_vector(float* d, int ldd, const float* v, int rows, int cols) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long r = i < 0x7fffffffLL ? (long long)((unsigned int)i / (unsigned int)cols) : i / cols;
		d[r * ldd + (i - r * cols)] += v[i - r * cols];
	}
}

// d = beta·d + alpha·Σ_rows s, for a 1×cols d. Block (32, 8): 32 columns, 8 row lanes
// that each sum every 8th row in double precision, then combine in a fixed order.
__global__ void gc_sum_rows(float* d, const float* s, int lds, int rows, int cols, float alpha, float beta) {
	__shared__ double part[8][33];
	int c = blockIdx.x * 32 + threadIdx.x;
	double acc = 0.0;
	if (c < cols)
		for (int r = threadIdx.y; r < rows; r += 8) acc += (double)s[(long long)r * lds + c];
	part[threadIdx.y][threadIdx.x] = acc;
	__syncthreads();
	if (threadIdx.y == 0 && c < cols) {
		double t = 0.0;
		for (int k = 0; k < 8; k++) t += part[k][threadIdx.x];
		float v = (float)((double)alpha * t);
		d[c] = beta == 0.0f ? v : beta * d[c] + v;
	}
}

// partial[block] = Σ x² over the block's elements; with d != 0 also d = a·x (d may be x).
// Lane blockIdx.x / bpl is the rows×cols block at column lane·cols.
__global__ void gc_sum_squares(double* partial, float* d, int ldd, const float* x, int ldx, int rows, int cols, float a, int bpl) {
	gc_sum_squares_body(partial, d, ldd, x, ldx, rows, cols, a, bpl);
}

// partial[block] = Σ x over the block's elements.
__global__ void gc_sum(double* partial, const float* x, int ldx, int rows, int cols) {
	long long n = (long long)rows * cols;
	double acc = 0.0;
	GC_LOOP(i, n) acc += (double)x[gc_at(i, cols, ldx)];
	acc = gc_block_sum(acc);
	if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// partial[block] = Σ (o − y)²; with g != 0 also g = gs·(o − y) (g may be o). Lanes as
// gc_sum_squares.
__global__ void gc_squared_error(double* partial, float* g, int ldg, const float* o, int ldo, const float* y, int ldy, int rows, int cols, double gs, int bpl) {
	long long n = (long long)rows * cols, lane = blockIdx.x / bpl;
	o += lane * cols;
	y += lane * cols;
	if (g) g += lane * cols;
	double acc = 0.0;
	GC_LANE_LOOP(i, n, bpl) {
		double e = (double)o[gc_at(i, cols, ldo)] - (double)y[gc_at(i, cols, ldy)];
		acc += e * e;
		if (g) g[gc_at(i, cols, ldg)] = (float)(gs * e);
	}
	acc = gc_block_sum(acc);
	if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}

// Softmax cross-entropy (gc_ce_row), one block per row (grid-stride over rows; all reads of a
// row's sums finish at the block reductions). Lane blockIdx.x / bpl is the block at column
// lane·cols, its losses at rowloss[lane·rows].
__global__ void gc_softmax_ce(double* rowloss, float* g, int ldg, const float* z, int ldz, const float* y, int ldy, int rows, int cols, double scale, int bpl) {
	long long lane = blockIdx.x / bpl;
	z += lane * cols;
	y += lane * cols;
	if (g) g += lane * cols;
	rowloss += lane * rows;
	for (int r = blockIdx.x % bpl; r < rows; r += bpl) {
		gc_ce_row(rowloss + r, g ? g + (long long)r * ldg : 0, z + (long long)r * ldz, y + (long long)r * ldy, cols, scale);
		__syncthreads(); // the next row reuses the shared sums
	}
}

// gc_softmax_ce_warp is gc_softmax_ce with one warp per row (gc_ce_warp_row), for rows of at
// most 1024 columns (backend.go's ceWarpMaxCols): no shared memory and no barriers, the
// reductions are xor-butterfly shuffles (every lane ends with the same bits: each step adds
// a+b on one lane and b+a on its partner). The block version spends a 256-thread block and
// four block reductions on a row of 512 values; on the H100 it took 25 µs for 4,000 such
// rows, about three times what their memory traffic needs. Warp w of the grid works on lane
// w / wpl of lanes, rows w % wpl, w % wpl + wpl, …; a row's results do not depend on wpl.
// The registers a thread holds are the row's width rounded up to 128, 256, 512 or 1024.
__global__ void gc_softmax_ce_warp(double* rowloss, float* g, int ldg, const float* z, int ldz, const float* y, int ldy, int rows, int cols, double scale, int wpl, int lanes) {
	long long warp = ((long long)blockIdx.x * blockDim.x + threadIdx.x) >> 5;
	long long lane = warp / wpl;
	if (lane >= lanes) return; // the whole warp: no shuffle runs with exited threads
	z += lane * cols;
	y += lane * cols;
	if (g) g += lane * cols;
	rowloss += lane * rows;
	for (int r = (int)(warp % wpl); r < rows; r += wpl) {
		double* l = rowloss + r;
		float* gr = g ? g + (long long)r * ldg : 0;
		const float *zr = z + (long long)r * ldz, *yr = y + (long long)r * ldy;
		if (cols <= 128) gc_ce_warp_row<1>(l, gr, zr, yr, cols, scale);
		else if (cols <= 256) gc_ce_warp_row<2>(l, gr, zr, yr, cols, scale);
		else if (cols <= 512) gc_ce_warp_row<4>(l, gr, zr, yr, cols, scale);
		else gc_ce_warp_row<8>(l, gr, zr, yr, cols, scale);
	}
}

// Polar squared error per row of n×2 (r, θ): rowloss = r̂² + r² − 2r̂r·cos(θ̂ − θ), and with
// g != 0 its gradient times scale with respect to (r̂, θ̂).
__global__ void gc_polar_se(double* rowloss, float* g, int ldg, const float* o, int ldo, const float* y, int ldy, int rows, double scale) {
	GC_LOOP(r, rows) {
		double r1 = o[r * ldo], t1 = o[r * ldo + 1];
		double r2 = y[r * ldy], t2 = y[r * ldy + 1];
		double c = cos(t1 - t2), s = sin(t1 - t2);
		rowloss[r] = r1 * r1 + r2 * r2 - 2 * r1 * r2 * c;
		if (g) {
			g[r * ldg] = (float)(scale * (2 * r1 - 2 * r2 * c));
			g[r * ldg + 1] = (float)(scale * (2 * r1 * r2 * s));
		}
	}
}

// out[j] = Σ_{i<n} in[j·n + i], each j summed by block j in a fixed order (one block per
// lane's partials).
__global__ void gc_reduce(double* out, const double* in, long long n) {
	in += blockIdx.x * n;
	double acc = 0.0;
	for (long long i = threadIdx.x; i < n; i += blockDim.x) acc += in[i];
	acc = gc_block_sum(acc);
	if (threadIdx.x == 0) out[blockIdx.x] = acc;
}

// Adam in the form both conventions share (compute.AdamEpsilon):
// m ← b1·m + (1−b1)·g; v ← b2·v + (1−b2)·g²; θ ← θ − lr·m/(√v + eps).
__device__ __forceinline__ void gc_adam1(float* p, float g, float* m, float* v, float b1, float c1, float b2, float c2, float lr, float eps) {
	float mj = b1 * *m + c1 * g;
	float vj = b2 * *v + c2 * g * g;
	*m = mj;
	*v = vj;
	*p -= lr * mj / (sqrtf(vj) + eps);
}

__global__ void gc_adam(float* p, int ldp, const float* g, int ldg, float* m, int ldm, float* v, int ldv, int rows, int cols,
		float b1, float c1, float b2, float c2, float lr, float eps) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		gc_adam1(&p[gc_at(i, cols, ldp)], g[gc_at(i, cols, ldg)], &m[gc_at(i, cols, ldm)], &v[gc_at(i, cols, ldv)], b1, c1, b2, c2, lr, eps);
	}
}

// The float4 kernels are the kernels of the same name without 4 on tensors read as float4
// (cols and the leading dimensions counted in float4s; the host checks that columns, leading
// dimensions and addresses allow it). Each thread then has 16-byte loads in flight where it
// had 4-byte ones: on the H100 the sum of squares of a 4096×4096 weight with one 4-byte load
// per loop trip ran at under half the memory bandwidth (91 µs). Same results element for
// element; a sum of squares adds in another order than gc_sum_squares.
__global__ void gc_adam4(float4* p, int ldp, const float4* g, int ldg, float4* m, int ldm, float4* v, int ldv, int rows, int cols,
		float b1, float c1, float b2, float c2, float lr, float eps) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long kp = gc_at(i, cols, ldp), km = gc_at(i, cols, ldm), kv = gc_at(i, cols, ldv);
		float4 pj = p[kp], gj = g[gc_at(i, cols, ldg)], mj = m[km], vj = v[kv];
		gc_adam1(&pj.x, gj.x, &mj.x, &vj.x, b1, c1, b2, c2, lr, eps);
		gc_adam1(&pj.y, gj.y, &mj.y, &vj.y, b1, c1, b2, c2, lr, eps);
		gc_adam1(&pj.z, gj.z, &mj.z, &vj.z, b1, c1, b2, c2, lr, eps);
		gc_adam1(&pj.w, gj.w, &mj.w, &vj.w, b1, c1, b2, c2, lr, eps);
		p[kp] = pj;
		m[km] = mj;
		v[kv] = vj;
	}
}

__global__ void gc_activate4(float4* d, int ldd, const float4* s, int lds, int rows, int cols, int f) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		float4 v = s[gc_at(i, cols, lds)];
		v.x = gc_act(v.x, f);
		v.y = gc_act(v.y, f);
		v.z = gc_act(v.z, f);
		v.w = gc_act(v.w, f);
		d[gc_at(i, cols, ldd)] = v;
	}
}

__global__ void gc_activation_grad4(float4* d, int ldd, const float4* y, int ldy, int rows, int cols, int f) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		long long k = gc_at(i, cols, ldd);
		float4 v = d[k], o = y[gc_at(i, cols, ldy)];
		v.x = gc_masked_grad(v.x, o.x, f);
		v.y = gc_masked_grad(v.y, o.y, f);
		v.z = gc_masked_grad(v.z, o.z, f);
		v.w = gc_masked_grad(v.w, o.w, f);
		d[k] = v;
	}
}

__global__ void gc_sum_squares4(double* partial, float4* d, int ldd, const float4* x, int ldx, int rows, int cols, float a, int bpl) {
	gc_sum_squares_body(partial, d, ldd, x, ldx, rows, cols, a, bpl);
}

// Keras RMSprop without momentum (rho < 0 selects Adagrad: a ← a + g²).
__global__ void gc_rmsprop(float* p, int ldp, const float* g, int ldg, float* a, int lda, int rows, int cols, float rho, float lr, float eps) {
	long long n = (long long)rows * cols;
	GC_LOOP(i, n) {
		float gj = g[gc_at(i, cols, ldg)];
		long long ka = gc_at(i, cols, lda);
		float aj = rho < 0.0f ? a[ka] + gj * gj : rho * a[ka] + (1.0f - rho) * gj * gj;
		a[ka] = aj;
		p[gc_at(i, cols, ldp)] -= lr * gj / (sqrtf(aj) + eps);
	}
}

} // extern "C"

// Driven activations (compute.InputDriver, drive.go): a SimpleRNN step
// r_t = φ(r_{t−1}·W_rec + x_t·W_in) whose input x_t has only k ≤ GC_DRIVE_MAX columns (the
// velocity, spec §3.1). The input product is computed inside the activation's pass over the
// step instead of by a GEMM over all steps, whose (T·B)×n output the recurrent GEMMs would
// read back; backward, the gradient of W_in is summed in the pass of φ' instead of by a GEMM
// over all T·B rows. On the H100, for a 64-lane ensemble (Ng 1024, B 200, T 20), those two
// GEMMs took 0.83 ms of a 19 ms training step: 2 GB moved (and the first's output read back
// by the recurrent GEMMs) for k = 2 multiply-adds per element.
//
// Lanes (compute.LaneInputDriver): the tensors are lanes column blocks of n elements (x of k);
// a column's lane is column / n, and its inputs are that lane's k columns of x. Every column
// is computed alone, in the same order whatever the launch, so a lane's results are those of
// its own launch bit for bit. T is float, or float4 for the kernels ending in 4 (then n, the
// column counts and the leading dimensions of every T tensor count float4s, and a lane's n is
// a multiple of four floats); x is always read as floats.

#define GC_DRIVE_MAX 4     // compute.MaxDriven
#define GC_DRIVE_GROUPS 32 // the most row groups (blockDim.y) of gc_activation_grad_driven

// gc_width<T>::n is the number of floats in a T; gc_get and gc_put read and write float q
// of a T (with constant q after unrolling, a register).
template <typename T> struct gc_width { static const int n = 1; };
template <> struct gc_width<float4> { static const int n = 4; };

__device__ __forceinline__ float gc_get(float v, int) { return v; }
__device__ __forceinline__ float gc_get(float4 v, int q) { return q == 0 ? v.x : q == 1 ? v.y : q == 2 ? v.z : v.w; }
__device__ __forceinline__ void gc_put(float* v, int, float a) { *v = a; }
__device__ __forceinline__ void gc_put(float4* v, int q, float a) {
	if (q == 0) v->x = a;
	else if (q == 1) v->y = a;
	else if (q == 2) v->z = a;
	else v->w = a;
}

// gc_activate_driven_body: d = φ(p + x·w). Block (32, by): thread x of block b takes
// column (b % cb)·32 + x, cb = ⌈cols/32⌉, and the rows (b / cb)·rpb + y, + by, … of that
// block's chunk of rpb rows; it holds its column of w in registers. A warp's 32 columns are
// consecutive (coalesced), and the threads of one lane read the same x values (a broadcast).
// Per element: s = Σ_i x_i·w_i (fmaf from 0, i = 0 … k−1), then φ(p + s), as p plus the
// product of the unfused GEMM.
template <typename T>
__device__ void gc_activate_driven_body(T* d, int ldd, const T* p, int ldp, const float* x, int ldx, const T* w, int ldw,
		int rows, int cols, int n, int k, int f, int rpb) {
	const int Q = gc_width<T>::n;
	int cb = (cols + 31) / 32;
	int c = (int)(blockIdx.x % cb) * 32 + threadIdx.x;
	if (c >= cols) return;
	int r0 = (int)(blockIdx.x / cb) * rpb, r1 = rows - r0 < rpb ? rows : r0 + rpb;
	x += (long long)(c / n) * k;
	T wk[GC_DRIVE_MAX] = {};
#pragma unroll
	for (int i = 0; i < GC_DRIVE_MAX; i++)
		if (i < k) wk[i] = w[(long long)i * ldw + c];
	for (int r = r0 + threadIdx.y; r < r1; r += blockDim.y) {
		T v = p[(long long)r * ldp + c];
		const float* xr = x + (long long)r * ldx;
		float s[4] = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll
		for (int i = 0; i < GC_DRIVE_MAX; i++) {
			if (i < k) {
				float xi = xr[i];
#pragma unroll
				for (int q = 0; q < Q; q++) s[q] = fmaf(xi, gc_get(wk[i], q), s[q]);
			}
		}
#pragma unroll
		for (int q = 0; q < Q; q++) gc_put(&v, q, gc_act(gc_get(v, q) + s[q], f));
		d[(long long)r * ldd + c] = v;
	}
}

// gc_activation_grad_driven_body: d = d ⊙ φ'(y) given y = φ(a) (gc_masked_grad), and
// gw = beta·gw + xᵀ·d, a sum over all rows of a column: no atomics, one block per 32
// columns. Block (32, by): thread (x, y) takes column blockIdx.x·32 + x and sums, in double,
// x_i·d over the rows y, y + by, …; then thread (x, 0) adds the by partials in order and
// writes gw (gw is not read when beta = 0). by depends on rows only (drive.go), so the sums
// of a lane do not depend on the number of lanes.
template <typename T>
__device__ void gc_activation_grad_driven_body(T* d, int ldd, const T* y, int ldy, const float* x, int ldx, T* gw, int ldg,
		int rows, int cols, int n, int k, int f, float beta) {
	const int Q = gc_width<T>::n;
	__shared__ double part[GC_DRIVE_GROUPS][32][4];
	int c = blockIdx.x * 32 + threadIdx.x;
	bool on = c < cols;
	double acc[GC_DRIVE_MAX][4] = {};
	if (on) {
		x += (long long)(c / n) * k;
		for (int r = threadIdx.y; r < rows; r += blockDim.y) {
			long long kd = (long long)r * ldd + c;
			T g = d[kd], o = y[(long long)r * ldy + c];
#pragma unroll
			for (int q = 0; q < Q; q++) gc_put(&g, q, gc_masked_grad(gc_get(g, q), gc_get(o, q), f));
			d[kd] = g;
			const float* xr = x + (long long)r * ldx;
#pragma unroll
			for (int i = 0; i < GC_DRIVE_MAX; i++) {
				if (i < k) {
					double xi = (double)xr[i];
#pragma unroll
					for (int q = 0; q < Q; q++) acc[i][q] += xi * (double)gc_get(g, q);
				}
			}
		}
	}
#pragma unroll
	for (int i = 0; i < GC_DRIVE_MAX; i++) {
		if (i < k) { // k is the same in every thread: all reach the barriers
			__syncthreads(); // part may still be read for the previous input
#pragma unroll
			for (int q = 0; q < Q; q++) part[threadIdx.y][threadIdx.x][q] = acc[i][q];
			__syncthreads();
			if (threadIdx.y == 0 && on) {
				long long kg = (long long)i * ldg + c;
				T s = beta == 0.0f ? T() : gw[kg];
#pragma unroll
				for (int q = 0; q < Q; q++) {
					double t = 0.0;
					for (int j = 0; j < (int)blockDim.y; j++) t += part[j][threadIdx.x][q];
					float v = (float)t;
					gc_put(&s, q, beta == 0.0f ? v : beta * gc_get(s, q) + v);
				}
				gw[kg] = s;
			}
		}
	}
}

extern "C" {

__global__ void gc_activate_driven(float* d, int ldd, const float* p, int ldp, const float* x, int ldx, const float* w, int ldw,
		int rows, int cols, int n, int k, int f, int rpb) {
	gc_activate_driven_body(d, ldd, p, ldp, x, ldx, w, ldw, rows, cols, n, k, f, rpb);
}

__global__ void gc_activate_driven4(float4* d, int ldd, const float4* p, int ldp, const float* x, int ldx, const float4* w, int ldw,
		int rows, int cols, int n, int k, int f, int rpb) {
	gc_activate_driven_body(d, ldd, p, ldp, x, ldx, w, ldw, rows, cols, n, k, f, rpb);
}

__global__ void gc_activation_grad_driven(float* d, int ldd, const float* y, int ldy, const float* x, int ldx, float* gw, int ldg,
		int rows, int cols, int n, int k, int f, float beta) {
	gc_activation_grad_driven_body(d, ldd, y, ldy, x, ldx, gw, ldg, rows, cols, n, k, f, beta);
}

// __launch_bounds__(1024): drive.go gives it blocks of up to 1024 threads (1024 at B 200);
// unbounded, NVRTC 11.8 gave it 56 registers for sm_90, 8 short of a 1024-thread block's limit.
__global__ void __launch_bounds__(1024) gc_activation_grad_driven4(float4* d, int ldd, const float4* y, int ldy, const float* x, int ldx, float4* gw, int ldg,
		int rows, int cols, int n, int k, int f, float beta) {
	gc_activation_grad_driven_body(d, ldd, y, ldy, x, ldx, gw, ldg, rows, cols, n, k, f, beta);
}

} // extern "C"
