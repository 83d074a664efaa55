package nn

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/compute/cpu"
	"github.com/gridcells/gridcells/config"
)

// Statistical tolerances for n ≈ 65,000 draws: the sample standard deviation of a
// variance-σ² distribution is within a few σ²·√(2/n) ≈ 0.6 % of σ².
const (
	stdTol   = 0.02  // relative error of a sample standard deviation
	orthoTol = 1e-12 // |QᵀQ − I| entries
)

func sampleStd(w []float64) float64 {
	var s, s2 float64
	for _, v := range w {
		s += v
		s2 += v * v
	}
	n := float64(len(w))
	return math.Sqrt(s2/n - (s/n)*(s/n))
}

func TestGlorotUniform(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	const r, c = 256, 256
	w := glorotUniform(rng, r, c)
	l := math.Sqrt(6.0 / (r + c))
	for _, v := range w {
		if math.Abs(v) > l {
			t.Fatalf("glorot_uniform value %v outside ±%v", v, l)
		}
	}
	if got, want := sampleStd(w), l/math.Sqrt(3); math.Abs(got-want) > stdTol*want {
		t.Errorf("glorot_uniform std %v; want l/√3 = %v", got, want)
	}
}

func TestGlorotNormal(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	const r, c = 256, 256
	w := glorotNormal(rng, r, c)
	// Keras scales the truncated normal so that its standard deviation is √(2/(fan_in+fan_out)).
	want := math.Sqrt(2.0 / (r + c))
	cut := 2 * want / truncatedNormalStdCorrection
	for _, v := range w {
		if math.Abs(v) > cut {
			t.Fatalf("glorot_normal value %v beyond the 2σ truncation %v", v, cut)
		}
	}
	if got := sampleStd(w); math.Abs(got-want) > stdTol*want {
		t.Errorf("glorot_normal std %v; want %v", got, want)
	}
}

func TestOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for _, sh := range [][2]int{{8, 8}, {5, 20}, {12, 4}} {
		r, c := sh[0], sh[1]
		w := orthogonal(rng, r, c)
		// Rows orthonormal when r ≤ c, columns when r ≥ c.
		n, k := r, c
		dot := func(i, j int) float64 {
			var s float64
			for l := range k {
				s += w[i*c+l] * w[j*c+l]
			}
			return s
		}
		if r > c {
			n, k = c, r
			dot = func(i, j int) float64 {
				var s float64
				for l := range k {
					s += w[l*c+i] * w[l*c+j]
				}
				return s
			}
		}
		for i := range n {
			for j := range n {
				want := 0.0
				if i == j {
					want = 1
				}
				if got := dot(i, j); math.Abs(got-want) > orthoTol {
					t.Fatalf("orthogonal %d×%d: (QᵀQ)[%d,%d] = %v; want %v", r, c, i, j, got, want)
				}
			}
		}
	}
}

