package workpool

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is one parallel operation: Run(part) computes part part of it. Parts must
// be independent; they run in any order, on any goroutine, each exactly once.
type Task interface {
	Run(part int)
}

// SpinTime is how long an idle worker polls for the next operation before it
// parks, and how long a caller polls for its parts to finish before it sleeps:
// far longer than the gaps between the operations of a training step, far
// shorter than anyone notices on an idle machine.
const SpinTime = 200 * time.Microsecond

// op is the operation in flight, owned by the caller that set pool.busy.
type op struct {
	task     Task
	parts    int64
	next     atomic.Int64  // next part to claim
	done     atomic.Int64  // parts finished
	refs     atomic.Int32  // workers between help's check and return
	sleeping atomic.Bool   // the caller stopped polling and waits on wake
	wake     chan struct{} // the goroutine finishing the last part wakes a sleeping caller
}

var pool struct {
	busy    atomic.Bool // an operation is in flight (its caller owns the op)
	current atomic.Pointer[op]
	theOp   op

	mu      sync.Mutex
	workers atomic.Int32
	parked  atomic.Int32  // workers waiting on kick
	kick    chan struct{} // a token wakes one parked worker
}

func init() {
	pool.theOp.wake = make(chan struct{}, 1)
	pool.kick = make(chan struct{}, 64)
}

// Run runs task.Run(p) for every p in [0, parts) and returns when all have
// returned. Pool goroutines help the caller when workers > 1 (workers ≤ 0 means
// GOMAXPROCS); the pool grows to workers−1 goroutines. A call made while
// another is in flight, from another goroutine or from inside a task, runs its
// parts on the calling goroutine.
func Run(task Task, parts, workers int) {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if min(workers, parts) <= 1 || !pool.busy.CompareAndSwap(false, true) {
		for p := range parts {
			task.Run(p)
		}
		return
	}
	o := &pool.theOp
	o.task, o.parts = task, int64(parts)
	o.next.Store(0)
	o.done.Store(0)
	o.sleeping.Store(false)
	select { // a wake token left by a race with the last poll of the previous op
	case <-o.wake:
	default:
	}
	pool.current.Store(o)
	startWorkers(min(workers, parts) - 1)
	for range pool.parked.Load() {
		select {
		case pool.kick <- struct{}{}:
		default:
		}
	}
	o.work()
	// Every part is claimed: unpublish the op, wait for the parts that other
	// goroutines still run, then for their references to go, before the op is
	// reused.
	pool.current.Store(nil)
	o.waitDone()
	for o.refs.Load() != 0 {
		runtime.Gosched()
	}
	o.task = nil
	pool.busy.Store(false)
}

// work claims and runs parts until none is left.
func (o *op) work() {
	for {
		p := o.next.Add(1) - 1
		if p >= o.parts {
			return
		}
		o.task.Run(int(p))
		if o.done.Add(1) == o.parts && o.sleeping.Load() {
			select {
			case o.wake <- struct{}{}:
			default:
			}
		}
	}
}

// waitDone returns once every part has finished: it polls for SpinTime, then
// sleeps until the goroutine that finishes the last part wakes it.
func (o *op) waitDone() {
	start := time.Now()
	for i := 0; o.done.Load() != o.parts; i++ {
		if i%64 == 63 && time.Since(start) > SpinTime {
			o.sleeping.Store(true)
			if o.done.Load() != o.parts {
				<-o.wake
			}
			return
		}
		runtime.Gosched()
	}
}

// startWorkers grows the pool to at least n workers.
func startWorkers(n int) {
	if int(pool.workers.Load()) >= n {
		return
	}
	pool.mu.Lock()
	defer pool.mu.Unlock()
	for int(pool.workers.Load()) < n {
		pool.workers.Add(1)
		go worker()
	}
}

// worker helps with the operation in flight whenever there is one, polling for
// SpinTime after each before it parks.
func worker() {
	for {
		start := time.Now()
		for i := 0; ; i++ {
			if o := pool.current.Load(); o != nil {
				help(o)
				start = time.Now()
			}
			if i%64 == 63 && time.Since(start) > SpinTime {
				break
			}
			runtime.Gosched()
		}
		pool.parked.Add(1)
		// Run reads parked after publishing its op: either it sees this worker
		// parked and sends a token, or this check sees the op.
		if pool.current.Load() == nil {
			<-pool.kick
		}
		pool.parked.Add(-1)
	}
}

// help runs parts of o if o is still the operation in flight. The reference
// keeps o's caller from reusing o while this goroutine may still claim a part.
func help(o *op) {
	o.refs.Add(1)
	if pool.current.Load() == o {
		o.work()
	}
	o.refs.Add(-1)
}
