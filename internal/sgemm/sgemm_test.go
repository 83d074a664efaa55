package sgemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"
)

const (
	// float32Eps is the spacing of float32 values at 1 (2⁻²³).
	float32Eps = 0x1p-23
	// tolFactor scales the worst-case bound for a recursively summed dot product,
	// |error| ≤ (k+2)·u·Σ|terms| with unit roundoff u = eps/2 (Higham, "Accuracy and
	// Stability of Numerical Algorithms", 2nd ed., §3.1), plus the alpha and beta
	// roundings; 2 leaves a factor four of slack over u.
	tolFactor = 2
	// guardLen is the number of NaN guard values on each side of every matrix.
	guardLen = 11
)

// guardNaN is the NaN written into guard bands and padding, with a payload that
// no arithmetic produces, so that a guard overwritten even with another NaN is
// caught.
var guardNaN = math.Float32frombits(0x7fc0beef)

// guarded is a row-major matrix with NaN guards before, after and in the padding
// between rows (ld > cols).
type guarded struct {
	buf            []float32 // guards + data
	data           []float32 // buf[guardLen : len(buf)-guardLen]
	rows, cols, ld int
}

func newGuarded(rnd *rand.Rand, rows, cols, ld int, fill func(*rand.Rand) float32) *guarded {
	n := 0
	if rows > 0 {
		n = (rows-1)*ld + cols
	}
	g := &guarded{buf: make([]float32, n+2*guardLen), rows: rows, cols: cols, ld: ld}
	for i := range g.buf {
		g.buf[i] = guardNaN
	}
	g.data = g.buf[guardLen : guardLen+n]
	for i := range rows {
		for j := range cols {
			g.data[i*ld+j] = fill(rnd)
		}
	}
	return g
}

func uniform(rnd *rand.Rand) float32 { return 2*rnd.Float32() - 1 }

// checkGuards reports whether the guard bands and the padding between rows still
// hold guardNaN bit for bit.
func (g *guarded) checkGuards(t *testing.T, name string) {
	t.Helper()
	isGuard := func(v float32) bool { return math.Float32bits(v) == math.Float32bits(guardNaN) }
	for i := 0; i < guardLen; i++ {
		if !isGuard(g.buf[i]) || !isGuard(g.buf[len(g.buf)-1-i]) {
			t.Fatalf("%s: guard band overwritten", name)
		}
	}
	for i := range g.rows - 1 {
		for j := g.cols; j < g.ld; j++ {
			if !isGuard(g.data[i*g.ld+j]) {
				t.Fatalf("%s: padding at row %d col %d overwritten", name, i, j)
			}
		}
	}
}

