//go:build !nocuda

package cuda

import (
	"fmt"
	"os"
	"unsafe"
)

// cuBLASLt for the matrix products, as an experiment (Settings.Lt, GRIDCELLS_CUBLASLT=1).
//
// Why: on the H100 the per-time-step products of a step (a 200-row state times the recurrent
// weight) run at about a quarter of the TF32 peak through cublasSgemm, and PyTorch's cuBLAS is
// no faster (README, "On a GPU"). cuBLASLt exposes the algorithms (tiles, split-K, clusters)
// that cublasSgemm chooses among internally; testdata/lt_probe.py times them all for these
// shapes. This path takes the first algorithm of cuBLASLt's heuristic for each product shape,
// which is deterministic for a given library and device, so results do not depend on timing.
// GRIDCELLS_CUBLASLT=tune instead times up to ltTuneAlgos of the heuristic's algorithms at a
// shape's first use (on a scratch output, with CUDA events) and keeps the fastest: possibly
// faster, but the choice, and so the last bits of the results, may differ from run to run.
// It stays off by default until a GPU run measures it faster; the conformance suite runs it
// against the CPU emulation (internal/cudaemu) like the default path.

// cublasLt.h values.
const (
	ltComputeF32     = 68 // CUBLAS_COMPUTE_32F
	ltComputeTF32    = 77 // CUBLAS_COMPUTE_32F_FAST_TF32
	ltDataF32        = 0  // CUDA_R_32F
	ltDescTransA     = 3  // CUBLASLT_MATMUL_DESC_TRANSA, int32
	ltDescTransB     = 4  // CUBLASLT_MATMUL_DESC_TRANSB, int32
	ltLayoutBatch    = 5  // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, int32
	ltLayoutStride   = 6  // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, int64
	ltPrefWorkspace  = 1  // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64
	ltWorkspaceBytes = 32 << 20
	ltTuneAlgos      = 8 // algorithms timed per shape when tuning
	ltTuneRuns       = 3 // timed runs of each, after one untimed
)

// envLt turns the cuBLASLt path on for every backend.
const envLt = "GRIDCELLS_CUBLASLT"

// ltAPI holds the cuBLASLt functions the path calls.
type ltAPI struct {
	lib                                                                       *library
	create, descCreate, descSet, layoutCreate, layoutSet, prefCreate, prefSet uintptr
	heuristic, matmul                                                         uintptr
}

// loadLt opens cuBLASLt (cuBLAS loaded it already, so the loader finds it by name), or
// returns nil: the path is optional.
func loadLt() *ltAPI {
	l, err := openLibrary("cuBLASLt", cublasLtNames, nil)
	if err != nil {
		return nil
	}
	a := &ltAPI{lib: l}
	if l.bind(map[string]*uintptr{
		"cublasLtCreate": &a.create, "cublasLtMatmulDescCreate": &a.descCreate,
		"cublasLtMatmulDescSetAttribute": &a.descSet, "cublasLtMatrixLayoutCreate": &a.layoutCreate,
		"cublasLtMatrixLayoutSetAttribute": &a.layoutSet, "cublasLtMatmulPreferenceCreate": &a.prefCreate,
		"cublasLtMatmulPreferenceSetAttribute": &a.prefSet, "cublasLtMatmulAlgoGetHeuristic": &a.heuristic,
		"cublasLtMatmul": &a.matmul,
	}) != nil {
		return nil
	}
	return a
}

// ltHeuristic is cublasLtMatmulHeuristicResult_t: the algorithm (64 bytes), its workspace,
// its status, its waves count and reserved space.
type ltHeuristic struct {
	algo      [8]uint64
	workspace uint64
	state     int32
	waves     float32
	reserved  [4]int32
}

// ltKey is a product's column-major shape as cublasSgemm would take it.
type ltKey struct {
	opA, opB               uintptr
	m, n, k, lda, ldb, ldc int
	sa, sb, sc, batch      int
}

// ltPlan is the cuBLASLt description of one product shape and its algorithm.
type ltPlan struct {
	desc, a, b, c uintptr
	algo          ltHeuristic
	timed         int // algorithms timed to choose algo (0 without tuning)
}

