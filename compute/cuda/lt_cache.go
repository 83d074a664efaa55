//go:build !nocuda

package cuda

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"unsafe"

	"github.com/gridcells/gridcells/internal/safefile"
)

// The algorithms GRIDCELLS_CUBLASLT=tune or =search chose are kept between runs, in a file
// of the kernel cache ($GRIDCELLS_CACHE/cuda) per device, cuBLAS version, mode and math:
// cuBLASLt's algorithm is an opaque 64-byte value that the same library accepts again
// (cublasLt.h: cublasLtMatmulAlgo_t "can be serialized ... and used with the same version of
// the library"). So the timing happens once per machine, and later runs use the same
// algorithms: the same results, bit for bit, and no seconds of tuning at start. A chosen
// algorithm that cublasLtMatmulAlgoCheck no longer accepts is chosen again; removing the file
// chooses all again.

// ltChoice is one product shape's chosen algorithm in the file; Key is the ltKey's fields in
// order (opA, opB, m, n, k, lda, ldb, ldc, sa, sb, sc, batch, alA, alB, alC). Entries of
// files written before the alignments were in the key read them as 0, and so never match.
type ltChoice struct {
	Key    [15]int `json:"key"`
	Algo   string  `json:"algo"` // the 64 bytes of cublasLtMatmulAlgo_t, hex
	Config string  `json:"config,omitempty"`
	Timed  int     `json:"timed"` // configurations timed to choose it
}

// fields is k as ltChoice.Key stores it; ltKeyOf is the reverse.
func (k ltKey) fields() [15]int {
	return [15]int{int(k.opA), int(k.opB), k.m, k.n, k.k, k.lda, k.ldb, k.ldc, k.sa, k.sb, k.sc, k.batch, k.alA, k.alB, k.alC}
}

func ltKeyOf(v [15]int) ltKey {
	return ltKey{opA: uintptr(v[0]), opB: uintptr(v[1]), m: v[2], n: v[3], k: v[4], lda: v[5], ldb: v[6], ldc: v[7],
		sa: v[8], sb: v[9], sc: v[10], batch: v[11], alA: v[12], alB: v[13], alC: v[14]}
}

// ltChoices is a file of chosen algorithms: its path ("" when there is no cache) and its
// entries. The backends of a process that share a device, library, mode and math share one
// (ltChoicesOf), so that one backend's choice serves the others (the lanes of
// "bench train --lanes K" each have a backend) and none overwrites another's in the file.
type ltChoices struct {
	mu     sync.Mutex
	path   string
	chosen map[ltKey]ltChoice
}

// ltChoicesOf holds the process's ltChoices by file (by key without a cache directory).
var ltChoicesOf = struct {
	sync.Mutex
	m map[string]*ltChoices
}{m: map[string]*ltChoices{}}

// loadChoices returns the chosen algorithms of b's device, library, mode and math, read from
// the file at the first call of the process; a missing or unreadable file is an empty one.
func (b *Backend) loadChoices(mode string) *ltChoices {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nsm_%d%d\ncublas %d\n%s tf32=%v\n", b.info.Name, b.info.Major, b.info.Minor, b.info.CUBLAS, mode, b.tf32)
	name := "cublaslt-" + hex.EncodeToString(h.Sum(nil))[:24] + ".json"
	path := ""
	if dir := cacheDir(); dir != "" {
		path = filepath.Join(dir, name)
	}
	ltChoicesOf.Lock()
	defer ltChoicesOf.Unlock()
	id := path
	if id == "" {
		id = name
	}
	if c := ltChoicesOf.m[id]; c != nil {
		return c
	}
	c := &ltChoices{path: path, chosen: map[ltKey]ltChoice{}}
	ltChoicesOf.m[id] = c
	if path == "" {
		return c
	}
	data, err := os.ReadFile(c.path)
	if err != nil {
		return c
	}
	var list []ltChoice
	if json.Unmarshal(data, &list) != nil {
		return c
	}
	for _, e := range list {
		c.chosen[ltKeyOf(e.Key)] = e
	}
	return c
}

// algo returns the algorithm chosen for k, if any.
func (c *ltChoices) algo(k ltKey) (ltHeuristic, bool) {
	c.mu.Lock()
	e, ok := c.chosen[k]
	c.mu.Unlock()
	if !ok {
		return ltHeuristic{}, false
	}
	raw, err := hex.DecodeString(e.Algo)
	var h ltHeuristic
	if err != nil || len(raw) != len(h.algo)*8 {
		return ltHeuristic{}, false
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&h.algo[0])), len(raw)), raw)
	return h, true
}

// keep records the algorithm chosen for k and rewrites the file (atomically: a file is never
// seen half written). A cache that cannot be written only costs a tuning next time.
func (c *ltChoices) keep(k ltKey, p *ltPlan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	raw := unsafe.Slice((*byte)(unsafe.Pointer(&p.algo.algo[0])), len(p.algo.algo)*8)
	c.chosen[k] = ltChoice{Key: k.fields(), Algo: hex.EncodeToString(raw), Config: p.config, Timed: p.timed}
	if c.path == "" {
		return
	}
	list := make([]ltChoice, 0, len(c.chosen))
	for _, e := range c.chosen {
		list = append(list, e)
	}
	data, err := json.MarshalIndent(list, "", " ")
	if err != nil || os.MkdirAll(filepath.Dir(c.path), 0o755) != nil {
		return
	}
	_ = safefile.WriteFile(c.path, data)
}