// reference computes alpha·op(A)·op(B) + beta·C in float64, with for each element
// the magnitude |alpha|·Σ|a·b| + |beta·c| that bounds its rounding error.
func reference(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := range m {
		for j := range n {
			var s, sa float64
			for p := range k {
				var av, bv float32
				if tA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				sa += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			g := math.Abs(float64(alpha)) * sa
			if beta != 0 {
				cv := float64(c[i*ldc+j])
				w += float64(beta) * cv
				g += math.Abs(float64(beta) * cv)
			}
			want[i*n+j], mag[i*n+j] = w, g
		}
	}
	return want, mag
}

// config is one way of running Sgemm: kernel, blocking and worker count.
type config struct {
	name         string
	kern         *microKernel // activeKernel
	blk          blocking
	workers      int     // maxWorkers; 1 is serial
	minWork      int     // minParallelWork
	extraPacking float64 // maxExtraPacking
	parallelPack int     // minParallelPack
	maxProcs     int     // GOMAXPROCS during the run; 0 leaves it
}

// apply sets the package knobs for c and returns a function that restores them.
func (c config) apply() (restore func()) {
	oldKern, oldBlk, oldWorkers, oldMin, oldPart := activeKernel, blocks, maxWorkers, minParallelWork, maxExtraPacking
	oldPack := minParallelPack
	activeKernel, blocks, maxWorkers, minParallelWork, maxExtraPacking = c.kern, c.blk, c.workers, c.minWork, c.extraPacking
	minParallelPack = c.parallelPack
	oldProcs := 0
	if c.maxProcs > 0 {
		oldProcs = runtime.GOMAXPROCS(c.maxProcs)
	}
	return func() {
		activeKernel, blocks, maxWorkers, minParallelWork, maxExtraPacking = oldKern, oldBlk, oldWorkers, oldMin, oldPart
		minParallelPack = oldPack
		if oldProcs > 0 {
			runtime.GOMAXPROCS(oldProcs)
		}
	}
}

// extraTestKernels are kernels that configs runs besides the available ones
// (see kernel_amd64_test.go).
var extraTestKernels []*microKernel

// loopKernel returns a micro-kernel (microKernel.run) for an mr×nr tile written
// as the plain loops of its definition.
func loopKernel(mr, nr int) func(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	return func(k int, a, b, c *float32, ldc int, alpha, beta float32) {
		as, bs := unsafe.Slice(a, k*mr), unsafe.Slice(b, k*nr)
		cs := unsafe.Slice(c, (mr-1)*ldc+nr)
		for i := range mr {
			for j := range nr {
				var s float32
				for p := range k {
					s += as[p*mr+i] * bs[p*nr+j]
				}
				if beta == 0 {
					cs[i*ldc+j] = alpha * s
				} else {
					cs[i*ldc+j] = alpha*s + beta*cs[i*ldc+j]
				}
			}
		}
	}
}

// smallBlocks makes every block loop run several times on the test sizes.
var smallBlocks = blocking{mc: 13, kc: 7, nc: 33}

// configs lists every path: each kernel this machine can run (availableKernels:
// the generic one always, as blake2b's tests turn features off), serial and
// parallel (with the thresholds at zero so that small products split, into
// partsPerWorker parts per worker, and with more workers than cores to reach 2-D
// grids; PackB on the pool), at the tuned and at tiny block sizes.
//
// extraTestKernels are added: kernels made for the tests alone.
func configs() []config {
	var cs []config
	for _, kern := range append(availableKernels(), extraTestKernels...) {
		for _, blk := range []struct {
			name string
			b    blocking
		}{{"tuned", blocks}, {"small", smallBlocks}} {
			name := kern.name + "/" + blk.name
			cs = append(cs,
				config{name: name + "/serial", kern: kern, blk: blk.b, workers: 1, minWork: minParallelWork, extraPacking: maxExtraPacking, parallelPack: minParallelPack},
				config{name: name + "/par2", kern: kern, blk: blk.b, workers: 2, extraPacking: 10, maxProcs: 2},
				config{name: name + "/par6", kern: kern, blk: blk.b, workers: 6, extraPacking: 10, maxProcs: 6},
			)
		}
	}
	return cs
}

// shapes are the sizes every config runs, chosen to leave every kind of tail for
// every kernel (4×4 generic, 6×16 AVX2, 12×32 AVX-512, each unrolling k by 4) and
// for the small blocks (mc 13 → 12 or 8, kc 7, nc 33 → 32).
var shapes = []struct{ m, n, k int }{
	{1, 1, 1},      // single element: partial tile in both directions
	{6, 16, 4},     // one full AVX2 tile, k a multiple of the 4-step unroll
	{6, 16, 7},     // k remainder 3 after the unroll, one full small kc block
	{7, 17, 5},     // one row and one column over a tile
	{5, 15, 9},     // one short of a tile both ways; k crosses the small kc
	{12, 32, 8},    // one full AVX-512 tile, exact multiples of the others; kc + 1 for small blocks
	{11, 31, 6},    // one short of an AVX-512 tile both ways, k remainder 2
	{13, 33, 14},   // mc, nc of the small blocks exceeded by one; two full kc
	{24, 64, 13},   // 2×2 full AVX-512 tiles, k remainder 1 (two small kc, tail 6)
	{25, 70, 15},   // several mc and nc blocks with tails; kc tail of 1
	{2, 50, 3},     // fewer rows than a tile, wide
	{40, 3, 6},     // tall, narrower than any tile
	{150, 40, 257}, // tuned mc (144) + 6, tuned kc (256) + 1
}

func TestSgemm(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, cfg := range configs() {
		t.Run(cfg.name, func(t *testing.T) {
			defer cfg.apply()()
			for _, s := range shapes {
				for _, tr := range [][2]bool{{false, false}, {false, true}, {true, false}, {true, true}} {
					for _, ab := range [][2]float32{{1, 0}, {-0.5, 1.5}, {2, 1}, {0.75, -1}} {
						for _, pad := range []int{0, 3} {
							checkOne(t, rnd, tr[0], tr[1], s.m, s.n, s.k, ab[0], ab[1], pad)
						}
					}
				}
			}
		})
	}
}

// checkOne runs one product with guarded, padded operands and compares it with
// the float64 reference. With beta = 0, C starts as NaN, which must not leak.
func checkOne(t *testing.T, rnd *rand.Rand, tA, tB bool, m, n, k int, alpha, beta float32, pad int) {
	t.Helper()
	aRows, aCols := m, k
	if tA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if tB {
		bRows, bCols = n, k
	}
	a := newGuarded(rnd, aRows, aCols, max(1, aCols)+pad, uniform)
	b := newGuarded(rnd, bRows, bCols, max(1, bCols)+pad, uniform)
	fillC := uniform
	if beta == 0 {
		fillC = func(*rand.Rand) float32 { return float32(math.NaN()) }
	}
	c := newGuarded(rnd, m, n, max(1, n)+pad, fillC)
	aCopy := append([]float32(nil), a.buf...)
	bCopy := append([]float32(nil), b.buf...)
	want, mag := reference(tA, tB, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld)

	Sgemm(tA, tB, m, n, k, alpha, a.data, a.ld, b.data, b.ld, beta, c.data, c.ld)

	name := fmt.Sprintf("tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v pad=%d", tA, tB, m, n, k, alpha, beta, pad)
	a.checkGuards(t, name+": A")
	b.checkGuards(t, name+": B")
	c.checkGuards(t, name+": C")
	if !sameBits(a.buf, aCopy) || !sameBits(b.buf, bCopy) {
		t.Fatalf("%s: input changed", name)
	}
	for i := range m {
		for j := range n {
			got := float64(c.data[i*c.ld+j])
			tol := tolFactor * float32Eps * float64(k+2) * mag[i*n+j]
			if !(math.Abs(got-want[i*n+j]) <= tol) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v (tol %g)", name, i, j, got, want[i*n+j], tol)
			}
		}
	}
}