// lt is a backend's cuBLASLt state.
type lt struct {
	api       *ltAPI
	handle    uintptr
	workspace *tensor
	plans     map[ltKey]*ltPlan
	pref      uintptr // the matmul preference of every plan: the workspace size
	tune      bool    // time the heuristic's algorithms and keep the fastest
	scratch   *tensor // the output of the tuning runs
	events    [2]uintptr
}

// startLt turns the cuBLASLt path on for b when s or the environment asks for it and the
// library is there; it says why not otherwise.
func (b *Backend) startLt(s *Settings) error {
	env := os.Getenv(envLt)
	if !s.Lt && env != "1" && env != "tune" {
		return nil
	}
	if b.a.lt == nil {
		return fmt.Errorf("cuda: %s asked for, but cuBLASLt (%v) did not load", envLt, cublasLtNames)
	}
	l := &lt{api: b.a.lt, plans: map[ltKey]*ltPlan{}, tune: env == "tune"}
	if l.tune && b.a.eventAPI() != nil {
		l.tune = false // no events to time with: the heuristic's first algorithm
	}
	if err := cublasCheck("cublasLtCreate", call(l.api.create, uintptr(unsafe.Pointer(&l.handle)))); err != nil {
		return err
	}
	if err := cublasCheck("cublasLtMatmulPreferenceCreate", call(l.api.prefCreate, uintptr(unsafe.Pointer(&l.pref)))); err != nil {
		return err
	}
	ws := uint64(ltWorkspaceBytes)
	if err := cublasCheck("cublasLtMatmulPreferenceSetAttribute",
		call(l.api.prefSet, l.pref, ltPrefWorkspace, uintptr(unsafe.Pointer(&ws)), 8)); err != nil {
		return err
	}
	l.workspace = b.alloc(1, ltWorkspaceBytes/4)
	b.lt = l
	return nil
}

// ltCheck panics with a cuBLASLt error and the product's shape.
func ltCheck(name string, r int32, k ltKey) {
	if err := cublasCheck(name, r); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("%+v", k)
		panic(err)
	}
}

// plan returns the description of product k, made at its first use, with the operands of
// that first call (tuning reads A and B and writes a scratch output).
func (b *Backend) plan(k ltKey, aPtr, bPtr uintptr) *ltPlan {
	l := b.lt
	if p, ok := l.plans[k]; ok {
		return p
	}
	a, p := l.api, &ltPlan{}
	compute := uintptr(ltComputeF32)
	if b.tf32 {
		compute = ltComputeTF32
	}
	ltCheck("cublasLtMatmulDescCreate", call(a.descCreate, uintptr(unsafe.Pointer(&p.desc)), compute, ltDataF32), k)
	for _, at := range []struct {
		attr uintptr
		op   int32
	}{{ltDescTransA, int32(k.opA)}, {ltDescTransB, int32(k.opB)}} {
		v := at.op
		ltCheck("cublasLtMatmulDescSetAttribute", call(a.descSet, p.desc, at.attr, uintptr(unsafe.Pointer(&v)), 4), k)
	}
	layout := func(dst *uintptr, rows, cols, ld, stride int) {
		ltCheck("cublasLtMatrixLayoutCreate", call(a.layoutCreate, uintptr(unsafe.Pointer(dst)), ltDataF32,
			uintptr(rows), uintptr(cols), uintptr(ld)), k)
		if k.batch > 1 {
			n, s := int32(k.batch), int64(stride)
			ltCheck("cublasLtMatrixLayoutSetAttribute", call(a.layoutSet, *dst, ltLayoutBatch, uintptr(unsafe.Pointer(&n)), 4), k)
			ltCheck("cublasLtMatrixLayoutSetAttribute", call(a.layoutSet, *dst, ltLayoutStride, uintptr(unsafe.Pointer(&s)), 8), k)
		}
	}
	// op(A) is m×k and op(B) k×n, column-major.
	ar, ac := k.m, k.k
	if k.opA != 0 {
		ar, ac = k.k, k.m
	}
	br, bc := k.k, k.n
	if k.opB != 0 {
		br, bc = k.n, k.k
	}
	layout(&p.a, ar, ac, k.lda, k.sa)
	layout(&p.b, br, bc, k.ldb, k.sb)
	layout(&p.c, k.m, k.n, k.ldc, k.sc)
	want := 1
	if l.tune {
		want = ltTuneAlgos
	}
	var found int32
	algos := make([]ltHeuristic, want)
	ltCheck("cublasLtMatmulAlgoGetHeuristic", call(a.heuristic, l.handle, p.desc, p.a, p.b, p.c, p.c, l.pref, uintptr(want),
		uintptr(unsafe.Pointer(&algos[0])), uintptr(unsafe.Pointer(&found))), k)
	if found < 1 || algos[0].state != 0 {
		panic(&CUDAError{Call: "cublasLtMatmulAlgoGetHeuristic", Name: "no algorithm", Info: fmt.Sprintf("%+v", k)})
	}
	p.algo = algos[0]
	if l.tune && found > 1 {
		p.algo = b.fastest(k, p, algos[:found], aPtr, bPtr)
	}
	l.plans[k] = p
	return p
}

