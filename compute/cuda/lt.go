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
}

// lt is a backend's cuBLASLt state.
type lt struct {
	api       *ltAPI
	handle    uintptr
	workspace *tensor
	plans     map[ltKey]*ltPlan
}

// startLt turns the cuBLASLt path on for b when s or the environment asks for it and the
// library is there; it says why not otherwise.
func (b *Backend) startLt(s *Settings) error {
	if !s.Lt && os.Getenv(envLt) != "1" {
		return nil
	}
	if b.a.lt == nil {
		return fmt.Errorf("cuda: %s asked for, but cuBLASLt (%v) did not load", envLt, cublasLtNames)
	}
	l := &lt{api: b.a.lt, plans: map[ltKey]*ltPlan{}}
	if err := cublasCheck("cublasLtCreate", call(l.api.create, uintptr(unsafe.Pointer(&l.handle)))); err != nil {
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

// plan returns the description of product k, made at its first use.
func (l *lt) plan(k ltKey, tf32 bool) *ltPlan {
	if p, ok := l.plans[k]; ok {
		return p
	}
	a, p := l.api, &ltPlan{}
	compute := uintptr(ltComputeF32)
	if tf32 {
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
	var pref uintptr
	ltCheck("cublasLtMatmulPreferenceCreate", call(a.prefCreate, uintptr(unsafe.Pointer(&pref))), k)
	ws := uint64(ltWorkspaceBytes)
	ltCheck("cublasLtMatmulPreferenceSetAttribute", call(a.prefSet, pref, ltPrefWorkspace, uintptr(unsafe.Pointer(&ws)), 8), k)
	var found int32
	ltCheck("cublasLtMatmulAlgoGetHeuristic", call(a.heuristic, l.handle, p.desc, p.a, p.b, p.c, p.c, pref, 1,
		uintptr(unsafe.Pointer(&p.algo)), uintptr(unsafe.Pointer(&found))), k)
	if found < 1 || p.algo.state != 0 {
		panic(&CUDAError{Call: "cublasLtMatmulAlgoGetHeuristic", Name: "no algorithm", Info: fmt.Sprintf("%+v", k)})
	}
	l.plans[k] = p
	return p
}

// ltMatmul computes the column-major product k, C = alpha·op(A)·op(B) + beta·C, on the
// backend's stream with the plan's algorithm. The caller holds the context (enter) and has
// set b.args.alpha and b.args.beta.
func (b *Backend) ltMatmul(k ltKey, aPtr, bPtr, cPtr uintptr) {
	l := b.lt
	p := l.plan(k, b.tf32)
	ltCheck("cublasLtMatmul", call(l.api.matmul, l.handle, p.desc, uintptr(unsafe.Pointer(&b.args.alpha)), aPtr, p.a,
		bPtr, p.b, uintptr(unsafe.Pointer(&b.args.beta)), cPtr, p.c, cPtr, p.c, uintptr(unsafe.Pointer(&p.algo)),
		l.workspace.ptr, uintptr(ltWorkspaceBytes), b.stream), k)
}
