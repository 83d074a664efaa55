// Training batches generated on the GPU: the Philox random walk of sim/philox.go and the
// place-cell codes of encode/place.go, compiled at run time by NVRTC as a module of its own
// (generate.go) and, for the tests, by g++ through testdata/shim/cuda_shim.h, which runs the
// kernels on the CPU. Nothing here may need a header: NVRTC compiles it without any.
//
// Walk (gc_gen_walk): one block per trajectory walks spec §1.1 step by step, exactly as
// sim's philoxTrajectory does, with the same counter layout (counter = (j, b, batch lo,
// batch hi), key = the generator's key; j = 0 the start, j = t+1 step t) and the same float32
// operations: every product, quotient and square root through __fmul_rn, __fdiv_rn and
// __fsqrt_rn, which are correctly rounded and never contracted into a fused multiply-add, and
// the logarithm and sine/cosine as internal/philox evaluates them, not logf and sincosf (whose
// last bits differ from Go's). So the walk equals the Go walk bit for bit, whatever the launch
// shape.
//
// Codes (gc_gen_place): for each position (the B initial positions, then the T·B targets)
// three reductions over its Np cells (the smallest d², the two softmax sums, the minimum and
// sum of the DoS values) in a fixed order. The kernel is latency-bound, not bandwidth-bound
// (4,200 rows of 512 floats are ~3 µs of writes on an H100; one 256-thread block per position,
// with three shared-memory block reductions, took ~28 µs), so for Np ≤ GEN_WARP_CELLS·32 (the
// presets' 512) one warp encodes one position, its reductions xor-butterfly shuffles only, no
// shared memory and no barrier, several positions per block; larger codes keep one block per
// position, each thread at most GEN_CELLS_PER_THREAD cells. These use expf and plain
// arithmetic: they match encode within float32 rounding (tested to 1e-6), not bit for bit.
//
// Lanes: both kernels serve one generator or the K ≤ 65,535 generators of an ensemble's lanes
// (compute/ensemble, generate_lanes.go) in one launch, lane blockIdx.y of a grid gridDim.y = K
// high (profiled as "gc_gen_place lanes=K"). A lane's parameters (centres, kind, widths, key,
// walk) are its gen_lane record in device memory, and its tensors lie at a fixed distance, in
// floats, from the previous lane's (an ensemble lane's columns sit one lane width to the
// right). One generator is the launch of one lane, so a lane's values are those of its
// generator launched alone, bit for bit: the same code reads the same parameters. (64 launches
// of one lane each, B 200, T 20, Np 512, took 0.66 ms a step on an H100, 10 µs each with the
// GPU half idle; one launch writes the 64·4,200 codes of 512 floats at memory bandwidth.)

// Philox4x32-10 constants (Salmon et al., SC'11; Random123 philox.h).
#define GEN_PHILOX_M0 0xD2511F53u
#define GEN_PHILOX_M1 0xCD9E8D57u
#define GEN_PHILOX_W0 0x9E3779B9u
#define GEN_PHILOX_W1 0xBB67AE85u

// float32 constants, bit for bit those of internal/philox and sim/philox.go (hex literals, so
// no decimal conversion is involved).
#define GEN_TWO_POW_M24 0x1p-24f
#define GEN_LN2_HI 0x1.62p-01f        // 177/256
#define GEN_LN2_LO 0x1.c85fep-10f     // ln 2 − GEN_LN2_HI
#define GEN_SQRT2 0x1.6a09e6p+00f
#define GEN_INV3 0x1.555556p-02f      // 1/3
#define GEN_INV5 0x1.99999ap-03f      // 1/5
#define GEN_INV7 0x1.24924ap-03f      // 1/7
#define GEN_INV9 0x1.c71c72p-04f      // 1/9
#define GEN_INV11 0x1.745d18p-04f     // 1/11
#define GEN_INV13 0x1.3b13b2p-04f     // 1/13
#define GEN_PIO2_A 0x1.92p+00f        // π/2 in three parts
#define GEN_PIO2_B 0x1.fb4p-12f
#define GEN_PIO2_C 0x1.4442d2p-24f
#define GEN_TWO_OVER_PI 0x1.45f306p-01f
#define GEN_SIN3 -0x1.555556p-03f     // −1/3!
#define GEN_SIN5 0x1.111112p-07f      // 1/5!
#define GEN_SIN7 -0x1.a01a02p-13f     // −1/7!
#define GEN_SIN9 0x1.71de3ap-19f      // 1/9!
#define GEN_COS4 0x1.555556p-05f      // 1/4!
#define GEN_COS6 -0x1.6c16c2p-10f     // −1/6!
#define GEN_COS8 0x1.a01a02p-16f      // 1/8!
#define GEN_COS10 -0x1.27e4fcp-22f    // −1/10!
#define GEN_PI 0x1.921fb6p+01f
#define GEN_TWO_PI 0x1.921fb6p+02f
#define GEN_HALF_PI 0x1.921fb6p+00f
#define GEN_THREE_HALF_PI 0x1.2d97c8p+02f

