package sgemm

// packA copies op(A)[ic:ic+mb, pc:pc+kb] into dst as mr-tall micro-panels: panel q
// holds rows ic+q·mr … ic+q·mr+mr-1, stored k-major (dst[q·mr·kb + p·mr + i]), so
// that the micro-kernel reads mr consecutive values per step of k. The last panel
// is padded with zeros up to mr rows.
func packA(dst []float32, tA bool, a []float32, lda, ic, pc, mb, kb, mr int) {
	for ir := 0; ir < mb; ir += mr {
		rows := min(mr, mb-ir)
		panel := dst[ir*kb : ir*kb+mr*kb]
		if tA {
			// op(A)[i][p] = A[p][i]: the mr values of one k step are contiguous.
			for p := range kb {
				src := a[(pc+p)*lda+ic+ir:]
				d := panel[p*mr : p*mr+mr]
				copy(d, src[:rows])
				clear(d[rows:])
			}
			continue
		}
		if rows == 6 && mr == 6 {
			r0 := a[(ic+ir)*lda+pc:][:kb]
			r1 := a[(ic+ir+1)*lda+pc:][:kb]
			r2 := a[(ic+ir+2)*lda+pc:][:kb]
			r3 := a[(ic+ir+3)*lda+pc:][:kb]
			r4 := a[(ic+ir+4)*lda+pc:][:kb]
			r5 := a[(ic+ir+5)*lda+pc:][:kb]
			for p := range kb {
				d := panel[p*6 : p*6+6 : p*6+6]
				d[0], d[1], d[2], d[3], d[4], d[5] = r0[p], r1[p], r2[p], r3[p], r4[p], r5[p]
			}
			continue
		}
		for i := range rows {
			src := a[(ic+ir+i)*lda+pc:][:kb]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := range kb {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB copies op(B)[pc:pc+kb, jc:jc+nb] into dst as nr-wide micro-panels: panel q
// holds columns jc+q·nr … jc+q·nr+nr-1, stored k-major (dst[q·nr·kb + p·nr + j]).
// The last panel is padded with zeros up to nr columns.
func packB(dst []float32, tB bool, b []float32, ldb, pc, jc, kb, nb, nr int) {
	for jr := 0; jr < nb; jr += nr {
		cols := min(nr, nb-jr)
		panel := dst[jr*kb : jr*kb+nr*kb]
		if !tB {
			// op(B)[p][j] = B[p][j]: the nr values of one k step are contiguous.
			for p := range kb {
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
			for p, v := range src {
				panel[p*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for p := range kb {
				panel[p*nr+j] = 0
			}
		}
	}
}