func sameBits(x, y []float32) bool {
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if math.Float32bits(x[i]) != math.Float32bits(y[i]) {
			return false
		}
	}
	return true
}

// TestSgemmParallelMatchesSerial checks that splitting over workers does not change
// a single bit: the split never cuts a tile or the k sum (see doc.go).
func TestSgemmParallelMatchesSerial(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, cfg := range configs() {
		t.Run(cfg.name, func(t *testing.T) {
			defer cfg.apply()()
			for _, s := range []struct{ m, n, k int }{{97, 131, 300}, {301, 35, 20}, {8, 400, 9}} {
				for _, tr := range [][2]bool{{false, false}, {true, true}} {
					a := randSlice(rnd, s.m*s.k)
					b := randSlice(rnd, s.k*s.n)
					c0 := randSlice(rnd, s.m*s.n)
					lda, ldb := s.k, s.n
					if tr[0] {
						lda = s.m
					}
					if tr[1] {
						ldb = s.k
					}
					par := append([]float32(nil), c0...)
					Sgemm(tr[0], tr[1], s.m, s.n, s.k, 1.25, a, lda, b, ldb, 0.5, par, s.n)
					ser := append([]float32(nil), c0...)
					old := maxWorkers
					maxWorkers = 1
					Sgemm(tr[0], tr[1], s.m, s.n, s.k, 1.25, a, lda, b, ldb, 0.5, ser, s.n)
					maxWorkers = old
					if !sameBits(par, ser) {
						t.Fatalf("%v %v: parallel result differs from serial", s, tr)
					}
				}
			}
		})
	}
}

func randSlice(rnd *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = uniform(rnd)
	}
	return s
}

// TestSgemmQuickReturns covers the cases that must not touch A and B: alpha = 0,
// k = 0, and empty C. A and B hold NaN, which would leak into C if read.
func TestSgemmQuickReturns(t *testing.T) {
	nan := float32(math.NaN())
	nans := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = nan
		}
		return s
	}
	const m, n, k = 3, 5, 4
	for _, tc := range []struct {
		name        string
		k           int
		alpha, beta float32
		c0, want    float32
	}{
		{"alpha=0,beta=0 clears NaN C", k, 0, 0, nan, 0},
		{"alpha=0,beta=2 scales", k, 0, 2, 1.5, 3},
		{"alpha=0,beta=1 keeps", k, 0, 1, 1.5, 1.5},
		{"k=0,beta=0 clears NaN C", 0, 1, 0, nan, 0},
		{"k=0,beta=-1 scales", 0, 1, -1, 1.5, -1.5},
	} {
		c := make([]float32, m*n)
		for i := range c {
			c[i] = tc.c0
		}
		Sgemm(false, false, m, n, tc.k, tc.alpha, nans(m*max(tc.k, 1)), max(tc.k, 1), nans(max(tc.k, 1)*n), n, tc.beta, c, n)
		for i, v := range c {
			if v != tc.want {
				t.Fatalf("%s: C[%d] = %v, want %v", tc.name, i, v, tc.want)
			}
		}
	}
	// Empty C: nothing is read or written, even from nil slices.
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5)
	Sgemm(false, false, 4, 0, 3, 1, make([]float32, 12), 3, nil, 1, 0, nil, 1)
}