// Most threads per block of gc_gen_walk: the steps whose draws one round computes.
#define GEN_WALK_MAX_BLOCK 256

// Cells per thread of gc_gen_place's block path: Np ≤ GEN_CELLS_PER_THREAD·blockDim.x
// (generate_params.go checks).
#define GEN_CELLS_PER_THREAD 8

// Cells per lane of gc_gen_place's warp path, which it takes for Np ≤ 32·GEN_WARP_CELLS
// (generate_encode.go's genWarpCells).
#define GEN_WARP_CELLS 16

// Place-cell kinds, as generate.go's PlaceKind.
#define GEN_GAUSSIAN 0
#define GEN_DOS 1
#define GEN_SOD 2

// 32-bit words of a gen_lane record (generate.go's genLaneWords; newLaneRecord writes them).
#define GEN_LANE_WORDS 17

struct gen_u4 {
	unsigned int x, y, z, w;
};

// gen_philox is philox.Block: Philox4x32-10 of counter (c0, c1, c2, c3) under key (k0, k1).
__device__ __forceinline__ gen_u4 gen_philox(unsigned int c0, unsigned int c1, unsigned int c2, unsigned int c3,
                                             unsigned int k0, unsigned int k1) {
	for (int r = 0; r < 10; r++) {
		if (r > 0) {
			k0 += GEN_PHILOX_W0;
			k1 += GEN_PHILOX_W1;
		}
		unsigned int hi0 = __umulhi(GEN_PHILOX_M0, c0), lo0 = GEN_PHILOX_M0 * c0;
		unsigned int hi1 = __umulhi(GEN_PHILOX_M1, c2), lo1 = GEN_PHILOX_M1 * c2;
		unsigned int n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
		c0 = n0;
		c1 = lo1;
		c2 = n2;
		c3 = lo0;
	}
	gen_u4 r = {c0, c1, c2, c3};
	return r;
}

// philox.Uniform, [0, 1), and philox.UniformNonZero, (0, 1]: exact.
__device__ __forceinline__ float gen_uniform(unsigned int x) { return __fmul_rn(__uint2float_rn(x >> 8), GEN_TWO_POW_M24); }
__device__ __forceinline__ float gen_uniform_nonzero(unsigned int x) {
	return __fmul_rn(__uint2float_rn((x >> 8) + 1u), GEN_TWO_POW_M24);
}

// philox.Log: e·ln 2 + 2·atanh((m−1)/(m+1)) for u = m·2^e, m ∈ [√½, √2].
__device__ __forceinline__ float gen_log(float u) {
	unsigned int b = __float_as_uint(u);
	int e = (int)(b >> 23) - 127;
	float m = __uint_as_float((b & 0x7fffffu) | 0x3f800000u);
	if (m > GEN_SQRT2) {
		m = __fmul_rn(m, 0.5f);
		e++;
	}
	float s = __fdiv_rn(m - 1.0f, m + 1.0f);
	float s2 = __fmul_rn(s, s);
	float q = GEN_INV13;
	q = __fmul_rn(q, s2) + GEN_INV11;
	q = __fmul_rn(q, s2) + GEN_INV9;
	q = __fmul_rn(q, s2) + GEN_INV7;
	q = __fmul_rn(q, s2) + GEN_INV5;
	q = __fmul_rn(q, s2) + GEN_INV3;
	float t = s + __fmul_rn(__fmul_rn(s, s2), q);
	float fe = __int2float_rn(e);
	float r = __fmul_rn(fe, GEN_LN2_LO) + __fmul_rn(2.0f, t);
	return __fmul_rn(fe, GEN_LN2_HI) + r;
}

