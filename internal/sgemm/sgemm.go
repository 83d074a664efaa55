package sgemm

import "unsafe"

// blocking holds the cache-block sizes of the Goto/BLIS loops (see doc.go).
//
// Chosen for AMD Zen 3 (the reference machine: 32 KiB L1d and 512 KiB L2 per
// core, 32 MiB shared L3) with the 6×16 AVX2 kernel:
//   - kc = 256: the kc×nr B micro-panel the kernel re-reads for every A micro-panel
//     is 256·16·4 B = 16 KiB, half of L1d, leaving room for the streaming A
//     micro-panel (6 KiB) and the C tile.
//   - mc = 144: the packed mc×kc A block is 144 KiB, well inside the 512 KiB L2
//     alongside B micro-panels streaming through it; 144 is a multiple of mr = 6
//     (and of the AVX-512 kernel's 12).
//   - nc = 4096: the packed kc×nc B block is 4 MiB per worker, so two workers fit
//     the 32 MiB L3 with room for C; it covers the training step's widths
//     (≤ 4096) in one block, so A is packed once per kc slice.
//
// With the 12×32 AVX-512 kernel the kc×nr B micro-panel is 32 KiB at kc = 256,
// all of a 32 KiB L1d (Skylake-X, Zen 4; 48 KiB on Ice Lake and later): kc = 128
// may suit it better, untested for want of such a machine here.
//
// The values are rounded per kernel to multiples of its mr and nr, and m and n
// are then cut into equal blocks no larger than these (see balancedBlock).
type blocking struct {
	mc, kc, nc int
}

// blocks is a variable so that tests can shrink it to reach block edges with
// small matrices.
var blocks = blocking{mc: 144, kc: 256, nc: 4096}

// Sgemm computes
//
//	C = alpha·op(A)·op(B) + beta·C
//
// for row-major matrices, where op(A) is m×k, op(B) is k×n and C is m×n.
// op(X) is Xᵀ when the matching transpose flag is set: A is stored k×m when tA
// is true and m×k otherwise; B is stored n×k when tB is true and k×n otherwise.
// lda, ldb and ldc are the row strides of the stored matrices.
//
// When beta is zero C is only written, never read. When alpha or k is zero, A and
// B are not read. Sgemm panics if a dimension is negative, a leading dimension is
// smaller than its stored row length (or 1), or a slice is too short.
func Sgemm(tA, tB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("sgemm: negative dimension")
	}
	bRows, bCols := storedB(tB, k, n, ldb)
	if checkAC(tA, m, n, k, alpha, a, lda, beta, c, ldc) {
		return
	}
	checkBLen(b, bRows, bCols, ldb)
	p := product{
		kern: currentKernel(), blk: blocks,
		tA: tA, tB: tB, m: m, n: n, k: k,
		alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc,
	}
	run(&p)
}

// scaleC sets C = beta·C without reading C when beta is zero.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	switch beta {
	case 1:
		return
	case 0:
		for i := range m {
			clear(c[i*ldc : i*ldc+n])
		}
	default:
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// product is one validated call, or the part of one that a worker computes.
type product struct {
	kern    *microKernel
	blk     blocking
	tA, tB  bool
	m, n, k int
	alpha   float32
	a       []float32
	lda     int
	b       []float32
	ldb     int
	beta    float32
	c       []float32
	ldc     int
	// pb, when not nil, holds op(B) already packed (SgemmPacked); b and tB are then
	// unused and col0 is the first column of this part within pb.
	pb   *PackedB
	col0 int
}

// sub returns the part of p that computes rows [i0, i1) and columns [j0, j1) of C.
func (p *product) sub(i0, i1, j0, j1 int) product {
	q := *p
	q.m, q.n = i1-i0, j1-j0
	if p.tA {
		q.a = p.a[i0:]
	} else {
		q.a = p.a[i0*p.lda:]
	}
	switch {
	case p.pb != nil:
		q.col0 = p.col0 + j0
	case p.tB:
		q.b = p.b[j0*p.ldb:]
	default:
		q.b = p.b[j0:]
	}
	q.c = p.c[i0*p.ldc+j0:]
	return q
}

