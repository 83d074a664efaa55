//go:build !amd64 || noasm || purego

package sgemm

// availableKernels lists the kernels this build runs: the portable Go kernel only.
func availableKernels() []*microKernel { return []*microKernel{&kernelGeneric} }