// TestInitConventions checks the weights a model starts from: Keras glorot bounds and the
// unit forget bias, or PyTorch's U(±1/√fan_in).
func TestInitConventions(t *testing.T) {
	b := cpu.New64()
	bound := func(m *Model, name string) float64 {
		p := m.Param(name)
		v := make([]float64, p.Rows*p.Cols)
		b.Download64(v, p.Value)
		mx := 0.0
		for _, x := range v {
			mx = max(mx, math.Abs(x))
		}
		return mx
	}
	const ng, np = 64, 32
	pt, err := New(b, Config{Cell: RNN, Ng: ng, Np: np, Activation: compute.ReLU, Loss: CrossEntropy, InitConvention: PyTorch}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	for name, lim := range map[string]float64{"W_enc": 1 / math.Sqrt(np), "W_in": 1 / math.Sqrt(ng), "W_rec": 1 / math.Sqrt(ng), "W_dec": 1 / math.Sqrt(ng)} {
		// The largest of ≥ 128 uniform draws lies within 5 % of the bound (probability of
		// failure < (0.95)^128 ≈ 1e-3 for the smallest tensor; the seed is fixed).
		if got := bound(pt, name); got > lim || got < 0.95*lim {
			t.Errorf("pytorch %s: max |w| = %v; want just below %v", name, got, lim)
		}
	}
	ke, _ := New(b, Config{Cell: LSTM, Ng: ng, Np: np, Activation: compute.Tanh, Loss: MSE}, rand.New(rand.NewPCG(1, 1)))
	if got, lim := bound(ke, "W_in"), math.Sqrt(6.0/(ng+4*ng)); got > lim || got < 0.95*lim {
		t.Errorf("keras LSTM W_in: max |w| = %v; want just below %v", got, lim)
	}
	bias := make([]float64, 4*ng)
	b.Download64(bias, ke.Param("b").Value)
	for j, v := range bias {
		want := 0.0
		if j >= ng && j < 2*ng {
			want = 1
		}
		if v != want {
			t.Fatalf("LSTM bias[%d] = %v; want %v (unit forget bias)", j, v, want)
		}
	}
}

func TestFromConfig(t *testing.T) {
	for _, name := range config.PresetNames() {
		c, err := config.Preset(name)
		if err != nil {
			t.Fatal(err)
		}
		nc, err := FromConfig(&c)
		if err != nil {
			t.Errorf("FromConfig(preset %s) = %v", name, err)
			continue
		}
		if nc.Ng != c.Model.Ng || nc.Np != c.Encoding.Np || string(nc.Cell) != c.Model.RNNType {
			t.Errorf("FromConfig(preset %s) = %+v; does not match the config", name, nc)
		}
	}
	c := config.Default()
	c.Training.Loss = "auto"
	c.Encoding.Kind, c.Encoding.Normalization, c.Encoding.Np = "polar", "none", 2
	if nc, err := FromConfig(&c); err != nil || nc.Loss != PolarMSE {
		t.Errorf("FromConfig(polar, auto loss) = %v, %v; want polarmse", nc.Loss, err)
	}
	c.Model.RNNType = "TCN"
	var ce *config.ConfigError
	if _, err := FromConfig(&c); !errors.As(err, &ce) || ce.Key != "model.rnn_type" || !errors.Is(err, config.ErrBadValue) {
		t.Errorf("FromConfig(rnn_type TCN) error = %v; want a ConfigError naming model.rnn_type", err)
	}
	c.Model.RNNType, c.Model.Activation = "RNN", "gelu"
	if _, err := FromConfig(&c); !errors.As(err, &ce) || ce.Key != "model.activation" {
		t.Errorf("FromConfig(activation gelu) error = %v; want a ConfigError naming model.activation", err)
	}
}

// The orthogonal matrix is the unique Q of A = QR with diag(R) > 0, A the normal draws (what
// makes it Haar-distributed): QᵀA is upper triangular with a positive diagonal.
func TestOrthogonalIsQOfPositiveR(t *testing.T) {
	for _, sh := range [][2]int{{9, 9}, {6, 24}, {40, 10}} {
		rows, cols := sh[0], sh[1]
		n, k := max(rows, cols), min(rows, cols)
		w := orthogonal(rand.New(rand.NewPCG(5, uint64(rows))), rows, cols)
		draw := rand.New(rand.NewPCG(5, uint64(rows))) // the same draws, as the n×k A
		a := make([]float64, n*k)
		for i := range a {
			a[i] = draw.NormFloat64()
		}
		q := func(i, j int) float64 { // Q is n×k: w itself, or wᵀ when rows < cols
			if rows >= cols {
				return w[i*cols+j]
			}
			return w[j*cols+i]
		}
		for i := range k {
			for j := range k {
				var r float64 // (QᵀA)[i,j]
				for l := range n {
					r += q(l, i) * a[l*k+j]
				}
				switch {
				case i > j && math.Abs(r) > 1e-12:
					t.Fatalf("%d×%d: (QᵀA)[%d,%d] = %v below the diagonal; want 0", rows, cols, i, j, r)
				case i == j && r <= 0:
					t.Fatalf("%d×%d: R[%d,%d] = %v; want > 0", rows, cols, i, i, r)
				}
			}
		}
	}
}

func BenchmarkOrthogonal(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for b.Loop() {
		orthogonal(rng, 1024, 4096) // the LSTM recurrent kernel at Ng 1024
	}
}
