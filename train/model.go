package train

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/sim"
)

// Trained is a trained network loaded from its run directory, with what a program needs to
// run it on trajectories of its own.
type Trained struct {
	Config config.Config
	Model  *nn.Model
	// Code is the run's target code, with the run's place-cell centres (encode.ForRun):
	// EncodeBatch turns trajectories into the network's inputs with it, and its
	// DecodingError reads positions back from the network's outputs.
	Code encode.Code
	// Motion is the run's trajectory model; sim.NewSeed(Motion, seed) draws new trajectories
	// from the box the network was trained in.
	Motion sim.Params
}

// LoadModel loads the final weights (checkpoint/final.npz) of the finished run in dir onto b
// (nil: the backend of the run's training.device, as Train picks it, which the caller then
// owns: a GPU backend, t.Model.Backend(), has a Close). It refuses a run whose config now
// builds a different target code (ErrCodeChanged) and one that has not finished training
// (ErrNoRun, as Evaluate does).
func LoadModel(dir string, b compute.Backend) (_ *Trained, err error) {
	cfg, info, err := loadRunInfo(dir)
	if err != nil {
		return nil, err
	}
	t := &Trained{Config: cfg}
	if t.Code, err = encode.ForRun(cfg); err != nil {
		return nil, err
	}
	if err := checkCode(dir, info, t.Code, cfg.Trajectory); err != nil {
		return nil, err
	}
	if t.Motion, err = sim.FromConfig(cfg.Trajectory); err != nil {
		return nil, err
	}
	weights, path, err := readFinalWeights(dir)
	if err != nil {
		return nil, err
	}
	ncfg, err := nn.FromConfig(&cfg)
	if err != nil {
		return nil, err
	}
	if b == nil {
		if b, _, err = makeBackend(cfg.Training.Device); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				CloseBackend(b)
			}
		}()
	}
	// The initial draw is overwritten by the weights; the stream is the run's, so that
	// dropout masks (if a caller trains on) come from the same source as in training.
	if t.Model, err = nn.New(b, ncfg, rand.New(rand.NewPCG(cfg.Seed, streamModel))); err != nil {
		return nil, err
	}
	if err := loadParams(t.Model, weights, path); err != nil {
		return nil, err
	}
	return t, nil
}

// EncodeBatch makes the network inputs of a batch of trajectories, as training does (spec
// §1–§2): the velocity inputs are sb's, the initial code and the targets are code's outputs at
// sb.InitPos and sb.Pos. nb's InitCode and Targets are reused when they have the right
// length and allocated otherwise (nil, or nb last held a batch of another shape); nb.Vel
// shares sb.Vel.
func EncodeBatch(code encode.Code, sb *sim.Batch, nb *nn.Batch) {
	nb.B, nb.T = sb.B, sb.T
	nb.Vel = sb.Vel
	np := code.Np()
	nb.InitCode = code.Encode(sized(nb.InitCode, len(sb.InitPos)/2*np), sb.InitPos)
	nb.Targets = code.Encode(sized(nb.Targets, len(sb.Pos)/2*np), sb.Pos)
}

// sized returns buf when it holds n values, and nil (for the callee to allocate) otherwise.
func sized(buf []float32, n int) []float32 {
	if len(buf) != n {
		return nil
	}
	return buf
}

// loadParams uploads the parameters stored in weights (keys = parameter names) into m.
func loadParams(m *nn.Model, weights map[string]*npyio.Array, path string) error {
	for _, p := range m.Params() {
		a, ok := weights[p.Name]
		if !ok {
			return fmt.Errorf("train: %s: no entry %q", path, p.Name)
		}
		if len(a.Shape) != 2 || a.Shape[0] != p.Rows || a.Shape[1] != p.Cols || a.F32 == nil {
			return fmt.Errorf("train: %s: entry %q is %s %v, want <f4 [%d %d]", path, p.Name, a.Dtype, a.Shape, p.Rows, p.Cols)
		}
		m.Backend().Upload(p.Value, a.F32)
	}
	return nil
}

// readFinalWeights reads the final weights of the run in dir and returns them with their
// path; a run without them has not finished training (ErrNoRun).
func readFinalWeights(dir string) (map[string]*npyio.Array, string, error) {
	path := filepath.Join(dir, finalFile)
	m, err := npyio.ReadNPZ(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, path, fmt.Errorf("train: %s: %w (no %s: the run has not finished training)", dir, ErrNoRun, finalFile)
	}
	if err != nil {
		return nil, path, fmt.Errorf("train: %w", err)
	}
	return m, path, nil
}

// checkCode refuses a run whose config now builds a target code other than the one it was
// trained with (info's fingerprint; runs from before fingerprints pass).
func checkCode(dir string, info RunInfo, code encode.Code, t config.Trajectory) error {
	if info.CodeFingerprint != "" && info.CodeFingerprint != codeFingerprint(code, t) {
		return fmt.Errorf("train: %s: %w", dir, ErrCodeChanged)
	}
	return nil
}
