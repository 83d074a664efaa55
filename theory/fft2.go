package theory

import "gonum.org/v1/gonum/dsp/fourier"

// fft2 is a reusable workspace for unnormalised 2-D complex DFTs of n0 × n1 row-major
// arrays (index i0·n1 + i1), built from gonum's 1-D transforms along each axis.
type fft2 struct {
	n0, n1 int
	f0, f1 *fourier.CmplxFFT
	col    []complex128
	tmp    []complex128
}

func newFFT2(n0, n1 int) *fft2 {
	return &fft2{
		n0: n0, n1: n1,
		f0: fourier.NewCmplxFFT(n0), f1: fourier.NewCmplxFFT(n1),
		col: make([]complex128, n0), tmp: make([]complex128, max(n0, n1)),
	}
}

// forward replaces a with its DFT Σ a[x] e^{−2πi k·x/n}.
func (f *fft2) forward(a []complex128) { f.transform(a, false, f.n0) }

// forwardRows is forward for an array whose rows from rows on are zero (a zero-padded map):
// their row transforms are skipped.
func (f *fft2) forwardRows(a []complex128, rows int) { f.transform(a, false, rows) }

// inverse replaces a with its unnormalised inverse DFT Σ a[k] e^{+2πi k·x/n}; divide by
// n0·n1 to invert forward.
func (f *fft2) inverse(a []complex128) { f.transform(a, true, f.n0) }

func (f *fft2) transform(a []complex128, inv bool, rows int) {
	if len(a) != f.n0*f.n1 || rows > f.n0 {
		panic("theory: fft2 length mismatch")
	}
	tmp := f.tmp[:f.n1]
	for r := 0; r < rows; r++ {
		row := a[r*f.n1 : (r+1)*f.n1]
		if inv {
			f.f1.Sequence(tmp, row)
		} else {
			f.f1.Coefficients(tmp, row)
		}
		copy(row, tmp)
	}
	tmp = f.tmp[:f.n0]
	for c := 0; c < f.n1; c++ {
		for r := 0; r < f.n0; r++ {
			f.col[r] = a[r*f.n1+c]
		}
		if inv {
			f.f0.Sequence(tmp, f.col)
		} else {
			f.f0.Coefficients(tmp, f.col)
		}
		for r := 0; r < f.n0; r++ {
			a[r*f.n1+c] = tmp[r]
		}
	}
}

// wrapIndex maps a signed lag onto [0, n).
func wrapIndex(d, n int) int {
	d %= n
	if d < 0 {
		d += n
	}
	return d
}
