//go:build !nocuda

package cuda

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// The shared libraries the backend loads at run time, newest first. The driver comes with
// the NVIDIA driver; cuBLAS and NVRTC with the CUDA toolkit or with PyTorch's pip wheels.
var (
	driverNames   = []string{"libcuda.so.1", "libcuda.so"}
	cublasNames   = []string{"libcublas.so.13", "libcublas.so.12", "libcublas.so"}
	cublasLtNames = []string{"libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"}
	nvrtcNames    = []string{"libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"}
)

// libDirs lists directories searched after the dynamic loader's own path: the directories
// of $GRIDCELLS_CUDA_LIBS (colon-separated), $CUDA_HOME and $CUDA_PATH, the default
// toolkit location, and the nvidia/*/lib folders of pip-installed CUDA wheels.
func libDirs() []string {
	var dirs []string
	if v := os.Getenv("GRIDCELLS_CUDA_LIBS"); v != "" {
		dirs = append(dirs, filepath.SplitList(v)...)
	}
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if v := os.Getenv(env); v != "" {
			dirs = append(dirs, filepath.Join(v, "lib64"), filepath.Join(v, "lib"))
		}
	}
	dirs = append(dirs, "/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib",
		"/usr/local/cuda/targets/sbsa-linux/lib", "/usr/lib/x86_64-linux-gnu")
	for _, pat := range []string{
		"/usr/local/lib/python3*/dist-packages/nvidia/*/lib",
		"/usr/local/lib/python3*/site-packages/nvidia/*/lib",
		"/usr/lib/python3/dist-packages/nvidia/*/lib",
		"/opt/conda/lib/python3*/site-packages/nvidia/*/lib",
		"/opt/conda/lib",
	} {
		m, _ := filepath.Glob(pat)
		dirs = append(dirs, m...)
	}
	return dirs
}

// library is one loaded shared object.
type library struct {
	name   string // human name, e.g. "cuBLAS"
	path   string // what dlopen accepted
	handle uintptr
}

// openLibrary loads the first of names that the loader finds, by name first (the loader's
// own search path: LD_LIBRARY_PATH, ld.so.cache) and then in libDirs, each name in every
// directory before the next name. Before a
// library found in a directory, the companions in that directory are loaded too (cuBLAS
// needs cuBLASLt, NVRTC loads its builtins), so that the loader resolves them by soname.
func openLibrary(human string, names []string, companions []string) (*library, error) {
	le := &LibraryError{Library: human}
	for _, n := range names {
		le.Tried = append(le.Tried, n)
		h, err := dlopen(n)
		if err == nil {
			return &library{human, n, h}, nil
		}
		le.Err = err
	}
	// Names outside, directories inside: the preferred version (libcublas.so.13) in any
	// directory before an older one (.12) in an earlier directory.
	dirs := libDirs()
	holds := make([]bool, len(dirs))
	for _, n := range names {
		for i, d := range dirs {
			p := filepath.Join(d, n)
			if _, err := os.Stat(p); err != nil {
				continue
			}
			holds[i] = true
			for _, c := range companions {
				if m, _ := filepath.Glob(filepath.Join(d, c)); len(m) > 0 {
					dlopen(m[0]) // best effort; the main library's error says the rest
				}
			}
			le.Tried = append(le.Tried, p)
			h, err := dlopen(p)
			if err == nil {
				return &library{human, p, h}, nil
			}
			le.Err = err
		}
	}
	for i, d := range dirs {
		if !holds[i] {
			le.Searched = append(le.Searched, d)
		}
	}
	if le.Err == nil {
		le.Err = fmt.Errorf("not found")
	}
	return nil, le
}

// sym returns the address of a symbol, or a LibraryError naming it.
func (l *library) sym(name string) (uintptr, error) {
	p, err := dlsym(l.handle, name)
	if err != nil || p == 0 {
		return 0, &LibraryError{Library: l.name, Tried: []string{l.path}, Symbol: name, Err: err}
	}
	return p, nil
}

// bind resolves each name into the matching *uintptr.
func (l *library) bind(syms map[string]*uintptr) error {
	for n, p := range syms {
		a, err := l.sym(n)
		if err != nil {
			return err
		}
		*p = a
	}
	return nil
}

// call invokes a C function whose arguments are all integers or pointers and which
// returns a 32-bit status (CUresult, cublasStatus_t, nvrtcResult). As with SyscallN,
// pointers converted to uintptr in the call expression stay valid for the call: the
// pragma moves what they point to onto the heap, where Go never moves memory.
//
//go:uintptrescapes
func call(fn uintptr, args ...uintptr) int32 {
	r, _, _ := purego.SyscallN(fn, args...)
	return int32(r)
}

// cString returns the NUL-terminated bytes of s; keep the slice alive during the call.
func cString(s string) []byte { return append([]byte(s), 0) }

// goString copies the NUL-terminated C string at p.
func goString(p uintptr) string {
	if p == 0 {
		return ""
	}
	// C memory, never moved by Go: reinterpret the address without a uintptr conversion
	// that vet would flag.
	base := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	var n int
	for *(*byte)(unsafe.Add(base, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(base), n))
}

