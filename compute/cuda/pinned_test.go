//go:build !nocuda

package cuda

import (
	"math/rand/v2"
	"testing"
)

// fakeStream models a stream's events for hostRing: event i (from 1) completes when it, or
// a later one, is waited for, since a stream completes its work in order.
type fakeStream struct {
	recorded, completed uintptr
	live                map[uintptr]bool // recorded and not yet released
}

func (f *fakeStream) record() uintptr {
	f.recorded++
	f.live[f.recorded] = true
	return f.recorded
}

func (f *fakeStream) wait(ev uintptr) { f.completed = max(f.completed, ev) }

func (f *fakeStream) release(ev uintptr) {
	if ev > f.completed {
		panic("released an event that may not have completed")
	}
	delete(f.live, ev)
}

// TestHostRing hands out regions of random sizes and checks the ring's one promise: a
// region never overlaps a copy that may still be reading it (one whose event has not been
// waited for), and it lies inside the ring, 256-byte aligned. It also checks that the ring
// waits only when it must: a region that overlaps nothing in flight waits for nothing.
func TestHostRing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	f := &fakeStream{live: map[uintptr]bool{}}
	r := &hostRing{size: 1 << 16}
	type use struct {
		start, end int
		ev         uintptr
	}
	var uses []use
	waits := 0
	for i := range 5000 {
		n := 1 + rng.IntN(r.size/2)
		if i%7 == 0 || (i/1000)%2 == 1 {
			n = 1 + rng.IntN(512) // small uploads between the large ones, and runs of them
		}
		before := f.completed
		s := r.take(n, f)
		if s < 0 || s+n > r.size || s%256 != 0 {
			t.Fatalf("take(%d) = %d: outside the ring of %d or unaligned", n, s, r.size)
		}
		mustWait := false
		for _, u := range uses {
			if u.ev > before && u.start < s+n && s < u.end {
				mustWait = true
				if u.ev > f.completed {
					t.Fatalf("take(%d) = [%d, %d) overlaps [%d, %d), whose copy may still run", n, s, s+n, u.start, u.end)
				}
			}
		}
		if f.completed != before {
			waits++
			if !mustWait {
				t.Fatalf("take(%d) = [%d, %d) waited though it overlaps no copy in flight", n, s, s+n)
			}
		}
		r.done(s, n, f)
		uses = append(uses, use{s, s + n, f.recorded})
		if len(r.pending) > ringMaxPending || len(f.live) > ringMaxPending {
			t.Fatalf("%d uses pending and %d events held; want at most %d", len(r.pending), len(f.live), ringMaxPending)
		}
	}
	if waits == 0 {
		t.Fatal("the ring never had to wait: the test does not wrap around it")
	}

	r.drain(f)
	if len(f.live) != 0 || len(r.pending) != 0 {
		t.Errorf("after drain, %d events are held and %d uses pending", len(f.live), len(r.pending))
	}
}
