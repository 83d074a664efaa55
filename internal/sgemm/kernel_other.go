//go:build !amd64 || noasm || purego

package sgemm

// useAVX2FMA is always false without the assembly kernels; it exists so that
// tests can name it on every platform.
var useAVX2FMA = false

// currentKernel returns the portable Go kernel.
func currentKernel() *microKernel { return &kernelGeneric }