// fastest times each algorithm on product k into a scratch output and returns the fastest
// (the first on a tie).
func (b *Backend) fastest(k ltKey, p *ltPlan, algos []ltHeuristic, aPtr, bPtr uintptr) ltHeuristic {
	l := b.lt
	// The output's extent: the last entry of the last batch, column-major m×n with ldc.
	n := (k.batch-1)*k.sc + (k.n-1)*k.ldc + k.m
	c := b.scratch(&l.scratch, n)
	for i := range l.events {
		if l.events[i] == 0 {
			b.must(b.a.check("cuEventCreate", call(b.a.cuEventCreate, uintptr(unsafe.Pointer(&l.events[i])), 0)))
		}
	}
	start, end := l.events[0], l.events[1]
	best, bestMS := 0, float32(-1)
	for i := range algos {
		if algos[i].state != 0 {
			continue
		}
		run := func() int32 { return b.matmul(p, &algos[i], aPtr, bPtr, c.ptr) }
		if run() != 0 {
			continue // an algorithm that does not run here is not a candidate
		}
		b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, start, b.stream)))
		for range ltTuneRuns {
			ltCheck("cublasLtMatmul", run(), k)
		}
		b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, end, b.stream)))
		b.must(b.a.check("cuEventSynchronize", call(b.a.cuEventSynchronize, end)))
		var ms float32
		b.must(b.a.check("cuEventElapsedTime", call(b.a.cuEventElapsedTime, uintptr(unsafe.Pointer(&ms)), start, end)))
		p.timed++
		if bestMS < 0 || ms < bestMS {
			best, bestMS = i, ms
		}
	}
	return algos[best]
}

// matmul queues plan p's product with algorithm algo, C = alpha·op(A)·op(B) + beta·C in
// place at cPtr, on the backend's stream, and returns cuBLASLt's status. The caller holds the
// context (enter) and has set b.args.alpha and b.args.beta.
func (b *Backend) matmul(p *ltPlan, algo *ltHeuristic, aPtr, bPtr, cPtr uintptr) int32 {
	l := b.lt
	return call(l.api.matmul, l.handle, p.desc, uintptr(unsafe.Pointer(&b.args.alpha)), aPtr, p.a, bPtr, p.b,
		uintptr(unsafe.Pointer(&b.args.beta)), cPtr, p.c, cPtr, p.c, uintptr(unsafe.Pointer(algo)),
		l.workspace.ptr, uintptr(ltWorkspaceBytes), b.stream)
}

// ltProduct computes the row-major c = alpha·op(a)·op(bb) + beta·c through cuBLASLt, with
// the row-major trick of Gemm (the column-major cᵀ = op(bb)ᵀ·op(a)ᵀ): one product for Gemm
// (lanes 0), or GemmLanes's lanes products with strides sA, sB, sC between them. m, n, k are
// the row-major product's. The caller holds the context and has set b.args.alpha and
// b.args.beta.
func (b *Backend) ltProduct(tA, tB bool, m, n, k int, a, bb, c *tensor, lanes, sA, sB, sC int) {
	b.timeStart(func() string { return gemmName("cublasLtMatmul", tA, tB, m, n, k, lanes) })
	defer b.timeEnd()
	key := ltKey{opA: op(tB), opB: op(tA), m: n, n: m, k: k, lda: bb.ld, ldb: a.ld, ldc: c.ld,
		sa: sB, sb: sA, sc: sC, batch: max(1, lanes)}
	p := b.plan(key, bb.ptr, a.ptr)
	ltCheck("cublasLtMatmul", b.matmul(p, &p.algo, bb.ptr, a.ptr, c.ptr), key)
}
