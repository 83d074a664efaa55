package cuda

import "fmt"

// Settings configures a backend. A nil *Settings means the defaults.
type Settings struct {
	// Device is the CUDA device ordinal (default 0).
	Device int
	// TF32 lets cuBLAS use TF32 tensor cores for the matrix products (10-bit mantissa
	// inputs, float32 accumulation): several times faster on Ampere and newer, less exact.
	// The default is full float32.
	TF32 bool
}

// DeviceInfo describes the device a backend runs on.
type DeviceInfo struct {
	Ordinal      int
	Name         string
	Major, Minor int // compute capability
	SMs          int
	MemoryBytes  int64
	Driver       int // cuDriverGetVersion, e.g. 13000
	CUBLAS       int // cublasGetVersion, e.g. 130000
	Library      string
}

func (d DeviceInfo) String() string {
	return fmt.Sprintf("%s (sm_%d%d, %d SMs, %.0f GiB; driver %d.%d, cuBLAS %d)", d.Name, d.Major, d.Minor, d.SMs,
		float64(d.MemoryBytes)/(1<<30), d.Driver/1000, d.Driver%1000/10, d.CUBLAS)
}
