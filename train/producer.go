package train

import (
	"sync"

	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/sim"
)

// item is one generated batch with the generator state right after it was drawn: the state
// that produces the batch after it. A checkpoint taken once this batch is consumed stores
// stateAfter, never the producer's current state, which is already a batch further on.
type item struct {
	sb         *sim.Batch
	nb         nn.Batch
	index      uint64 // the Philox walk's batch index, for batches generated on the GPU
	stateAfter []byte
}

// producer generates batches on its own goroutine, one ahead of the consumer: two buffers
// circulate, one being trained on and one being filled.
type producer struct {
	ready chan *item
	free  chan *item
	quit  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
}

// startProducer starts generating batches of B trajectories of T steps from gen and
// encoding them with code; with code nil it only walks (the GPU encodes, devicegen.go), and
// the items' nb holds the velocities alone.
func startProducer(gen *sim.Generator, code encode.Code, B, T int) *producer {
	const buffers = 2
	p := &producer{ready: make(chan *item, buffers), free: make(chan *item, buffers), quit: make(chan struct{})}
	for range buffers {
		it := &item{sb: sim.NewBatch(B, T), nb: nn.Batch{B: B, T: T}}
		if code != nil {
			it.nb.InitCode, it.nb.Targets = make([]float32, B*code.Np()), make([]float32, T*B*code.Np())
		}
		p.free <- it
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			var it *item
			select {
			case it = <-p.free:
			case <-p.quit:
				return
			}
			gen.Next(it.sb)
			if code != nil {
				EncodeBatch(code, it.sb, &it.nb)
			} else {
				it.nb.Vel = it.sb.Vel
			}
			st, err := gen.MarshalBinary()
			if err != nil {
				panic("train: marshalling the trajectory generator: " + err.Error())
			}
			it.stateAfter = st
			select {
			case p.ready <- it:
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

// next returns the next batch in generation order.
func (p *producer) next() *item { return <-p.ready }

// release hands a consumed batch back for refilling.
func (p *producer) release(it *item) { p.free <- it }

// stop ends the goroutine and waits for it.
func (p *producer) stop() {
	p.once.Do(func() { close(p.quit) })
	p.wg.Wait()
}
