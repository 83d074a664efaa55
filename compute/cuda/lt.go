//go:build !nocuda

package cuda

import (
	"fmt"
	"os"
	"time"
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
// faster, but the choice, and so the last bits of the results, may differ between machines
// (a machine keeps its choices: lt_cache.go).
// GRIDCELLS_CUBLASLT=search times, besides those, every configuration cuBLASLt enumerates
// for the shape (each algorithm id × its tiles × its stages, as cublasLtMatmulAlgoCheck
// accepts them; at most ltSearchMax): the heuristic may never offer the tile that suits a
// 200-row batch, e.g. one whose 256 columns cover the batch in one pass over the weight,
// which the per-time-step products (bandwidth-bound on the weight) need.
// The profile (bench train --profile) names each product's chosen configuration. The
// choices of tune and search are kept in the kernel cache (lt_cache.go), so that a machine
// times a shape once and its later runs use the same algorithms, bit for bit.
// It stays off by default until a GPU run measures it faster; the conformance suite runs it
// against the CPU emulation (internal/cudaemu) like the default path.

// cublasLt.h values.
const (
	ltComputeF32     = 68  // CUBLAS_COMPUTE_32F
	ltComputeTF32    = 77  // CUBLAS_COMPUTE_32F_FAST_TF32
	ltDataF32        = 0   // CUDA_R_32F
	ltDescTransA     = 3   // CUBLASLT_MATMUL_DESC_TRANSA, int32
	ltDescTransB     = 4   // CUBLASLT_MATMUL_DESC_TRANSB, int32
	ltLayoutBatch    = 5   // CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, int32
	ltLayoutStride   = 6   // CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, int64
	ltPrefWorkspace  = 1   // CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, uint64
	ltPrefMinAlignA  = 5   // CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, uint32 (B 6, C 7, D 8)
	ltMaxAlign       = 256 // cuBLASLt's default minimum alignment, bytes
	ltWorkspaceBytes = 32 << 20
	ltTuneAlgos      = 32              // the heuristic's algorithms timed per shape when tuning
	ltTuneRuns       = 3               // timed runs of each, after one untimed
	ltSearchMax      = 1024            // configurations timed per shape by the search
	ltSearchIDs      = 128             // algorithm ids asked of cublasLtMatmulAlgoGetIds
	ltSearchBudget   = 5 * time.Second // timing per shape, after which the rest are skipped

	// cublasLtMatmulAlgoCapAttributes_t and cublasLtMatmulAlgoConfigAttributes_t.
	ltCapTileIDs       = 6    // CUBLASLT_ALGO_CAP_TILE_IDS, uint32 array
	ltCapStagesIDs     = 13   // CUBLASLT_ALGO_CAP_STAGES_IDS, uint32 array
	ltCapNumericalImpl = 15   // CUBLASLT_ALGO_CAP_NUMERICAL_IMPL_FLAGS, uint64
	ltCapMinAlignA     = 16   // CUBLASLT_ALGO_CAP_MIN_ALIGNMENT_A_BYTES, uint32 (B 17, C 18, D 19)
	ltImplTensorOps    = 0xfe // CUBLASLT_NUMERICAL_IMPL_FLAGS_TENSOR_OP_MASK: HMMA, IMMA, DMMA, …
	ltConfigID         = 0    // CUBLASLT_ALGO_CONFIG_ID, int32
	ltConfigTile       = 1    // CUBLASLT_ALGO_CONFIG_TILE_ID, uint32
	ltConfigSplitK     = 2    // CUBLASLT_ALGO_CONFIG_SPLITK_NUM, uint32
	ltConfigStages     = 6    // CUBLASLT_ALGO_CONFIG_STAGES_ID, uint32
	ltConfigCluster    = 8    // CUBLASLT_ALGO_CONFIG_CLUSTER_SHAPE_ID, uint16
)

// ltTiles names cublasLtMatmulTile_t: rows × columns of the column-major output tile (for
// our row-major products, Ng-side × batch-side).
var ltTiles = [...]string{"undefined", "8x8", "8x16", "16x8", "8x32", "16x16", "32x8", "8x64", "16x32", "32x16",
	"64x8", "32x32", "32x64", "64x32", "32x128", "64x64", "128x32", "64x128", "128x64", "64x256", "128x128",
	"256x64", "64x512", "128x256", "256x128", "512x64", "64x96", "96x64", "96x128", "128x160", "160x128",
	"192x128", "128x192", "128x96", "32x256", "256x32"}

// envLt turns the cuBLASLt path on for every backend.
const envLt = "GRIDCELLS_CUBLASLT"

// ltAPI holds the cuBLASLt functions the path calls.
type ltAPI struct {
	lib                                                                       *library
	create, descCreate, descSet, layoutCreate, layoutSet, prefCreate, prefSet uintptr
	heuristic, matmul                                                         uintptr
	// The destroys of Backend.Close (close.go) and of the plans' preferences.
	destroy, descDestroy, layoutDestroy, prefDestroy uintptr
	// The enumeration of GRIDCELLS_CUBLASLT=search and the configuration read-out of the
	// profile: optional, 0 when missing.
	getIDs, algoInit, capGet, configSet, configGet, algoCheck uintptr
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
		"cublasLtMatmul": &a.matmul, "cublasLtDestroy": &a.destroy, "cublasLtMatmulDescDestroy": &a.descDestroy,
		"cublasLtMatrixLayoutDestroy": &a.layoutDestroy, "cublasLtMatmulPreferenceDestroy": &a.prefDestroy,
	}) != nil {
		return nil
	}
	for name, p := range map[string]*uintptr{
		"cublasLtMatmulAlgoGetIds": &a.getIDs, "cublasLtMatmulAlgoInit": &a.algoInit,
		"cublasLtMatmulAlgoCapGetAttribute": &a.capGet, "cublasLtMatmulAlgoConfigSetAttribute": &a.configSet,
		"cublasLtMatmulAlgoConfigGetAttribute": &a.configGet, "cublasLtMatmulAlgoCheck": &a.algoCheck,
	} {
		*p, _ = l.sym(name)
	}
	return a
}

