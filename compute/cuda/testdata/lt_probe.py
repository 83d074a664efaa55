# Does cuBLASLt have a faster algorithm than cublasSgemm's choice for the products of a
# training step? For each product, as the backend issues it (column-major, the row-major
# trick of backend.go: C(rows×cols) = A·B becomes Cᵀ = Bᵀ·Aᵀ), this asks cuBLASLt's heuristic
# for up to 16 algorithms, times each with CUDA events, and prints the time with the
# algorithm's configuration (tile, split-K, stages, cluster), next to PyTorch's time for the
# same product; with TF32, also every configuration cuBLASLt enumerates (tiles × stages, the
# candidates of GRIDCELLS_CUBLASLT=search), the ten fastest. Run on a GPU machine: python3
# lt_probe.py (PyTorch supplies the
# memory, the stream and the library's location). gridcells' products go through
# cublasSgemm unless GRIDCELLS_CUBLASLT asks for cuBLASLt; this measures, from outside
# gridcells, whether it should (the per-time-step products are 58 % of an Ng 4096 step).
import ctypes, glob, os, sys
import torch

def load():
    names = ["libcublasLt.so.13", "libcublasLt.so.12"]
    dirs = [os.path.join(os.path.dirname(torch.__file__), "lib")]
    for sp in sys.path:
        dirs += glob.glob(os.path.join(sp, "nvidia", "cu*", "lib")) + glob.glob(os.path.join(sp, "nvidia", "cublas", "lib"))
    for n in names:
        try:
            return ctypes.CDLL(n)
        except OSError:
            pass
        for d in dirs:
            p = os.path.join(d, n)
            if os.path.exists(p):
                return ctypes.CDLL(p)
    sys.exit("lt_probe: libcublasLt not found")

lt = load()
c_void_p, byref = ctypes.c_void_p, ctypes.byref

def sizeof(x):
    return ctypes.c_size_t(ctypes.sizeof(x))  # size_t arguments, passed as such

class Algo(ctypes.Structure):
    _fields_ = [("data", ctypes.c_uint64 * 8)]

class Heuristic(ctypes.Structure):
    _fields_ = [("algo", Algo), ("workspaceSize", ctypes.c_size_t), ("state", ctypes.c_int),
                ("wavesCount", ctypes.c_float), ("reserved", ctypes.c_int * 4)]

# cublasLt.h / cublas_api.h / library_types.h values.
CUDA_R_32F = 0
COMPUTE_32F, COMPUTE_32F_FAST_TF32 = 68, 77
DESC_TRANSA, DESC_TRANSB = 3, 4
LAYOUT_BATCH_COUNT, LAYOUT_STRIDED_BATCH_OFFSET = 5, 6
PREF_MAX_WORKSPACE_BYTES = 1
CONFIG = {"id": 0, "tile": 1, "splitK": 2, "reduction": 3, "swizzle": 4, "stages": 6, "cluster": 8}

def check(st, what):
    if st != 0:
        raise RuntimeError(f"{what}: cuBLAS status {st}")

handle = c_void_p()
check(lt.cublasLtCreate(byref(handle)), "cublasLtCreate")
ws_bytes = 64 << 20
workspace = torch.empty(ws_bytes, dtype=torch.uint8, device="cuda")

def layout(rows, cols, ld, batch, stride):
    l = c_void_p()
    check(lt.cublasLtMatrixLayoutCreate(byref(l), CUDA_R_32F, ctypes.c_uint64(rows), ctypes.c_uint64(cols), ctypes.c_int64(ld)), "layout")
    if batch > 1:
        b, s = ctypes.c_int32(batch), ctypes.c_int64(stride)
        check(lt.cublasLtMatrixLayoutSetAttribute(l, LAYOUT_BATCH_COUNT, byref(b), sizeof(b)), "batch count")
        check(lt.cublasLtMatrixLayoutSetAttribute(l, LAYOUT_STRIDED_BATCH_OFFSET, byref(s), sizeof(s)), "batch stride")
    return l

def config(algo):
    out = {}
    for name, attr in CONFIG.items():
        v, w = ctypes.c_uint32(), ctypes.c_size_t()
        if lt.cublasLtMatmulAlgoConfigGetAttribute(byref(algo), attr, byref(v), sizeof(v), byref(w)) == 0:
            out[name] = v.value
    return out

def time_us(f, n=30):
    for _ in range(3):
        f()
    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    a.record()
    for _ in range(n):
        f()
    b.record()
    torch.cuda.synchronize()
    return a.elapsed_time(b) / n * 1000