func TestSgemmPanics(t *testing.T) {
	s := func(n int) []float32 { return make([]float32, n) }
	for _, tc := range []struct {
		name string
		fn   func()
		want string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, s(4), 2, s(4), 2, 0, s(4), 2) }, "sgemm: negative dimension"},
		{"negative k", func() { Sgemm(false, false, 2, 2, -1, 1, s(4), 2, s(4), 2, 0, s(4), 2) }, "sgemm: negative dimension"},
		{"lda < k", func() { Sgemm(false, false, 2, 2, 3, 1, s(6), 2, s(6), 2, 0, s(4), 2) }, "sgemm: lda"},
		{"lda < m when tA", func() { Sgemm(true, false, 3, 2, 2, 1, s(6), 2, s(4), 2, 0, s(6), 2) }, "sgemm: lda"},
		{"ldb < n", func() { Sgemm(false, false, 2, 3, 2, 1, s(4), 2, s(6), 2, 0, s(6), 3) }, "sgemm: ldb"},
		{"ldb < k when tB", func() { Sgemm(false, true, 2, 2, 3, 1, s(6), 3, s(6), 2, 0, s(4), 2) }, "sgemm: ldb"},
		{"ldc < n", func() { Sgemm(false, false, 2, 3, 2, 1, s(4), 2, s(6), 3, 0, s(6), 2) }, "sgemm: ldc"},
		{"ld zero", func() { Sgemm(false, false, 0, 0, 0, 1, nil, 0, nil, 1, 0, nil, 1) }, "sgemm: lda"},
		{"short A", func() { Sgemm(false, false, 2, 2, 2, 1, s(3), 2, s(4), 2, 0, s(4), 2) }, "sgemm: A slice too short"},
		{"short B", func() { Sgemm(false, false, 2, 2, 2, 1, s(4), 2, s(3), 2, 0, s(4), 2) }, "sgemm: B slice too short"},
		{"short C", func() { Sgemm(false, false, 2, 2, 2, 1, s(4), 2, s(4), 2, 0, s(3), 2) }, "sgemm: C slice too short"},
		{"short C alpha=0", func() { Sgemm(false, false, 2, 2, 2, 0, nil, 2, nil, 2, 0, s(3), 2) }, "sgemm: C slice too short"},
	} {
		msg := panicMessage(tc.fn)
		if !strings.HasPrefix(msg, tc.want) {
			t.Errorf("%s: panic %q, want prefix %q", tc.name, msg, tc.want)
		}
	}
}

func panicMessage(fn func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	fn()
	return "no panic"
}

// TestSgemmAllocs checks that a warmed-up call, serial or parallel, allocates
// nothing: packing buffers and job records come from free lists.
func TestSgemmAllocs(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 6))
	const m, n, k = 130, 90, 70
	a, b, c := randSlice(rnd, m*k), randSlice(rnd, k*n), make([]float32, m*n)
	for _, kern := range availableKernels() {
		for _, workers := range []int{1, 2} {
			restore := config{kern: kern, blk: blocks, workers: workers, extraPacking: 10, maxProcs: 2}.apply()
			Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n) // warm up
			allocs := testing.AllocsPerRun(20, func() {
				Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, c, n)
			})
			restore()
			if allocs != 0 {
				t.Errorf("%s, workers=%d: %v allocations per call, want 0", kern.name, workers, allocs)
			}
		}
	}
}

func TestGrid(t *testing.T) {
	for _, tc := range []struct {
		workers, m, n, mr, nr int
		rows, cols            int
	}{
		{2, 200, 4096, 6, 16, 1, 2}, // recurrent product: split the wide side
		{2, 4000, 512, 6, 16, 2, 1}, // readout: split the tall side
		{4, 4096, 4096, 6, 16, 2, 2},
		{4, 6, 4096, 6, 16, 1, 4}, // a single row of tiles
		{8, 6, 16, 6, 16, 1, 1},   // a single tile cannot be split
		{3, 12, 16, 6, 16, 2, 1},  // 3 workers but two tiles: two parts
		{5, 12, 48, 6, 16, 2, 2},  // 5 fits no 2×3 tile grid: use 4 workers
	} {
		r, c := grid(tc.workers, tc.m, tc.n, tc.mr, tc.nr)
		if r != tc.rows || c != tc.cols {
			t.Errorf("grid(%d, %d, %d) = %d×%d, want %d×%d", tc.workers, tc.m, tc.n, r, c, tc.rows, tc.cols)
		}
	}
}
