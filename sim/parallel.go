package sim

import (
	"runtime"
	"sync"
)

// Chunks of a batch run on the calling goroutine and on helpers from a pool of goroutines
// shared by all generators, started on first use and never stopped (GOMAXPROCS − 1 of them
// at most). The batch is queued for the helpers, and the goroutines claim chunks from the
// generator's counter until none is left, so the split adapts to however many are free (a
// helper still returning from the previous batch joins as soon as it can; one that comes
// after the last chunk returns at once) and a call allocates nothing.

type chunkJob struct {
	g   *Generator
	dst *Batch
	n   int
}

var chunkPool struct {
	mu      sync.Mutex
	helpers int
	jobs    chan chunkJob
}

func startHelpers(n int) {
	chunkPool.mu.Lock()
	defer chunkPool.mu.Unlock()
	if chunkPool.jobs == nil {
		chunkPool.jobs = make(chan chunkJob, 64)
	}
	for ; chunkPool.helpers < n; chunkPool.helpers++ {
		go func() {
			for j := range chunkPool.jobs {
				j.g.walkChunks(j.dst, j.n)
				j.g.wg.Done()
			}
		}()
	}
}

// parallelChunks walks the n chunks of dst, on up to GOMAXPROCS goroutines.
func (g *Generator) parallelChunks(dst *Batch, n int) {
	g.nextChunk.Store(0)
	helpers := min(runtime.GOMAXPROCS(0), n) - 1
	if helpers > 0 {
		startHelpers(helpers)
	}
	for range helpers {
		g.wg.Add(1)
		select {
		case chunkPool.jobs <- chunkJob{g, dst, n}:
		default: // the queue is full of other generators' batches: this goroutine does the work
			g.wg.Done()
		}
	}
	g.walkChunks(dst, n)
	g.wg.Wait()
}

// walkChunks walks chunks of dst until all n are claimed.
func (g *Generator) walkChunks(dst *Batch, n int) {
	for {
		c := int(g.nextChunk.Add(1)) - 1
		if c >= n {
			return
		}
		g.sorscherWalk(dst, c)
	}
}