def probe(name, ta, tb, m, n, k, batch, tf32, beta):
    """Column-major D(m×n) = op(A)·op(B) + beta·C, batch products of strided operands."""
    lda = k if ta else m
    ldb = n if tb else k
    a_rows, a_cols = (k, m) if ta else (m, k)
    b_rows, b_cols = (n, k) if tb else (k, n)
    A = torch.randn(batch, a_cols, a_rows, device="cuda")  # column-major a_rows×a_cols per batch
    B = torch.randn(batch, b_cols, b_rows, device="cuda")
    C = torch.randn(batch, n, m, device="cuda")
    desc = c_void_p()
    check(lt.cublasLtMatmulDescCreate(byref(desc), COMPUTE_32F_FAST_TF32 if tf32 else COMPUTE_32F, CUDA_R_32F), "desc")
    for attr, t in ((DESC_TRANSA, ta), (DESC_TRANSB, tb)):
        v = ctypes.c_int32(1 if t else 0)
        check(lt.cublasLtMatmulDescSetAttribute(desc, attr, byref(v), sizeof(v)), "trans")
    la = layout(a_rows, a_cols, lda, batch, a_rows * a_cols)
    lb = layout(b_rows, b_cols, ldb, batch, b_rows * b_cols)
    lc = layout(m, n, m, batch, m * n)
    pref = c_void_p()
    check(lt.cublasLtMatmulPreferenceCreate(byref(pref)), "preference")
    w = ctypes.c_uint64(ws_bytes)
    check(lt.cublasLtMatmulPreferenceSetAttribute(pref, PREF_MAX_WORKSPACE_BYTES, byref(w), sizeof(w)), "workspace")
    results = (Heuristic * 16)()
    found = ctypes.c_int()
    check(lt.cublasLtMatmulAlgoGetHeuristic(handle, desc, la, lb, lc, lc, pref, 16, results, byref(found)), "heuristic")
    alpha, betav = ctypes.c_float(1), ctypes.c_float(beta)
    stream = c_void_p(torch.cuda.current_stream().cuda_stream)
    def product(algo):
        """A function that runs this product once with algorithm algo."""
        def run():
            check(lt.cublasLtMatmul(handle, desc, byref(alpha), c_void_p(A.data_ptr()), la, c_void_p(B.data_ptr()), lb,
                                    byref(betav), c_void_p(C.data_ptr()), lc, c_void_p(C.data_ptr()), lc, byref(algo),
                                    c_void_p(workspace.data_ptr()), ctypes.c_size_t(ws_bytes), stream), "matmul")
        return run
    # PyTorch's choice for the same product, row-major: a column-major X stored as above is
    # the row-major tensor Xᵀ, so Dᵀ = op(B)ᵀ·op(A)ᵀ is baddbmm(C, op(B)ᵀ, op(A)ᵀ).
    torch.backends.cuda.matmul.allow_tf32 = tf32
    opBT = B.transpose(1, 2) if tb else B
    opAT = A.transpose(1, 2) if ta else A
    sg = time_us(lambda: torch.baddbmm(C, opBT, opAT, beta=beta))
    print(f"{name}: {batch}×(m={m} n={n} k={k}) {'T' if ta else 'N'}{'T' if tb else 'N'} {'TF32' if tf32 else 'FP32'}: "
          f"torch {sg:.1f} µs; cuBLASLt, {found.value} algorithms:")
    for i in range(found.value):
        r = results[i]
        run = product(r.algo)
        try:
            us = time_us(run)
        except RuntimeError as e:
            print(f"  #{i}: {e}")
            continue
        flops = 2.0 * batch * m * n * k
        print(f"  #{i}: {us:7.1f} µs ({flops / us / 1e6:5.0f} TFLOP/s) waves {r.wavesCount:.2f} workspace {r.workspaceSize >> 10} KiB {config(r.algo)}")
    if tf32:
        enumerate_configs(desc, la, lb, lc, product, batch * m * n * k)

