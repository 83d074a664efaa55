package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/sweep"
	"github.com/gridcells/gridcells/train"
)

func init() {
	register(&Command{
		Name:  "sweep",
		Usage: "expand|run|submit|collect|table [flags] ARG",
		Short: "expand a W&B/NFL sweep file, run it here, on SLURM or Kubernetes, and tabulate it",
		Long: `Sweep runs many networks from one W&B-style sweep file (spec §6; NFL's sweep files run
unchanged) with no server: a static manifest plus an index-addressed worker.

  gridcells sweep expand SWEEP.yaml --out DIR [--count N --seed S] [--preset P] [--set k=v ...]
      writes DIR/manifest.jsonl (one resolved, validated config per line; run id = hash of the
      config) and DIR/sweep.yaml, and prints the number of runs. Random sweeps need --count
      or a run_cap. A file of several documents (separated by --- lines, one condition
      each, as NFL keeps one file per encoding) makes one manifest of all their runs; keys
      that differ between documents become columns of the manifest and of the table.
  gridcells sweep run DIR [--workers N] [--index I]
      runs the manifest here with a pool of N workers, each run a "gridcells train" process
      in DIR/runs/<id>/; finished runs are skipped, interrupted ones resumed, failed ones
      recorded in DIR/runs/<id>/error.json and retried by the next "sweep run". With
      --index, or $SLURM_ARRAY_TASK_ID / $JOB_COMPLETION_INDEX (+ $GRIDCELLS_SWEEP_INDEX_OFFSET),
      it runs that one row: what a cluster task calls.
  gridcells sweep submit DIR --slurm [--partition P --gpus G --cpus C --mem M --time T
      --max-parallel K --max-array-size S] [--dry-run] [--resubmit]
      writes DIR/slurm/array_<k>.sh (sbatch --array, one task per row, split into arrays of
      at most MaxArraySize tasks: --max-array-size, else "scontrol show config", else 1001)
      and submits them, printing the job ids. Accepted arrays are recorded in
      DIR/slurm/submitted.json: when sbatch refuses one (a job limit), the same command
      submits only the arrays not yet accepted; --resubmit submits every array again.
  gridcells sweep submit DIR --k8s --image IMAGE --pvc CLAIM [--parallelism K --retries R ...]
      writes DIR/k8s/job.yaml, an Indexed Job with one completion per row.
  gridcells sweep collect DIR [--out FILE] [--by KEY,KEY] [--json]
      writes one row per run, one column per swept parameter and metric, to a CSV file
      (default DIR/runs.csv) and with the same columns to a Parquet file beside it
      (DIR/runs.parquet; pandas reads both), and prints the paper's table: per condition
      N, the fraction with decoding error < 10 cm and, of those, the fraction with max
      score60 > 0.8, with Wilson 95 % intervals, and, where the runs scored their units
      during training, the median step from which their grid cells emerged. The files'
      has_possible_grid_cells is counted at --decode-cm and --grid-threshold, as the
      table; --json's runs[].summary is each run's summary.json as written, whose
      has_possible_grid_cells is at the run's own eval thresholds.
  gridcells sweep table DIR [--by KEY,KEY] [--json]
      prints the table only.

Each flag below applies to the verbs its description names.`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o sweepOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runSweepVerb(ctx, &o, fs, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// sweepOptions are the flags of every verb. The command framework parses flags anywhere
// on the line ("sweep expand F --out D") with one flag set per command, so the verbs share
// it; a flag given to a verb it does not apply to is a usage error.
type sweepOptions struct {
	expand  sweepExpandOptions
	run     sweepRunOptions
	submit  sweepSubmitOptions
	collect sweepCollectOptions
}

// sweepVerbFlags lists the flags each verb takes.
var sweepVerbFlags = map[string][]string{
	"expand":  {"out", "count", "seed", "preset", "set", "replace", "skip-invalid"},
	"run":     {"workers", "index", "quiet", "lanes"},
	"submit":  {"slurm", "k8s", "dry-run", "resubmit", "program", "job-name", "gpus", "cpus", "mem", "partition", "time", "max-parallel", "max-array-size", "image", "namespace", "pvc", "sub-path", "mount", "parallelism", "retries", "lanes"},
	"collect": {"out", "require-finished", "by", "json", "decode-threshold", "decode-cm", "grid-threshold"},
	"table":   {"by", "json", "decode-threshold", "decode-cm", "grid-threshold"},
}

// AddFlags defines every verb's flags on fs. --out is shared by expand (the sweep
// directory) and collect (the CSV file).
func (o *sweepOptions) AddFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.expand.Out, "out", "", "expand: sweep `directory` to write (required); collect: CSV file of the runs (default DIR/runs.csv); the Parquet file is FILE with extension .parquet (a FILE.parquet names the Parquet file, and the CSV goes beside it)")
	o.expand.AddFlags(fs)
	o.run.AddFlags(fs)
	o.submit.AddFlags(fs)
	o.submit.lanes = &o.run.Lanes
	o.collect.AddFlags(fs)
}

// runSweep parses a sweep command line (verb, arguments and flags in any order) as the
// command framework does and runs it; tests call it.
func runSweep(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gridcells sweep", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o sweepOptions
	o.AddFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return UsageError{err}
	}
	return runSweepVerb(ctx, &o, fs, pos, stdout, stderr)
}

// runSweepVerb checks that the flags given apply to the verb and runs it.
func runSweepVerb(ctx context.Context, o *sweepOptions, fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usagef("missing verb: expand, run, submit, collect or table (\"gridcells sweep -h\")")
	}
	verb, rest := args[0], args[1:]
	allowed, ok := sweepVerbFlags[verb]
	if !ok {
		return usagef("unknown verb %q: want expand, run, submit, collect or table", verb)
	}
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !slices.Contains(allowed, f.Name) {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return usagef("%s: not a flag of \"sweep %s\" (its flags: --%s)", strings.Join(bad, ", "), verb, strings.Join(allowed, ", --"))
	}
	switch verb {
	case "expand":
		return runSweepExpand(&o.expand, rest, stdout, stderr)
	case "run":
		return runSweepRun(ctx, &o.run, rest, stdout, stderr)
	case "submit":
		return runSweepSubmit(ctx, &o.submit, rest, stdout, stderr)
	default: // collect, table
		c := o.collect
		c.table = verb == "table"
		c.Out = o.expand.Out
		return runSweepCollect(ctx, &c, rest, stdout, stderr)
	}
}

