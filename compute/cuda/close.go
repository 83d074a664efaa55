//go:build !nocuda

package cuda

import (
	"runtime"
	"unsafe"
)

// Close releases what the backend created on the device and the host: its internal device
// buffers, the cuBLAS and cuBLASLt state, its events, its pinned host memory, its modules,
// its stream, and its retain of the device's primary context (the driver destroys the
// context, and any memory still in it, with the last retain of the process). It waits for
// the queued work first.
//
// The tensors the caller allocated with New (and the batch generators' buffers) are the
// caller's to Free before Close: the backend does not track them. Using the backend, or
// any of its tensors, after Close is invalid; the backend's own operations panic.
//
// Close returns the first error of the driver or the libraries, after trying to release
// everything else; a second Close does nothing and returns nil.
func (b *Backend) Close() error {
	if b.closed {
		return nil
	}
	err := b.release()
	b.closed = true
	return err
}

// firstErr keeps the first error of a sequence of calls that must all run.
type firstErr struct{ err error }

func (f *firstErr) keep(err error) {
	if f.err == nil {
		f.err = err
	}
}

// release frees, destroys and releases whatever of b's state exists, in the reverse order
// of its creation, and zeroes it, so that it is safe on a backend New left half made and a
// second call does nothing. It never panics: it runs while New unwinds from one.
func (b *Backend) release() error {
	a := b.a
	var f firstErr
	if b.ctx == 0 {
		return nil // New failed before the context, or release ran already
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := a.check("cuCtxSetCurrent", call(a.cuCtxSetCurrent, b.ctx)); err != nil {
		// Nothing on the context can be released without it; the retain still can.
		f.keep(err)
	} else {
		b.releaseOnContext(&f)
		// Leave no context current that the release below may destroy.
		f.keep(a.check("cuCtxSetCurrent", call(a.cuCtxSetCurrent, 0)))
	}
	f.keep(a.check("cuDevicePrimaryCtxRelease_v2", call(a.cuDevicePrimaryCtxRelease, uintptr(b.dev))))
	b.ctx = 0
	return f.err
}

// releaseOnContext is release's work with b's context current.
func (b *Backend) releaseOnContext(f *firstErr) {
	a := b.a
	if b.stream != 0 {
		// The queued work may still read the buffers, events and pinned memory below.
		f.keep(a.check("cuStreamSynchronize", call(a.cuStreamSynchronize, b.stream)))
	}
	if l := b.lt; l != nil {
		for k, p := range l.plans {
			l.destroyPlan(p)
			delete(l.plans, k)
		}
		if l.handle != 0 {
			f.keep(cublasCheck("cublasLtDestroy", call(l.api.destroy, l.handle)))
			l.handle = 0
		}
		for i := range l.events {
			b.destroyEvent(f, &l.events[i])
		}
		b.freeOwned(f, &l.workspace)
		b.freeOwned(f, &l.scratch)
		b.lt = nil
	}
	if b.blas != 0 {
		f.keep(cublasCheck("cublasDestroy_v2", call(a.cublasDestroy, b.blas)))
		b.blas = 0
	}
	// The events: the ring's free ones, those its pending uses and the deferred scalars'
	// copy still hold (complete after the synchronisation), and the profiler's.
	if r := b.ring; r != nil {
		for _, u := range r.pending {
			b.events.free = append(b.events.free, u.event)
		}
		r.pending = nil
	}
	if d := b.deferred; d != nil && d.ready != 0 {
		b.events.free = append(b.events.free, d.ready)
		d.ready = 0
	}
	for i := range b.events.free {
		b.destroyEvent(f, &b.events.free[i])
	}
	b.events.free = nil
	if p := b.prof; p != nil {
		for i := range p.pool {
			b.destroyEvent(f, &p.pool[i])
		}
		b.prof = nil
	}
	if r := b.ring; r != nil {
		f.keep(a.check("cuMemFreeHost", call(a.cuMemFreeHost, uintptr(r.base))))
		b.ring = nil
	}
	if d := b.deferred; d != nil {
		if d.pinned != nil {
			f.keep(a.check("cuMemFreeHost", call(a.cuMemFreeHost, uintptr(unsafe.Pointer(&d.pinned[0])))))
			d.pinned = nil
		}
		b.freeOwned(f, &d.results)
		b.deferred = nil
	}
	for _, t := range []**tensor{&b.partials, &b.rowloss, &b.lanePartials, &b.staging} {
		b.freeOwned(f, t)
	}
	for _, m := range b.modules {
		f.keep(a.check("cuModuleUnload", call(a.cuModuleUnload, m)))
	}
	b.modules, b.gen = nil, nil
	if b.stream != 0 {
		// Queued frees complete before the driver releases the stream.
		f.keep(a.check("cuStreamDestroy_v2", call(a.cuStreamDestroy, b.stream)))
		b.stream = 0
	}
}

// freeOwned queues the free of one of the backend's own buffers, if allocated, and clears it.
func (b *Backend) freeOwned(f *firstErr, t **tensor) {
	if *t != nil && (*t).ptr != 0 {
		f.keep(b.a.check("cuMemFreeAsync", call(b.a.cuMemFreeAsync, (*t).ptr, b.stream)))
		(*t).ptr = 0
	}
	*t = nil
}

// destroyEvent destroys *ev, if created, and clears it.
func (b *Backend) destroyEvent(f *firstErr, ev *uintptr) {
	if *ev != 0 {
		f.keep(b.a.check("cuEventDestroy_v2", call(b.a.cuEventDestroy, *ev)))
		*ev = 0
	}
}

// destroyPlan destroys the cuBLASLt descriptor and layouts of p that exist. cuBLASLt's
// destroys of these host-side objects fail only on a null one, which this skips: their
// status is not kept.
func (l *lt) destroyPlan(p *ltPlan) {
	if p.desc != 0 {
		call(l.api.descDestroy, p.desc)
	}
	for _, h := range []uintptr{p.a, p.b, p.c} {
		if h != 0 {
			call(l.api.layoutDestroy, h)
		}
	}
	*p = ltPlan{}
}