// philox's quadrant: sin and cos of r + j·π/2 from the Taylor series at r ∈ [−π/4, π/4].
__device__ __forceinline__ void gen_quadrant(float r, int j, float *ps, float *pc) {
	float r2 = __fmul_rn(r, r);
	float q = GEN_SIN9;
	q = __fmul_rn(q, r2) + GEN_SIN7;
	q = __fmul_rn(q, r2) + GEN_SIN5;
	q = __fmul_rn(q, r2) + GEN_SIN3;
	float s = r + __fmul_rn(__fmul_rn(r, r2), q);
	float p = GEN_COS10;
	p = __fmul_rn(p, r2) + GEN_COS8;
	p = __fmul_rn(p, r2) + GEN_COS6;
	p = __fmul_rn(p, r2) + GEN_COS4;
	float c = 1.0f + (__fmul_rn(__fmul_rn(r2, r2), p) - __fmul_rn(0.5f, r2));
	switch (j & 3) {
	case 0: *ps = s; *pc = c; break;
	case 1: *ps = c; *pc = -s; break;
	case 2: *ps = -s; *pc = -c; break;
	default: *ps = -c; *pc = s; break;
	}
}

// philox.Sincos: h reduced by the nearest multiple of π/2 (ties to even) in three parts.
__device__ __forceinline__ void gen_sincos(float h, float *ps, float *pc) {
	float j = rintf(__fmul_rn(h, GEN_TWO_OVER_PI));
	float r = h - __fmul_rn(j, GEN_PIO2_A);
	r = r - __fmul_rn(j, GEN_PIO2_B);
	r = r - __fmul_rn(j, GEN_PIO2_C);
	gen_quadrant(r, (int)j, ps, pc);
}

// philox.SincosTurns: sin and cos of 2πu, reduced exactly by the nearest quarter turn.
__device__ __forceinline__ void gen_sincos_turns(float u, float *ps, float *pc) {
	float j = rintf(__fmul_rn(4.0f, u));
	float f = u - __fmul_rn(0.25f, j);
	gen_quadrant(__fmul_rn(f, GEN_TWO_PI), (int)j, ps, pc);
}

// philox.Rayleigh (unit scale, by inversion) and philox.Normal (Box–Muller, the cosine branch).
__device__ __forceinline__ float gen_rayleigh(unsigned int x) {
	return __fsqrt_rn(0.0f - __fmul_rn(2.0f, gen_log(gen_uniform_nonzero(x))));
}
__device__ __forceinline__ float gen_normal(unsigned int x1, unsigned int x2) {
	float s, c;
	gen_sincos_turns(gen_uniform(x2), &s, &c);
	return __fmul_rn(gen_rayleigh(x1), c);
}

// The walk's float32 parameters (sim's walkConsts): each float64 value rounded once.
struct gen_walk {
	float hw, hh, w, h, dt, turn_std, speed_scale, border, slow;
	int periodic;
};

// gen_lane is one lane's parameters, as BatchGenerator holds them (generate.go's newLaneRecord
// writes it word by word): every member 4 bytes, so the layout has no padding on any compiler.
struct gen_lane {
	unsigned int centres_lo, centres_hi; // the Np×2 centres' device address; 0 for a walk-only generator
	int kind;                            // GEN_GAUSSIAN, GEN_DOS or GEN_SOD
	float a_e, a_i;                      // 1/(2σ_E²) (a_E − a_I for SoD) and 1/(2σ_I²)
	unsigned int key0, key1;             // the Philox key, low and high word
	gen_walk walk;
};
static_assert(sizeof(gen_lane) == 4 * GEN_LANE_WORDS, "gen_lane is GEN_LANE_WORDS words");

