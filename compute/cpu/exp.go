package cpu

import "math"

// expF32 returns e^x for x ≤ 0 with a relative error below 1e-7, enough for float32
// results, about 3× faster than math.Exp. It is used by the float32 backend's softmax, whose
// 4,000×512 exponentials per training step dominated the non-GEMM time.
//
// Method (Cody–Waite): x = k·ln2 + r with k = round(x/ln2), |r| ≤ ln2/2; e^r from its
// degree-7 Taylor polynomial (truncation error |r|⁸/8! < 4e-9 relative), scaled by 2^k
// through the exponent bits.
func expF32(x float64) float64 {
	const (
		log2e = 1.4426950408889634
		ln2Hi = 6.93147180369123816490e-01 // ln 2 split in two (as in math.Exp) so k·ln2Hi is exact
		ln2Lo = 1.90821492927058770002e-10
	)
	if x < -708 {
		return 0
	}
	// k = round(x/ln2) for x ≤ 0: int64() truncates toward zero, so subtract ½ first.
	ki := int64(x*log2e - 0.5)
	k := float64(ki)
	r := (x - k*ln2Hi) - k*ln2Lo
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	return p * math.Float64frombits(uint64(ki+1023)<<52)
}