// ---- expand

type sweepExpandOptions struct {
	Out         string
	Count       int
	Seed        uint64
	Preset      string
	Sets        []string
	Replace     bool
	SkipInvalid bool

	presetSet bool
}

func (o *sweepExpandOptions) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Count, "count", 0, "expand: runs of a random sweep (0 = the file's run_cap)")
	fs.Uint64Var(&o.Seed, "seed", 0, "expand: seed of a random sweep's draws (not the networks' seeds: that is the config key seed)")
	fs.Func("preset", fmt.Sprintf("expand: base preset `name` when the file names none: %s (default %q)", strings.Join(config.PresetNames(), ", "), config.PresetNFL2022), func(v string) error {
		o.Preset, o.presetSet = v, true
		return nil
	})
	fs.Func("set", "expand: override one option in every run, `key=value` (repeatable; not a swept key)", func(v string) error {
		o.Sets = append(o.Sets, v)
		return nil
	})
	fs.BoolVar(&o.Replace, "replace", false, "expand: replace a different manifest already in the directory (default false)")
	fs.BoolVar(&o.SkipInvalid, "skip-invalid", false, "expand: drop combinations that fail validation, with a note, instead of failing (default false)")
}

func runSweepExpand(o *sweepExpandOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one sweep file, got %d arguments", len(args))
	}
	if o.Out == "" {
		return usagef("--out DIR is required")
	}
	if o.Count < 0 {
		return usagef("--count must be ≥ 0, got %d", o.Count)
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return usagef("%v", err)
	}
	sweeps, err := sweep.ParseAll(data, args[0])
	if err != nil {
		return UsageError{fmt.Errorf("invalid sweep file:\n%w", indent(err))}
	}
	var methods, fileNotes, presets []string
	for _, sw := range sweeps {
		if o.presetSet && sw.Preset != "" && !strings.EqualFold(sw.Preset, o.Preset) {
			return usagef("--preset %s conflicts with preset %s in %s", o.Preset, sw.Preset, args[0])
		}
		// The base each document's runs start from, as Expand picks it.
		p := cmp.Or(sw.Preset, o.Preset, config.PresetNFL2022)
		if !slices.Contains(presets, p) {
			presets = append(presets, p)
		}
		methods = append(methods, sw.Method)
		fileNotes = append(fileNotes, sw.Notes...)
	}
	method := strings.Join(methods, ", ")
	runs, notes, err := sweep.ExpandAll(sweeps, &sweep.ExpandSettings{Preset: o.Preset, Sets: o.Sets, Count: o.Count, Seed: o.Seed, SkipInvalid: o.SkipInvalid})
	if err != nil {
		hint := ""
		if strings.Contains(err.Error(), "is invalid:") {
			hint = "\n(--skip-invalid drops the invalid combinations)"
		}
		return UsageError{fmt.Errorf("invalid sweep:\n%w%s", indent(err), hint)}
	}
	if len(runs) == 1 {
		notes = append(notes, "the sweep makes one run: no parameter takes two values")
	}
	for _, n := range append(fileNotes, notes...) {
		fmt.Fprintf(stderr, "note: %s\n", n)
	}
	if len(runs) == 0 {
		return usagef("%s: no valid run to write", args[0])
	}
	oldManifest, _ := os.ReadFile(filepath.Join(o.Out, sweep.ManifestFile))
	if err := sweep.Create(o.Out, data, runs, o.Replace); err != nil {
		if errors.Is(err, sweep.ErrManifestDiffers) {
			return usagef("%v (--replace)", err)
		}
		return err
	}
	if oldManifest != nil && !sweep.SameRuns(oldManifest, runs) {
		// Scheduler files written for the replaced manifest count its rows, not these.
		stale, _ := filepath.Glob(filepath.Join(o.Out, "slurm", "array_*.sh"))
		stale = append(stale, filepath.Join(o.Out, "k8s", "job.yaml"), filepath.Join(o.Out, sweep.SubmittedFile))
		if err := removeStale(stale, nil, stderr, "note: removed %s, written for the replaced manifest; run gridcells sweep submit again\n"); err != nil {
			return err
		}
	}
	// How the manifest was made, so that it can be made again.
	settings, _ := json.MarshalIndent(map[string]any{
		"sweep_file": args[0], "method": method, "documents": len(sweeps), "runs": len(runs), "preset": strings.Join(presets, ", "),
		"set": o.Sets, "count": o.Count, "seed": o.Seed, "skip_invalid": o.SkipInvalid, "gridcells_version": version,
	}, "", "  ")
	if err := safefile.WriteFile(filepath.Join(o.Out, "expand.json"), append(settings, '\n')); err != nil {
		return err
	}
	if len(sweeps) > 1 {
		fmt.Fprintf(stderr, "wrote %s (%d sweep documents: %s)\n", filepath.Join(o.Out, sweep.ManifestFile), len(sweeps), method)
	} else {
		fmt.Fprintf(stderr, "wrote %s (%s sweep)\n", filepath.Join(o.Out, sweep.ManifestFile), method)
	}
	fmt.Fprintln(stdout, len(runs))
	return nil
}

