//go:build !nocuda

package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"unsafe"

	"github.com/gridcells/gridcells/internal/safefile"
)

// kernelNames are the entry points of kernels.cu, looked up once per backend.
var kernelNames = []string{
	"gc_fill", "gc_copy", "gc_scale", "gc_add_scalar", "gc_axpy", "gc_mul", "gc_activate",
	"gc_activation_grad", "gc_add_row_vector", "gc_sum_rows", "gc_sum_squares", "gc_sum",
	"gc_squared_error", "gc_softmax_ce", "gc_polar_se", "gc_reduce", "gc_adam", "gc_rmsprop",
	"gc_activate4", "gc_activation_grad4", "gc_sum_squares4", "gc_adam4", "gc_softmax_ce_warp",
	"gc_activate_driven", "gc_activate_driven4", "gc_activation_grad_driven", "gc_activation_grad_driven4",
}

// cacheDir is where compiled kernels are kept between runs: $GRIDCELLS_CACHE/cuda, or the
// user cache directory's gridcells/cuda. "" disables the cache.
func cacheDir() string {
	if v := os.Getenv("GRIDCELLS_CACHE"); v != "" {
		return filepath.Join(v, "cuda")
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gridcells", "cuda")
}

// image is compiled device code: a CUBIN for one architecture, or PTX that the driver
// compiles for the device it loads on.
type image struct {
	data []byte
	ptx  bool
}

// compile returns src (kernels.cu or generate.cu) compiled for compute capability
// major.minor, from the cache when an earlier run compiled the same source with the same
// NVRTC for the same device.
func (a *api) compile(src string, major, minor int, ptx bool) (image, error) {
	var vmaj, vmin int32
	if err := a.nvrtcCheck("nvrtcVersion", call(a.nvrtcVersion, uintptr(unsafe.Pointer(&vmaj)), uintptr(unsafe.Pointer(&vmin)))); err != nil {
		return image{}, err
	}
	arch := fmt.Sprintf("--gpu-architecture=sm_%d%d", major, minor)
	ext := ".cubin"
	if ptx {
		arch = fmt.Sprintf("--gpu-architecture=compute_%d%d", major, minor)
		ext = ".ptx"
	}
	opts := []string{arch, "--std=c++17", "-default-device"}
	h := sha256.New()
	fmt.Fprintf(h, "nvrtc %d.%d\n%q\n", vmaj, vmin, opts)
	h.Write([]byte(src))
	key := hex.EncodeToString(h.Sum(nil))[:24] + ext
	dir := cacheDir()
	if dir != "" {
		if b, err := os.ReadFile(filepath.Join(dir, key)); err == nil && len(b) > 0 {
			return image{b, ptx}, nil
		}
	}
	img, err := a.nvrtcBuild(src, opts, ptx)
	if err != nil {
		return image{}, err
	}
	if dir != "" {
		// A cache that cannot be written only costs a compile next time.
		if os.MkdirAll(dir, 0o755) == nil {
			_ = safefile.WriteFile(filepath.Join(dir, key), img)
		}
	}
	return image{img, ptx}, nil
}

// nvrtcBuild compiles source with the given options.
func (a *api) nvrtcBuild(source string, opts []string, ptx bool) ([]byte, error) {
	src, name := cString(source), cString("gridcells_kernels.cu")
	var prog uintptr
	if err := a.nvrtcCheck("nvrtcCreateProgram", call(a.nvrtcCreateProgram, uintptr(unsafe.Pointer(&prog)),
		uintptr(unsafe.Pointer(&src[0])), uintptr(unsafe.Pointer(&name[0])), 0, 0, 0)); err != nil {
		return nil, err
	}
	defer call(a.nvrtcDestroyProgram, uintptr(unsafe.Pointer(&prog)))
	cOpts := make([][]byte, len(opts))
	ptrs := make([]uintptr, len(opts))
	for i, o := range opts {
		cOpts[i] = cString(o)
		ptrs[i] = uintptr(unsafe.Pointer(&cOpts[i][0]))
	}
	r := call(a.nvrtcCompileProgram, prog, uintptr(len(ptrs)), uintptr(unsafe.Pointer(&ptrs[0])))
	runtime.KeepAlive(cOpts)
	runtime.KeepAlive(src)
	runtime.KeepAlive(name)
	if r != 0 {
		err := a.nvrtcCheck("nvrtcCompileProgram", r)
		var n uintptr
		if call(a.nvrtcGetProgramLogSize, prog, uintptr(unsafe.Pointer(&n))) == 0 && n > 1 {
			log := make([]byte, n)
			call(a.nvrtcGetProgramLog, prog, uintptr(unsafe.Pointer(&log[0])))
			err.(*CUDAError).Info = string(log[:n-1])
		}
		return nil, err
	}
	sizeFn, getFn, what := a.nvrtcGetCUBINSize, a.nvrtcGetCUBIN, "CUBIN"
	if ptx {
		sizeFn, getFn, what = a.nvrtcGetPTXSize, a.nvrtcGetPTX, "PTX"
	}
	var n uintptr
	if err := a.nvrtcCheck("nvrtcGet"+what+"Size", call(sizeFn, prog, uintptr(unsafe.Pointer(&n)))); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, &CUDAError{Call: "nvrtcGet" + what + "Size", Name: "empty image"}
	}
	out := make([]byte, n)
	if err := a.nvrtcCheck("nvrtcGet"+what, call(getFn, prog, uintptr(unsafe.Pointer(&out[0])))); err != nil {
		return nil, err
	}
	return out, nil
}
