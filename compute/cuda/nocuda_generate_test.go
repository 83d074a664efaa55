//go:build nocuda

package cuda

import (
	"errors"
	"testing"
)

func TestNoCUDABatchGenerator(t *testing.T) {
	var b *Backend
	if g, err := b.NewBatchGenerator(WalkParams{}, nil); g != nil || !errors.Is(err, errNoCUDA) {
		t.Errorf("NewBatchGenerator = %v, %v; want nil and the nocuda error", g, err)
	}
}
