package encode

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/gridcells/gridcells/internal/asm/f32"
	"github.com/gridcells/gridcells/internal/workpool"
)

// placeCode is every place-cell code of spec §2.2 (Gaussian, DoS, true DoG, general DoG, SoD) with
// multiple fields, multiple scales and elliptical fields (spec §2.1).
//
// Two paths compute the same numbers. The fast path (one field per cell, shared σ and s, round
// fields) runs vector kernels over the squared distances to the centres; the general path
// evaluates each field's (elliptical) distance and the nearest-field rule in Go.
type placeCode struct {
	base
	nf      int       // F, fields per cell after padding
	nfields []int     // n_i ≤ F, real fields of cell i
	cx, cy  []float32 // Np×F centres, m (padding fields at 1e7 × a random location)
	sigE    []float32 // Np×F centre width σ_E, m
	sigI    []float32 // Np×F surround width σ_I, m (from s by the surround convention)
	aspect  []float32 // Np×F major/minor axis ratio
	cos     []float32 // Np×F orientation of the major axis
	sin     []float32

	// General path: per field 1/(2σ_E²), 1/(2σ_I²) and 1/aspect, so the per-position loop multiplies.
	halfInvE, halfInvI, invAspect []float32
	round                         bool // every field has aspect 1
	// Round fields, field-major: the cells in slotOrder (by decreasing field count, stable),
	// and slot f holds field f of the first slotLen[f] of them (those that have one), with its
	// centre and 1/(2σ²). The nearest-field search then runs one straight loop per slot over
	// a prefix, Σ n_i fields in all, instead of a short loop per cell. slotOrder is nil when
	// every cell has F fields (the order is the cells' own).
	slotX, slotY, slotHE, slotHI [][]float32
	slotLen                      []int
	slotOrder                    []int32

	fast   bool
	px, py []float32 // fast path: centres
	aE, aI float32   // fast path: 1/(2σ_E²), 1/(2σ_I²)
	// squarings is m > 0 when σ_I²/σ_E² = 2^m (σ ratio 2 → 2, variance ratio 2 → 1): then
	// e^(−d²/(2σ_E²)) = (e^(−d²/(2σ_I²)))^(2^m), one exp and m squarings instead of two exps.
	squarings int
}

// padFactor moves unused fields far away, as the reference does (spec §2.1).
const padFactor = 1e7

