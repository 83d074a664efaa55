#!/bin/sh
# Checks and times the sgemm kernels on a host that may have AVX-512, from a test
# binary built elsewhere (the host needs no Go):
#
#	CGO_ENABLED=0 go test -c -o /tmp/sgemm.test ./internal/sgemm   # on the build machine
#	sh internal/sgemm/testdata/avx512_check.sh /tmp/sgemm.test      # on the host
#
# Parts, each run even if an earlier one fails (about a minute on 16 cores):
#  1. every correctness test, verbose: TestKernelSelection logs the kernels the
#     CPU runs and the one in use; TestMicroKernels, TestSgemm, the packed and
#     the allocation tests run each of them (avx512 when the CPU has AVX-512F);
#  2. BenchmarkKernel (one core, the kernel alone) and BenchmarkSgemm at the
#     training step's shapes with GOMAXPROCS=16, with the default kernel and
#     then pinned to avx2fma (GRIDCELLS_SGEMM_KERNEL) for comparison;
#  3. if python3 imports numpy, compare.py against OpenBLAS with 16 threads.
# Full outputs go to $LOGDIR (default /tmp). The exit status is the number of
# parts that failed.
bin=$1
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "usage: $0 path/to/sgemm.test" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
logs=${LOGDIR:-/tmp}
mkdir -p "$logs"
failed=0

echo "== host: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "== AVX-512 flags: $(grep -m1 '^flags' /proc/cpuinfo | grep -o 'avx512[a-z_0-9]*' | tr '\n' ' ')"

echo "== 1. correctness tests"
log=$logs/sgemm_tests.log
if timeout 300 "$bin" -test.run . -test.v -test.count 1 >"$log" 2>&1; then
	echo "PASS"
else
	failed=$((failed + 1))
	echo "FAILED (full log $log); failures:"
	grep -E -B2 -A10 -- '--- FAIL|^panic|SIGILL|^signal|fatal error' "$log" | head -100
fi
grep -E -- 'kernel in use|^--- |^(ok|PASS|FAIL)' "$log" | head -60
echo "avx512 subtests passed: $(grep -c -- '--- PASS: .*/avx512' "$log"), failed: $(grep -c -- '--- FAIL: .*/avx512' "$log")"

echo "== 2. benchmarks (GOMAXPROCS=16)"
log=$logs/sgemm_bench_kernel.log
if GOMAXPROCS=16 timeout 120 "$bin" -test.run '^$' -test.bench 'BenchmarkKernel$' -test.benchtime 200ms >"$log" 2>&1; then
	grep GFLOP "$log"
else
	failed=$((failed + 1))
	echo "FAILED: BenchmarkKernel (full log $log)"
	tail -20 "$log"
fi
for pin in default avx2fma; do
	log=$logs/sgemm_bench_$pin.log
	env=""
	[ "$pin" = default ] || env=$pin
	echo "-- BenchmarkSgemm, GRIDCELLS_SGEMM_KERNEL='$env'"
	if GRIDCELLS_SGEMM_KERNEL=$env GOMAXPROCS=16 timeout 150 "$bin" -test.run '^$' -test.bench 'BenchmarkSgemm$' -test.benchtime 200ms >"$log" 2>&1; then
		grep -m1 -o 'kernel [a-z0-9]*' "$log"
		grep GFLOP "$log"
	else
		failed=$((failed + 1))
		echo "FAILED: BenchmarkSgemm (full log $log)"
		tail -20 "$log"
	fi
done

echo "== 3. compare with OpenBLAS"
if python3 -c 'import numpy' 2>/dev/null; then
	if ! timeout 240 python3 "$here/compare.py" -testbin "$bin" -threads 16 -rounds 1; then
		failed=$((failed + 1))
		echo "FAILED: compare.py"
	fi
else
	echo "skipped: no python3 with numpy"
fi

echo "== parts failed: $failed"
exit $failed
