// harness runs generate.cu's kernels on the CPU through cuda_shim.h (see generate_shim_test.go,
// which writes generate.cu from the embedded source the backend hands to NVRTC).
//
//	harness walk OUT B T LD GRID BLOCK key0 key1 batch_lo batch_hi hw hh w h dt turn_std speed border slow periodic
//	harness place OUT IN NP B ROWS LD GRID BLOCK KIND A_E A_I
//
// Integers are decimal and floats are their IEEE bits in decimal, so nothing is rounded on the
// way. walk writes vel, pos ((T·B) rows) and init_pos (B rows), each row LD floats of which the
// first 2 are the kernel's (the rest keep their NaN fill), little-endian float32. place reads IN:
// Np×2 centres, then ROWS positions ×2 (the first B are init_pos), hands the positions to the
// kernel as rows of 3 floats, launches GRID blocks of BLOCK threads, and writes the ROWS codes,
// each LD floats of which the first Np are the kernel's, then PLACE_SPARE rows of LD floats that
// the kernel must not write (it is handed that many NaN positions past ROWS, so that a grid
// larger than ROWS positions shows whether the kernel skips them).
#include "cuda_shim.h"
#include "generate.cu"

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <string>

// Rows past ROWS in place's buffers (see above).
#define PLACE_SPARE 64

static unsigned int arg_u(char **argv, int i) { return (unsigned int)std::strtoul(argv[i], nullptr, 10); }
static float arg_f(char **argv, int i) { return __uint_as_float(arg_u(argv, i)); }

static void write(const char *path, const std::vector<float> &v) {
	FILE *f = std::fopen(path, "wb");
	if (!f || std::fwrite(v.data(), 4, v.size(), f) != v.size() || std::fclose(f) != 0) {
		std::perror(path);
		std::exit(1);
	}
}

int main(int argc, char **argv) {
	const float nan = std::numeric_limits<float>::quiet_NaN();
	std::string mode = argc > 1 ? argv[1] : "";
	if (mode == "walk" && argc == 22) {
		int B = arg_u(argv, 3), T = arg_u(argv, 4), ld = arg_u(argv, 5);
		std::vector<float> vel((size_t)T * B * ld, nan), pos((size_t)T * B * ld, nan), init((size_t)B * ld, nan);
		// One lane, as a BatchGenerator launches it: its record holds the key and the walk.
		gen_lane lane = {0, 0, GEN_GAUSSIAN, 0.0f, 0.0f, arg_u(argv, 8), arg_u(argv, 9),
		                 {arg_f(argv, 12), arg_f(argv, 13), arg_f(argv, 14), arg_f(argv, 15), arg_f(argv, 16),
		                  arg_f(argv, 17), arg_f(argv, 18), arg_f(argv, 19), arg_f(argv, 20), (int)arg_u(argv, 21)}};
		gc_shim_launch(arg_u(argv, 6), arg_u(argv, 7), gc_gen_walk, vel.data(), ld, 0LL, pos.data(), ld, 0LL, init.data(),
		               ld, 0LL, B, T, (const gen_lane *)&lane, arg_u(argv, 10), arg_u(argv, 11), (const unsigned int *)nullptr);
		vel.insert(vel.end(), pos.begin(), pos.end());
		vel.insert(vel.end(), init.begin(), init.end());
		write(argv[2], vel);
		return 0;
	}
	if (mode == "place" && argc == 13) {
		int np = arg_u(argv, 4), B = arg_u(argv, 5), rows = arg_u(argv, 6), ld = arg_u(argv, 7);
		std::vector<float> in((size_t)2 * (np + rows));
		FILE *f = std::fopen(argv[3], "rb");
		if (!f || std::fread(in.data(), 4, in.size(), f) != in.size()) {
			std::perror(argv[3]);
			return 1;
		}
		std::fclose(f);
		const float *centres = in.data();
		// init_pos and pos as the kernel sees them, rows of 3 floats (views of wider tensors).
		const int spare = PLACE_SPARE;
		std::vector<float> xy((size_t)3 * (rows + spare), nan);
		for (int r = 0; r < rows; r++) {
			xy[3 * r] = in[2 * np + 2 * r];
			xy[3 * r + 1] = in[2 * np + 2 * r + 1];
		}
		std::vector<float> out((size_t)(rows + spare) * ld, nan);
		// One lane, as a BatchGenerator launches it: its record holds the centres, kind and widths.
		unsigned long long c = (unsigned long long)(uintptr_t)centres;
		gen_lane lane = {(unsigned int)c, (unsigned int)(c >> 32), (int)arg_u(argv, 10), arg_f(argv, 11), arg_f(argv, 12), 0, 0, {}};
		gc_shim_launch(arg_u(argv, 8), arg_u(argv, 9), gc_gen_place, out.data(), ld, 0LL, out.data() + (size_t)B * ld, ld,
		               0LL, (const float *)xy.data(), 3, 0LL, (const float *)xy.data() + 3 * B, 3, 0LL, (const gen_lane *)&lane,
		               np, B, rows);
		write(argv[2], out);
		return 0;
	}
	std::fprintf(stderr, "usage: see the header of harness.cpp\n");
	return 2;
}
