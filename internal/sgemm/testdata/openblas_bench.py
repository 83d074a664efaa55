#!/usr/bin/env python3
"""OpenBLAS float32 GEMM timings for comparison with BenchmarkSgemm.

Runs numpy's float32 matmul (Debian python3-numpy, which calls cblas_sgemm of the
libblas.so.3 alternative, OpenBLAS 0.3.21 pthread on the reference machine) at the
training step's product shapes, the same shapes and names as the Go benchmark
(sgemm_bench_test.go: benchShapes). Transposed operands are passed as transposed
views of row-major arrays, so numpy hands OpenBLAS the transpose flags instead of
copying. The output array is preallocated (out=) so only the GEMM is timed.

Usage (set the thread count explicitly so both sides use both cores):
    OPENBLAS_NUM_THREADS=2 /usr/bin/python3 internal/sgemm/testdata/openblas_bench.py [-reps N] [-shape NAME]
where NAME (e.g. recurrent-NN/m=200,n=4096,k=4096) runs a single shape.
Prints one line per shape: name, median seconds, GFLOP/s (2·m·n·k / time).
"""
import os
import sys
import time

import numpy as np

# name, transA, transB, m, n, k: keep in step with benchShapes in sgemm_bench_test.go.
SHAPES = []
for ng in (4096, 1024, 256):
    SHAPES += [
        ("recurrent-NN", False, False, 200, ng, ng),
        ("recurrent-NT", False, True, 200, ng, ng),
        ("readout-NN", False, False, 4000, 512, ng),
        ("encoder-NN", False, False, 4000, ng, 512),
        ("weightgrad-TN", True, False, ng, ng, 4000),
    ]


def main():
    reps = 7
    if "-reps" in sys.argv:
        reps = int(sys.argv[sys.argv.index("-reps") + 1])
    only = sys.argv[sys.argv.index("-shape") + 1] if "-shape" in sys.argv else None
    print("OPENBLAS_NUM_THREADS=%s" % os.environ.get("OPENBLAS_NUM_THREADS", "(unset)"))
    rng = np.random.default_rng(1)
    for name, ta, tb, m, n, k in SHAPES:
        if only is not None and only != "%s/m=%d,n=%d,k=%d" % (name, m, n, k):
            continue
        # Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed).
        a = rng.standard_normal((k, m) if ta else (m, k), dtype=np.float32)
        b = rng.standard_normal((n, k) if tb else (k, n), dtype=np.float32)
        opa = a.T if ta else a
        opb = b.T if tb else b
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        # Repeat small products inside one timing so each sample lasts ≥ ~50 ms.
        inner = max(1, int(5e9 / flops))
        np.matmul(opa, opb, out=c)  # warm-up (thread pool start, page faults)
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(inner):
                np.matmul(opa, opb, out=c)
            times.append((time.perf_counter() - t0) / inner)
        times.sort()
        med = times[len(times) // 2]
        print("%s/m=%d,n=%d,k=%d\t%.6f s\t%.1f GFLOP/s" % (name, m, n, k, med, flops / med / 1e9))


if __name__ == "__main__":
    main()
