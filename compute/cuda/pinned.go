//go:build !nocuda

package cuda

import (
	"fmt"
	"unsafe"
)

// Pinned (page-locked) host memory for the copies between host and device.
//
// Why: a copy from pageable memory (a Go slice) is staged by the driver through its own
// pinned buffer, and the driver may first wait for the stream to drain (CUDA Runtime API,
// "API synchronization behavior": "If pageable memory must first be staged to pinned memory,
// the driver may synchronize with the stream"). A training step uploads the next batch's host
// walk (or an ensemble's batches) while the previous step's update is still queued, so such a
// wait leaves the GPU idle while the host stages the copy and queues the next kernels. From
// pinned memory cuMemcpyHtoDAsync only queues the copy. Upload therefore first copies src
// into a ring of pinned memory (a memmove on the host, ~10 GB/s, microseconds for a batch),
// and the copy out of the ring is queued on the stream. A region of the ring may be reused
// only once the device has read it: each use records an event after its copy, and a later
// use that overlaps it waits for that event (by then long passed in a training loop, which
// uploads a few hundred kilobytes per step into a ring of megabytes).
//
// The losses of a step come back the same way: CollectScalars copies the deferred sums into
// pinned memory and waits for the event recorded after that copy rather than for the whole
// stream, so that work queued after them (the optimizer update) keeps the GPU busy while the
// host reads them (nn.Model.StartStep, FinishStep).

// envPinned set to 0 turns the pinned copies off (for timing them against pageable ones).
const envPinned = "GRIDCELLS_CUDA_PINNED"

// ringMin is the smallest pinned upload ring; a ring grows to twice the largest upload it
// takes. Uploads above ringMaxUpload (a checkpoint's weights, once) copy from Go memory
// directly: a training step uploads a few megabytes at most (an ensemble's batches), and
// pinned memory is locked for the life of the process.
const (
	ringMin       = 1 << 20
	ringMaxUpload = 8 << 20
)

// ringUse is a region [start, end) of the ring and the event recorded after its copy.
type ringUse struct {
	start, end int
	event      uintptr
}

// eventQueue is what a hostRing needs of the device: events recorded on the stream, and
// waiting for one. The backend implements it with cuEventRecord and cuEventSynchronize; the
// ring's test with a model of a stream.
type eventQueue interface {
	record() uintptr
	wait(event uintptr)
	release(event uintptr)
}

// hostRing hands out regions of a pinned buffer in order, wrapping around, and makes sure
// that a region is not handed out again while a copy queued from it may still be reading it.
type hostRing struct {
	size    int
	pos     int       // where the next region starts
	pending []ringUse // uses whose events have not been waited for, oldest first
}

// take returns the start of a region of n bytes (n ≤ size), after waiting for every earlier
// use of it that may still be in flight. The caller fills the region, queues its copy and
// then calls done with the region.
func (r *hostRing) take(n int, q eventQueue) int {
	if n > r.size {
		panic(fmt.Sprintf("cuda: pinned ring of %d bytes asked for %d", r.size, n))
	}
	if r.pos+n > r.size {
		r.pos = 0
	}
	start, end := r.pos, r.pos+n
	// Events complete in stream order: waiting for the newest overlapping use waits for all
	// older ones too, so every use up to it is released.
	last := -1
	for i, u := range r.pending {
		if u.start < end && start < u.end {
			last = i
		}
	}
	if last >= 0 {
		q.wait(r.pending[last].event)
		for _, u := range r.pending[:last+1] {
			q.release(u.event)
		}
		r.pending = append(r.pending[:0], r.pending[last+1:]...)
	}
	r.pos = (end + 255) &^ 255 // keep regions 256-byte aligned, as the driver's copies like
	return start
}

// ringMaxPending bounds the uses a ring tracks: many small uploads in a large ring would
// otherwise each hold an event until the ring wraps. The oldest use beyond it is waited for
// (long since copied, in a training loop) and released.
const ringMaxPending = 128

