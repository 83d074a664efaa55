#!/bin/bash
# The GPU measurements of the README ("On a GPU"), in one script for a machine with an
# NVIDIA GPU, Python with PyTorch, and no Go. Build on the development machine:
#
#	mkdir -p gpu/bin
#	CGO_ENABLED=0 go build -ldflags "-s -w" -o gpu/bin/gridcells ./cmd/gridcells
#	CGO_ENABLED=0 go test -c -ldflags "-s -w" -o gpu/bin/cuda.test ./compute/cuda
#	CGO_ENABLED=0 go test -c -ldflags "-s -w" -o gpu/bin/train.test ./train
#	CGO_ENABLED=0 go test -c -ldflags "-s -w" -o gpu/bin/nn.test ./nn
#	CGO_ENABLED=0 go test -c -ldflags "-s -w" -o gpu/bin/sgemm.test ./internal/sgemm   # for SGEMM=1 only
#	cp compute/cuda/testdata/gpu_check.sh compute/cuda/testdata/*_probe.py ../shared/bench/torch_rnn_step.py gpu/
#
# then copy gpu/ to the GPU machine and run "OUT=/some/dir bash gpu/gpu_check.sh [SECONDS]"
# (PROFILE=1 adds an nsys profile of the Ng 4096 step where nsys is installed; SGEMM=1 the
# host CPU's SGEMM checks; SORSCHER=0 skips the long training run, SORSCHER=only runs
# nothing else: parts 1-3 take about 4 minutes (ab, estimated, about 3 more; 2b about 2 more; PRECISION=0 skips it) and
# the full Sorscher schedule about 8, more than one 600 s call, so run them as two calls).
# Parts, each run even if an earlier one fails, most important first:
#  1. the backend conformance suite (GemmLanes included), the CPU-against-GPU training
#     tests (one network, and three as one ensemble) and nn's GPU tests (fused input
#     products, a step given up part way: Ctrl-C);
#  1b. the GPU batch generator (Philox walk and DoS codes) against the Go walk and encode,
#     and its time per batch (B 200, T 20, Np 512), in well under 20 s;
#  2. ensembles at Ng 1024: K networks as one ensemble (batched GEMMs), K = 8, 16, 32,
#     FP32 and TF32 (codes made on the GPU; also the walk, --rng philox; and host batches),
#     and PyTorch's one network at a time for the networks-per-hour ratio;
#  2b. TF32 against FP32: eight seeds of the quick preset per precision, each set as one
#     ensemble: mean loss, decoding error, max score60, runs with grid cells (PRECISION=0 skips);
#  3. training step times against torch_rnn_step.py (FP32 and TF32, Ng 4096 and 1024; TF32
#     also with --rng philox, the whole batch made on the GPU), then gemm_probe.py and
#     lt_probe.py (PyTorch's cuBLAS, split-K and cuBLASLt's algorithms on the per-time-step
#     products); 3a: where a step's device time goes (bench train --profile: each kernel, GEMM
#     shape and copy, timed with CUDA events), for Ng 4096 and a LANES_MAX-lane ensemble;
#  ab. session 6's switches, each against its default in the same call (it decides what
#     becomes default; run it right after part 1): pinned copies with the update queued before the loss
#     wait (GRIDCELLS_CUDA_PINNED=0 is the pageable path), the SimpleRNN's input product fused
#     into its activation kernels (GRIDCELLS_FUSED_DRIVE=0 unfuses), one place-code launch for
#     all lanes (BenchmarkGenerateLanes), and cuBLASLt's enumerated configurations
#     (GRIDCELLS_CUBLASLT=search), with a profile of the ensemble that names the chosen tiles,
#     and the recurrence run lane group by lane group (GRIDCELLS_LANE_GROUP=4, 8, 16); it ends
#     with a table of each switch against its default (ab_summary; the runs are in $OUT/ab).
#     Session 7's changes have no switch and show in these numbers against session 5's: the
#     loop loads the next batch while a step runs (host walks against --rng philox: large_host
#     against large_philox, ens_host against ens_philox), gc_softmax_ce reads a row once (its
#     line in the profiles; 1.12 ms of session 5's 64-lane step), and the search takes the
#     algorithm ids in turns and, under TF32, only tensor-core ones;
#  4. the SGEMM tests and benchmarks on the host CPU (its AVX-512 kernel), with SGEMM=1;
#  5. the Sorscher schedule (Ng 4096, 100,000 steps, TF32) until SECONDS (default 540)
#     have passed since the start; if it is stopped early, its last checkpoint is evaluated
#     ("gridcells eval --checkpoint latest") so that grid scores are measured either way.
#
# SORSCHER=background orders the parts so that two calls fit the 15-minute device budget: the
# timed parts (1b, 3, 3a, 2) on an idle GPU, then the Sorscher run started in the background
# (setsid), then the untimed parts (1, 2b) beside it, then waiting for it until SECONDS; a
# second call right after, "SORSCHER=wait bash gpu_check.sh SECONDS" (STOP_AT_BUDGET=1 stops
# the run at SECONDS and evaluates its last checkpoint), reports it.
#
# PARTS lists parts to run alone, in order. In a new session run the correctness part first,
# then the switches, in two calls that each fit the 600 s limit of a device call:
# PARTS="1 1b ab" (about 5 min), then PARTS="3 3a 2" (about 4 min; part 3's cuBLASLt searches
# and lt_probe.py take up to 150 s each). Part 1 keeps each test binary's whole output in
# $OUT/cuda_test.log and $OUT/train_test.log.
#
# For a dry run of the script itself on smaller shapes (for instance against the CPU emulation
# of internal/cudaemu): NG_LARGE (4096), NG_SMALL (1024), LANES ("8 16 32"), BENCH_ARGS (added to
# every "bench train", e.g. "--np 32 --batch 10 --seq 5"), PREC_SETS and SORSCHER_SETS (extra
# --set flags for parts 2b and 5).
set -u
NG_LARGE=${NG_LARGE:-4096}
NG_SMALL=${NG_SMALL:-1024}
LANES=${LANES:-8 16 32}
LANES_MAX=${LANES##* }
BENCH_ARGS=${BENCH_ARGS:-}
PREC_SETS=${PREC_SETS:-}
SORSCHER_SETS=${SORSCHER_SETS:-}
cd "$(dirname "$0")"
B=$PWD/bin
OUT=${OUT:-/tmp/gpu_check}
budget=${1:-540}
mkdir -p "$OUT"
exec > >(tee "$OUT/log.txt") 2>&1
t0=$(date +%s)
el() { echo "[+$(($(date +%s) - t0))s] $*"; }
# bench runs "gridcells bench train" with its arguments and BENCH_ARGS for at most 60 s
# (BENCH_TIMEOUT), without its "device:" line.
bench() { timeout ${BENCH_TIMEOUT:-60} $B/gridcells bench train "$@" $BENCH_ARGS 2>&1 | grep -v "^device: "; }
# The CUDA libraries of the toolkit or of PyTorch's wheels, wherever they are.
dirs=$(find / -xdev \( -name 'libcublas.so.1[23]*' -o -name 'libnvrtc.so.1[23]*' -o -name 'libcuda.so.1' \) 2>/dev/null | xargs -r -n1 dirname | sort -u)
export GRIDCELLS_CUDA_LIBS=${GRIDCELLS_CUDA_LIBS:-$(echo $dirs | tr ' ' ':')}
export GRIDCELLS_CACHE=/tmp/gccache
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
# testlog runs a test binary with -test.v, keeps its whole output in $OUT/NAME.log and shows
# what says how it went: panics (with the lines after them), failures and errors, the
# suite's own messages, the verdict. A filter on "---" lines alone hid the panic of a test
# that crashes the binary, and head cut off the verdict.
testlog() {
	local name=$1 limit=$2
	shift 2
	timeout "$limit" "$@" -test.v -test.count 1 >"$OUT/$name.log" 2>&1
	echo "$name: exit $? (whole output in $OUT/$name.log)"
	grep -E -A8 '^panic|fatal error' "$OUT/$name.log" | head -40
	grep -E '^(--- FAIL|FAIL|ok|PASS)|    --- FAIL|rror|device:|losses|_test.go:[0-9]+:' "$OUT/$name.log" | head -80
}
part1() {
el "== 1. conformance and CPU-against-GPU training"
testlog cuda_test 150 $B/cuda.test
[ -x $B/train.test ] && testlog train_test 150 $B/train.test -test.run CUDA
[ -x $B/nn.test ] && testlog nn_test 60 $B/nn.test -test.run '^TestCUDA'
}
part1b() {
el "== 1b. GPU batch generator: µs per batch (B 200, T 20, DoS Np 512; its tests run in part 1)"
timeout 40 $B/cuda.test -test.run '^$' -test.bench 'GenerateBatch' -test.benchtime 2000x -test.count 3 2>&1 | grep -E "^Benchmark|FAIL|rror"
}
part2() {
el "== 2. ensembles, Ng $NG_SMALL (networks_per_hour: runs of 200,000 steps)"
for k in $LANES; do bench --ng $NG_SMALL --steps 30 --lanes $k --ensemble --device cuda-tf32; done
bench --ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda
# The same with the walk made on the GPU too (trajectory.rng philox), and with host batches.
bench --ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda-tf32 --rng philox
GRIDCELLS_CUBLASLT=1 bench --ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda-tf32 --rng philox
GRIDCELLS_CUBLASLT=tune bench --ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda-tf32 --rng philox
[ "${HOSTBATCHES:-0}" = 1 ] && GRIDCELLS_HOST_BATCHES=1 bench --ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda-tf32
timeout 60 python3 ./torch_rnn_step.py --device cuda --ng $NG_SMALL --steps 20 --warmup 3 2>&1 | tail -4
}
part2b() {
[ "${PRECISION:-1}" = 1 ] || return 0
# Issue 8 asks that TF32 training reach the same loss and grid scores as FP32: eight seeds
# of the quick preset (Ng 256, 16,500 steps) per precision, each set one ensemble.
el "== 2b. TF32 against FP32: quick preset, seeds 1-8, one ensemble per precision"
for dev in cuda cuda-tf32; do
	specs=""
	rm -rf /tmp/prec_$dev
	mkdir -p /tmp/prec_$dev
	for s in 1 2 3 4 5 6 7 8; do
		$B/gridcells config --preset quick --set seed=$s --set training.device=$dev $PREC_SETS >/tmp/prec_$dev/s$s.json
		specs="$specs --run /tmp/prec_$dev/run$s=/tmp/prec_$dev/s$s.json"
	done
	timeout 300 $B/gridcells lanes --stack on $specs 2>&1 | grep -v "finished$"
	python3 - "$dev" /tmp/prec_$dev <<'PY'
import json, sys, glob, statistics as st
rows = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[2] + "/run*/summary.json"))]
if rows:
    print(f"{sys.argv[1]}: {len(rows)} runs, loss {st.mean(r['loss'] for r in rows):.4f}, "
          f"decoding {st.mean(r['decoding_error_cm'] for r in rows):.2f} cm, "
          f"max score60 mean {st.mean(r['max_score60'] for r in rows):.3f} "
          f"({', '.join(format(r['max_score60'], '.2f') for r in rows)}), "
          f"with grid cells {sum(r['has_possible_grid_cells'] for r in rows)}/{len(rows)}, "
          f"{rows[0]['wall_s']:.0f} s")