func newPlace(p Params, rng *rand.Rand) *placeCode {
	np := p.Np
	c := &placeCode{base: base{p}, nfields: make([]int, np)}
	// Draw order: field counts, centres, widths, surrounds, then orientations and aspects, so
	// that a round-field code (aspect 1) has the same centres and widths as an elliptical one.
	for i := range c.nfields {
		if p.Fields.Kind == "poisson" {
			c.nfields[i] = 1 + poisson(rng, p.Fields.A)
		} else {
			c.nfields[i] = int(p.Fields.A)
		}
		c.nf = max(c.nf, c.nfields[i])
	}
	n := np * c.nf
	c.cx, c.cy = make([]float32, n), make([]float32, n)
	w, h := p.BoxWidth, p.BoxHeight
	for i := 0; i < np; i++ {
		for f := 0; f < c.nf; f++ {
			x, y := uniform(rng, -w/2, w/2), uniform(rng, -h/2, h/2)
			if f >= c.nfields[i] {
				x, y = padFactor*x, padFactor*y
			}
			c.cx[i*c.nf+f], c.cy[i*c.nf+f] = float32(x), float32(y)
		}
	}
	c.sigE, c.sigI = make([]float32, n), make([]float32, n)
	for k := range c.sigE {
		c.sigE[k] = float32(draw(rng, p.Sigma))
	}
	for k := range c.sigI {
		s := draw(rng, p.Surround)
		if p.SurroundConvention == VarianceRatio {
			c.sigI[k] = float32(float64(c.sigE[k]) * math.Sqrt(s)) // σ_I² = s·σ_E² (Sorscher)
		} else {
			c.sigI[k] = float32(float64(c.sigE[k]) * s) // σ_I = s·σ_E (NFL)
		}
	}
	c.aspect, c.cos, c.sin = make([]float32, n), make([]float32, n), make([]float32, n)
	round := p.Aspect.Kind == "const" && p.Aspect.A == 1
	for k := range c.aspect {
		c.aspect[k], c.cos[k] = 1, 1
		if !round {
			phi := uniform(rng, 0, math.Pi)
			c.aspect[k] = float32(draw(rng, p.Aspect))
			c.cos[k], c.sin[k] = float32(math.Cos(phi)), float32(math.Sin(phi))
		}
	}

	c.halfInvE, c.halfInvI, c.invAspect = make([]float32, n), make([]float32, n), make([]float32, n)
	for k := range c.sigE {
		c.halfInvE[k] = 1 / (2 * c.sigE[k] * c.sigE[k])
		c.halfInvI[k] = 1 / (2 * c.sigI[k] * c.sigI[k])
		c.invAspect[k] = 1 / c.aspect[k]
	}

	c.round = true
	for _, a := range c.aspect {
		c.round = c.round && a == 1
	}
	if c.round {
		order := make([]int32, np)
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortStableFunc(order, func(a, b int32) int { return c.nfields[b] - c.nfields[a] })
		if c.nfields[order[np-1]] < c.nf {
			c.slotOrder = order
		}
		for f := 0; f < c.nf; f++ {
			var xs, ys, hes, his []float32
			for _, i := range order {
				if f < c.nfields[i] {
					k := int(i)*c.nf + f
					xs, ys = append(xs, c.cx[k]), append(ys, c.cy[k])
					hes, his = append(hes, c.halfInvE[k]), append(his, c.halfInvI[k])
				}
			}
			c.slotX, c.slotY = append(c.slotX, xs), append(c.slotY, ys)
			c.slotHE, c.slotHI = append(c.slotHE, hes), append(c.slotHI, his)
			c.slotLen = append(c.slotLen, len(xs))
		}
	}
	c.fast = c.nf == 1
	for k := range c.sigE {
		c.fast = c.fast && c.sigE[k] == c.sigE[0] && c.sigI[k] == c.sigI[0] && c.aspect[k] == 1
	}
	if c.fast {
		c.px, c.py = c.cx, c.cy
		c.aE = 1 / (2 * c.sigE[0] * c.sigE[0])
		c.aI = 1 / (2 * c.sigI[0] * c.sigI[0])
		ratio := math.Pow(float64(c.sigI[0])/float64(c.sigE[0]), 2)
		if m := math.Round(math.Log2(ratio)); m >= 1 && m <= 4 && math.Abs(ratio-math.Exp2(m)) <= 1e-6*ratio {
			// σ_I differs from σ_E·2^(m/2) by float32 rounding only; use the exact power.
			c.squarings = int(m)
			c.aI = c.aE / float32(math.Exp2(m))
		}
	}
	return c
}

// Loss: softmax cross-entropy for globally normalised place codes and for true DoG, whose
// shift-and-normalise runs whatever the flag says; MSE for unnormalised codes (spec §2.2 Loss
// column). This matches config.Config.LossKind, which validates the training loss the same way.
func (c *placeCode) Loss() string {
	if c.p.Normalization == NormGlobal || c.p.Kind == TrueDifferenceOfGaussians {
		return LossCrossEntropy
	}
	return LossMSE
}

func (c *placeCode) Centres() ([]float32, int) {
	xy := make([]float32, 2*len(c.cx))
	for k := range c.cx {
		xy[2*k], xy[2*k+1] = c.cx[k], c.cy[k]
	}
	return xy, c.nf
}

// workspace is per-goroutine scratch of Np floats each.
type workspace struct{ a, b, d, e []float32 }

