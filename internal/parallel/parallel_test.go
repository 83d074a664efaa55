package parallel

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
)

func TestForRunsEveryItemOnce(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 100} {
		const n = 1000
		var calls [n]atomic.Int32
		var badWorker atomic.Bool
		err := For(context.Background(), n, workers, func(w, i int) error {
			if w < 0 || w >= Workers(workers, n) {
				badWorker.Store(true)
			}
			calls[i].Add(1)
			return nil
		})
		if err != nil {
			t.Fatalf("workers %d: %v", workers, err)
		}
		if badWorker.Load() {
			t.Errorf("workers %d: a worker index outside [0, %d)", workers, Workers(workers, n))
		}
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Fatalf("workers %d: item %d ran %d times", workers, i, c)
			}
		}
	}
}

// The lowest failing item's error is returned whatever the scheduling, and items after a
// failure stop being handed out.
func TestForReturnsLowestFailure(t *testing.T) {
	for trial := range 50 {
		var ran atomic.Int32
		err := For(context.Background(), 10000, 4, func(_, i int) error {
			ran.Add(1)
			if i == 70 || i == 30 || i == 50 {
				return fmt.Errorf("item %d", i)
			}
			return nil
		})
		if err == nil || err.Error() != "item 30" {
			t.Fatalf("trial %d: error %v; want item 30", trial, err)
		}
		if r := ran.Load(); r == 10000 {
			t.Fatalf("trial %d: all items ran after a failure", trial)
		}
	}
}

func TestForStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := For(ctx, 1000, 2, func(_, i int) error {
		if ran.Add(1) == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v; want context.Canceled", err)
	}
	if r := ran.Load(); r > 12 { // the two items in flight when cancel was called may finish
		t.Errorf("%d items ran after cancelling at the 10th", r)
	}
	if err := For(ctx, 0, 2, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("no items, cancelled context: %v", err)
	}
}

func ExampleFor() {
	squares := make([]int, 5)
	err := For(context.Background(), len(squares), 0, func(_, i int) error {
		squares[i] = i * i
		return nil
	})
	fmt.Println(squares, err)
	// Output: [0 1 4 9 16] <nil>
}