// serial computes p on the calling goroutine with the buffers of ws.
func (p *product) serial(ws *workspace) {
	kern := p.kern
	mr, nr := kern.mr, kern.nr
	// Cut m and n into blocks of nearly equal size no larger than mc and nc
	// (200 rows with mc 144 become 102 + 98, not 144 + 56), so that no block is
	// left with a few tiles that amortise its packing poorly.
	mc := balancedBlock(p.m, max(mr, p.blk.mc/mr*mr), mr)
	nc := balancedBlock(p.n, max(nr, p.blk.nc/nr*nr), nr)
	kc := max(1, p.blk.kc)
	nbuf := min(kc, p.k) * min(nc, roundUp(p.n, nr))
	if p.pb != nil {
		nbuf = 0 // B comes packed
	}
	ws.reserve(min(mc, roundUp(p.m, mr))*min(kc, p.k), nbuf, mr*nr)

	for jc := 0; jc < p.n; jc += nc {
		nb := min(nc, p.n-jc)
		for pc := 0; pc < p.k; pc += kc {
			kb := min(kc, p.k-pc)
			var bBlock []float32
			if p.pb != nil {
				// The same panels packB would build: see PackB for the layout.
				off := pc*p.pb.nPad + (p.col0+jc)*kb
				bBlock = p.pb.data[off : off+kb*roundUp(nb, nr)]
			} else {
				packB(kern, ws.b, p.tB, p.b, p.ldb, pc, jc, kb, nb)
				bBlock = ws.b
			}
			beta := p.beta
			if pc > 0 {
				beta = 1 // later slices accumulate onto the first one's result.
			}
			for ic := 0; ic < p.m; ic += mc {
				mb := min(mc, p.m-ic)
				packA(kern, ws.a, p.tA, p.a, p.lda, ic, pc, mb, kb)
				p.macro(ws, bBlock, ic, jc, mb, nb, kb, beta)
			}
		}
	}
}

// macro runs the micro-kernel over the packed mb×kb block of A (ws.a) and kb×nb
// block of B (bBlock), updating C[ic:ic+mb, jc:jc+nb].
func (p *product) macro(ws *workspace, bBlock []float32, ic, jc, mb, nb, kb int, beta float32) {
	kern := p.kern
	mr, nr := kern.mr, kern.nr
	ldc := p.ldc
	tile := ws.tile
	for jr := 0; jr < nb; jr += nr {
		cols := min(nr, nb-jr)
		bp := &bBlock[jr*kb]
		for ir := 0; ir < mb; ir += mr {
			rows := min(mr, mb-ir)
			ap := &ws.a[ir*kb]
			off := (ic+ir)*ldc + jc + jr
			if rows == mr && cols == nr {
				// Sgemm checked len(c) ≥ (m-1)·ldc + n, so the whole tile is inside c.
				kern.run(kb, ap, bp, &p.c[off], ldc, p.alpha, beta)
				continue
			}
			kern.run(kb, ap, bp, &tile[0], nr, p.alpha, 0)
			mergeTile(p.c[off:], ldc, tile, nr, rows, cols, beta)
		}
	}
}

// mergeTile sets C[0:rows, 0:cols] = tile + beta·C, not reading C when beta is zero.
func mergeTile(c []float32, ldc int, tile []float32, nr, rows, cols int, beta float32) {
	for i := range rows {
		dst := c[i*ldc : i*ldc+cols]
		src := tile[i*nr : i*nr+cols]
		if beta == 0 {
			copy(dst, src)
			continue
		}
		for j, v := range src {
			dst[j] = v + beta*dst[j]
		}
	}
}

func roundUp(x, to int) int { return (x + to - 1) / to * to }

// balancedBlock returns the block size, a multiple of step and at most limit (a
// multiple of step), that cuts n into the fewest blocks of nearly equal size.
func balancedBlock(n, limit, step int) int {
	blocks := (n + limit - 1) / limit
	return min(limit, roundUp((n+blocks-1)/blocks, step))
}