// api holds the loaded libraries and the addresses of every function the backend calls.
type api struct {
	driver, cublas, nvrtc *library
	lt                    *ltAPI // nil when cuBLASLt is not found (it is optional: lt.go)

	// CUDA driver API (cuda.h).
	cuInit, cuDriverGetVersion, cuDeviceGetCount, cuDeviceGet, cuDeviceGetName,
	cuDeviceGetAttribute, cuDeviceTotalMem, cuDevicePrimaryCtxRetain, cuCtxSetCurrent,
	cuCtxSynchronize, cuStreamCreate, cuStreamSynchronize, cuMemAllocAsync, cuMemFreeAsync,
	cuMemsetD32Async, cuMemcpyHtoDAsync, cuMemcpyDtoHAsync, cuModuleLoadData,
	cuModuleGetFunction, cuLaunchKernel, cuGetErrorName, cuMemAllocHost, cuMemFreeHost,
	cuFuncGetAttribute uintptr
	// What Backend.Close releases with (close.go). Required like the rest: every driver
	// that CUDA 12 and 13 run on has them.
	cuDevicePrimaryCtxRelease, cuStreamDestroy, cuModuleUnload uintptr
	// Events: optional, 0 when the driver lacks them. The profile (profile.go), the
	// cuBLASLt tuning (lt.go) and the pinned copies (pinned.go) need them (api.eventAPI);
	// without them those are off.
	cuEventCreate, cuEventRecord, cuEventSynchronize, cuEventElapsedTime, cuEventDestroy uintptr

	// cuBLAS (cublas_api.h, the _v2 entry points).
	cublasCreate, cublasSetStream, cublasSetMathMode, cublasGetVersion, cublasSgemm,
	cublasSgemmStridedBatched, cublasDestroy uintptr

	// NVRTC (nvrtc.h).
	nvrtcVersion, nvrtcCreateProgram, nvrtcCompileProgram, nvrtcGetProgramLogSize,
	nvrtcGetProgramLog, nvrtcGetCUBINSize, nvrtcGetCUBIN, nvrtcGetPTXSize, nvrtcGetPTX,
	nvrtcDestroyProgram, nvrtcGetErrorString uintptr
}

var (
	loadOnce sync.Once
	loaded   *api
	loadErr  error
)

// load opens the three libraries once per process.
func load() (*api, error) {
	loadOnce.Do(func() { loaded, loadErr = loadAPI() })
	return loaded, loadErr
}

func loadAPI() (*api, error) {
	a := &api{}
	var err error
	if a.driver, err = openLibrary("the CUDA driver", driverNames, nil); err != nil {
		return nil, err
	}
	if err := a.driver.bind(map[string]*uintptr{
		"cuInit": &a.cuInit, "cuDriverGetVersion": &a.cuDriverGetVersion,
		"cuDeviceGetCount": &a.cuDeviceGetCount, "cuDeviceGet": &a.cuDeviceGet,
		"cuDeviceGetName": &a.cuDeviceGetName, "cuDeviceGetAttribute": &a.cuDeviceGetAttribute,
		"cuDeviceTotalMem_v2": &a.cuDeviceTotalMem, "cuDevicePrimaryCtxRetain": &a.cuDevicePrimaryCtxRetain,
		"cuCtxSetCurrent": &a.cuCtxSetCurrent, "cuCtxSynchronize": &a.cuCtxSynchronize,
		"cuStreamCreate": &a.cuStreamCreate, "cuStreamSynchronize": &a.cuStreamSynchronize,
		"cuMemAllocAsync": &a.cuMemAllocAsync, "cuMemFreeAsync": &a.cuMemFreeAsync,
		"cuMemsetD32Async": &a.cuMemsetD32Async, "cuMemcpyHtoDAsync_v2": &a.cuMemcpyHtoDAsync,
		"cuMemcpyDtoHAsync_v2": &a.cuMemcpyDtoHAsync, "cuModuleLoadData": &a.cuModuleLoadData,
		"cuModuleGetFunction": &a.cuModuleGetFunction, "cuLaunchKernel": &a.cuLaunchKernel,
		"cuGetErrorName": &a.cuGetErrorName, "cuMemAllocHost_v2": &a.cuMemAllocHost,
		"cuMemFreeHost": &a.cuMemFreeHost, "cuFuncGetAttribute": &a.cuFuncGetAttribute,
		// cuda.h maps cuDevicePrimaryCtxRelease and cuStreamDestroy to these _v2 symbols.
		"cuDevicePrimaryCtxRelease_v2": &a.cuDevicePrimaryCtxRelease, "cuStreamDestroy_v2": &a.cuStreamDestroy,
		"cuModuleUnload": &a.cuModuleUnload,
	}); err != nil {
		return nil, err
	}
	// Optional (see the fields). CUDA 12.8 added cuEventElapsedTime_v2 and later toolkits
	// deprecate the original; take whichever the driver has.
	a.cuEventCreate, _ = a.driver.sym("cuEventCreate")
	a.cuEventRecord, _ = a.driver.sym("cuEventRecord")
	a.cuEventSynchronize, _ = a.driver.sym("cuEventSynchronize")
	a.cuEventDestroy, _ = a.driver.sym("cuEventDestroy_v2") // cuda.h's cuEventDestroy
	for _, n := range []string{"cuEventElapsedTime_v2", "cuEventElapsedTime"} {
		if a.cuEventElapsedTime, _ = a.driver.sym(n); a.cuEventElapsedTime != 0 {
			break
		}
	}
	if a.cublas, err = openLibrary("cuBLAS", cublasNames, []string{"libcublasLt.so.1[0-9]*"}); err != nil {
		return nil, err
	}
	if err := a.cublas.bind(map[string]*uintptr{
		"cublasCreate_v2": &a.cublasCreate, "cublasSetStream_v2": &a.cublasSetStream,
		"cublasSetMathMode": &a.cublasSetMathMode, "cublasGetVersion_v2": &a.cublasGetVersion,
		"cublasSgemm_v2": &a.cublasSgemm, "cublasSgemmStridedBatched": &a.cublasSgemmStridedBatched,
		"cublasDestroy_v2": &a.cublasDestroy,
	}); err != nil {
		return nil, err
	}
	a.lt = loadLt()
	if err := a.loadNVRTC(nvrtcNames); err != nil {
		return nil, err
	}
	return a, nil
}