__device__ __forceinline__ const float *gen_lane_centres(const gen_lane &l) {
	return (const float *)(((unsigned long long)l.centres_hi << 32) | l.centres_lo);
}

// sim's avoidWall32: the wall rule of SOR's avoid_wall for a heading in [−π, π).
__device__ __forceinline__ void gen_avoid_wall(const gen_walk &p, float x, float y, float hd, float *turn, float *v) {
	float d = p.hw - x, normal = 0.0f;
	float dt = p.hh - y;
	if (dt < d) {
		d = dt;
		normal = GEN_HALF_PI;
	}
	float dl = x + p.hw;
	if (dl < d) {
		d = dl;
		normal = GEN_PI;
	}
	float db = y + p.hh;
	if (db < d) {
		d = db;
		normal = GEN_THREE_HALF_PI;
	}
	if (!(d < p.border)) return;
	float a = hd - normal;
	if (a < -GEN_PI) a = a + GEN_TWO_PI;
	float mag = fabsf(a);
	if (mag >= GEN_HALF_PI) return;
	if (a > 0.0f) *turn = GEN_HALF_PI - mag;
	else if (a < 0.0f) *turn = -(GEN_HALF_PI - mag);
	*v = __fmul_rn(*v, p.slow);
}

// sim's wrapHeading32: into [−π, π).
__device__ __forceinline__ float gen_wrap_heading(float h) {
	if (h >= GEN_PI) h = h - GEN_TWO_PI;
	else if (h < -GEN_PI) h = h + GEN_TWO_PI;
	if (!(h >= -GEN_PI && h < GEN_PI)) {
		float q = floorf(__fdiv_rn(h + GEN_PI, GEN_TWO_PI));
		h = h - __fmul_rn(GEN_TWO_PI, q);
		if (!(h >= -GEN_PI && h < GEN_PI)) h = -GEN_PI;
	}
	return h;
}

// sim's wrapCoord32: into [−half, half) on a side of length l.
__device__ __forceinline__ float gen_wrap_coord(float v, float l, float half) {
	float w = v + half;
	w = w - __fmul_rn(l, floorf(__fdiv_rn(w, l)));
	if (!(w >= 0.0f && w < l)) w = 0.0f;
	w = w - half;
	if (w >= half) w = -half;
	return w;
}

// gen_reduce2 reduces a and b over the block (every thread gets the results): with the
// minimum where min_a / min_b is set, else the sum. Warp shuffles, then each thread combines the
// warps' partials in order, so all threads agree and the order is fixed. blockDim.x is a
// multiple of 32; every thread of the block must call it.
__device__ void gen_reduce2(float *a, float *b, bool min_a, bool min_b) {
	__shared__ float part[2][32];
	float x = *a, y = *b;
	for (int o = 16; o > 0; o >>= 1) {
		float xo = __shfl_down_sync(0xffffffffu, x, o);
		float yo = __shfl_down_sync(0xffffffffu, y, o);
		x = min_a ? fminf(x, xo) : x + xo;
		y = min_b ? fminf(y, yo) : y + yo;
	}
	int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
	__syncthreads(); // part may still be read by a previous call
	if (lane == 0) {
		part[0][warp] = x;
		part[1][warp] = y;
	}
	__syncthreads();
	x = part[0][0];
	y = part[1][0];
	for (int w = 1; w < warps; w++) {
		x = min_a ? fminf(x, part[0][w]) : x + part[0][w];
		y = min_b ? fminf(y, part[1][w]) : y + part[1][w];
	}
	*a = x;
	*b = y;
}

// gen_warp_min and gen_warp_sum reduce v over the warp by an xor butterfly: at each step a
// lane combines its value with that of the lane whose index differs in one bit, so after five
// steps every lane holds the result, and the same bits: the two lanes of a pair compute
// fminf(a, b) and fminf(b, a), or a + b and b + a, which are equal in IEEE arithmetic, so by
// induction all lanes of each group of 2, 4, … 32 agree. All 32 lanes must call them.
__device__ __forceinline__ float gen_warp_min(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v = fminf(v, __shfl_xor_sync(0xffffffffu, v, o));
	return v;
}
__device__ __forceinline__ float gen_warp_sum(float v) {
#pragma unroll
	for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
	return v;
}

