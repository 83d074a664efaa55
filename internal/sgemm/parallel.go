package sgemm

import (
	"runtime"
	"sync"

	"github.com/gridcells/gridcells/internal/workpool"
)

// maxWorkers caps the number of workers a call splits its product for; 0 means
// GOMAXPROCS.
// Tests set it to 1 to force the serial path.
var maxWorkers = 0

// minParallelWork is the number of multiply-adds (m·n·k) below which a product runs
// on the calling goroutine: handing parts to a spinning worker (internal/workpool)
// costs a few microseconds, about what a core spends on 2¹⁸ multiply-adds with the
// AVX2 kernel.
var minParallelWork = 1 << 18

// workspace holds one goroutine's packing buffers.
type workspace struct {
	a, b, tile []float32
}

// reserve makes the buffers at least na, nb and nt long, keeping their memory.
func (ws *workspace) reserve(na, nb, nt int) {
	if cap(ws.a) < na {
		ws.a = make([]float32, na)
	}
	if cap(ws.b) < nb {
		ws.b = make([]float32, nb)
	}
	if cap(ws.tile) < nt {
		ws.tile = make([]float32, nt)
	}
	ws.a, ws.b, ws.tile = ws.a[:na], ws.b[:nb], ws.tile[:nt]
}

// freeList is a stack of reusable values. Unlike sync.Pool it is never emptied by
// the garbage collector, so a warmed-up Sgemm does not allocate after a GC.
type freeList[T any] struct {
	mu    sync.Mutex
	items []*T
}

func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.items); n > 0 {
		x := l.items[n-1]
		l.items = l.items[:n-1]
		return x
	}
	return new(T)
}

func (l *freeList[T]) put(x *T) {
	l.mu.Lock()
	l.items = append(l.items, x)
	l.mu.Unlock()
}

var (
	workspaces freeList[workspace]
	jobs       freeList[job]
)

// job is one parallel call: a grid of rowParts×colParts parts of C that the
// participating goroutines take in turn (internal/workpool hands them out
// dynamically, so a goroutine whose core is busy with other work takes fewer).
type job struct {
	p                  product
	rowParts, colParts int
	rowStep, colStep   int // rows and columns per part, multiples of mr and nr
}

// Run computes part q of the grid (workpool.Task).
func (j *job) Run(q int) {
	i0 := q / j.colParts * j.rowStep
	j0 := q % j.colParts * j.colStep
	ws := workspaces.get()
	sub := j.p.sub(i0, min(i0+j.rowStep, j.p.m), j0, min(j0+j.colStep, j.p.n))
	sub.serial(ws)
	workspaces.put(ws)
}

// partsPerWorker is how many parts run splits a large product into per worker:
// more than one, so that the split stays balanced when another process holds
// one of the cores for a while, at the price of packing the shared operand once
// per part instead of once per worker.
const partsPerWorker = 3

// maxExtraPacking bounds the packing that cutting a product into more parts than
// workers may add. A part of r rows and c columns packs its own rows of A and
// columns of B, about 9·(1/r + 1/c) of its multiply-adds on Zen 3 (0.2 ns per
// packed value, 0.022 ns per multiply-add); the finer grid is used only when
// 1/r + 1/c grows by at most this much (about 1 % more time), so the recurrent
// product (200×4096×4096, +0.00096) is cut finer but 1024×1024×4000 (+0.0019)
// is not, which measured slower cut finer. Tests set it high.
var maxExtraPacking = 0.001

// packingPerMAC is 1/rows + 1/cols of the parts of an m×n product cut into a
// rowParts×colParts grid.
func packingPerMAC(m, n, rowParts, colParts int) float64 {
	return float64(rowParts)/float64(m) + float64(colParts)/float64(n)
}

// minParallelPack is the size (values) of op(B) above which PackedB.pack runs
// on the worker pool.
var minParallelPack = 1 << 16

// runWorkers is the number of goroutines a call may use.
func runWorkers() int {
	workers := runtime.GOMAXPROCS(0)
	if maxWorkers > 0 {
		workers = min(workers, maxWorkers)
	}
	return workers
}

// run computes p, splitting C over workers when p is large enough.
func run(p *product) {
	workers := runWorkers()
	work := p.m * p.n * p.k
	rowParts, colParts := 1, 1
	switch {
	case workers <= 1 || work < minParallelWork:
	case p.pb != nil:
		rowParts = packedRowParts(p, workers)
	default:
		rowParts, colParts = grid(workers, p.m, p.n, p.kern.mr, p.kern.nr)
		fr, fc := grid(workers*partsPerWorker, p.m, p.n, p.kern.mr, p.kern.nr)
		if packingPerMAC(p.m, p.n, fr, fc)-packingPerMAC(p.m, p.n, rowParts, colParts) <= maxExtraPacking {
			rowParts, colParts = fr, fc
		}
	}
	runParts(p, workers, rowParts, colParts)
}

// packedRowParts is the number of row parts of a product whose op(B) is packed
// already. A part then packs only its rows of A, so cutting columns would pack
// all of A once per column part (for the recurrent product, 200×Ng twice per
// time step), while a row part costs only a reread of the packed op(B) from
// cache: cut rows only, into as many parts as the row blocks of A allow (up to
// partsPerWorker per worker, for balance), at least one per worker.
func packedRowParts(p *product, workers int) int {
	rowTiles := (p.m + p.kern.mr - 1) / p.kern.mr
	mc := max(p.kern.mr, p.blk.mc/p.kern.mr*p.kern.mr)
	return min(rowTiles, max(workers, min(workers*partsPerWorker, (p.m+mc-1)/mc)))
}

// runParts computes p cut into a rowParts×colParts grid of parts.
func runParts(p *product, workers, rowParts, colParts int) {
	if rowParts*colParts == 1 {
		ws := workspaces.get()
		p.serial(ws)
		workspaces.put(ws)
		return
	}
	j := jobs.get()
	j.p = *p
	j.rowStep = roundUp((p.m+rowParts-1)/rowParts, p.kern.mr)
	j.colStep = roundUp((p.n+colParts-1)/colParts, p.kern.nr)
	// Rounding the steps up can leave trailing parts empty; drop them.
	j.rowParts = (p.m + j.rowStep - 1) / j.rowStep
	j.colParts = (p.n + j.colStep - 1) / j.colStep
	workpool.Run(j, j.rowParts*j.colParts, workers)
	*j = job{} // drop references to the caller's slices
	jobs.put(j)
}

// grid chooses how many row and column blocks to cut an m×n product into to make
// the given number of parts. Each part packs its own panels of A (rows) and B
// (columns), so the packing work per multiply-add grows with 1/rows + 1/cols of a
// part; grid picks the factorisation rowParts·colParts = parts that minimises
// rows + cols per part, never cutting finer than one mr×nr tile.
func grid(parts, m, n, mr, nr int) (rowParts, colParts int) {
	rowTiles := (m + mr - 1) / mr
	colTiles := (n + nr - 1) / nr
	// If no factorisation of parts fits the tiles (a prime count on a narrow
	// product, say), use one part fewer.
	for w := parts; w > 1; w-- {
		best := -1
		for rp := 1; rp <= w; rp++ {
			cp := w / rp
			if rp*cp != w || rp > rowTiles || cp > colTiles {
				continue
			}
			cost := roundUp((m+rp-1)/rp, mr) + roundUp((n+cp-1)/cp, nr)
			if best < 0 || cost < best {
				best, rowParts, colParts = cost, rp, cp
			}
		}
		if best >= 0 {
			return rowParts, colParts
		}
	}
	return 1, 1
}