// done records that the copy out of [start, start+n) has been queued.
func (r *hostRing) done(start, n int, q eventQueue) {
	r.pending = append(r.pending, ringUse{start: start, end: start + n, event: q.record()})
	if len(r.pending) > ringMaxPending {
		q.wait(r.pending[0].event)
		q.release(r.pending[0].event)
		r.pending = append(r.pending[:0], r.pending[1:]...)
	}
}

// drain waits for every pending use (before the ring's memory is freed).
func (r *hostRing) drain(q eventQueue) {
	if n := len(r.pending); n > 0 {
		q.wait(r.pending[n-1].event)
		for _, u := range r.pending {
			q.release(u.event)
		}
		r.pending = r.pending[:0]
	}
}

// pinnedRing is a backend's upload ring: the ring's bookkeeping and its pinned memory.
type pinnedRing struct {
	hostRing
	base unsafe.Pointer // from cuMemAllocHost: memory the Go collector does not manage
}

// streamEvents implements eventQueue on a backend's stream, reusing released events (destroyed by Close).
type streamEvents struct {
	b    *Backend
	free []uintptr
}

func (q *streamEvents) record() uintptr {
	b := q.b
	var ev uintptr
	if n := len(q.free); n > 0 {
		ev, q.free = q.free[n-1], q.free[:n-1]
	} else {
		b.must(b.a.check("cuEventCreate", call(b.a.cuEventCreate, uintptr(unsafe.Pointer(&ev)), eventDisableTiming)))
	}
	b.must(b.a.check("cuEventRecord", call(b.a.cuEventRecord, ev, b.stream)))
	return ev
}

func (q *streamEvents) wait(ev uintptr) {
	q.b.must(q.b.a.check("cuEventSynchronize", call(q.b.a.cuEventSynchronize, ev)))
}

func (q *streamEvents) release(ev uintptr) { q.free = append(q.free, ev) }

// eventDisableTiming is CU_EVENT_DISABLE_TIMING: events that only order, cheaper to record.
const eventDisableTiming = 2

// pinnedOK reports whether b can stage copies through pinned memory: it needs events to
// know when a region is free again (they are optional symbols, see lib.go).
func (b *Backend) pinnedOK() bool { return b.a.eventAPI() == nil && !b.pageable }

// uploadsPinned reports whether Upload stages n floats through the pinned ring.
func (b *Backend) uploadsPinned(n int) bool { return 4*n <= ringMaxUpload && b.pinnedOK() }

// allocHost returns n bytes of pinned host memory.
func (b *Backend) allocHost(n int) unsafe.Pointer {
	var p unsafe.Pointer
	if err := b.a.check("cuMemAllocHost", call(b.a.cuMemAllocHost, uintptr(unsafe.Pointer(&p)), uintptr(n))); err != nil {
		err.(*CUDAError).Info = fmt.Sprintf("%d bytes of pinned host memory", n)
		panic(err)
	}
	return p
}

// uploadPinned queues the copy of src into the device memory at dst through the pinned ring,
// growing the ring when src needs more than half of it. The caller holds the context.
func (b *Backend) uploadPinned(dst uintptr, src []float32) {
	n := 4 * len(src)
	r := b.ring
	if r == nil || 2*n > r.size {
		size := max(ringMin, 2*n)
		if r != nil {
			r.drain(&b.events)
			b.must(b.a.check("cuMemFreeHost", call(b.a.cuMemFreeHost, uintptr(r.base))))
		}
		r = &pinnedRing{hostRing: hostRing{size: size}, base: b.allocHost(size)}
		b.ring = r
	}
	start := r.take(n, &b.events)
	region := unsafe.Add(r.base, start)
	copy(unsafe.Slice((*float32)(region), len(src)), src)
	b.must(b.a.check("cuMemcpyHtoDAsync", call(b.a.cuMemcpyHtoDAsync, dst, uintptr(region), uintptr(n), b.stream)))
	r.done(start, n, &b.events)
}
