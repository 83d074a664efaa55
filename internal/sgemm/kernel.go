package sgemm

import "os"

// kernelEnv names the environment variable that pins the micro-kernel:
// "generic", "avx2fma" or "avx512". It is read once, when the package is
// initialised; a name that is unknown or that this CPU (or build) cannot run
// leaves the default, the fastest kernel available, and KernelName reports
// which kernel runs.
const kernelEnv = "GRIDCELLS_SGEMM_KERNEL"

// activeKernel is the micro-kernel every product and PackB uses. Tests set it
// to run each kernel the CPU supports (config.apply).
var activeKernel = selectKernel(os.Getenv(kernelEnv), availableKernels())

// selectKernel returns the kernel in avail (listed slowest first) called name,
// or the last, fastest one when none is.
func selectKernel(name string, avail []*microKernel) *microKernel {
	for _, k := range avail {
		if k.name == name {
			return k
		}
	}
	return avail[len(avail)-1]
}

// currentKernel returns the kernel new products use.
func currentKernel() *microKernel { return activeKernel }

// KernelName returns the name of the micro-kernel in use: "generic",
// "avx2fma" or "avx512" (see doc.go on GRIDCELLS_SGEMM_KERNEL).
func KernelName() string { return activeKernel.name }