// fit makes each slice hold np floats, reusing the memory when it can.
func (ws *workspace) fit(np int) {
	if cap(ws.a) < np {
		ws.a, ws.b, ws.d, ws.e = make([]float32, np), make([]float32, np), make([]float32, np), make([]float32, np)
	}
	ws.a, ws.b, ws.d, ws.e = ws.a[:np], ws.b[:np], ws.d[:np], ws.e[:np]
}

// Encode runs blocks of encodeBlock rows as the parts of one workpool operation, on the
// calling goroutine and the pool's workers (the hand-off of a channel would cost tens of
// microseconds on the reference machine, as long as a small call). Rows are computed
// independently, so the result does not depend on the split, and a call allocates nothing
// once the pools are warm: a training step encodes a batch every few milliseconds.
func (c *placeCode) Encode(dst, pos []float32) []float32 {
	np := c.p.Np
	dst, n := rows(dst, pos, 2, np, "Encode")
	call := encodeCalls.Get().(*encodeCall)
	call.c, call.dst, call.pos, call.n = c, dst, pos, n
	workers := 1
	if n*np >= parallelMin {
		workers = 0 // GOMAXPROCS
	}
	workpool.Run(call, (n+encodeBlock-1)/encodeBlock, workers)
	call.c, call.dst, call.pos = nil, nil, nil
	encodeCalls.Put(call)
	return dst
}

// encodeBlock is the number of rows in a part: 16 DoS rows of 512 cells take a few
// microseconds, far more than claiming them.
const encodeBlock = 16

// encodeCall is one Encode call as a workpool.Task.
type encodeCall struct {
	c        *placeCode
	dst, pos []float32
	n        int
}

// Run encodes the rows of block part, in scratch from the workspaces pool.
func (e *encodeCall) Run(part int) {
	np := e.c.p.Np
	ws := workspaces.Get().(*workspace)
	ws.fit(np)
	// The output two rows ahead is fetched while a row is computed (the block's first two
	// before): its stores then find their lines in cache. Two rows ahead measured ~5% faster
	// than one on one CPU.
	lo, hi := part*encodeBlock, min((part+1)*encodeBlock, e.n)
	for j := lo; j < min(lo+2, hi); j++ {
		f32.Prefetch(e.dst[j*np : (j+1)*np])
	}
	for j := lo; j < hi; j++ {
		if j+2 < hi {
			f32.Prefetch(e.dst[(j+2)*np : (j+3)*np])
		}
		e.c.encodeRow(e.dst[j*np:(j+1)*np], e.pos[2*j], e.pos[2*j+1], ws)
	}
	workspaces.Put(ws)
}

var (
	encodeCalls = sync.Pool{New: func() any { return new(encodeCall) }}
	workspaces  = sync.Pool{New: func() any { return new(workspace) }}
)

// finite32 reports whether v is neither NaN nor ±Inf.
func finite32(v float32) bool { return v-v == 0 }

