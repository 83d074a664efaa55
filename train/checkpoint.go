package train

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/gridcells/gridcells/npyio"
)

// Checkpoint entry names besides the parameters (whose entries are their nn names). NPZ
// entry names cannot contain '/', so the optimizer's "m/W_rec" is stored as "optim.m.W_rec".
const (
	keyOptimPrefix   = "optim."
	keyStep          = "state.step"
	keyIterations    = "state.optim_iterations"
	keyRNGTrajectory = "state.rng_trajectory" // bytes of the PCG state, one per int64
	keyRNGModel      = "state.rng_model"
	keyLossSum       = "state.loss_sum"
	keyLossCount     = "state.loss_count"
	keyElapsed       = "state.elapsed_s"
)

// weights downloads every parameter as a float32 array, in Model.Params order.
func (r *run) weights() ([]string, []*npyio.Array) {
	var names []string
	var arrays []*npyio.Array
	for _, p := range r.model.Params() {
		d := make([]float32, p.Rows*p.Cols)
		r.b.Download(d, p.Value)
		names = append(names, p.Name)
		arrays = append(arrays, npyio.NewFloat32(d, p.Rows, p.Cols))
	}
	return names, arrays
}

func bytesArray(b []byte) *npyio.Array {
	v := make([]int64, len(b))
	for i, x := range b {
		v[i] = int64(x)
	}
	return npyio.NewInt64(v, len(v))
}

func arrayBytes(a *npyio.Array) ([]byte, error) {
	if a.I64 == nil {
		return nil, fmt.Errorf("dtype %s, want <i8", a.Dtype)
	}
	b := make([]byte, len(a.I64))
	for i, x := range a.I64 {
		if x < 0 || x > 255 {
			return nil, fmt.Errorf("byte value %d out of range", x)
		}
		b[i] = byte(x)
	}
	return b, nil
}

// checkpoint writes checkpoint/latest.npz atomically: weights, optimizer state, step, RNG
// states and the metrics accumulators.
func (r *run) checkpoint() error {
	names, arrays := r.weights()
	for _, s := range r.optim.State() {
		d := make([]float32, s.Rows*s.Cols)
		r.b.Download(d, s.Tensor)
		names = append(names, keyOptimPrefix+strings.ReplaceAll(s.Name, "/", "."))
		arrays = append(arrays, npyio.NewFloat32(d, s.Rows, s.Cols))
	}
	ms, err := r.msrc.MarshalBinary()
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	names = append(names, keyStep, keyIterations, keyRNGTrajectory, keyRNGModel, keyLossSum, keyLossCount, keyElapsed)
	arrays = append(arrays,
		npyio.NewInt64([]int64{int64(r.step)}, 1),
		npyio.NewInt64([]int64{int64(r.optim.Iterations())}, 1),
		bytesArray(r.genState),
		bytesArray(ms),
		npyio.NewFloat64([]float64{r.lossSum}, 1),
		npyio.NewInt64([]int64{int64(r.lossCount)}, 1),
		npyio.NewFloat64([]float64{r.elapsed.Seconds()}, 1))
	if err := npyio.WriteNPZ(filepath.Join(r.dir, latestFile), names, arrays); err != nil {
		return fmt.Errorf("train: checkpoint: %w", err)
	}
	return nil
}

// saveFinal writes the last checkpoint and checkpoint/final.npz (weights only).
func (r *run) saveFinal() error {
	if err := r.checkpoint(); err != nil {
		return err
	}
	names, arrays := r.weights()
	if err := npyio.WriteNPZ(filepath.Join(r.dir, finalFile), names, arrays); err != nil {
		return fmt.Errorf("train: final weights: %w", err)
	}
	return nil
}

// checkpointInt returns the integer entry key of the checkpoint m read from path.
func checkpointInt(m map[string]*npyio.Array, path, key string) (int64, error) {
	a, ok := m[key]
	if !ok || len(a.I64) != 1 {
		return 0, fmt.Errorf("train: %s: missing or malformed entry %q", path, key)
	}
	return a.I64[0], nil
}

// restore loads a checkpoint written by checkpoint into r.
func (r *run) restore(path string) error {
	m, err := npyio.ReadNPZ(path)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := loadParams(r.model, m, path); err != nil {
		return err
	}
	for _, s := range r.optim.State() {
		key := keyOptimPrefix + strings.ReplaceAll(s.Name, "/", ".")
		a, ok := m[key]
		if !ok || a.F32 == nil || len(a.F32) != s.Rows*s.Cols {
			return fmt.Errorf("train: %s: missing or malformed entry %q", path, key)
		}
		r.b.Upload(s.Tensor, a.F32)
	}
	scalarI := func(key string) (int64, error) { return checkpointInt(m, path, key) }
	scalarF := func(key string) (float64, error) {
		a, ok := m[key]
		if !ok || len(a.F64) != 1 {
			return 0, fmt.Errorf("train: %s: missing or malformed entry %q", path, key)
		}
		return a.F64[0], nil
	}
	step, err := scalarI(keyStep)
	if err != nil {
		return err
	}
	iters, err := scalarI(keyIterations)
	if err != nil {
		return err
	}
	count, err := scalarI(keyLossCount)
	if err != nil {
		return err
	}
	sum, err := scalarF(keyLossSum)
	if err != nil {
		return err
	}
	el, err := scalarF(keyElapsed)
	if err != nil {
		return err
	}
	for _, k := range []string{keyRNGTrajectory, keyRNGModel} {
		a, ok := m[k]
		if !ok {
			return fmt.Errorf("train: %s: no entry %q", path, k)
		}
		b, err := arrayBytes(a)
		if err != nil {
			return fmt.Errorf("train: %s: entry %q: %w", path, k, err)
		}
		if k == keyRNGTrajectory {
			err = r.gen.UnmarshalBinary(b)
			r.genState = b
		} else {
			err = r.msrc.UnmarshalBinary(b)
		}
		if err != nil {
			return fmt.Errorf("train: %s: entry %q: %w", path, k, err)
		}
	}
	if step < 0 || int(step) > r.cfg.TotalSteps() {
		return fmt.Errorf("train: %s: step %d outside [0, %d]", path, step, r.cfg.TotalSteps())
	}
	r.step = int(step)
	r.optim.SetIterations(int(iters))
	r.lossSum, r.lossCount = sum, int(count)
	// Round, not truncate: seconds·1e9 can land just below the integer it came from.
	r.elapsed = time.Duration(math.Round(el * float64(time.Second)))
	return nil
}