PY
	# One file per precision comes back (the device tool returns few files).
	tar -C /tmp -czf "$OUT/prec_$dev.tgz" $(cd /tmp && ls -d prec_$dev/run*/summary.json prec_$dev/run*/metrics.jsonl 2>/dev/null) 2>/dev/null
done
}
part3() {
el "== 3. step times, ours then PyTorch"
for ng in $NG_LARGE $NG_SMALL; do
	for dev in cuda-tf32 cuda; do bench --ng $ng --steps 20 --device $dev | tee /tmp/bench_${ng}_$dev.json; done
	bench --ng $ng --steps 20 --device cuda-tf32 --rng philox | tee /tmp/bench_${ng}_philox.json
	# The products through cuBLASLt's first heuristic algorithm instead of cublasSgemm (lt.go).
	GRIDCELLS_CUBLASLT=1 bench --ng $ng --steps 20 --device cuda-tf32 --rng philox
	# ... and with the fastest of up to 32 of its algorithms per shape, timed at first use.
	GRIDCELLS_CUBLASLT=tune bench --ng $ng --steps 20 --device cuda-tf32 --rng philox
	timeout 60 python3 ./torch_rnn_step.py --device cuda --ng $ng --steps 20 --warmup 3 --tf32 2>&1 | tail -4
	[ $ng = $NG_LARGE ] && timeout 60 python3 ./torch_rnn_step.py --device cuda --ng $ng --steps 20 --warmup 3 2>&1 | tail -4
done
# PyTorch's cuBLAS on the step's per-time-step GEMM shapes, for comparison with the profile (3a).
[ -f ./gemm_probe.py ] && timeout 60 python3 ./gemm_probe.py 2>&1 | tail -30
# cuBLASLt's algorithms for the same products, each timed (is there a faster one?).
[ -f ./lt_probe.py ] && timeout 150 python3 ./lt_probe.py 2>&1 | tee "$OUT/lt_probe.txt" | tail -60
}
# print_profiles prints the per-step device time of the profiles (bench train --profile) named.
print_profiles() {
for f in "$@"; do
	[ -s "$f" ] || continue
	python3 - "$f" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit(f"{sys.argv[1]}: {e}")
print(f"{sys.argv[1]}: {d['backend']}: busy {d['busy_ms_per_step']:.3f} ms, span {d['span_ms_per_step']:.3f} ms per step")
for o in d["ops"][:14]:
    print(f"  {o['ms_per_step']:8.3f} ms {100*o['share_of_busy']:5.1f}% {o['count_per_step']:6.1f}×  {o['op']}")
PY
done
}
# ab runs one labelled bench of part ab, "ab LABEL [VAR=VALUE ...] -- BENCH ARGS", and keeps its
# JSON line in $OUT/ab/LABEL.json for the summary (ab_summary).
ab() {
	local label=$1 envs=()
	shift
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
	shift
	mkdir -p "$OUT/ab"
	(
		[ ${#envs[@]} -gt 0 ] && export "${envs[@]}"
		echo "ab $label: ${envs[*]:-defaults}"
		bench "$@" | tee "$OUT/ab/$label.json"
	)
}
# abtorch runs torch_rnn_step.py, keeping its RESULT line in $OUT/ab/torch_LABEL.txt.
abtorch() {
	local label=$1
	shift
	mkdir -p "$OUT/ab"
	timeout 60 python3 ./torch_rnn_step.py --device cuda --steps 20 --warmup 3 "$@" 2>&1 | tail -4 | tee "$OUT/ab/torch_$label.txt"
}
partab() {
el "== ab. switches against their defaults, same call (pipelined_step_ms, network_step_ms)"
timeout 60 $B/cuda.test -test.run '^$' -test.bench 'GenerateLanes' -test.benchtime 200x -test.count 2 2>&1 | grep -E "^Benchmark|FAIL|rror"
L=(--ng $NG_LARGE --steps 30 --device cuda-tf32)
for i in 1 2; do
	ab large_host_$i -- "${L[@]}"
	ab large_host_pageable_$i GRIDCELLS_CUDA_PINNED=0 -- "${L[@]}"
	ab large_philox_$i -- "${L[@]}" --rng philox
	ab large_philox_pageable_$i GRIDCELLS_CUDA_PINNED=0 -- "${L[@]}" --rng philox
	ab large_philox_unfused_$i GRIDCELLS_FUSED_DRIVE=0 -- "${L[@]}" --rng philox
done
ab large_philox_search GRIDCELLS_CUBLASLT=search BENCH_TIMEOUT=150 -- "${L[@]}" --rng philox
ab large_philox_search_cached GRIDCELLS_CUBLASLT=search -- "${L[@]}" --rng philox
abtorch large_tf32 --ng $NG_LARGE --tf32
E=(--ng $NG_SMALL --steps 30 --lanes $LANES_MAX --ensemble --device cuda-tf32)
for i in 1 2; do
	ab ens_philox_$i -- "${E[@]}" --rng philox
	ab ens_philox_unfused_$i GRIDCELLS_FUSED_DRIVE=0 -- "${E[@]}" --rng philox
	ab ens_host_$i -- "${E[@]}"
	ab ens_host_pageable_$i GRIDCELLS_CUDA_PINNED=0 -- "${E[@]}"
done
ab ens_philox_search GRIDCELLS_CUBLASLT=search BENCH_TIMEOUT=200 -- "${E[@]}" --rng philox
for g in 4 8 16; do
	ab ens_philox_group$g GRIDCELLS_LANE_GROUP=$g -- "${E[@]}" --rng philox
done
ab ens_philox_search_group8 GRIDCELLS_CUBLASLT=search GRIDCELLS_LANE_GROUP=8 BENCH_TIMEOUT=200 -- "${E[@]}" --rng philox
abtorch small_tf32 --ng $NG_SMALL --tf32
abtorch small_fp32 --ng $NG_SMALL
# Where the time goes with the search's tiles (named in the profile), and with lane groups.
GRIDCELLS_CUBLASLT=search BENCH_TIMEOUT=150 bench --ng $NG_SMALL --steps 10 --device cuda-tf32 --lanes $LANES_MAX --ensemble --rng philox --profile | tail -1 >"$OUT/profile_ensemble${LANES_MAX}_search.json"
GRIDCELLS_CUBLASLT=search BENCH_TIMEOUT=120 bench --ng $NG_LARGE --steps 10 --device cuda-tf32 --rng philox --profile | tail -1 >"$OUT/profile_ng${NG_LARGE}_search.json"
GRIDCELLS_LANE_GROUP=8 BENCH_TIMEOUT=60 bench --ng $NG_SMALL --steps 10 --device cuda-tf32 --lanes $LANES_MAX --ensemble --rng philox --profile | tail -1 >"$OUT/profile_ensemble${LANES_MAX}_group8.json"
print_profiles "$OUT"/profile_ensemble${LANES_MAX}_search.json "$OUT"/profile_ng${NG_LARGE}_search.json "$OUT/profile_ensemble${LANES_MAX}_group8.json"
# Does a recurrent product run faster per lane when the lanes' weights fit the 50 MB L2
# (4 or 8 lanes of 4 MB at Ng 1024)? That is what lane groups count on.
for k in 4 8; do
	BENCH_TIMEOUT=60 bench --ng $NG_SMALL --steps 10 --device cuda-tf32 --lanes $k --ensemble --rng philox --profile | tail -1 >"$OUT/profile_ensemble${k}_l2.json"
	python3 - "$OUT/profile_ensemble${k}_l2.json" $k <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except Exception as e:
    sys.exit(f"{sys.argv[1]}: {e}")
k = int(sys.argv[2])
for o in d["ops"]:
    if "k=1024" in o["op"] and "m=200" in o["op"]:
        print(f"{k} lanes: {o['op']}: {1000 * o['ms_per_step'] / o['count_per_step'] / k:.2f} µs per lane-product")
PY
done
ab_summary
}
# ab_summary prints each switch against its default from $OUT/ab: Ng large ms per step (and
# its ratio to the reference's 13.3 ms), ensemble ms per network-step and networks per hour,
# with the ratio to PyTorch's one network at a time from the same call.
ab_summary() {
	python3 - "$OUT/ab" <<'PY'
import glob, json, os, re, statistics, sys
d = sys.argv[1]
def val(label, key):
    """The mean of key over the runs labelled label, or label_1 and label_2 (repeats)."""
    vals = []
    files = glob.glob(os.path.join(d, label + ".json")) or glob.glob(os.path.join(d, label + "_[12].json"))
    for f in sorted(files):
        for line in reversed(open(f).read().strip().splitlines()):
            if line.startswith("{"):
                try:
                    vals.append(json.loads(line)[key])
                except (ValueError, KeyError):
                    pass
                break
    return statistics.mean(vals) if vals else None
def torch(label):
    try:
        m = re.search(r"median_ms=([0-9.]+)", open(os.path.join(d, f"torch_{label}.txt")).read())
        return float(m.group(1)) if m else None
    except OSError:
        return None
print("== ab summary (means of the repeats; ratio = variant / default)")
for base, variants in [("large_host", ["large_host_pageable"]),
                       ("large_philox", ["large_philox_pageable", "large_philox_unfused", "large_philox_search", "large_philox_search_cached"])]:
    b = val(base, "pipelined_step_ms")
    if b is None:
        continue
    print(f"{base}: {b:.3f} ms = {b / 13.3:.3f}x of 13.3 ms")
    for v in variants:
        x = val(v, "pipelined_step_ms")
        if x is not None:
            print(f"  {v}: {x:.3f} ms, ratio {x / b:.3f}, {x / 13.3:.3f}x of 13.3 ms")
t32, t16 = torch("small_tf32"), torch("small_fp32")
tl = torch("large_tf32")
if tl:
    print(f"PyTorch TF32 Ng large: {tl} ms")
for base, variants in [("ens_philox", ["ens_philox_unfused", "ens_philox_search", "ens_philox_group4", "ens_philox_group8",
                                       "ens_philox_group16", "ens_philox_search_group8"]),
                       ("ens_host", ["ens_host_pageable"])]:
    b = val(base, "network_step_ms")
    if b is None:
        continue
    def vs(ms):
        s = f"{3600e3 / (ms * 200000):.1f} networks/h"
        if t32:
            s += f", {t32 / ms:.1f}x PyTorch TF32"
        if t16:
            s += f", {t16 / ms:.1f}x PyTorch FP32"
        return s
    print(f"{base}: {b:.4f} ms per network-step, {vs(b)}")
    for v in variants:
        x = val(v, "network_step_ms")
        if x is not None:
            print(f"  {v}: {x:.4f} ms, ratio {x / b:.3f}, {vs(x)}")
PY
}
part3a() {
el "== 3a. where the device time of a step goes (bench train --profile, CUDA events)"
BENCH_TIMEOUT=90 bench --ng $NG_LARGE --steps 10 --device cuda-tf32 --profile | tail -1 >"$OUT/profile_ng${NG_LARGE}_tf32.json"
BENCH_TIMEOUT=90 bench --ng $NG_SMALL --steps 10 --device cuda-tf32 --lanes $LANES_MAX --ensemble --profile | tail -1 >"$OUT/profile_ensemble${LANES_MAX}_tf32.json"
print_profiles "$OUT"/profile_ng${NG_LARGE}_tf32.json "$OUT"/profile_ensemble${LANES_MAX}_tf32.json
}
part3b() {
if [ "${PROFILE:-0}" = 1 ] && command -v nsys >/dev/null; then
	el "== 3b. nsys profile of Ng 4096 TF32 steps (PROFILE=1)"
	timeout 120 nsys profile -o /tmp/gc_prof --force-overwrite true $B/gridcells bench train --ng $NG_LARGE --steps 10 --device cuda-tf32 $BENCH_ARGS >/dev/null 2>&1
	timeout 60 nsys stats --report cuda_gpu_kern_sum,cuda_api_sum /tmp/gc_prof.nsys-rep 2>/dev/null | head -60
fi
}
part4() {
if [ "${SGEMM:-0}" = 1 ] && [ -x $B/sgemm.test ]; then
	el "== 4. SGEMM on the host CPU"
	GOMAXPROCS=8 timeout 200 $B/sgemm.test -test.run . -test.v -test.count 1 >"$OUT/sgemm_tests.log" 2>&1
	echo "sgemm tests: rc=$? $(grep -m1 'kernel in use' "$OUT/sgemm_tests.log")"
	GOMAXPROCS=$(nproc) timeout 60 $B/sgemm.test -test.run '^$' -test.bench 'BenchmarkSgemm$/(recurrent-NN|weightgrad-TN)/m=(200|4096)' -test.benchtime 200ms 2>&1 | grep GFLOP
fi
}
# The Sorscher run: the whole batch is made on the GPU (--rng philox) when part 3 measured
# that faster than host walks with GPU codes; checkpoints every 5,000 steps.
run=/tmp/sorscher_gpu
sorscher_train="$B/gridcells train --preset sorscher2019 --set training.device=cuda-tf32"
# sorscher_lines keeps the lines of a training log worth reporting.
sorscher_lines() {
	tr '\r' '\n' | grep -E "device|step [0-9]*0000/|steps |decoding|max score|grid cells|warning|rror"
}
# sorscher_eval_latest evaluates the last checkpoint of a run stopped early (timeout in s).
sorscher_eval_latest() {
	el "stopped early: evaluating the latest checkpoint"
	timeout $1 $B/gridcells eval $run --checkpoint latest --out $run.latest 2>&1 | tail -8
	cp $run.latest/summary.json "$OUT/summary_latest.json" 2>/dev/null
}
sorscher_save() { cp $run/summary.json $run/metrics.jsonl $run/config.json "$OUT/" 2>/dev/null; }
sorscher_start() {
	rng=""
	if [ -s /tmp/bench_${NG_LARGE}_philox.json ] && [ -s /tmp/bench_${NG_LARGE}_cuda-tf32.json ]; then
		rng=$(python3 - /tmp/bench_${NG_LARGE}_cuda-tf32.json /tmp/bench_${NG_LARGE}_philox.json <<'PY'
import json, sys
try:
    pcg, ph = (json.loads(open(f).read().strip().splitlines()[-1])["pipelined_step_ms"] for f in sys.argv[1:])
    print("--set trajectory.rng=philox" if ph < 0.97 * pcg else "")
except Exception:
    pass
PY
)
	fi
	rm -rf $run $run.latest /tmp/sorscher.done
	local cmd="$sorscher_train --set training.checkpoint_every=5000 $rng $SORSCHER_SETS --out $run"
	echo "sorscher: $cmd"
	date +%s >/tmp/sorscher.t0
	setsid nohup bash -c "$cmd >/tmp/sorscher.log 2>&1; date +%s >/tmp/sorscher.done" </dev/null >/dev/null 2>&1 &
}
sorscher_progress() {
	tr '\r' '\n' </tmp/sorscher.log 2>/dev/null | grep -E "step [0-9]+/" | tail -1
}
# sorscher_wait waits for the background run until the script's budget is spent, then
# reports it (or says where it is).
sorscher_wait() {
	while [ ! -f /tmp/sorscher.done ] && [ $(($(date +%s) - t0)) -lt $budget ]; do sleep 5; done
	if [ ! -f /tmp/sorscher.done ]; then
		el "sorscher still running: $(sorscher_progress)"
		[ "${STOP_AT_BUDGET:-0}" = 1 ] || return 1
		# Out of time: stop it (SIGINT checkpoints and exits) and evaluate the checkpoint.
		pkill -INT -f "gridcells train --preset sorscher2019"
		for i in $(seq 30); do [ -f /tmp/sorscher.done ] && break; sleep 1; done
		sorscher_eval_latest 150
		sorscher_save
		return 1
	fi
	el "sorscher finished in $(($(cat /tmp/sorscher.done) - $(cat /tmp/sorscher.t0))) s (process wall)"
	sorscher_lines </tmp/sorscher.log
	sorscher_save
}
sorscher_foreground() {
	el "== 5. Sorscher schedule, TF32"
	left=$((budget - ($(date +%s) - t0)))
	echo "time left for training: $left s"
	if [ "$left" -lt 60 ]; then
		# timeout 0 would mean no limit, and a negative one fails to start.
		echo "under 60 s left: the Sorscher run is skipped"
		return 0
	fi
	rm -rf $run
	timeout -s INT $left $sorscher_train $SORSCHER_SETS --out $run 2>&1 | sorscher_lines
	[ -f $run/summary.json ] || sorscher_eval_latest 120
	sorscher_save
}
# PARTS="1b 3 2 3a 1" runs the named parts alone, in that order (no Sorscher run).
if [ -n "${PARTS:-}" ]; then
	for p in $PARTS; do "part$p"; done
	el "done (PARTS=$PARTS)"
	exit 0
fi
case "${SORSCHER:-1}" in
0) part1; partab; part1b; part2; part2b; part3; part3a; part3b; part4 ;;
only) sorscher_foreground ;;
# background: the timed parts first on an idle GPU, then the Sorscher run in the background
# (setsid: it outlives this call) while the untimed parts (tests, TF32 check) share the GPU,
# then wait for it until SECONDS; a second call with SORSCHER=wait collects it. (Here part 1
# runs beside the training, unlike the other orders, which run it first.)
background) partab; part1b; part3; part3a; part2; sorscher_start; part1; part2b; sorscher_wait ;;
wait) sorscher_wait ;;
*) part1; partab; part1b; part2; part2b; part3; part3a; part3b; part4; sorscher_foreground ;;
esac
el "done"