// canSearch reports whether the library has the enumeration entry points.
func (a *ltAPI) canSearch() bool {
	return a.getIDs != 0 && a.algoInit != 0 && a.capGet != 0 && a.configSet != 0 && a.algoCheck != 0
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

// ltKey is a product's column-major shape as cublasSgemm would take it, and the alignment
// of its operands (ltAlign): an algorithm chosen for aligned operands may not run on others.
type ltKey struct {
	opA, opB               uintptr
	m, n, k, lda, ldb, ldc int
	sa, sb, sc, batch      int
	alA, alB, alC          int
}

// ltAlign is the alignment in bytes, at most ltMaxAlign, of an operand at device address ptr
// whose batch of lanes steps by stride floats: the largest power of two dividing both. The
// preference of a plan declares it (MIN_ALIGNMENT_*_BYTES), since cuBLASLt otherwise assumes
// 256-byte operands and may choose kernels that fail on others (a view one column into a
// tensor is 4-byte aligned): CUBLAS_STATUS_NOT_SUPPORTED, as PyTorch met (pytorch#92201).
func ltAlign(ptr uintptr, stride, batch int) int {
	v := ptr
	if batch > 1 {
		v |= uintptr(stride) * 4
	}
	if v == 0 {
		return ltMaxAlign
	}
	return min(ltMaxAlign, int(v&-v))
}

// ltPlan is the cuBLASLt description of one product shape and its algorithm.
type ltPlan struct {
	desc, a, b, c uintptr
	algo          ltHeuristic
	timed         int    // algorithms timed to choose algo (0 without tuning)
	cached        bool   // algo is an earlier run's choice (lt_cache.go)
	config        string // algo's configuration, for the profile
}

// lt is a backend's cuBLASLt state.
type lt struct {
	api       *ltAPI
	handle    uintptr
	workspace *tensor
	plans     map[ltKey]*ltPlan
	tune      bool       // time the heuristic's algorithms and keep the fastest
	search    bool       // time every configuration cuBLASLt enumerates too (implies tune)
	choices   *ltChoices // the algorithms tune or search chose, kept between runs (lt_cache.go)
	scratch   *tensor    // the output of the tuning runs
	events    [2]uintptr
}

// startLt turns the cuBLASLt path on for b when s or the environment asks for it and the
// library is there; it says why not otherwise.
func (b *Backend) startLt(s *Settings) error {
	env := os.Getenv(envLt)
	if !s.Lt && env != "1" && env != "tune" && env != "search" {
		return nil
	}
	if b.a.lt == nil {
		return fmt.Errorf("cuda: %s asked for, but cuBLASLt (%v) did not load", envLt, cublasLtNames)
	}
	l := &lt{api: b.a.lt, plans: map[ltKey]*ltPlan{}, tune: env == "tune" || env == "search",
		search: env == "search" && b.a.lt.canSearch()}
	if l.tune && b.a.eventAPI() != nil {
		l.tune, l.search = false, false // no events to time with: the heuristic's first algorithm
	}
	if l.tune {
		mode := "tune"
		if l.search {
			mode = "search"
		}
		l.choices = b.loadChoices(mode)
	}
	if err := cublasCheck("cublasLtCreate", call(l.api.create, uintptr(unsafe.Pointer(&l.handle)))); err != nil {
		return err
	}
	// b.lt before the workspace, so that a failed New's release destroys the handle.
	b.lt = l
	var err error
	l.workspace, err = b.tryAlloc(1, ltWorkspaceBytes/4)
	return err
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
	// A plan that panics half made is not kept: release what it created (Close releases the
	// kept ones).
	defer func() {
		if l.plans[k] != p {
			l.destroyPlan(p)
		}
	}()
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
	// The heuristic's preference: the workspace and the operands' alignments.
	var pref uintptr
	ltCheck("cublasLtMatmulPreferenceCreate", call(a.prefCreate, uintptr(unsafe.Pointer(&pref))), k)
	defer call(a.prefDestroy, pref) // only the heuristic reads it
	ws := uint64(ltWorkspaceBytes)
	ltCheck("cublasLtMatmulPreferenceSetAttribute", call(a.prefSet, pref, ltPrefWorkspace, uintptr(unsafe.Pointer(&ws)), 8), k)
	for i, al := range []int{k.alA, k.alB, k.alC, k.alC} { // D is C: the product is in place
		v := uint32(al)
		ltCheck("cublasLtMatmulPreferenceSetAttribute", call(a.prefSet, pref, ltPrefMinAlignA+uintptr(i), uintptr(unsafe.Pointer(&v)), 4), k)
	}
	want := 1
	if l.tune {
		want = ltTuneAlgos
	}
	var found int32
	algos := make([]ltHeuristic, want)
	ltCheck("cublasLtMatmulAlgoGetHeuristic", call(a.heuristic, l.handle, p.desc, p.a, p.b, p.c, p.c, pref, uintptr(want),
		uintptr(unsafe.Pointer(&algos[0])), uintptr(unsafe.Pointer(&found))), k)
	if found < 1 || algos[0].state != 0 {
		panic(&CUDAError{Call: "cublasLtMatmulAlgoGetHeuristic", Name: "no algorithm", Info: fmt.Sprintf("%+v", k)})
	}
	algos = algos[:found]
	if l.tune {
		// An earlier run's choice for this shape (lt_cache.go), while the library accepts it.
		if h, ok := l.choices.algo(k); ok && l.accepts(p, &h) {
			p.algo, p.config, p.cached = h, l.describe(&h), true
			l.plans[k] = p
			return p
		}
	}
	if l.search {
		algos = append(algos, b.enumerate(k, p, compute)...)
	}
	p.algo = algos[0]
	if l.tune && len(algos) > 1 {
		p.algo = b.fastest(k, p, algos, aPtr, bPtr)
	}
	p.config = l.describe(&p.algo)
	if l.tune {
		l.choices.keep(k, p)
	}
	l.plans[k] = p
	return p
}

// accepts reports whether cublasLtMatmulAlgoCheck accepts algorithm h for plan p's product
// within the workspace (true without AlgoCheck: the heuristic's and the search's
// algorithms were checked when chosen, and the file is per library version).
func (l *lt) accepts(p *ltPlan, h *ltHeuristic) bool {
	if l.api.algoCheck == 0 {
		return true
	}
	_, ok := l.checked(p, h)
	return ok
}

// checked returns cublasLtMatmulAlgoCheck's result for algorithm h on plan p's product
// (its workspace and waves, with h as its algorithm), and whether it accepts h within the
// workspace.
func (l *lt) checked(p *ltPlan, h *ltHeuristic) (ltHeuristic, bool) {
	var r ltHeuristic
	ok := call(l.api.algoCheck, l.handle, p.desc, p.a, p.b, p.c, p.c, uintptr(unsafe.Pointer(&h.algo)),
		uintptr(unsafe.Pointer(&r))) == 0 && r.state == 0 && r.workspace <= ltWorkspaceBytes
	r.algo = h.algo
	return r, ok
}

// enumerate returns the configurations cuBLASLt has for plan p's types (compute type
// cType, float32 data): each algorithm id's tiles × its stages (the undefined one when it
// lists none), those that cublasLtMatmulAlgoCheck accepts for p's shape within the
// workspace, at most ltSearchMax. The ids take turns, one configuration each per round, so
// that the cap leaves none out: on sm_90 an id may list 30 tiles × 20 stages, and taking
// the ids in order would spend the whole cap on the first one or two. Under TF32 an id whose
// numerical implementation uses no tensor-core instruction (FMA only) is left out: it cannot
// beat the tensor cores on these shapes, and it would take a share of the cap.
func (b *Backend) enumerate(k ltKey, p *ltPlan, cType uintptr) []ltHeuristic {
	a, l := b.lt.api, b.lt
	ids := make([]int32, ltSearchIDs)
	var n int32
	if call(a.getIDs, l.handle, cType, ltDataF32, ltDataF32, ltDataF32, ltDataF32, ltDataF32, ltSearchIDs,
		uintptr(unsafe.Pointer(&ids[0])), uintptr(unsafe.Pointer(&n))) != 0 {
		return nil
	}
	type algorithm struct {
		base          ltHeuristic
		tiles, stages []uint32
	}
	var algos []algorithm
	for _, id := range ids[:n] {
		var base ltHeuristic
		if call(a.algoInit, l.handle, cType, ltDataF32, ltDataF32, ltDataF32, ltDataF32, ltDataF32, uintptr(id),
			uintptr(unsafe.Pointer(&base.algo))) != 0 {
			continue
		}
		if cType == ltComputeTF32 && l.fmaOnly(&base) {
			continue
		}
		if !l.alignedFor(&base, k) {
			continue // needs operands more aligned than this product's (AlgoCheck takes no pointers)
		}
		algos = append(algos, algorithm{base, l.caps(&base, ltCapTileIDs), l.caps(&base, ltCapStagesIDs)})
	}
	var out []ltHeuristic
	for round, more := 0, true; more; round++ {
		more = false
		for _, al := range algos {
			if round >= len(al.tiles)*len(al.stages) {
				continue
			}
			more = true
			h := al.base
			// Tiles vary first: every tile with the first stages before the others.
			tile, stage := al.tiles[round%len(al.tiles)], al.stages[round/len(al.tiles)]
			if !l.setConfig(&h, ltConfigTile, tile) || !l.setConfig(&h, ltConfigStages, stage) {
				continue
			}
			if r, ok := l.checked(p, &h); ok {
				out = append(out, r)
				if len(out) == ltSearchMax {
					return out
				}
			}
		}
	}
	return out
}

// fmaOnly reports whether algorithm h's numerical implementation flags
// (CUBLASLT_ALGO_CAP_NUMERICAL_IMPL_FLAGS) name no tensor-core instruction; false when the
// library does not say.
func (l *lt) fmaOnly(h *ltHeuristic) bool {
	var flags uint64
	var written uintptr
	if call(l.api.capGet, uintptr(unsafe.Pointer(&h.algo)), ltCapNumericalImpl, uintptr(unsafe.Pointer(&flags)), 8,
		uintptr(unsafe.Pointer(&written))) != 0 || written != 8 {
		return false
	}
	return flags&ltImplTensorOps == 0
}

// alignedFor reports whether algorithm h runs on product k's operands: its minimum
// alignments of A, B and C (capabilities 16–18) are no more than k's. An algorithm that
// does not say is taken to run on any.
func (l *lt) alignedFor(h *ltHeuristic, k ltKey) bool {
	for i, have := range []int{k.alA, k.alB, k.alC} {
		var need uint32
		var written uintptr
		if call(l.api.capGet, uintptr(unsafe.Pointer(&h.algo)), ltCapMinAlignA+uintptr(i), uintptr(unsafe.Pointer(&need)), 4,
			uintptr(unsafe.Pointer(&written))) == 0 && written == 4 && int(need) > have {
			return false
		}
	}
	return true
}

// caps returns algorithm h's capability array attr (tile or stages ids), or the undefined
// id alone when it lists none.
func (l *lt) caps(h *ltHeuristic, attr uintptr) []uint32 {
	var size uintptr
	if call(l.api.capGet, uintptr(unsafe.Pointer(&h.algo)), attr, 0, 0, uintptr(unsafe.Pointer(&size))) != 0 || size < 4 {
		return []uint32{0}
	}
	v := make([]uint32, size/4)
	if call(l.api.capGet, uintptr(unsafe.Pointer(&h.algo)), attr, uintptr(unsafe.Pointer(&v[0])), size,
		uintptr(unsafe.Pointer(&size))) != 0 {
		return []uint32{0}
	}
	return v
}

// setConfig sets a uint32 configuration attribute of h, reporting success.
func (l *lt) setConfig(h *ltHeuristic, attr uintptr, v uint32) bool {
	return call(l.api.configSet, uintptr(unsafe.Pointer(&h.algo)), attr, uintptr(unsafe.Pointer(&v)), 4) == 0
}

// config reads a configuration attribute of h of size bytes (4, or 2 for the cluster
// shape), or -1.
func (l *lt) config(h *ltHeuristic, attr uintptr, size int) int {
	var v uint32
	var written uintptr
	if l.api.configGet == 0 || call(l.api.configGet, uintptr(unsafe.Pointer(&h.algo)), attr, uintptr(unsafe.Pointer(&v)),
		uintptr(size), uintptr(unsafe.Pointer(&written))) != 0 {
		return -1
	}
	if size == 2 {
		v &= 0xffff
	}
	return int(v)
}

// describe names h's configuration: algorithm id, tile, stages, split-K and cluster shape
// ids (cublasLt.h's enumerations), e.g. "algo 21 tile 64x256 stages 17 splitK 1 cluster 2".
func (l *lt) describe(h *ltHeuristic) string {
	if l.api.configGet == 0 {
		return ""
	}
	tile := l.config(h, ltConfigTile, 4)
	name := fmt.Sprintf("#%d", tile)
	if tile >= 0 && tile < len(ltTiles) {
		name = ltTiles[tile]
	}
	return fmt.Sprintf("algo %d tile %s stages %d splitK %d cluster %d", l.config(h, ltConfigID, 4), name,
		l.config(h, ltConfigStages, 4), l.config(h, ltConfigSplitK, 4), l.config(h, ltConfigCluster, 2))
}

// fastest times each algorithm on product k into a scratch output (after an untimed run,
// one timed run, then ltTuneRuns more unless the one was twice the best so far) and returns
// the fastest (the first on a tie). p.timed counts the algorithms that ran.
func (b *Backend) fastest(k ltKey, p *ltPlan, algos []ltHeuristic, aPtr, bPtr uintptr) ltHeuristic {
	l := b.lt
	// The output's extent: the last entry of the last batch, column-major m×n with ldc,
	// placed at the real output's alignment (k.alC bytes past a 256-byte boundary, when
	// less), so that an algorithm needing a better aligned C is not timed as if it ran.
	n := (k.batch-1)*k.sc + (k.n-1)*k.ldc + k.m
	off := 0
	if k.alC < ltMaxAlign {
		off = k.alC / 4
	}
	c := b.scratch(&l.scratch, n+off)
	cPtr := c.ptr + uintptr(4*off)
	for i := range l.events {
		if l.events[i] == 0 {
			b.must(b.a.check("cuEventCreate", call(b.a.cuEventCreate, uintptr(unsafe.Pointer(&l.events[i])), 0)))
		}
	}
	start, end := l.events[0], l.events[1]
	// timed returns the milliseconds of n runs of algorithm i.
	timed := func(i, n int) float32 {
		b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, start, b.stream)))
		for range n {
			ltCheck("cublasLtMatmul", b.matmul(p, &algos[i], aPtr, bPtr, cPtr), k)
		}
		b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, end, b.stream)))
		b.must(b.a.check("cuEventSynchronize", call(b.a.cuEventSynchronize, end)))
		var ms float32
		b.must(b.a.check("cuEventElapsedTime", call(b.a.cuEventElapsedTime, uintptr(unsafe.Pointer(&ms)), start, end)))
		return ms
	}
	// An enumeration holds configurations far slower than the best (tiny tiles on a large
	// product): one timed run more than twice the best so far rules a configuration out, and
	// past ltSearchBudget the remaining ones are not timed (the heuristic's come first).
	deadline := time.Now().Add(ltSearchBudget)
	best, bestMS := 0, float32(-1)
	for i := range algos {
		if algos[i].state != 0 {
			continue
		}
		if p.timed > 0 && time.Now().After(deadline) {
			break
		}
		if b.matmul(p, &algos[i], aPtr, bPtr, cPtr) != 0 {
			continue // an algorithm that does not run here is not a candidate
		}
		p.timed++
		if bestMS >= 0 && timed(i, 1) > 2*bestMS {
			continue
		}
		if ms := timed(i, ltTuneRuns) / ltTuneRuns; bestMS < 0 || ms < bestMS {
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
	batch := max(1, lanes)
	key := ltKey{opA: op(tB), opB: op(tA), m: n, n: m, k: k, lda: bb.ld, ldb: a.ld, ldc: c.ld,
		sa: sB, sb: sA, sc: sC, batch: batch,
		alA: ltAlign(bb.ptr, sB, batch), alB: ltAlign(a.ptr, sA, batch), alC: ltAlign(c.ptr, sC, batch)}
	p := b.plan(key, bb.ptr, a.ptr)
	b.timeStart(func() string {
		name := gemmName("cublasLtMatmul", tA, tB, m, n, k, lanes)
		if p.config != "" {
			name += " [" + p.config + "]"
		}
		return name
	})
	defer b.timeEnd()
	ltCheck("cublasLtMatmul", b.matmul(p, &p.algo, bb.ptr, a.ptr, c.ptr), key)
}
