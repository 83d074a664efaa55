//go:build !nocuda

package cuda

import (
	"fmt"
	"sort"
	"unsafe"

	"github.com/gridcells/gridcells/compute"
)

var _ compute.Profiler = (*Backend)(nil)

// profiler times each operation between a pair of CUDA events recorded on the backend's
// stream around its launch: the device time between them is the operation's, plus any wait
// for the host to queue it (none while the device is behind the host, as in a training step
// that the GPU limits). Events are pooled across profiles.
type profiler struct {
	pool []uintptr // events created so far
	used int       // events of the current profile: pool[:used]
	recs []profRec
	open string // the operation whose start event is recorded, "" between operations
}

// profRec is one timed operation: events pool[start] and pool[start+1].
type profRec struct {
	op    string
	start int
}

// eventAPI reports whether the driver has the event functions profiling needs.
func (a *api) eventAPI() error {
	if a.cuEventCreate == 0 || a.cuEventRecord == 0 || a.cuEventElapsedTime == 0 || a.cuEventSynchronize == 0 ||
		a.cuEventDestroy == 0 {
		return fmt.Errorf("cuda: the CUDA driver (%s) lacks the event functions that profiling needs", a.driver.path)
	}
	return nil
}

// StartProfile implements compute.Profiler: every following operation is timed until
// StopProfile.
func (b *Backend) StartProfile() error {
	if err := b.a.eventAPI(); err != nil {
		return err
	}
	if b.prof == nil {
		b.prof = &profiler{}
	}
	b.prof.used, b.prof.recs, b.prof.open = 0, b.prof.recs[:0], ""
	b.profiling = true
	return nil
}

// event records the next pooled event on the stream and returns its index.
func (b *Backend) event() int {
	p := b.prof
	if p.used == len(p.pool) {
		var ev uintptr
		b.must(b.a.check("cuEventCreate", call(b.a.cuEventCreate, uintptr(unsafe.Pointer(&ev)), 0)))
		p.pool = append(p.pool, ev)
	}
	i := p.used
	p.used++
	b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, p.pool[i], b.stream)))
	return i
}

// timeStart and timeEnd bracket the launches of one operation while profiling; op names it
// (computed only while profiling). Nested brackets count once, as the outer operation.
func (b *Backend) timeStart(op func() string) {
	if !b.profiling || b.prof.open != "" {
		return
	}
	b.prof.open = op()
	b.prof.recs = append(b.prof.recs, profRec{op: b.prof.open, start: b.event()})
}

func (b *Backend) timeEnd() {
	if !b.profiling || b.prof.open == "" {
		return
	}
	b.event()
	b.prof.open = ""
}

// StopProfile implements compute.Profiler.
func (b *Backend) StopProfile() ([]compute.OpTime, float64, error) {
	if !b.profiling {
		return nil, 0, fmt.Errorf("cuda: StopProfile without StartProfile")
	}
	defer b.enter()()
	b.profiling = false
	p := b.prof
	if len(p.recs) == 0 {
		return nil, 0, nil
	}
	b.must(b.a.check("cuEventSynchronize", call(b.a.cuEventSynchronize, p.pool[p.used-1])))
	elapsed := func(i, j int) (float64, error) {
		var ms float32
		if err := b.a.check("cuEventElapsedTime", call(b.a.cuEventElapsedTime, uintptr(unsafe.Pointer(&ms)), p.pool[i], p.pool[j])); err != nil {
			return 0, err
		}
		return float64(ms), nil
	}
	byOp := map[string]*compute.OpTime{}
	for _, r := range p.recs {
		ms, err := elapsed(r.start, r.start+1)
		if err != nil {
			return nil, 0, err
		}
		t := byOp[r.op]
		if t == nil {
			t = &compute.OpTime{Op: r.op}
			byOp[r.op] = t
		}
		t.Count++
		t.MS += ms
	}
	span, err := elapsed(p.recs[0].start, p.used-1)
	if err != nil {
		return nil, 0, err
	}
	ops := make([]compute.OpTime, 0, len(byOp))
	for _, t := range byOp {
		ops = append(ops, *t)
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].MS != ops[j].MS {
			return ops[i].MS > ops[j].MS
		}
		return ops[i].Op < ops[j].Op
	})
	return ops, span, nil
}

// gemmName names a product for the profile: its transposes and sizes.
func gemmName(call string, tA, tB bool, m, n, k, lanes int) string {
	t := func(x bool) string {
		if x {
			return "T"
		}
		return "N"
	}
	s := fmt.Sprintf("%s %s%s m=%d n=%d k=%d", call, t(tA), t(tB), m, n, k)
	if lanes > 0 {
		s += fmt.Sprintf(" lanes=%d", lanes)
	}
	return s
}