// The thread groups that encode one position in gc_gen_place: a warp (np ≤ 32·GEN_WARP_CELLS,
// lane l the cells l + 32·k: coalesced loads and stores, shuffles only) or a block (larger
// np, thread t the cells t + blockDim.x·k, gen_reduce2's block reductions). Each gives its
// cells per thread, a thread's index and the group's size, and reductions that return the
// same bits to every thread of the group, so all agree on dmin, the sums, lo, total and
// uniform.
struct gen_warp_group {
	static const int cells = GEN_WARP_CELLS;
	static __device__ int index() { return (int)(threadIdx.x & 31); }
	static __device__ int size() { return 32; }
	static __device__ float min(float x) { return gen_warp_min(x); }
	static __device__ void sums(float *a, float *b) {
		*a = gen_warp_sum(*a);
		*b = gen_warp_sum(*b);
	}
	static __device__ void min_sum(float *lo, float *sum) {
		*lo = gen_warp_min(*lo);
		*sum = gen_warp_sum(*sum);
	}
};

struct gen_block_group {
	static const int cells = GEN_CELLS_PER_THREAD;
	static __device__ int index() { return (int)threadIdx.x; }
	static __device__ int size() { return (int)blockDim.x; }
	static __device__ float min(float x) {
		float unused = 0.0f;
		gen_reduce2(&x, &unused, true, true);
		return x;
	}
	static __device__ void sums(float *a, float *b) { gen_reduce2(a, b, false, false); }
	static __device__ void min_sum(float *lo, float *sum) { gen_reduce2(lo, sum, true, false); }
};

// gen_place encodes row p of xy into out with the threads of group G (see gc_gen_place).
template <typename G>
__device__ __forceinline__ void gen_place(float *out, const float *xy, const float *centres, int np, int kind, float a_e,
                                          float a_i) {
	int t = G::index(), n = G::size();
	float px = xy[0], py = xy[1];
	const float inf = __uint_as_float(0x7f800000u);
	float d2[G::cells], e_e[G::cells], e_i[G::cells];
	float dmin = inf;
#pragma unroll
	for (int k = 0; k < G::cells; k++) {
		int i = t + n * k;
		d2[k] = inf;
		if (i < np) {
			float dx = px - centres[2 * i], dy = py - centres[2 * i + 1];
			d2[k] = dx * dx + dy * dy;
			dmin = fminf(dmin, d2[k]);
		}
	}
	dmin = G::min(dmin);
	float s_e = 0.0f, s_i = 0.0f;
#pragma unroll
	for (int k = 0; k < G::cells; k++) {
		e_e[k] = 0.0f;
		e_i[k] = 0.0f;
		if (t + n * k < np) {
			e_e[k] = expf(-a_e * (d2[k] - dmin));
			if (kind == GEN_DOS) e_i[k] = expf(-a_i * (d2[k] - dmin));
		}
		s_e += e_e[k];
		s_i += e_i[k];
	}
	G::sums(&s_e, &s_i);
	if (kind != GEN_DOS) {
		float w = 1.0f / s_e;
#pragma unroll
		for (int k = 0; k < G::cells; k++) {
			int i = t + n * k;
			if (i < np) out[i] = e_e[k] * w;
		}
		return;
	}
	float w_e = 1.0f / s_e, w_i = 1.0f / s_i;
	float lo = inf, sum = 0.0f;
#pragma unroll
	for (int k = 0; k < G::cells; k++) {
		if (t + n * k < np) {
			e_e[k] = e_e[k] * w_e - e_i[k] * w_i; // z
			lo = fminf(lo, e_e[k]);
			sum += e_e[k];
		}
	}
	G::min_sum(&lo, &sum);
	float add = fabsf(lo);
	float total = sum + (float)np * add;
	bool uniform = !(total > 0.0f && total < inf);
	float scale = 1.0f / total;
#pragma unroll
	for (int k = 0; k < G::cells; k++) {
		int i = t + n * k;
		if (i < np) out[i] = uniform ? 1.0f / (float)np : (e_e[k] + add) * scale;
	}
}

