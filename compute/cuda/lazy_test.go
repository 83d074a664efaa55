//go:build !nocuda

package cuda

import (
	"slices"
	"testing"
)

// TestUploadsInFlight uploads many batches, each different, into tensors of their own
// without synchronising between them, as a training loop queues a step's uploads behind the
// previous step's work, so that the pinned upload ring wraps around several times while
// copies out of it are still queued; then it downloads and checks every tensor. On a GPU,
// and on the emulator's lazy streams (TestEmulatedLazy), a ring that handed out a region
// before the copy from it had run would deliver another batch's values.
func TestUploadsInFlight(t *testing.T) {
	b := newOrSkip(t, nil)
	const uploads = 60
	var xs []*tensor
	var want [][]float32
	total := 0
	for i := range uploads {
		// 16 to 124 thousand floats (64 to 496 KB): two to sixteen uploads fill the 1 MiB
		// ring; every seventh is a small one, between them.
		n := 16000 + (i*37%28)*4000
		if i%7 == 3 {
			n = 100 + i
		}
		src := make([]float32, n)
		for j := range src {
			src[j] = float32(i*1000003+j) * 0.25
		}
		x := b.alloc(1, n)
		b.Upload(x, src)
		if i%5 == 0 {
			b.Scale(x, 2) // work queued between the uploads
			for j := range src {
				src[j] *= 2
			}
		}
		xs, want = append(xs, x), append(want, src)
		total += 4 * n
	}
	if b.ring != nil && total < 4*b.ring.size {
		t.Fatalf("%d bytes uploaded through a ring of %d: it does not wrap around often enough", total, b.ring.size)
	}
	for i, x := range xs {
		got := make([]float32, len(want[i]))
		b.Download(got, x)
		if !slices.Equal(got, want[i]) {
			j := 0
			for got[j] == want[i][j] {
				j++
			}
			t.Errorf("upload %d of %d floats: [%d] = %v; want %v", i, len(got), j, got[j], want[i][j])
		}
		b.Free(x)
	}
}
