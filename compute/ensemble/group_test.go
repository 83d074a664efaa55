package ensemble

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
)

// TestLaneGroups checks the lane groups of SetLaneGroups: their sizes, and that operations on
// a group's views of the ensemble's tensors (whole tensors and views that cut rows and
// columns) are those of the ensemble on the group's lanes, bit for bit, and touch no other
// lane.
func TestLaneGroups(t *testing.T) {
	const K, rows, n = 5, 6, 8
	b, err := New(cpu.New(nil), K)
	if err != nil {
		t.Fatal(err)
	}
	if b.LaneGroups() != nil {
		t.Fatal("lanes grouped by default")
	}
	b.SetLaneGroups(2)
	var sizes []int
	for _, g := range b.LaneGroups() {
		sizes = append(sizes, g.(*group).k)
	}
	if !slices.Equal(sizes, []int{2, 2, 1}) {
		t.Fatalf("groups of 2 of 5 lanes: sizes %v", sizes)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(r, c int) compute.Tensor {
		x := b.New(r, c)
		v := make([]float32, K*r*c)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		b.Upload(x, v)
		return x
	}
	download := func(x compute.Tensor) []float32 {
		v := make([]float32, K*x.Rows()*x.Cols())
		b.Download(v, x)
		return v
	}
	a, w := random(rows, n), random(n, n)
	// The product and activation of a recurrent step, all lanes at once and group by group.
	want, got := b.New(rows, n), random(rows, n)
	b.Gemm(false, false, 1, a, w, 0, want)
	b.Activate(want, want, compute.Tanh)
	for _, g := range b.LaneGroups() {
		c := g.Of(got)
		g.Gemm(false, false, 1, g.Of(a), g.Of(w), 0, c)
		g.Activate(c, c, compute.Tanh)
	}
	if !slices.Equal(download(got), download(want)) {
		t.Error("the groups' products and activations differ from the ensemble's")
	}
	// A view that cuts rows and columns: filling the middle group's view of it changes that
	// block of lanes 2 and 3 only.
	x := random(rows, n)
	before := download(x)
	v := b.View(x, 1, 2, 3, 4)
	g := b.LaneGroups()[1]
	g.Fill(g.Of(v), 7)
	after := download(x)
	for k := range K {
		for r := range rows {
			for c := range n {
				i := (k*rows+r)*n + c
				inside := (k == 2 || k == 3) && r >= 1 && r < 4 && c >= 2 && c < 6
				if inside && after[i] != 7 || !inside && after[i] != before[i] {
					t.Fatalf("lane %d (%d, %d): %v after filling group 1's view, was %v", k, r, c, after[i], before[i])
				}
			}
		}
	}
	b.SetLaneGroups(K)
	if b.LaneGroups() != nil {
		t.Error("groups as large as the ensemble split it")
	}
}
