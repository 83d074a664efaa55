//go:build !nocuda && windows

package cuda

import "errors"

// errWindows: the backend loads the Linux libraries (libcuda.so.1, libcublas.so.*); on
// Windows the toolkit builds and trains on the CPU.
var errWindows = errors.New("the CUDA backend is not built for Windows: train on the CPU (--set training.device=cpu; auto chooses it), or under WSL2 for a GPU")

func dlopen(string) (uintptr, error) { return 0, errWindows }

func dlsym(uintptr, string) (uintptr, error) { return 0, errWindows }