// encodeRow writes the code of one position (x, y) into row: NaNs when x or y is not finite.
//
// Both paths reduce to exponentials k·v + b of a vector v: the fast path has v = d² (shared by
// centre and surround) and k = −1/(2σ²); the general path has v = the per-cell log-values and
// k = 1. A softmax subtracts the largest exponent (b = −k·extreme of v), a plain exp uses b = 0.
func (c *placeCode) encodeRow(row []float32, x, y float32, ws *workspace) {
	if !finite32(x) || !finite32(y) {
		// A position off every map has no code. The softmaxes below would turn it into a
		// uniform row, and the plain exponentials into zeros, both plausible targets.
		nan := float32(math.NaN())
		for i := range row {
			row[i] = nan
		}
		return
	}
	global := c.p.Normalization == NormGlobal
	if c.fast && c.squarings > 0 && c.p.Kind.hasSurround() && c.p.Kind != SoftmaxOfDifferences {
		c.encodeDifferenceRow(row, x, y, ws)
		return
	}
	var vE, vI []float32 // arguments of the centre and surround exponentials
	var kE, kI float32   // their scales
	var bE, bI float32   // softmax offsets: minus the largest exponent
	if c.fast {
		d2 := ws.a
		m := f32.Dist2Min(d2, c.px, c.py, x, y)
		vE, vI, kE, kI = d2, d2, -c.aE, -c.aI
		bE, bI = c.aE*m, c.aI*m
	} else {
		// The nearest fields' exponents e = d²/(2σ²) ≥ 0: exponentials of −e, shifted by the
		// smallest e in a softmax, exactly as the fast path's −a·d² + a·min d².
		vE, vI = ws.a, ws.b
		minE, minI := c.fieldExponents(vE, vI, ws.d, ws.e, x, y)
		kE, kI, bE, bI = -1, -1, minE, minI
	}

	switch c.p.Kind {
	case Gaussian:
		// global: softmax_i(−d²/(2σ²)); none: exp(−d²/(2σ²)).
		if global {
			s := f32.ExpSum(row, vE, kE, bE)
			f32.AddScale(row, row, 0, 1/s)
		} else {
			f32.ExpSum(row, vE, kE, 0)
		}
	case SoftmaxOfDifferences:
		// softmax_i(−d²/(2σ_E²) + d²/(2σ_I²)) (spec §2.2). Fast path: −(a_E − a_I)·d²; its largest
		// value is at the smallest d², so the offset is the fast path's bE − bI.
		v, k, b := vE, kE-kI, bE-bI
		if !c.fast {
			// Log-values −e_E + e_I = e_I − e_E, shifted by minus the largest.
			v, k, b = ws.d, 1, float32(math.Inf(1))
			for i := range v {
				v[i] = vI[i] - vE[i]
				b = min(b, -v[i])
			}
		}
		if global {
			s := f32.ExpSum(row, v, k, b)
			f32.AddScale(row, row, 0, 1/s)
		} else {
			f32.ExpSum(row, v, k, 0)
		}
	default:
		// DoS, true DoG, general DoG: z = w_E·g_E − w_I·g_I, then shift-and-normalise (spec §2.2).
		eI := ws.d
		var wE, wI float32 = 1, 1
		softmax := c.p.Kind == DifferenceOfGaussians && global
		if !softmax {
			bE, bI = 0, 0
		}
		sE := f32.ExpSum(row, vE, kE, bE)
		sI := f32.ExpSum(eI, vI, kI, bI)
		switch {
		case softmax:
			wE, wI = 1/sE, 1/sI
		case c.p.Kind == GeneralDifferenceOfGaussians:
			wE, wI = float32(c.p.AlphaE), float32(c.p.AlphaI)
		}
		lo, sum := f32.DiffMinSum(row, row, eI, wE, wI)
		shiftAndNormalise(row, row, lo, sum)
	}
}

// maxShiftLoss bounds how far below 1 the largest centre exponential may fall when a softmax
// row is computed without subtracting its maximum: at e^−40 the entries flushed to 0 (below
// 2^−125) are < 1e-20 of the largest, invisible in float32.
const maxShiftLoss = 40

// encodeDifferenceRow is the fast path of DoS, true DoG and general DoG when σ_I²/σ_E² = 2^m:
// one pass computes d², g_I = e^(−d²/(2σ_I²)) and g_E = g_I^(2^m) = e^(−d²/(2σ_E²)). A softmax
// is invariant to the shift, so the DoS takes the plain exponentials unless the nearest centre
// is so far (in units of σ_E) that the largest g_E would lose precision; then it redoes the pass
// shifted by the smallest d², as a softmax does.
//
// The passes work in the goroutine's scratch (in L1) and only the last writes row, so the
// batch's output memory is touched once. The sum of z = w_E·g_E − w_I·g_I is summed directly:
// w_E·Σg_E − w_I·Σg_I, 0 up to rounding for the DoS, can be off by an ulp of 1 when every z is
// tiny (a position far from every centre).
func (c *placeCode) encodeDifferenceRow(row []float32, x, y float32, ws *workspace) {
	eE, eI := ws.a, ws.d
	sE, sI, d2min := f32.Dist2ExpPowSum(eE, eI, c.px, c.py, x, y, c.aI, 0, c.squarings)
	softmax := c.p.Kind == DifferenceOfGaussians && c.p.Normalization == NormGlobal
	var wE, wI float32 = 1, 1
	switch {
	case softmax:
		if c.aE*d2min > maxShiftLoss {
			sE, sI, _ = f32.Dist2ExpPowSum(eE, eI, c.px, c.py, x, y, c.aI, d2min, c.squarings)
		}
		wE, wI = 1/sE, 1/sI
	case c.p.Kind == GeneralDifferenceOfGaussians:
		wE, wI = float32(c.p.AlphaE), float32(c.p.AlphaI)
	}
	lo, sum := f32.DiffMinSum(eE, eE, eI, wE, wI)
	shiftAndNormalise(row, eE, lo, sum)
}

