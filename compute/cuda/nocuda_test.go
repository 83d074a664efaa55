//go:build nocuda

package cuda

import (
	"errors"
	"testing"
)

func TestNoCUDA(t *testing.T) {
	if err := Available(); !errors.Is(err, errNoCUDA) {
		t.Errorf("Available() = %v; want the nocuda error", err)
	}
	if b, err := New(nil); b != nil || !errors.Is(err, errNoCUDA) {
		t.Errorf("New = %v, %v; want nil and the nocuda error", b, err)
	}
	var b *Backend
	if err := b.Close(); err != nil {
		t.Errorf("Close = %v; want nil", err)
	}
}
