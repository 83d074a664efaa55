package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"github.com/gridcells/gridcells/compute"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/report"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/train"
)

// trainOptions are the flags of "gridcells train".
type trainOptions struct {
	cf     configFlags
	Out    string
	Resume string
	Quiet  bool
}

// AddFlags defines the command's flags; the default preset is quick.
func (o *trainOptions) AddFlags(fs *flag.FlagSet) {
	o.cf.Preset = config.PresetQuick
	o.cf.Register(fs)
	fs.StringVar(&o.Out, "out", "", "run `directory` to create (required unless --resume)")
	fs.StringVar(&o.Resume, "resume", "", "continue the interrupted run in `directory` with its saved config")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress and no device line on stderr (default false)")
}

func init() {
	register(&Command{
		Name:  "train",
		Usage: "[--preset P] [--config F] [--set k=v ...] --out DIR | --resume DIR [--quiet]",
		Short: "train one network and write its run directory",
		Long: `Train trains one path-integrating network (spec §3–§4) on fresh random-walk batches,
evaluates it the NFL way at the end (spec §4.3: one batch of eval.sequence_length steps,
rate maps, grid scores) and writes the run directory:

  config.json            resolved config, gridcells and Go versions, backend
  metrics.jsonl          one line per evaluation: step, loss, decoding error (cm), steps/s, wall time;
                         with eval.track_scores (on unless off) the best unit's score60 and the
                         fraction of units above 0.3 (at most 256 of the analysed units), from
                         rate maps of a batch of the final evaluation's shape: when the grid
                         cells emerge
  checkpoint/latest.npz  weights, optimizer and RNG state (every training.checkpoint_every steps)
  checkpoint/final.npz   final weights (keys = parameter names: W_enc, W_in, W_rec, W_dec, ...)
  eval/activations.npy   grid-layer activations of the evaluation batch, (T*B)×Ng float32,
                         time-major: row t*B + b is trajectory b at step t
  eval/positions.npy     their positions, (T*B)×2 float32, in the same order
  place_cells.npy        place-cell centres, Np×F×2 (padding fields of multi-field cells at ~1e7 m)
  ratemaps.npy           rate maps at eval.nbins[0] (units×n×n), ratemaps_N.npy at the others;
                         row i is the unit in row i of the scores file (all units, or
                         eval.n_units of them drawn per resolution)
  scores.csv             grid scores per unit (scores_N.csv at the other resolutions)
  summary.json           loss and the loss it resolved to, decoding error, max score60,
                         fractions of units above 0.3, 0.75, 0.8, 0.85, 1, 1.15 and 1.2,
                         has_possible_grid_cells (spec §5.6), steps, wall time, steps/s,
                         the best evaluation during training, "diverged" (a blow-up: a NaN
                         or infinite loss or decoding error, a cross-entropy above 10·ln Np,
                         a training loss 100× its lowest and above its first, or a last
                         evaluation decoding >3× worse than the best)
                         and first_grid_step (the first evaluation at which the best unit's
                         score60 was above eval.grid_threshold and still was at the next, or
                         the last one; −1 for none, null without eval.track_scores)

Ctrl-C saves a checkpoint and exits with status 130; on a CPU it gives up the step it is in
(within a time step of the recurrence), which the resumed run trains again.
"gridcells train --resume DIR" then continues the run and reaches the same final weights as
an uninterrupted run. A finished
run is never overwritten. Progress goes to stderr about once a second on a terminal;
otherwise (a log file) at each evaluation and at least once a minute.`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o trainOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runTrain(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// runTrain starts or resumes a run. Invalid input returns a UsageError before anything is
// written; the summary goes to stdout and progress to logw.
func runTrain(ctx context.Context, o *trainOptions, args []string, stdout, logw io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	var p *trainProgress
	opt := train.Options{Version: version}
	if !o.Quiet {
		p = &trainProgress{w: logw, tty: isTerminal(logw), start: time.Now()}
		opt.Progress = p
	}
	var cfg config.Config
	var err error
	if o.Resume != "" {
		if o.Out != "" || o.cf.File != "" || len(o.cf.Sets) > 0 || o.cf.presetSet {
			return usagef("--resume takes the config from the run directory; do not combine it with --out, --preset, --config or --set")
		}
		var completed bool
		if cfg, completed, err = train.LoadForResume(o.Resume); err != nil {
			return runDirError(fmt.Errorf("--resume %s: %w", o.Resume, err))
		}
		if completed {
			// The run is done, which is what the resume was for (a cluster task retrying
			// it must not fail).
			fmt.Fprintf(logw, "gridcells train: %s: finished the final evaluation a stopped process had committed; the run is complete\n", o.Resume)
			return nil
		}
	} else {
		if o.Out == "" {
			return usagef("--out DIR is required (or --resume DIR)")
		}
		if err := checkOutDir("--out", o.Out); err != nil {
			return err
		}
		if fileExists(filepath.Join(o.Out, sweep.ManifestFile)) {
			// Its files would mix with the sweep's, and report would read it as the sweep.
			return usagef("--out %s is a sweep directory (it holds %s); give the run a directory of its own", o.Out, sweep.ManifestFile)
		}
		if cfg, err = o.cf.Resolve(); err != nil {
			return err
		}
	}
	dir := cmp.Or(o.Resume, o.Out)
	// Refused before the device line and the device's start-up (seconds on a GPU).
	if err := train.CheckStart(dir, o.Resume != ""); err != nil {
		return usagef("%v", err)
	}
	if o.Resume == "" {
		if err := checkNewRunDir("--out", o.Out, o.cf.File); err != nil {
			return err
		}
	}
	devw := logw
	if o.Quiet {
		devw = io.Discard // the device is in config.json and summary.json as well
	}
	for _, u := range cfg.Unused() {
		fmt.Fprintf(devw, "note: %s; the setting has no effect\n", u)
	}
	b, err := openBackend(cfg.Training.Device, devw, "")
	if err != nil {
		return err
	}
	defer closeBackend(b, logw)
	opt.Backend = b
	var sum *train.Summary
	if o.Resume != "" {
		sum, err = train.Resume(ctx, o.Resume, opt)
	} else {
		sum, err = train.Train(ctx, o.Out, cfg, opt)
	}
	if errors.Is(err, train.ErrRunExists) || errors.Is(err, train.ErrFinished) {
		// Nothing was written: the directory's run is left as it was.
		return usagef("%v", err)
	}
	if p != nil {
		p.finish()
	}
	if errors.Is(err, context.Canceled) {
		at := ""
		if p != nil && p.step > 0 {
			at = fmt.Sprintf(" (step %d)", p.step)
		}
		fmt.Fprintf(logw, "checkpoint saved%s; resume with: gridcells train --resume %s\n", at, dir)
	}
	if err != nil {
		return fullDisk(err, dir)
	}
	fmt.Fprintf(stdout, "steps %d in %.0f s (%.1f steps/s, %s)\nloss %.4f (%s), decoding error %.2f cm\nmax score60 (%s, %d bins) %.3f; units above 0.3/0.8/1.2: %.0f%% / %.0f%% / %.0f%%\nhas possible grid cells: %v\n",
		sum.Steps, float64(sum.WallSeconds), float64(sum.StepsPerSecond), sum.Backend,
		float64(sum.Loss), sum.LossKind, float64(sum.DecodingErrorCM),
		sum.ScoreMethod, sum.NBins, float64(sum.MaxScore60),
		100*sum.FracAbove["0.3"], 100*sum.FracAbove["0.8"], 100*sum.FracAbove["1.2"],
		sum.HasPossibleGridCells)
	if f := sum.FirstGridStep; f != nil && *f >= 0 {
		fmt.Fprintf(stdout, "grid cells from step %d (max score60 > %g there and at the next evaluation, or after the last in the final one)\n", *f, sum.GridThreshold)
	}
	switch {
	case sum.Diverged && sum.BestEvalStep < 0:
		fmt.Fprintf(logw, "warning: training diverged: the loss is NaN or infinite and no evaluation decoded; lower training.learning_rate\n")
	case sum.Diverged:
		fmt.Fprintf(logw, "warning: training diverged: the last evaluation decoded far worse than the best one (%.1f cm at step %d), or its loss is NaN or infinite; lower training.learning_rate\n",
			float64(sum.BestEvalDecodingErrorCM), sum.BestEvalStep)
	}
	return nil
}

// openBackend returns the compute backend of a training.device value and says on logw
// which it chose and why (note is appended to that line). A value naming no device is a
// usage error (exit 2); a device this machine lacks (train.ErrDeviceUnavailable) is not.
func openBackend(device string, logw io.Writer, note string) (compute.Backend, error) {
	b, which, err := train.NewBackend(device)
	var ce *config.ConfigError
	if errors.As(err, &ce) {
		return nil, UsageError{err}
	}
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "device: %s%s\n", which, note)
	return b, nil
}

// checkNewRunDir refuses a directory that a new run would share with files not its own
// (train.ForeignEntries): a run's, a sweep's run's, a report's, logs (*.log, *.out: a shell
// redirect made before the command starts), names in extra, and the run's config file
// when it lies there (as a sweep's sweep_config.json does).
func checkNewRunDir(flag, dir, configFile string, extra ...string) error {
	also := append(sweep.RunFiles(), report.FiguresDir, "report.html", "*.log", "*.out")
	foreign, err := train.ForeignEntries(dir, append(also, extra...)...)
	if err != nil {
		return err
	}
	if configFile != "" {
		cd, errC := filepath.Abs(filepath.Dir(configFile))
		rd, errR := filepath.Abs(dir)
		if errC == nil && errR == nil && cd == rd {
			foreign = slices.DeleteFunc(foreign, func(n string) bool { return n == filepath.Base(configFile) })
		}
	}
	if len(foreign) > 0 {
		return usagef("%s %s holds files that are not a run's (%s); give the run a new or empty directory", flag, dir, listSome(foreign, 3))
	}
	return nil
}

// closeBackend gives back what a GPU backend holds once the command is done with it:
// compute.Backend has no Close, and the CPU backend none to call. The work is done by then,
// so a failure is only reported on logw.
func closeBackend(b compute.Backend, logw io.Writer) {
	if err := train.CloseBackend(b); err != nil {
		fmt.Fprintf(logw, "warning: releasing the device: %v\n", err)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// logInterval is the longest a log file (stderr not a terminal: nohup, SLURM) goes without
// a progress line: with NFL's evaluations 10,000 steps apart an LSTM run printed nothing
// for hours and looked hung.
const logInterval = time.Minute

// trainProgress prints the loop's progress: on a terminal one self-overwriting line about
// once a second; otherwise one line per evaluation and at least one every logInterval.
type trainProgress struct {
	w       io.Writer
	tty     bool
	clock   func() time.Time // time.Now when nil
	start   time.Time
	last    time.Time
	lastEv  *train.EvalPoint
	partial bool // a \r line is on the terminal
	step    int  // the last step reported
}

func (p *trainProgress) Step(s train.Status) {
	p.step = s.Step
	if s.Eval != nil {
		e := *s.Eval
		p.lastEv = &e
	}
	now := time.Now()
	if p.clock != nil {
		now = p.clock()
	}
	if p.tty {
		if now.Sub(p.last) < time.Second && s.Step != s.Total {
			return
		}
	} else if s.Eval == nil && now.Sub(p.last) < logInterval {
		return
	}
	p.last = now
	eta := "?"
	if r := s.StepsPerSecond; r > 0 && !math.IsNaN(r) {
		eta = (time.Duration(float64(s.Total-s.Step)/r) * time.Second).Round(time.Second).String()
	}
	rate := "– steps/s" // the first step of a session has no rate yet
	if r := s.StepsPerSecond; !math.IsNaN(r) {
		rate = fmt.Sprintf("%.1f steps/s", r)
	}
	line := fmt.Sprintf("step %d/%d  %s  ETA %s  loss %.4f", s.Step, s.Total, rate, eta, s.Loss)
	if p.lastEv != nil {
		line += fmt.Sprintf("  eval loss %.4f  decoding error %.1f cm", p.lastEv.Loss, p.lastEv.DecodingErrorCM)
		if p.lastEv.Scored {
			line += fmt.Sprintf("  max score60 %.2f", p.lastEv.MaxScore60)
		}
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.partial = true
	} else {
		fmt.Fprintln(p.w, line)
	}
}

func (p *trainProgress) Stage(what string) {
	p.finish()
	fmt.Fprintf(p.w, "%s…\n", what)
}

// finish ends a pending terminal line.
func (p *trainProgress) finish() {
	if p.partial {
		fmt.Fprintln(p.w)
		p.partial = false
	}
}

// fullDisk adds to an error of a full disk or quota how to go on: every file of a run is
// written whole or not at all, so the run is as its last checkpoint left it (checked with a
// full disk during a checkpoint and during the final evaluation).
// A disk full before the run's config.json was written leaves no run to resume: the same
// train command then starts it again.
func fullDisk(err error, dir string) error {
	if !errors.Is(err, syscall.ENOSPC) && !errors.Is(err, syscall.EDQUOT) {
		return err
	}
	if _, serr := os.Stat(filepath.Join(dir, "config.json")); serr != nil {
		return fmt.Errorf("%w\nthe disk is full (or the quota reached); free space, then run the same command again", err)
	}
	return fmt.Errorf("%w\nthe disk is full (or the quota reached); free space, then continue with: gridcells train --resume %s", err, dir)
}
