#!/usr/bin/env python3
"""Side-by-side GFLOP/s table: our Sgemm (BenchmarkSgemm) against OpenBLAS (numpy).

For each shape of the training step, alternates a run of the Go benchmark and of
openblas_bench.py, -rounds times, so that both see the same background load, then
prints the median GFLOP/s per shape and the ratio ours/OpenBLAS as a Markdown
table. Run from the repository root:

    /usr/bin/python3 internal/sgemm/testdata/compare.py [-rounds N] [-threads T] [-only REGEXP] [-testbin PATH]

T (default 2) is both OPENBLAS_NUM_THREADS and GOMAXPROCS, so both libraries use
the same number of cores. -testbin runs a test binary built beforehand with
`CGO_ENABLED=0 go test -c -o PATH ./internal/sgemm` instead of building one, for
hosts without Go. The kernel column is the micro-kernel the benchmark logged
(GRIDCELLS_SGEMM_KERNEL in the environment pins it). The two cores of the
reference machine are shared with other work: check `uptime` first, and rerun
when the load is low.
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from openblas_bench import SHAPES  # noqa: E402  (one shape list for both sides)


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def main():
    rounds = int(arg("-rounds", "5"))
    threads = arg("-threads", "2")
    only = re.compile(arg("-only", "."))
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, GOMAXPROCS=threads)
    test_bin = arg("-testbin", None)
    if test_bin is None:
        test_bin = "/tmp/sgemm_compare.test"
        subprocess.run(["go", "test", "-c", "-o", test_bin, "./internal/sgemm"], check=True)
    test_bin = os.path.abspath(test_bin)
    print("| shape (M×N×K) | ours GFLOP/s | OpenBLAS GFLOP/s | ratio | load | kernel |")
    print("|---|---:|---:|---:|---:|---|")
    for name, ta, tb, m, n, k in SHAPES:
        full = "%s/m=%d,n=%d,k=%d" % (name, m, n, k)
        if not only.search(full):
            continue
        ours, theirs, kernels = [], [], set()
        load0 = os.getloadavg()[0]
        for _ in range(rounds):
            out = subprocess.run(
                [test_bin, "-test.run", "^$", "-test.bench", "^BenchmarkSgemm$/^%s$/^m=%d,n=%d,k=%d$" % (name, m, n, k),
                 "-test.benchtime", "300ms"],
                env=env, capture_output=True, text=True, check=True).stdout
            ours += [float(x) for x in re.findall(r"([\d.]+) GFLOP/s", out)]
            kernels.update(re.findall(r"kernel (\w+)", out))
            out = subprocess.run(
                [sys.executable, os.path.join(HERE, "openblas_bench.py"), "-reps", "3", "-shape", full],
                env=env, capture_output=True, text=True, check=True).stdout
            theirs += [float(x) for x in re.findall(r"([\d.]+) GFLOP/s", out)]
        a, b = statistics.median(ours), statistics.median(theirs)
        print("| %s | %.1f | %.1f | %.2f | %.1f–%.1f | %s |" % (
            full, a, b, a / b, load0, os.getloadavg()[0], ",".join(sorted(kernels)) or "?"), flush=True)


if __name__ == "__main__":
    main()