// ---- run

type sweepRunOptions struct {
	Workers int
	Lanes   int
	Index   int
	Quiet   bool
}

func (o *sweepRunOptions) AddFlags(fs *flag.FlagSet) {
	fs.IntVar(&o.Workers, "workers", 1, "run: runs trained at once by the local pool (each uses every core it is given)")
	fs.IntVar(&o.Index, "index", -1, "run: run only manifest row `I` (-1: the row of $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX, else every row)")
	fs.BoolVar(&o.Quiet, "quiet", false, "run: print only failures, waits for a run another worker holds, and (without --index) the final counts (default false)")
	fs.IntVar(&o.Lanes, "lanes", 1, "run, submit: train up to `K` GPU (non-cpu device) runs together in one \"gridcells lanes\" process: runs of one network shape and schedule as one ensemble (batched GEMMs), others each on its own CUDA stream; with --index (or a cluster task), the task's K consecutive rows")
}

func runSweepRun(ctx context.Context, o *sweepRunOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one sweep directory, got %d arguments", len(args))
	}
	if o.Workers < 1 {
		return usagef("--workers must be ≥ 1, got %d", o.Workers)
	}
	if o.Lanes < 1 {
		return usagef("--lanes must be ≥ 1, got %d", o.Lanes)
	}
	if o.Index < -1 {
		// Only -1 means "the cluster task's row, else every row"; -5 is a typo, not that.
		return usagef("--index %d: must be a manifest row (≥ 0), or -1", o.Index)
	}
	dir := args[0]
	m, err := sweep.OpenManifest(dir)
	if err != nil {
		return usagef("%v", err)
	}
	p := &sweepProgress{w: stderr, total: m.Len(), quiet: o.Quiet}
	w := &sweep.Worker{Dir: dir, Progress: p, Lanes: o.Lanes, StackKey: stackKey}
	if o.Workers > 1 && os.Getenv("GOMAXPROCS") == "" {
		// Each run would otherwise use every core; share them among the workers.
		w.Threads = max(1, runtime.NumCPU()/o.Workers)
	}
	index, from := o.Index, "--index"
	if index < 0 {
		i, src, ok, err := sweep.TaskIndex(os.Getenv)
		if err != nil {
			return usagef("%v", err)
		}
		if ok {
			index, from = i, src
		}
	}
	if index >= 0 {
		// One task: row index, or with --lanes K the task's K rows trained together.
		lo, hi, ok := sweep.LaneRows(m.Len(), o.Lanes, index)
		if !ok {
			if o.Lanes > 1 {
				return usagef("task %d (from %s) is outside the manifest's %d rows in tasks of %d", index, from, m.Len(), o.Lanes)
			}
			return usagef("row %d (from %s) is outside the manifest's %d rows", index, from, m.Len())
		}
		// A cluster task parses only its own rows, not the whole manifest, and counts its
		// progress in them ("1/1", not "1/20000").
		runs, err := m.Runs(ctx, lo, hi)
		if err != nil {
			return manifestErr(ctx, err)
		}
		p.total = len(runs)
		return runTask(ctx, w, runs, o.Quiet, stderr)
	}
	runs, err := m.Runs(ctx, 0, m.Len())
	if err != nil {
		return manifestErr(ctx, err)
	}
	switch {
	case o.Quiet:
	case o.Lanes > 1:
		fmt.Fprintf(stderr, "%s, %s, up to %d lanes per process\n", count(len(runs), "run", "runs"), count(o.Workers, "worker", "workers"), o.Lanes)
	default:
		fmt.Fprintf(stderr, "%s, %s\n", count(len(runs), "run", "runs"), count(o.Workers, "worker", "workers"))
	}
	outs := w.RunAll(ctx, runs, o.Workers)
	counts := map[string]int{}
	var failed []error
	for _, out := range outs {
		counts[out.Result]++
		if out.Result == sweep.ResultFailed {
			failed = append(failed, out.Err)
		}
	}
	fmt.Fprintf(stderr, "%s: %d finished now, %d had finished, %d failed, %d run by other workers, %d cancelled\n",
		count(len(runs), "run", "runs"), counts[sweep.ResultFinished], counts[sweep.ResultSkipped], counts[sweep.ResultFailed], counts[sweep.ResultBusy], counts[sweep.ResultCancelled])
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(failed) > 0 {
		return fmt.Errorf("%s failed (their errors are in runs/<id>/error.json):\n%w", count(len(failed), "run", "runs"), indent(errors.Join(failed...)))
	}
	return nil
}

