#!/usr/bin/env python3
"""Side-by-side GFLOP/s table: our Sgemm (BenchmarkSgemm) against OpenBLAS (numpy).

Alternates rounds of the Go benchmark and openblas_bench.py on the same machine so
that both see the same background load, then prints the median GFLOP/s per shape
and the ratio ours/OpenBLAS as a Markdown table. Run from the repository root:

    /usr/bin/python3 internal/sgemm/testdata/compare.py [-rounds N] [-threads T]

T (default 2) is both OPENBLAS_NUM_THREADS and GOMAXPROCS, so both libraries use
the same number of cores. The two cores of the reference machine are shared with
other work: check `uptime` first and rerun when the load is low.
"""
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def arg(name, default):
    if name in sys.argv:
        return sys.argv[sys.argv.index(name) + 1]
    return default


def main():
    rounds = int(arg("-rounds", "5"))
    threads = arg("-threads", "2")
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, GOMAXPROCS=threads)
    test_bin = "/tmp/sgemm_compare.test"
    subprocess.run(["go", "test", "-c", "-o", test_bin, "./internal/sgemm"], check=True)
    ours, theirs = {}, {}
    for r in range(rounds):
        out = subprocess.run(
            [test_bin, "-test.run", "^$", "-test.bench", "^BenchmarkSgemm$", "-test.benchtime", "400ms"],
            env=env, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"BenchmarkSgemm/(\S+?)(-\d+)?\s.*?([\d.]+) GFLOP/s", line)
            if m:
                ours.setdefault(m.group(1), []).append(float(m.group(3)))
        out = subprocess.run(
            ["/usr/bin/python3", os.path.join(HERE, "openblas_bench.py"), "-reps", "3"],
            env=env, capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            m = re.match(r"(\S+)\t.*\t([\d.]+) GFLOP/s", line)
            if m:
                theirs.setdefault(m.group(1), []).append(float(m.group(2)))
        print("round %d/%d done, load %s" % (r + 1, rounds, os.getloadavg()[0]), file=sys.stderr)
    print("| shape (M×N×K) | ours GFLOP/s | OpenBLAS GFLOP/s | ratio |")
    print("|---|---:|---:|---:|")
    for name, vals in ours.items():
        if name not in theirs:
            continue
        a, b = statistics.median(vals), statistics.median(theirs[name])
        print("| %s | %.1f | %.1f | %.2f |" % (name, a, b, a / b))


if __name__ == "__main__":
    main()
