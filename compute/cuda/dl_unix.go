//go:build !nocuda && !windows

package cuda

import "github.com/ebitengine/purego"

// dlopen loads a shared library with every symbol bound now and visible to the libraries
// loaded after it (cuBLAS finds cuBLASLt's symbols).
func dlopen(path string) (uintptr, error) {
	return purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_GLOBAL)
}

func dlsym(handle uintptr, name string) (uintptr, error) { return purego.Dlsym(handle, name) }