// busyPoll is how often a cluster task looks again at a run that another worker holds.
var busyPoll = 10 * time.Second

// runTask trains one cluster task's runs. A run another worker holds is waited for, not
// passed over: the scheduler marks the task done when it exits 0, and no other task has
// its row. The holder is most often the task's own previous pod or array task, still
// writing its checkpoint after an eviction (Kubernetes starts the replacement pod while the
// old one terminates), or a "sweep collect" looking at the run; once it lets go, the run
// is resumed here, or skipped if it has finished.
//
// quiet leaves out the lines of runs that had finished; a wait is always said, since a task
// that waits for a run says nothing else until it ends.
func runTask(ctx context.Context, w *sweep.Worker, runs []sweep.Run, quiet bool, stderr io.Writer) error {
	var failed []error
	waiting := map[string]bool{}
	for len(runs) > 0 {
		var busy []sweep.Run
		for _, out := range w.RunGroup(ctx, runs) {
			switch out.Result {
			case sweep.ResultSkipped:
				if quiet {
					break
				}
				fmt.Fprintf(stderr, "run %s (row %d) had finished\n", out.Run.ID, out.Run.Index)
			case sweep.ResultBusy:
				if !waiting[out.Run.ID] {
					fmt.Fprintf(stderr, "run %s (row %d) is held by another worker; waiting until it lets go (checking every %v)\n", out.Run.ID, out.Run.Index, busyPoll)
					waiting[out.Run.ID] = true
				}
				busy = append(busy, out.Run)
			case sweep.ResultCancelled:
				return out.Err
			case sweep.ResultFailed:
				failed = append(failed, out.Err)
			}
		}
		if runs = busy; len(runs) > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(busyPoll):
			}
		}
	}
	return errors.Join(failed...)
}

