package computetest

import (
	"fmt"
	"sync"

	"github.com/gridcells/gridcells/compute"
)

// Counting wraps a backend and keeps the tensors allocated with New and not yet freed, so
// that a test can check that code frees what it allocates: on a GPU, device memory is not
// garbage collected. Free of a tensor that is not live (a second Free, or one of another
// backend) is recorded in Errors. Views pass through. Only the compute.Backend methods are
// forwarded: optional extensions of the wrapped backend are hidden.
type Counting struct {
	compute.Backend
	mu     sync.Mutex
	live   map[compute.Tensor]bool
	Errors []string
}

// NewCounting returns a Counting around b.
func NewCounting(b compute.Backend) *Counting {
	return &Counting{Backend: b, live: map[compute.Tensor]bool{}}
}

func (c *Counting) New(rows, cols int) compute.Tensor {
	t := c.Backend.New(rows, cols)
	c.mu.Lock()
	c.live[t] = true
	c.mu.Unlock()
	return t
}

func (c *Counting) Free(t compute.Tensor) {
	c.mu.Lock()
	if !c.live[t] {
		c.Errors = append(c.Errors, fmt.Sprintf("Free of a %d×%d tensor that is not live", t.Rows(), t.Cols()))
	}
	delete(c.live, t)
	c.mu.Unlock()
	c.Backend.Free(t)
}

// Live returns the number of tensors allocated and not freed.
func (c *Counting) Live() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.live)
}