def caps(algo, attr):
    """An algorithm's capability array (tile or stages ids), [0] when it lists none."""
    w = ctypes.c_size_t()
    if lt.cublasLtMatmulAlgoCapGetAttribute(byref(algo), attr, None, ctypes.c_size_t(0), byref(w)) != 0 or w.value < 4:
        return [0]
    arr = (ctypes.c_uint32 * (w.value // 4))()
    if lt.cublasLtMatmulAlgoCapGetAttribute(byref(algo), attr, arr, ctypes.c_size_t(w.value), byref(w)) != 0:
        return [0]
    return list(arr)

TILES = ["undefined", "8x8", "8x16", "16x8", "8x32", "16x16", "32x8", "8x64", "16x32", "32x16", "64x8", "32x32",
         "32x64", "64x32", "32x128", "64x64", "128x32", "64x128", "128x64", "64x256", "128x128", "256x64", "64x512",
         "128x256", "256x128", "512x64", "64x96", "96x64", "96x128", "128x160", "160x128", "192x128", "128x192",
         "128x96", "32x256", "256x32"]

def fma_only(algo):
    """Whether the algorithm's CUBLASLT_ALGO_CAP_NUMERICAL_IMPL_FLAGS (15) name no tensor-core
    instruction (mask 0xfe); False when the library does not say."""
    flags, size = ctypes.c_uint64(), ctypes.c_size_t()
    if lt.cublasLtMatmulAlgoCapGetAttribute(byref(algo), 15, byref(flags), ctypes.c_size_t(8), byref(size)) != 0 or size.value != 8:
        return False
    return flags.value & 0xfe == 0

def enumerate_configs(desc, la, lb, lc, product, mnk, limit=600):
    """The configurations cuBLASLt enumerates under TF32 (each tensor-core algorithm id's
    tiles × stages that cublasLtMatmulAlgoCheck accepts, at most limit; the ids take turns,
    tiles first, as GRIDCELLS_CUBLASLT=search takes them), each timed, the ten fastest
    printed: what the search chooses among, as a check on it from outside gridcells."""
    ids, n = (ctypes.c_int * 128)(), ctypes.c_int()
    if lt.cublasLtMatmulAlgoGetIds(handle, COMPUTE_32F_FAST_TF32, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F,
                                   CUDA_R_32F, 128, ids, byref(n)) != 0:
        print("  enumeration: cublasLtMatmulAlgoGetIds failed")
        return
    algos, fma = [], 0
    for i in range(n.value):
        base = Algo()
        if lt.cublasLtMatmulAlgoInit(handle, COMPUTE_32F_FAST_TF32, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F, CUDA_R_32F,
                                     CUDA_R_32F, ids[i], byref(base)) != 0:
            continue
        if fma_only(base):
            fma += 1
            continue
        algos.append((ids[i], base, caps(base, 6), caps(base, 13)))
    print(f"  enumeration: {n.value} algorithm ids, {fma} FMA-only left out, "
          f"{sum(len(t) * len(st) for _, _, t, st in algos)} tile × stages configurations")
    results, tried, best, rnd, more = [], 0, None, 0, True
    while more and tried < limit:
        more = False
        for aid, base, tiles, stage_ids in algos:
            if rnd >= len(tiles) * len(stage_ids) or tried >= limit:
                continue
            more = True
            tile, stages = tiles[rnd % len(tiles)], stage_ids[rnd // len(tiles)]
            a = Algo.from_buffer_copy(base)
            t, st = ctypes.c_uint32(tile), ctypes.c_uint32(stages)
            if (lt.cublasLtMatmulAlgoConfigSetAttribute(byref(a), CONFIG["tile"], byref(t), sizeof(t)) != 0 or
                    lt.cublasLtMatmulAlgoConfigSetAttribute(byref(a), CONFIG["stages"], byref(st), sizeof(st)) != 0):
                continue
            r = Heuristic()
            if (lt.cublasLtMatmulAlgoCheck(handle, desc, la, lb, lc, lc, byref(a), byref(r)) != 0 or r.state != 0 or
                    r.workspaceSize > ws_bytes):
                continue
            tried += 1
            run = product(a)
            try:
                us = time_us(run, n=3)
                if best is None or us < 2 * best:
                    us = time_us(run, n=10)
            except RuntimeError:
                continue
            best = us if best is None else min(best, us)
            name = TILES[tile] if tile < len(TILES) else f"#{tile}"
            results.append((us, aid, name, stages))
        rnd += 1
    results.sort()
    print(f"  enumeration: {len(results)} of {tried} configurations ran; the ten fastest:")
    for us, aid, name, stages in results[:10]:
        print(f"    {us:7.1f} µs ({2.0 * mnk / us / 1e6:5.0f} TFLOP/s) algo {aid} tile {name} stages {stages}")

for tf32 in (True, False):
    # Ng 4096, one network: forward (row-major NN: cuBLAS NN with m=Ng, n=B) and backward
    # (row-major NT: cuBLAS TN).
    probe("forward h·W, Ng 4096", False, False, 4096, 200, 4096, 1, tf32, 1.0)
    probe("backward dpre·Wᵀ, Ng 4096", True, False, 4096, 200, 4096, 1, tf32, 1.0)
    # Ng 1024, 64 lanes of an ensemble.
    probe("forward, 64 lanes of Ng 1024", False, False, 1024, 200, 1024, 64, tf32, 1.0)
    probe("backward, 64 lanes of Ng 1024", True, False, 1024, 200, 1024, 64, tf32, 1.0)
