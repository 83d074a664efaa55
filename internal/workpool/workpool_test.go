package workpool

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter records how often each part ran.
type counter struct{ hits []atomic.Int32 }

func newCounter(parts int) *counter { return &counter{hits: make([]atomic.Int32, parts)} }

func (c *counter) Run(p int) { c.hits[p].Add(1) }

func (c *counter) check(t *testing.T, what string) {
	t.Helper()
	for p := range c.hits {
		if n := c.hits[p].Load(); n != 1 {
			t.Fatalf("%s: part %d ran %d times, want 1", what, p, n)
		}
	}
}

// Every part runs exactly once, for any number of parts and workers, whether the
// workers are spinning (back-to-back calls) or parked (calls after a pause
// longer than SpinTime).
func TestRunEachPartOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 2, 3, 8} {
		for _, parts := range []int{0, 1, 2, 3, 7, 64} {
			for rep := range 50 {
				c := newCounter(parts)
				Run(c, parts, workers)
				c.check(t, fmt.Sprintf("workers %d parts %d rep %d", workers, parts, rep))
				if rep%10 == 9 {
					time.Sleep(2 * SpinTime) // let the workers park
				}
			}
		}
	}
}

// slowTask makes the caller finish its parts long before the workers finish
// theirs, so that it stops polling and sleeps until the last part wakes it.
type slowTask struct{ c *counter }

func (s slowTask) Run(p int) {
	if p > 0 {
		time.Sleep(3 * SpinTime)
	}
	s.c.Run(p)
}

func TestRunCallerSleeps(t *testing.T) {
	for range 5 {
		c := newCounter(4)
		Run(slowTask{c}, 4, 4)
		c.check(t, "slow parts")
	}
}

// Calls from several goroutines at once, and calls from inside a task, all
// complete with every part run once: one of them has the pool, the others run
// on their own goroutine.
func TestRunConcurrentAndNested(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for rep := range 200 {
				c := newCounter(5 + g)
				Run(c, len(c.hits), 2)
				for p := range c.hits {
					if n := c.hits[p].Load(); n != 1 {
						errs <- fmt.Sprintf("goroutine %d rep %d: part %d ran %d times", g, rep, p, n)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	outer := newCounter(6)
	inner := make([]*counter, 6)
	Run(nestedTask{outer, inner}, 6, 2)
	outer.check(t, "outer")
	for i, c := range inner {
		c.check(t, fmt.Sprintf("inner %d", i))
	}
}

type nestedTask struct {
	outer *counter
	inner []*counter
}

func (n nestedTask) Run(p int) {
	n.inner[p] = newCounter(3)
	Run(n.inner[p], 3, 2)
	n.outer.Run(p)
}

// A call allocates nothing once the pool is running.
func TestRunAllocs(t *testing.T) {
	c := newCounter(4)
	Run(c, 4, 2)
	allocs := testing.AllocsPerRun(100, func() {
		for p := range c.hits {
			c.hits[p].Store(0)
		}
		Run(c, 4, 2)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per Run, want 0", allocs)
	}
}

// sumTask adds up a slice in parts.
type sumTask struct {
	x    []float64
	part []float64
}

func (s *sumTask) Run(p int) {
	n := (len(s.x) + len(s.part) - 1) / len(s.part)
	for _, v := range s.x[p*n : min((p+1)*n, len(s.x))] {
		s.part[p] += v
	}
}

func ExampleRun() {
	x := make([]float64, 1000)
	for i := range x {
		x[i] = float64(i)
	}
	s := &sumTask{x: x, part: make([]float64, 4)}
	Run(s, len(s.part), 0) // parts on the caller and the pool's workers
	total := 0.0
	for _, v := range s.part {
		total += v
	}
	fmt.Println(total)
	// Output: 499500
}