// shiftAndNormalise writes into row z_i + |min z| divided by the new sum (spec §2.2), given z, its
// minimum and its sum; row and z may be the same slice. A z that is all zeros (every
// exponential underflowed: a position far outside the box) would be 0/0 = NaN in the
// reference; the row becomes uniform here.
func shiftAndNormalise(row, z []float32, lo, sum float32) {
	add := float32(math.Abs(float64(lo)))
	total := sum + float32(len(row))*add
	if !(total > 0) || math.IsInf(float64(total), 0) {
		for i := range row {
			row[i] = 1 / float32(len(row))
		}
		return
	}
	f32.AddScale(row, z, add, 1/total)
}

// fieldExponents writes each cell's centre and surround exponents d²/(2σ_E²) and d²/(2σ_I²)
// at (x, y) (the code's log-values with the sign flipped), using the field with the smallest
// d²/(2σ_E²) (nearest-field rule, spec §2.1), and returns their minima; pE and pI are
// scratch of the same length. Elliptical fields measure d² in the field's axes: with u along
// the major axis and v across, d² = u²/a + a·v², so the field's widths are σ√a and σ/√a
// (area preserved) and a = 1 is the round field exactly.
func (c *placeCode) fieldExponents(eE, eI, pE, pI []float32, x, y float32) (minE, minI float32) {
	nf := c.nf
	if c.round {
		// Round fields, slot by slot over prefixes of slotOrder: pE and pI hold the best
		// d²/(2σ_E²) and its field's d²/(2σ_I²) so far. f32.NearestField's "e < best" keeps
		// the first of equal fields, as a loop over each cell's fields in order does, with
		// the same products, so the result is the same; its vector kernel selects with
		// masks (the choice between a cell's fields is random, a branch would often miss).
		if c.slotOrder == nil {
			pE, pI = eE, eI
		}
		np := len(eE)
		pE, pI = pE[:np], pI[:np]
		inf := float32(math.Inf(1))
		for i := range pE {
			pE[i] = inf // every first field is nearer
		}
		for f := range nf {
			n := c.slotLen[f]
			f32.NearestField(pE[:n], pI[:n], c.slotX[f][:n], c.slotY[f][:n], c.slotHE[f][:n], c.slotHI[f][:n], x, y)
		}
		if c.slotOrder != nil {
			order := c.slotOrder[:np]
			for j, i := range order {
				eE[i], eI[i] = pE[j], pI[j]
			}
		}
		return f32.Min(eE), f32.Min(eI)
	}
	for i := range eE {
		bestE, bestD2, bestK := float32(math.Inf(1)), float32(0), i*nf
		for k := i * nf; k < i*nf+c.nfields[i]; k++ {
			dx, dy := x-c.cx[k], y-c.cy[k]
			var d2 float32
			if a := c.aspect[k]; a == 1 {
				d2 = dx*dx + dy*dy
			} else {
				u := dx*c.cos[k] + dy*c.sin[k]
				v := -dx*c.sin[k] + dy*c.cos[k]
				d2 = u*u*c.invAspect[k] + a*v*v
			}
			if e := d2 * c.halfInvE[k]; e < bestE {
				bestE, bestD2, bestK = e, d2, k
			}
		}
		eE[i] = bestE
		eI[i] = bestD2 * c.halfInvI[bestK]
	}
	return f32.Min(eE), f32.Min(eI)
}

