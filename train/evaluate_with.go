package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/npyio"
)

// EvaluateWith is Evaluate with the evaluation settings eval (rate-map resolutions, score
// method, units, thresholds) in place of the run's own: the evaluation batch, the model and
// the units' random subsets come from the run as Evaluate's do. config.json is left as it
// was; summary.json records the resolution and method used. The combined config must
// validate. (Added for "gridcells eval --nbins/--method" as a separate file so that
// Evaluate itself is unchanged.)
func EvaluateWith(ctx context.Context, dir string, eval config.Eval, opt Options) (*Summary, error) {
	cfg, err := LoadConfig(dir)
	if err != nil {
		return nil, err
	}
	cfg.Eval = eval
	cfg.Eval.NBins = append([]int(nil), eval.NBins...)
	r, err := newRun(dir, cfg, opt)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, finalFile)
	m, err := npyio.ReadNPZ(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("train: %s: %w (no %s: the run has not finished training)", dir, ErrNoRun, finalFile)
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// The training figures (steps, time) live in the latest checkpoint's state; the final
	// weights are loaded after it, as Evaluate does.
	if err := r.restore(filepath.Join(dir, latestFile)); err != nil {
		return nil, err
	}
	if err := r.loadWeights(m, path); err != nil {
		return nil, err
	}
	return r.evaluate(ctx)
}