// loadManifest reads and parses every row of dir's manifest (sweep.LoadManifest) with
// manifestErr's errors.
func loadManifest(ctx context.Context, dir string) ([]sweep.Run, error) {
	runs, err := sweep.LoadManifest(ctx, dir)
	return runs, manifestErr(ctx, err)
}

// manifestErr makes an error of reading a manifest a usage error (exit 2: a missing or bad
// manifest), or ctx.Err() when Ctrl-C stopped a long parse (exit 130).
func manifestErr(ctx context.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	return usagef("%v", err)
}

// sweepProgress prints one line per started and ended run.
type sweepProgress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	done  int
	quiet bool
}

func (p *sweepProgress) Started(r sweep.Run, resumed bool) {
	if p.quiet {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	verb := "start"
	if resumed {
		verb = "resume"
	}
	fmt.Fprintf(p.w, "%s  %-6s row %d run %s  %s\n", time.Now().Format("15:04:05"), verb, r.Index, r.ID, r.Params)
}

func (p *sweepProgress) Done(o sweep.Outcome) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	if p.quiet && o.Result != sweep.ResultFailed {
		return
	}
	msg := fmt.Sprintf("%s  %-6s row %d run %s in %s (%d/%d)", time.Now().Format("15:04:05"), o.Result, o.Run.Index, o.Run.ID, o.Elapsed.Round(100*time.Millisecond), p.done, p.total)
	if o.Err != nil && o.Result == sweep.ResultFailed {
		msg += ": " + o.Err.Error()
	}
	fmt.Fprintln(p.w, msg)
}

// ---- submit

type sweepSubmitOptions struct {
	SLURM, K8s bool
	DryRun     bool
	Resubmit   bool
	Program    string
	JobName    string
	GPUs, CPUs int
	Mem        string

	Partition    string
	Time         string
	MaxParallel  int
	MaxArraySize int

	Image, Namespace, PVC, SubPath, Mount string
	Parallelism, Retries                  int

	lanes *int // the --lanes flag, which "sweep run" defines (nil: 1)
}

func (o *sweepSubmitOptions) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.SLURM, "slurm", false, "submit: write and submit SLURM job arrays (default false)")
	fs.BoolVar(&o.K8s, "k8s", false, "submit: write a Kubernetes Indexed Job (default false)")
	fs.BoolVar(&o.DryRun, "dry-run", false, "submit: write the scripts but do not submit them (default false)")
	fs.BoolVar(&o.Resubmit, "resubmit", false, "submit --slurm: submit arrays again that slurm/submitted.json records as submitted (default false: a second submit sends only the arrays a first one did not)")
	fs.StringVar(&o.Program, "program", "", "submit: gridcells `path` on the nodes (default: this executable for SLURM, \"gridcells\" in the image for Kubernetes)")
	fs.StringVar(&o.JobName, "job-name", "gridcells-sweep", "submit: job `name`")
	fs.IntVar(&o.GPUs, "gpus", 0, "submit: GPUs per run (SLURM --gres=gpu:N, Kubernetes nvidia.com/gpu)")
	fs.IntVar(&o.CPUs, "cpus", 0, "submit: CPUs per run (0 = the scheduler's default); also GOMAXPROCS")
	fs.StringVar(&o.Mem, "mem", "", "submit: memory per run, e.g. 8G (\"\" = the scheduler's default)")
	fs.StringVar(&o.Partition, "partition", "", "submit: SLURM `partition` (\"\" = the cluster's default)")
	fs.StringVar(&o.Time, "time", "", "submit: SLURM time limit per run, e.g. 1-00:00:00 (\"\" = the partition's)")
	fs.IntVar(&o.MaxParallel, "max-parallel", 0, "submit: SLURM: at most this many tasks of each array at once (0 = no limit)")
	fs.IntVar(&o.MaxArraySize, "max-array-size", 0, "submit: SLURM MaxArraySize (0 = from \"scontrol show config\", else 1001)")
	fs.StringVar(&o.Image, "image", "", "submit: Kubernetes: container `image` with gridcells")
	fs.StringVar(&o.Namespace, "namespace", "", "submit: Kubernetes `namespace` (\"\" = the context's)")
	fs.StringVar(&o.PVC, "pvc", "", "submit: Kubernetes: PersistentVolumeClaim holding the sweep directory")
	fs.StringVar(&o.SubPath, "sub-path", "", "submit: Kubernetes: the sweep directory inside the claim (\"\" = its root)")
	fs.StringVar(&o.Mount, "mount", "/sweep", "submit: Kubernetes: where the sweep directory is mounted in the pod")
	fs.IntVar(&o.Parallelism, "parallelism", 0, "submit: Kubernetes: pods at once (0 = all)")
	fs.IntVar(&o.Retries, "retries", 2, "submit: Kubernetes: backoffLimitPerIndex, retries of a failed run")
}