// microKernel is one register-tile kernel.
type microKernel struct {
	name   string
	mr, nr int
	// run computes, for i < mr and j < nr,
	//	c[i·ldc+j] = alpha·Σ_{p<k} a[p·mr+i]·b[p·nr+j] + beta·c[i·ldc+j]
	// without reading c when beta is zero. a and b point to packed micro-panels.
	run func(k int, a, b, c *float32, ldc int, alpha, beta float32)
	// Optional packers for full micro-panels of A (N: stored m×k, T: stored k×m)
	// and B (N: stored k×n, T: stored n×k); zero values fall back to Go loops.
	packAN, packAT, packBN, packBT panelPacker
}

// kernelGeneric is the portable kernel, used when no assembly kernel fits the CPU.
var kernelGeneric = microKernel{name: "generic", mr: genericMR, nr: genericNR, run: runGeneric}

const (
	genericMR = 4
	genericNR = 4
)

// runGeneric is the Go micro-kernel (see microKernel.run) for a 4×4 tile. The
// sixteen accumulators are locals so that the compiler keeps them in registers.
func runGeneric(k int, a, b, c *float32, ldc int, alpha, beta float32) {
	as := unsafe.Slice(a, k*genericMR)
	bs := unsafe.Slice(b, k*genericNR)
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		ap := as[p*genericMR : p*genericMR+genericMR : p*genericMR+genericMR]
		bp := bs[p*genericNR : p*genericNR+genericNR : p*genericNR+genericNR]
		a0, a1, a2, a3 := ap[0], ap[1], ap[2], ap[3]
		b0, b1, b2, b3 := bp[0], bp[1], bp[2], bp[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	cs := unsafe.Slice(c, 3*ldc+genericNR)
	acc := [genericMR][genericNR]float32{
		{c00, c01, c02, c03},
		{c10, c11, c12, c13},
		{c20, c21, c22, c23},
		{c30, c31, c32, c33},
	}
	for i := range genericMR {
		row := cs[i*ldc : i*ldc+genericNR]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * acc[i][j]
			} else {
				row[j] = alpha*acc[i][j] + beta*row[j]
			}
		}
	}
}

// storedB returns the stored rows and columns of B for a k×n op(B), panicking if ldb
// is shorter than a stored row (Sgemm and PackB).
func storedB(tB bool, k, n, ldb int) (rows, cols int) {
	rows, cols = k, n
	if tB {
		rows, cols = n, k
	}
	if ldb < max(1, cols) {
		panic("sgemm: ldb smaller than the stored row length of B")
	}
	return rows, cols
}

// checkBLen panics if b cannot hold rows stored rows of cols values, ldb apart.
func checkBLen(b []float32, rows, cols, ldb int) {
	if len(b) < (rows-1)*ldb+cols {
		panic("sgemm: B slice too short")
	}
}

// checkAC checks the arguments of A and C that Sgemm and SgemmPacked share, panicking on
// misuse, and takes the quick returns (an empty C; alpha or k zero, where C = beta·C and A
// is not read). It reports whether the product is already done.
func checkAC(tA bool, m, n, k int, alpha float32, a []float32, lda int, beta float32, c []float32, ldc int) bool {
	aRows, aCols := m, k
	if tA {
		aRows, aCols = k, m
	}
	if lda < max(1, aCols) {
		panic("sgemm: lda smaller than the stored row length of A")
	}
	if ldc < max(1, n) {
		panic("sgemm: ldc smaller than n")
	}
	if m == 0 || n == 0 {
		return true
	}
	if len(c) < (m-1)*ldc+n {
		panic("sgemm: C slice too short")
	}
	if alpha == 0 || k == 0 {
		scaleC(m, n, beta, c, ldc)
		return true
	}
	if len(a) < (aRows-1)*lda+aCols {
		panic("sgemm: A slice too short")
	}
	return false
}
