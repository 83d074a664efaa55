//go:build !nocuda

package cuda

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

// EncodePositions queues the place-cell codes of positions walked elsewhere (the host's
// PCG walk, uploaded): initCode (B×Np) of initPos (B×2) and targets ((T·B)×Np) of pos
// ((T·B)×2), as Generate does for its own walk. Only B, T and the place cells of the
// generator are used. It returns without waiting; a generator without place cells, or
// tensors of the wrong shape, panic.
func (g *BatchGenerator) EncodePositions(pos, initPos, initCode, targets compute.Tensor) {
	if g.np == 0 {
		panic("cuda: EncodePositions on a generator without place cells")
	}
	b, B, T := g.b, g.w.B, g.w.T
	p, ip := b.t(pos), b.t(initPos)
	if p.rows != T*B || p.cols != 2 || ip.rows != B || ip.cols != 2 {
		shapeErr(fmt.Sprintf("EncodePositions (B=%d, T=%d): pos (T·B)×2, initPos B×2", B, T), pos, initPos)
	}
	ic, tg := g.codes(initCode, targets)
	defer b.enter()()
	b.genPlace(1, g.lane, g.np, B, T, laneTensor{t: ip}, laneTensor{t: p}, laneTensor{t: ic}, laneTensor{t: tg})
}

// codes returns the place-cell code tensors of one batch, initCode (B×Np) and targets
// ((T·B)×Np), or panics for the wrong shapes.
func (g *BatchGenerator) codes(initCode, targets compute.Tensor) (ic, tg *tensor) {
	B, T := g.w.B, g.w.T
	ic, tg = g.b.t(initCode), g.b.t(targets)
	if ic.rows != B || ic.cols != g.np || tg.rows != T*B || tg.cols != g.np {
		shapeErr(fmt.Sprintf("place-cell codes (B=%d, T=%d, Np=%d): initCode B×Np, targets (T·B)×Np", B, T, g.np), initCode, targets)
	}
	return ic, tg
}

// gc_gen_place's launch shapes (generate.cu): codes of at most 32·genWarpCells cells take one
// warp per position, genPlaceWarps positions per block.
const (
	genWarpCells  = 16 // GEN_WARP_CELLS
	genPlaceWarps = 8
)

// placeLaunch returns gc_gen_place's grid and block for rows positions of np cells. The kernel
// is latency-bound (three reductions per position, little arithmetic and ~2 KiB of writes each),
// so for np ≤ 32·genWarpCells (the presets' 512) a warp encodes a position with shuffles alone,
// genPlaceWarps positions to a block of 256 threads (the last block's surplus warps return at
// once); larger codes take one block of placeBlock(np) threads per position.
func placeLaunch(np, rows int) (grid, block int) {
	if np <= 32*genWarpCells {
		return (rows + genPlaceWarps - 1) / genPlaceWarps, 32 * genPlaceWarps
	}
	return rows, placeBlock(np)
}
