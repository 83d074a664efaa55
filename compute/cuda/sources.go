package cuda

import _ "embed"

// The CUDA sources the backend compiles with NVRTC at run time (nvrtc.go). They are embedded
// in every build, -tags nocuda included, so that Sources works there too.
var (
	//go:embed kernels.cu
	kernelSource string

	//go:embed generate.cu
	generateSource string
)

// Sources returns the exact texts the backend hands to NVRTC: kernels.cu (the backend's
// operations) and generate.cu (the batch generator). It is for emulators and tools, such as
// internal/cudaemu, which compiles the same texts for the CPU.
func Sources() (kernels, generate string) { return kernelSource, generateSource }