func runSweepSubmit(ctx context.Context, o *sweepSubmitOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one sweep directory, got %d arguments", len(args))
	}
	if o.SLURM == o.K8s {
		return usagef("give exactly one of --slurm and --k8s")
	}
	if o.Resubmit && !o.SLURM {
		return usagef("--resubmit is for --slurm")
	}
	dir, err := filepath.Abs(args[0])
	if err != nil {
		return err
	}
	runs, err := loadManifest(ctx, dir)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		return usagef("%s: the manifest has no runs", dir)
	}
	lanes := 1
	if o.lanes != nil {
		lanes = *o.lanes
	}
	if lanes < 1 {
		return usagef("--lanes must be ≥ 1, got %d", lanes)
	}
	tasks := sweep.LaneTasks(len(runs), lanes)
	if o.K8s {
		b, err := sweep.K8sJob(&sweep.K8sSettings{
			Name: o.JobName, Namespace: o.Namespace, Image: o.Image, Program: o.Program,
			PVC: o.PVC, SubPath: o.SubPath, MountPath: o.Mount, Parallelism: o.Parallelism,
			BackoffLimitPerIndex: o.Retries, CPUs: o.CPUs, Mem: o.Mem, GPUs: o.GPUs, Lanes: lanes,
		}, tasks)
		if err != nil {
			return usagef("%v", err)
		}
		path := filepath.Join(dir, "k8s", "job.yaml")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := safefile.WriteFile(path, b); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s (%d runs in %d pods); submit it with: kubectl apply -f %s\n", path, len(runs), tasks, path)
		fmt.Fprintln(stdout, path)
		return nil
	}
	program := o.Program
	if program == "" {
		if program, err = os.Executable(); err != nil {
			return err
		}
	}
	if program, err = filepath.Abs(program); err != nil {
		return err
	}
	s := &sweep.SLURMSettings{
		Dir: dir, Program: program, JobName: o.JobName, Partition: o.Partition, GPUs: o.GPUs,
		CPUs: o.CPUs, Mem: o.Mem, Time: o.Time, MaxParallel: o.MaxParallel, MaxArraySize: o.MaxArraySize,
		Lanes: lanes,
	}
	if err := s.Validate(); err != nil {
		return usagef("%v", err)
	}
	from := "--max-array-size"
	if s.MaxArraySize == 0 {
		if n, ok := sweep.ClusterMaxArraySize(ctx); ok {
			s.MaxArraySize, from = n, "scontrol show config"
		} else {
			s.MaxArraySize, from = sweep.DefaultMaxArraySize, "default"
		}
	}
	parts := sweep.SplitArray(tasks, s.MaxArraySize)
	for _, d := range []string{filepath.Join(dir, "slurm"), filepath.Join(dir, sweep.LogsDir)} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	var scripts []string
	bodies := make([][]byte, len(parts)) // what each script holds, for the submit record
	for k, part := range parts {
		path := filepath.Join(dir, "slurm", fmt.Sprintf("array_%d.sh", k))
		bodies[k] = []byte(sweep.SLURMScript(s, part, len(runs)))
		if err := safefile.WriteFile(path, bodies[k]); err != nil {
			return err
		}
		if err := os.Chmod(path, 0o755); err != nil {
			return err
		}
		scripts = append(scripts, path)
	}
	// Scripts of an earlier, longer split (another --lanes or --max-array-size) would
	// submit rows again with the old settings to whoever runs sbatch slurm/*.sh.
	old, _ := filepath.Glob(filepath.Join(dir, "slurm", "array_*.sh"))
	if err := removeStale(old, scripts, stderr, "removed %s of an earlier submit\n"); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "%d runs in %d array(s) of at most %d tasks (MaxArraySize from %s): %s\n",
		len(runs), len(parts), s.MaxArraySize, from, strings.Join(scripts, " "))
	if o.DryRun {
		for _, sc := range scripts {
			fmt.Fprintf(stdout, "sbatch --parsable %s\n", sc)
		}
		return nil
	}
	return submitArrays(ctx, dir, scripts, bodies, parts, lanes, o.Resubmit, stdout, stderr)
}