// Decode implements the top-k decoder of spec §2.3 on raw outputs: the k most active cells (least
// active for true DoG, whose code is ≤ 0 around its centre), then the mean of their centres; for
// multi-field cells, of the choice of one field per cell with the smallest spread var_x + var_y
// over all F^k choices.
func (c *placeCode) Decode(dst, out []float32) []float32 {
	np, k := c.p.Np, c.p.TopK
	dst, n := rows(dst, out, np, 2, "Decode")
	lowest := c.p.Kind == TrueDifferenceOfGaussians
	parallel(n, np, func(lo, hi int) {
		idx := make([]int, k)
		choice := make([]int, k)
		for j := lo; j < hi; j++ {
			topK(idx, out[j*np:(j+1)*np], lowest)
			dst[2*j], dst[2*j+1] = c.leastSpreadMean(idx, choice)
		}
	})
	return dst
}

func (c *placeCode) DecodingError(out, pos []float32) float64 { return decodingError(c, out, pos) }

// topK writes into idx the indices of the len(idx) largest values of v (smallest when lowest),
// largest first; on ties the lower index wins, as tf.math.top_k.
func topK(idx []int, v []float32, lowest bool) {
	k := len(idx)
	vals := make([]float32, 0, 8)
	if k > cap(vals) {
		vals = make([]float32, 0, k)
	}
	idx = idx[:0]
	for i, x := range v {
		if lowest {
			x = -x
		}
		if len(idx) == k && !(x > vals[k-1]) {
			continue
		}
		// Insert after every value ≥ x (earlier indices first on ties).
		p := len(idx)
		for p > 0 && x > vals[p-1] {
			p--
		}
		if len(idx) < k {
			idx = append(idx, 0)
			vals = append(vals, 0)
		}
		copy(idx[p+1:], idx[p:len(idx)-1])
		copy(vals[p+1:], vals[p:len(vals)-1])
		idx[p], vals[p] = i, x
	}
}

// decodeChoices is the most field choices leastSpreadMean can try for one position: the
// product of the k largest field counts.
func (c *placeCode) decodeChoices(k int) float64 {
	counts := slices.Clone(c.nfields)
	slices.Sort(counts)
	n := 1.0
	for _, f := range counts[max(len(counts)-k, 0):] {
		n *= float64(f)
	}
	return n
}

// leastSpreadMean returns the mean centre of the cells idx, choosing per cell the field that
// minimises the population variance var_x + var_y of the chosen centres (spec §2.3). choice is
// scratch of len(idx).
func (c *placeCode) leastSpreadMean(idx, choice []int) (float32, float32) {
	nf, k := c.nf, len(idx)
	if nf == 1 {
		var sx, sy float64
		for _, i := range idx {
			sx += float64(c.cx[i])
			sy += float64(c.cy[i])
		}
		return float32(sx / float64(k)), float32(sy / float64(k))
	}
	for j := range choice {
		choice[j] = 0
	}
	best, bx, by := math.Inf(1), 0.0, 0.0
	for {
		var sx, sy, sxx, syy float64
		for j, i := range idx {
			x, y := float64(c.cx[i*nf+choice[j]]), float64(c.cy[i*nf+choice[j]])
			sx, sy, sxx, syy = sx+x, sy+y, sxx+x*x, syy+y*y
		}
		kf := float64(k)
		mx, my := sx/kf, sy/kf
		spread := sxx/kf - mx*mx + syy/kf - my*my
		if spread < best {
			best, bx, by = spread, mx, my
		}
		// Next choice, odometer-style over the real fields of each cell.
		j := 0
		for ; j < k; j++ {
			choice[j]++
			if choice[j] < c.nfields[idx[j]] {
				break
			}
			choice[j] = 0
		}
		if j == k {
			break
		}
	}
	return float32(bx), float32(by)
}
