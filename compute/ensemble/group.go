package ensemble

import (
	"fmt"

	"github.com/gridcells/gridcells/compute"
)

var _ compute.LaneGrouper = (*Backend)(nil)

// SetLaneGroups splits the lanes into consecutive groups of size lanes (the last may be
// smaller) for the sequential loops that ask for them (compute.LaneGrouper: the recurrence
// of a SimpleRNN, package nn); size 0, or at least the number of lanes, leaves them whole.
// A lane's results do not depend on the grouping: each operation of a group is that of its
// lanes.
func (b *Backend) SetLaneGroups(size int) {
	if size < 0 {
		panic(fmt.Sprintf("ensemble: SetLaneGroups(%d)", size))
	}
	b.groups = nil
	if size == 0 || size >= b.k {
		return
	}
	for lo := 0; lo < b.k; lo += size {
		b.groups = append(b.groups, b.group(lo, min(lo+size, b.k)))
	}
}

// LaneGroups implements compute.LaneGrouper: the groups of SetLaneGroups, nil by default.
func (b *Backend) LaneGroups() []compute.LaneGroup { return b.groups }

// group is lanes [lo, hi) of an ensemble as an ensemble of their own: its tensors are views
// of the parent's allocations whose first lane is lo.
type group struct {
	*Backend
	parent *Backend
	lo     int
}

func (b *Backend) group(lo, hi int) *group {
	g, err := New(b.in, hi-lo)
	if err != nil {
		panic(err) // b's inner backend made b; lo < hi
	}
	return &group{Backend: g, parent: b, lo: lo}
}

// Of implements compute.LaneGroup: t, a tensor of the parent ensemble, as a tensor of the
// group over the group's lanes of it (a view: it shares t's memory and is not freed).
func (g *group) Of(x compute.Tensor) compute.Tensor {
	t := g.parent.t(x)
	return g.Backend.block(&tensor{base: t.base, l0: t.l0 + g.lo, r0: t.r0, c0: t.c0, rows: t.rows, cols: t.cols,
		width: t.width, view: true, owner: g.Backend, freed: t.freed})
}
