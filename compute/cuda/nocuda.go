//go:build nocuda

package cuda

import (
	"errors"

	"github.com/gridcells/gridcells/compute"
)

// errNoCUDA is what every entry point returns in a build without the GPU backend.
var errNoCUDA = errors.New("cuda: this gridcells was built with -tags nocuda, without the GPU backend")

// Available always fails: the build has no GPU backend. Building with -tags nocuda drops
// purego, whose dlopen makes the binary dynamically linked against the C library, so the
// binary is fully static.
func Available() error { return errNoCUDA }

// Backend exists so that callers compile; New never returns one.
type Backend struct{ compute.Backend }

// New always fails in this build.
func New(*Settings) (*Backend, error) { return nil, errNoCUDA }

// Close does nothing and returns nil: New never returns a Backend in this build. It is here
// so that code closing a backend builds with and without the tag.
func (b *Backend) Close() error { return nil }

// Info is the zero DeviceInfo.
func (b *Backend) Info() DeviceInfo { return DeviceInfo{} }

// BatchGenerator exists so that callers compile; NewBatchGenerator never returns one.
type BatchGenerator struct{}

// NewBatchGenerator always fails in this build.
func (b *Backend) NewBatchGenerator(WalkParams, *PlaceParams) (*BatchGenerator, error) {
	return nil, errNoCUDA
}

// Np is 0.
func (g *BatchGenerator) Np() int { return 0 }

// Generate panics: there is no generator in this build.
func (g *BatchGenerator) Generate(uint64, compute.Tensor, compute.Tensor, compute.Tensor, compute.Tensor, compute.Tensor) {
	panic(errNoCUDA)
}

// Free does nothing.
func (g *BatchGenerator) Free() {}

// EncodePositions panics: there is no generator in this build.
func (g *BatchGenerator) EncodePositions(compute.Tensor, compute.Tensor, compute.Tensor, compute.Tensor) {
	panic(errNoCUDA)
}