// loadNVRTC opens the first of names that loads and binds the NVRTC functions into a. NVRTC
// needs neither the driver nor a device (TestNVRTCCompiles uses it alone).
func (a *api) loadNVRTC(names []string) error {
	var err error
	if a.nvrtc, err = openLibrary("NVRTC", names, []string{"libnvrtc-builtins.so.1[0-9]*"}); err != nil {
		return err
	}
	return a.nvrtc.bind(map[string]*uintptr{
		"nvrtcVersion": &a.nvrtcVersion, "nvrtcCreateProgram": &a.nvrtcCreateProgram,
		"nvrtcCompileProgram": &a.nvrtcCompileProgram, "nvrtcGetProgramLogSize": &a.nvrtcGetProgramLogSize,
		"nvrtcGetProgramLog": &a.nvrtcGetProgramLog, "nvrtcGetCUBINSize": &a.nvrtcGetCUBINSize,
		"nvrtcGetCUBIN": &a.nvrtcGetCUBIN, "nvrtcGetPTXSize": &a.nvrtcGetPTXSize,
		"nvrtcGetPTX": &a.nvrtcGetPTX, "nvrtcDestroyProgram": &a.nvrtcDestroyProgram,
		"nvrtcGetErrorString": &a.nvrtcGetErrorString,
	})
}

// CUDAError is a failed CUDA driver, cuBLAS or NVRTC call.
type CUDAError struct {
	Call string // the function, e.g. "cuMemAllocAsync"
	Code int32
	Name string // e.g. "CUDA_ERROR_OUT_OF_MEMORY"
	Info string // extra context, e.g. the size asked for
}

func (e *CUDAError) Error() string {
	s := fmt.Sprintf("cuda: %s failed: %s (%d)", e.Call, e.Name, e.Code)
	if e.Info != "" {
		s += ": " + e.Info
	}
	return s
}

// check turns a driver API result into an error.
func (a *api) check(callName string, r int32) error {
	if r == 0 {
		return nil
	}
	var p uintptr
	name := "unknown error"
	if call(a.cuGetErrorName, uintptr(r), uintptr(unsafe.Pointer(&p))) == 0 && p != 0 {
		name = goString(p)
	}
	return &CUDAError{Call: callName, Code: r, Name: name}
}

// cublasStatusNames are the cublasStatus_t values (cublas_api.h).
var cublasStatusNames = map[int32]string{
	1: "CUBLAS_STATUS_NOT_INITIALIZED", 3: "CUBLAS_STATUS_ALLOC_FAILED", 7: "CUBLAS_STATUS_INVALID_VALUE",
	8: "CUBLAS_STATUS_ARCH_MISMATCH", 11: "CUBLAS_STATUS_MAPPING_ERROR", 13: "CUBLAS_STATUS_EXECUTION_FAILED",
	14: "CUBLAS_STATUS_INTERNAL_ERROR", 15: "CUBLAS_STATUS_NOT_SUPPORTED", 16: "CUBLAS_STATUS_LICENSE_ERROR",
}

func cublasCheck(callName string, r int32) error {
	if r == 0 {
		return nil
	}
	name, ok := cublasStatusNames[r]
	if !ok {
		name = "CUBLAS_STATUS_UNKNOWN"
	}
	return &CUDAError{Call: callName, Code: r, Name: name}
}

func (a *api) nvrtcCheck(callName string, r int32) error {
	if r == 0 {
		return nil
	}
	p, _, _ := purego.SyscallN(a.nvrtcGetErrorString, uintptr(r))
	return &CUDAError{Call: callName, Code: r, Name: goString(p)}
}
