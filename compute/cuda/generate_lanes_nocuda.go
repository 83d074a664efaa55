//go:build nocuda

package cuda

import "github.com/gridcells/gridcells/compute"

// BatchGeneratorLanes exists so that callers compile; there are no generators to make one of
// in this build.
type BatchGeneratorLanes struct{}

// NewBatchGeneratorLanes panics: there are no generators in this build.
func NewBatchGeneratorLanes([]*BatchGenerator) *BatchGeneratorLanes { panic(errNoCUDA) }

// Lanes is 0.
func (l *BatchGeneratorLanes) Lanes() int { return 0 }

// Generate panics: there are no generators in this build.
func (l *BatchGeneratorLanes) Generate([]uint64, []compute.Tensor, []compute.Tensor, []compute.Tensor, []compute.Tensor, []compute.Tensor) {
	panic(errNoCUDA)
}

// EncodePositions panics: there are no generators in this build.
func (l *BatchGeneratorLanes) EncodePositions([]compute.Tensor, []compute.Tensor, []compute.Tensor, []compute.Tensor) {
	panic(errNoCUDA)
}

// Free does nothing.
func (l *BatchGeneratorLanes) Free() {}
