package sgemm

// panelPacker is an optimised routine that packs one full micro-panel: the first
// k/kStep·kStep steps of k, starting at src (the panel's first stored element),
// into dst in the layout packA or packB describes. ld is the source row stride.
type panelPacker struct {
	fn    func(k int, src *float32, ld int, dst *float32)
	kStep int
}

// packA copies op(A)[ic:ic+mb, pc:pc+kb] into dst as mr-tall micro-panels: panel q
// holds rows ic+q·mr … ic+q·mr+mr-1, stored k-major (dst[q·mr·kb + p·mr + i]), so
// that the micro-kernel reads mr consecutive values per step of k. The last panel
// is padded with zeros up to mr rows.
func packA(kern *microKernel, dst []float32, tA bool, a []float32, lda, ic, pc, mb, kb int) {
	mr := kern.mr
	pk := kern.packAN
	if tA {
		pk = kern.packAT
	}
	for ir := 0; ir < mb; ir += mr {
		rows := min(mr, mb-ir)
		panel := dst[ir*kb : ir*kb+mr*kb]
		p0 := 0
		if rows == mr && pk.fn != nil && kb >= pk.kStep {
			p0 = kb / pk.kStep * pk.kStep
			// Sgemm checked that A holds every element of op(A), so the panel's
			// mr rows and kb columns are inside a.
			if tA {
				pk.fn(p0, &a[pc*lda+ic+ir], lda, &panel[0])
			} else {
				pk.fn(p0, &a[(ic+ir)*lda+pc], lda, &panel[0])
			}
		}
		if p0 == kb {
			continue
		}
		if tA {
			// op(A)[i][p] = A[p][i]: the mr values of one k step are contiguous.
			for p := p0; p < kb; p++ {
				src := a[(pc+p)*lda+ic+ir:]
				d := panel[p*mr : p*mr+mr]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		for i := range rows {
			src := a[(ic+ir+i)*lda+pc:][:kb]
			for p := p0; p < kb; p++ {
				panel[p*mr+i] = src[p]
			}
		}
		for i := rows; i < mr; i++ {
			for p := p0; p < kb; p++ {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into dst as nr-wide micro-panels: panel q
// holds columns jc+q·nr … jc+q·nr+nr-1, stored k-major (dst[q·nr·kb + p·nr + j]).
// The last panel is padded with zeros up to nr columns.
func packB(kern *microKernel, dst []float32, tB bool, b []float32, ldb, pc, jc, kb, nb int) {
	nr := kern.nr
	pk := kern.packBN
	if tB {
		pk = kern.packBT
	}
	for jr := 0; jr < nb; jr += nr {
		cols := min(nr, nb-jr)
		panel := dst[jr*kb : jr*kb+nr*kb]
		p0 := 0
		if cols == nr && pk.fn != nil && kb >= pk.kStep {
			p0 = kb / pk.kStep * pk.kStep
			// As in packA, the panel's source is inside b.
			if tB {
				pk.fn(p0, &b[(jc+jr)*ldb+pc], ldb, &panel[0])
			} else {
				pk.fn(p0, &b[pc*ldb+jc+jr], ldb, &panel[0])
			}
		}
		if p0 == kb {
			continue
		}
		if !tB {
			// op(B)[p][j] = B[p][j]: the nr values of one k step are contiguous.
			for p := p0; p < kb; p++ {
				src := b[(pc+p)*ldb+jc+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d, src[:cols])
				clear(d[cols:])
			}
			continue
		}
		// op(B)[p][j] = B[j][p]: gather one stored row of B per packed column.
		for j := range cols {
			src := b[(jc+jr+j)*ldb+pc:][:kb]
			for p := p0; p < kb; p++ {
				panel[p*nr+j] = src[p]
			}
		}
		for j := cols; j < nr; j++ {
			for p := p0; p < kb; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}