extern "C" {

// gc_gen_walk writes a batch of the Philox walk for each lane l = blockIdx.y: vel and pos are
// (T·B)×2 (row t·B + b: input and target t of trajectory b), init_pos is B×2, each with its
// leading dimension, lane l's at l·lane_* floats from lane 0's. Lane l walks with key and
// parameters lanes[l] the batch (index[2l], index[2l+1]) (low word, high word), or (batch_lo,
// batch_hi) when index is null (one generator; lanes whose batch is the same). Block (b, l)
// walks trajectory b of lane l (at least B blocks in x, any blockDim.x from 1 to
// GEN_WALK_MAX_BLOCK). The draws of a step depend on its counter only, not on the walk, so the
// block's threads compute those of blockDim.x steps at once (speed and turn noise, the costly
// part: Philox, logarithms, square roots), and thread 0 then walks those steps, a short chain of
// dependent operations per step (wall rule, sine and cosine of the heading, sums). The values
// are the same as when one thread does both, so the result does not depend on the launch shape.
__global__ void gc_gen_walk(float *vel, int ld_vel, long long lane_vel, float *pos, int ld_pos, long long lane_pos,
                            float *init_pos, int ld_init, long long lane_init, int B, int T, const gen_lane *lanes,
                            unsigned int batch_lo, unsigned int batch_hi, const unsigned int *index) {
	__shared__ float speed[GEN_WALK_MAX_BLOCK], noise[GEN_WALK_MAX_BLOCK];
	int b = blockIdx.x;
	if (b >= B) return; // the whole block
	int l = blockIdx.y;
	vel += l * lane_vel;
	pos += l * lane_pos;
	init_pos += l * lane_init;
	if (index) {
		batch_lo = index[2 * l];
		batch_hi = index[2 * l + 1];
	}
	const gen_lane &ln = lanes[l];
	const gen_walk p = ln.walk;
	unsigned int key0 = ln.key0, key1 = ln.key1;
	int lane = threadIdx.x, n = blockDim.x;
	float x = 0.0f, y = 0.0f, hd = 0.0f; // thread 0's walk
	if (lane == 0) {
		gen_u4 r = gen_philox(0u, (unsigned int)b, batch_lo, batch_hi, key0, key1);
		x = __fmul_rn(__fmul_rn(2.0f, gen_uniform(r.x)) - 1.0f, p.hw);
		y = __fmul_rn(__fmul_rn(2.0f, gen_uniform(r.y)) - 1.0f, p.hh);
		hd = __fmul_rn(gen_uniform(r.z), GEN_TWO_PI) - GEN_PI;
		if (hd >= GEN_PI) hd = -GEN_PI;
	}
	for (int t0 = 0; t0 <= T; t0 += n) {
		// Step t = t0 + lane draws from counter (t + 1, b, batch).
		if (t0 + lane <= T) {
			gen_u4 r = gen_philox((unsigned int)(t0 + lane + 1), (unsigned int)b, batch_lo, batch_hi, key0, key1);
			speed[lane] = __fmul_rn(p.speed_scale, gen_rayleigh(r.x));
			noise[lane] = __fmul_rn(p.turn_std, gen_normal(r.y, r.z));
		}
		__syncthreads();
		if (lane == 0) {
			for (int j = 0; j < n && t0 + j <= T; j++) {
				int t = t0 + j;
				float v = speed[j];
				float turn = 0.0f;
				if (!p.periodic) gen_avoid_wall(p, x, y, hd, &turn, &v);
				turn = turn + noise[j];
				float step = __fmul_rn(v, p.dt);
				float s, c;
				gen_sincos(hd, &s, &c);
				float ux = __fmul_rn(step, c), uy = __fmul_rn(step, s);
				x = x + ux;
				y = y + uy;
				if (p.periodic) {
					x = gen_wrap_coord(x, p.w, p.hw);
					y = gen_wrap_coord(y, p.h, p.hh);
				}
				if (t == 0) {
					init_pos[(long long)b * ld_init] = x;
					init_pos[(long long)b * ld_init + 1] = y;
				} else {
					long long k = (long long)(t - 1) * B + b;
					vel[k * ld_vel] = ux;
					vel[k * ld_vel + 1] = uy;
					pos[k * ld_pos] = x;
					pos[k * ld_pos + 1] = y;
				}
				hd = gen_wrap_heading(hd + turn);
			}
		}
		__syncthreads(); // speed and noise are read before the next steps' draws replace them
	}
}

// gc_gen_place writes the place-cell code of every position p < rows of each lane l =
// blockIdx.y: p < B encodes init_pos row p into init_code row p, p ≥ B encodes pos row p − B
// into targets row p − B; lane l's tensors lie at l·lane_* floats from lane 0's, and its
// centres (Np×2, (x, y) contiguous), kind, a_e = 1/(2σ_E²) and a_i = 1/(2σ_I²) are lanes[l]'s.
// Codes (spec §2.2), all shifted by the smallest d² (a softmax does not change; the shift keeps
// the largest term at 1):
//   GEN_GAUSSIAN: softmax_i(−a_e·d_i²);
//   GEN_SOD:      softmax_i(−(a_e − a_i)·d_i²) (the record holds a_e − a_i as a_e);
//   GEN_DOS:      z_i = softmax_i(−a_e·d_i²) − softmax_i(−a_i·d_i²), then shift-and-normalise,
//                 (z_i + |min z|)/(Σz + Np·|min z|), a uniform row if that sum is not positive
//                 and finite (encode's shiftAndNormalise).
// The launch follows np, which every lane shares (generate_encode.go's placeLaunch): for np ≤
// 32·GEN_WARP_CELLS, warp w of block b encodes position b·(blockDim.x/32) + w (blockDim.x a
// multiple of 32, at least rows/(blockDim.x/32) blocks in x); otherwise block b encodes position
// b (blockDim.x a multiple of 32 with np ≤ GEN_CELLS_PER_THREAD·blockDim.x, at least rows blocks
// in x). Positions past rows are skipped by whole warps, or whole blocks, so that no shuffle or
// barrier runs with lanes that have returned. The branches on np and kind are uniform over a
// block.
//
// __launch_bounds__(1024): placeLaunch gives blocks of up to 1024 threads (np ≥ ~1985), and
// unbounded NVRTC 11.8 gave this kernel 71 registers for sm_90, 72·1024 more than a block's
// 65,536, so the launch failed (CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES) from np ≈ 1800. Bounded,
// it takes 59, without spills.
__global__ void __launch_bounds__(1024) gc_gen_place(float *init_code, int ld_code, long long lane_code, float *targets, int ld_targets,
                             long long lane_targets, const float *init_pos, int ld_init, long long lane_init,
                             const float *pos, int ld_pos, long long lane_pos, const gen_lane *lanes, int np, int B,
                             int rows) {
	bool warp = np <= 32 * GEN_WARP_CELLS;
	int p = warp ? (int)(blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5)) : (int)blockIdx.x;
	if (p >= rows) return; // the whole warp, or the whole block
	int l = blockIdx.y;
	const gen_lane &ln = lanes[l];
	const float *centres = gen_lane_centres(ln);
	int kind = ln.kind;
	float a_e = ln.a_e, a_i = ln.a_i;
	const float *xy;
	float *out;
	if (p < B) {
		xy = init_pos + l * lane_init + (long long)p * ld_init;
		out = init_code + l * lane_code + (long long)p * ld_code;
	} else {
		xy = pos + l * lane_pos + (long long)(p - B) * ld_pos;
		out = targets + l * lane_targets + (long long)(p - B) * ld_targets;
	}
	if (warp) gen_place<gen_warp_group>(out, xy, centres, np, kind, a_e, a_i);
	else gen_place<gen_block_group>(out, xy, centres, np, kind, a_e, a_i);
}

} // extern "C"