// submitArrays submits each array script (holding bodies, of parts, lanes rows per task) with sbatch,
// printing the job ids, and records each one accepted in sweep.SubmittedFile. An array
// recorded with the same tasks is skipped unless resubmit: its rows are queued already,
// whatever else changed in the script. At the first refusal it says which scripts remain:
// running the same command again submits only those.
func submitArrays(ctx context.Context, dir string, scripts []string, bodies [][]byte, parts []sweep.ArrayPart, lanes int, resubmit bool, stdout, stderr io.Writer) error {
	record, err := sweep.ReadSubmitted(dir)
	if err != nil {
		return err
	}
	for k, sc := range scripts {
		name, sum, tasks := filepath.Base(sc), sweep.ScriptSHA256(bodies[k]), sweep.TaskRange(parts[k])
		if prev, ok := record[name]; ok && prev.Tasks == tasks && prev.Lanes == lanes && !resubmit {
			other := ""
			if prev.SHA256 != sum {
				other = ", from a script with other settings (program path, partition, …)"
			}
			fmt.Fprintf(stderr, "%s (tasks %s): already submitted as job %s on %s%s; --resubmit submits it again\n",
				name, tasks, prev.Job, prev.SubmittedAt.Format(time.DateTime), other)
			continue
		}
		ids, err := sweep.SubmitSLURM(ctx, []string{sc})
		if err != nil {
			left := make([]string, 0, len(scripts)-k)
			for _, l := range scripts[k:] {
				left = append(left, filepath.Base(l))
			}
			return fmt.Errorf("%w\n%s not submitted: %s; the same command submits only these when run again (when the queue has room)",
				err, count(len(left), "array", "arrays"), strings.Join(left, " "))
		}
		fmt.Fprintln(stdout, ids[0])
		record[name] = sweep.SubmittedArray{Job: ids[0], Tasks: tasks, Lanes: lanes, SHA256: sum, SubmittedAt: time.Now().UTC()}
		if err := sweep.WriteSubmitted(dir, record); err != nil {
			return err
		}
	}
	return nil
}

