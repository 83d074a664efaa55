package sim

import (
	"runtime"
	"sync"
)

// Chunks of a batch run on the calling goroutine and on helpers from a pool of goroutines
// shared by all generators, started on first use and never stopped (GOMAXPROCS − 1 of them
// at most). The generator is queued for the helpers with one token each, and the goroutines
// claim chunks from its counter until none is left. Once the calling goroutine has run out of
// chunks it revokes the tokens no helper has taken yet, so it never waits for a helper to wake
// up, and a call allocates nothing.

var chunkPool struct {
	mu      sync.Mutex
	helpers int
	jobs    chan *Generator
}

func startHelpers(n int) {
	chunkPool.mu.Lock()
	defer chunkPool.mu.Unlock()
	if chunkPool.jobs == nil {
		chunkPool.jobs = make(chan *Generator, 64)
	}
	for ; chunkPool.helpers < n; chunkPool.helpers++ {
		go func() {
			for g := range chunkPool.jobs {
				if g.takeToken() {
					g.walkChunks()
					g.wg.Done()
				}
			}
		}()
	}
}

// parallelChunks walks the n chunks of dst, on up to GOMAXPROCS goroutines.
func (g *Generator) parallelChunks(dst *Batch, n int) {
	g.chunkDst, g.chunks = dst, n
	g.nextChunk.Store(0)
	helpers := min(runtime.GOMAXPROCS(0), n) - 1
	if helpers > 0 {
		startHelpers(helpers)
		g.wg.Add(helpers)
		g.tokens.Store(int32(helpers))
	}
	for range helpers {
		select {
		case chunkPool.jobs <- g:
		default: // the queue is full of other generators: this goroutine does the work
		}
	}
	g.walkChunks()
	g.wg.Add(-int(g.tokens.Swap(0)))
	g.wg.Wait()
	g.chunkDst = nil
}

// takeToken claims one of the current batch's helper tokens, false when none is left (a
// helper may find a queued generator done with that batch, or on a later one: a token it
// takes is always the current batch's).
func (g *Generator) takeToken() bool {
	for {
		t := g.tokens.Load()
		if t <= 0 {
			return false
		}
		if g.tokens.CompareAndSwap(t, t-1) {
			return true
		}
	}
}

// walkChunks walks chunks of the current batch until all are claimed.
func (g *Generator) walkChunks() {
	for {
		c := int(g.nextChunk.Add(1)) - 1
		if c >= g.chunks {
			return
		}
		g.sorscherWalk(g.chunkDst, c)
	}
}