// removeStale removes the files of paths that keep does not hold (and that exist), saying
// so on w with the format note (one %s: the path).
func removeStale(paths, keep []string, w io.Writer, note string) error {
	for _, f := range paths {
		if slices.Contains(keep, f) {
			continue
		}
		if err := os.Remove(f); err == nil {
			fmt.Fprintf(w, note, f)
		} else if !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// ---- collect and table

type sweepCollectOptions struct {
	table           bool
	Out             string
	By              string
	JSON            bool
	DecodeCM        float64
	Grid            float64
	RequireFinished bool
}

func (o *sweepCollectOptions) AddFlags(fs *flag.FlagSet) {
	fs.BoolVar(&o.RequireFinished, "require-finished", false, "collect: exit with status 1 unless every run has finished (default false)")
	fs.StringVar(&o.By, "by", "", "collect, table: group the table by these comma-separated `keys` (default: the swept keys except seed; \"none\": one group)")
	fs.BoolVar(&o.JSON, "json", false, "collect, table: print the table and the runs as JSON instead of text (default false)")
	fs.Float64Var(&o.DecodeCM, "decode-threshold", sweep.DefaultDecodeThresholdCM, "collect, table: decoding error below which a network path-integrates, cm")
	// The name report and reproduce give the same threshold.
	fs.Float64Var(&o.DecodeCM, "decode-cm", sweep.DefaultDecodeThresholdCM, "collect, table: the same as --decode-threshold (report's and reproduce's name for it)")
	fs.Float64Var(&o.Grid, "grid-threshold", sweep.DefaultGridThreshold, "collect, table: max score60 above which a network has possible grid cells")
}

func runSweepCollect(ctx context.Context, o *sweepCollectOptions, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 {
		return usagef("want one sweep directory, got %d arguments", len(args))
	}
	if err := checkNetworkThresholds(o.DecodeCM, o.Grid, "--decode-threshold (--decode-cm)"); err != nil {
		return err
	}
	dir := args[0]
	runs, err := loadManifest(ctx, dir)
	if err != nil {
		return err
	}
	results, err := sweep.Collect(ctx, dir, runs)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var by []string
	switch o.By {
	case "":
		by = sweep.DefaultBy(results)
	case "none":
	default:
		by = strings.Split(o.By, ",")
	}
	th := sweep.Thresholds{DecodeCM: o.DecodeCM, Grid: o.Grid}
	keys, conds, err := sweep.Table(results, by, th)
	if err != nil {
		return UsageError{err}
	}
	if o.By == "" {
		if note := sweep.GroupingNote(keys, conds, len(results)); note != "" {
			fmt.Fprintf(stderr, "note: %s\n", note)
		}
	}
	if note := sweep.ScoringNote(results); note != "" {
		fmt.Fprintf(stderr, "warning: %s\n", note)
	}
	written := "" // the CSV file collect writes
	if !o.table {
		out := o.Out
		if out == "" {
			out = filepath.Join(dir, "runs.csv")
		} else if err := checkOutFile("--out", out); err != nil {
			return err
		}
		out, pq := collectPaths(out)
		// Both files are written before either is renamed into place, so an interruption
		// leaves the previous pair, not a new CSV beside an old Parquet file.
		csvFile, err := safefile.Prepare(out, func(w io.Writer) error { return sweep.WriteCSV(w, results, th) })
		if err != nil {
			return err
		}
		defer csvFile.Discard()
		pqFile, err := safefile.Prepare(pq, func(w io.Writer) error { return sweep.WriteParquet(w, results, th) })
		if err != nil {
			return err
		}
		defer pqFile.Discard()
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := csvFile.Commit(); err != nil {
			return err
		}
		if err := pqFile.Commit(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %s and %s\n", out, pq)
		written = out
	}
	counts := sweep.Counts(results)
	fmt.Fprintf(stderr, "%d runs: %s\n", len(results), statusCounts(counts))
	// The first failures in full; a sweep of thousands can have a thousand, whose errors are
	// all in runs/<id>/error.json and in the table collect wrote.
	const maxFailedLines = 20
	shown := 0
	allErrors := "each error is in runs/<id>/error.json; sweep collect writes them all to runs.csv"
	if written != "" {
		allErrors = "each error is in runs/<id>/error.json and in the error column of " + written
	}
	for _, r := range results {
		if r.Status != sweep.StatusFailed {
			continue
		}
		if shown == maxFailedLines {
			fmt.Fprintf(stderr, "  … and %d more failed runs (%s)\n", counts[sweep.StatusFailed]-shown, allErrors)
			break
		}
		fmt.Fprintf(stderr, "  failed: row %d run %s (%s): %s\n", r.Run.Index, r.Run.ID, r.Run.Params, r.Error)
		shown++
	}
	if o.JSON {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(sweep.NewReport(results, keys, conds, th)); err != nil {
			return err
		}
		if _, err := stdout.Write(buf.Bytes()); err != nil {
			return err
		}
	} else if err := sweep.WriteTable(stdout, keys, conds, th); err != nil {
		return err
	}
	if o.RequireFinished && counts[sweep.StatusFinished] != len(results) {
		return fmt.Errorf("%w: %d of %d", sweep.ErrIncomplete, len(results)-counts[sweep.StatusFinished], len(results))
	}
	return nil
}

// collectPaths returns the CSV and Parquet files collect writes for --out out: out and out
// with its extension replaced by .parquet (runs.csv → runs.parquet), or, when out names a
// .parquet file, out with extension .csv and out, so that one never overwrites the other.
func collectPaths(out string) (csv, parquet string) {
	stem := strings.TrimSuffix(out, filepath.Ext(out))
	if strings.EqualFold(filepath.Ext(out), ".parquet") {
		return stem + ".csv", out
	}
	return out, stem + ".parquet"
}

// stackKey is sweep.Worker's StackKey: train.StackKey, or "" for a run that cannot be an
// ensemble lane (dropout), which is then grouped in manifest order.
func stackKey(c config.Config) string {
	k, err := train.StackKey(c)
	if err != nil {
		return ""
	}
	return k
}

// statusCounts writes the number of runs in each status, from finished to pending, as
// "3 finished, 1 failed"; statuses without runs are left out.
func statusCounts(counts map[string]int) string {
	var cs []string
	for _, st := range []string{sweep.StatusFinished, sweep.StatusRunning, sweep.StatusInterrupted, sweep.StatusFailed, sweep.StatusPending} {
		if counts[st] > 0 {
			cs = append(cs, strconv.Itoa(counts[st])+" "+st)
		}
	}
	return strings.Join(cs, ", ")
}
