package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/internal/safefile"
)

// Results of one attempt at a run (Outcome.Result).
const (
	ResultFinished  = "finished"  // trained to the end now
	ResultSkipped   = "skipped"   // had finished before
	ResultBusy      = "busy"      // another worker holds it
	ResultFailed    = "failed"    // the train process failed; error.json records why
	ResultCancelled = "cancelled" // the context was cancelled; the run is resumable
)

// stopGrace is how long a cancelled train process may take to write its checkpoint after
// SIGTERM before it is killed.
const stopGrace = 2 * time.Minute

// logTailBytes is how much of the end of train.log error.json keeps.
const logTailBytes = 4096

// Worker runs rows of a sweep directory's manifest, each as a subprocess
// "PROGRAM train --config runs/<id>/sweep_config.json --out runs/<id>" (or
// "PROGRAM train --resume runs/<id>" when the run has started before). A subprocess per
// run isolates crashes and memory (a diverged or out-of-memory run takes down only itself),
// and it is what a cluster task runs too, so the local pool, SLURM and Kubernetes share
// one code path.
//
// At most one worker runs a run at a time: the worker holds an flock on runs/<id>/.lock
// for the attempt, and the kernel releases it when the worker dies. On Linux the train
// process is killed with its worker (Pdeathsig), so a worker killed with -9 leaves the run
// at its last checkpoint, and the next worker resumes it.
type Worker struct {
	Dir string // the sweep directory
	// Program is the gridcells executable; "" means this executable (os.Executable).
	Program string
	// Progress receives each run's start and outcome; nil means none. Calls may come from
	// several goroutines at once.
	Progress Progress
	// Threads is GOMAXPROCS of each train process (0 = inherited), so that a pool of N
	// workers shares the cores instead of oversubscribing them N times.
	Threads int
	// Lanes is how many runs RunAll trains together in one process ("gridcells lanes"),
	// each on its own backend; on a GPU each has its own CUDA stream, so small networks
	// fill the device. Runs on the CPU device are never grouped. 0 or 1: one run per process.
	Lanes int
	// StackKey, when set, returns the key under which runs can be trained as one ensemble
	// (train.StackKey; "" when a run cannot be part of one). Groups then gather runs of the
	// same key, up to Lanes each, wherever they are in the manifest, so that the lanes
	// process trains each group as one ensemble; runs of key "" are grouped in order.
	StackKey func(config.Config) string
}

// Progress receives the progress of a sweep.
type Progress interface {
	Started(r Run, resumed bool)
	Done(o Outcome)
}

// Outcome is the result of one attempt at a run.
type Outcome struct {
	Run     Run
	Result  string // one of the Result constants
	Resumed bool   // the attempt continued an interrupted run
	Elapsed time.Duration
	Err     error // why it failed (ResultFailed) or could not start
}

// failure is error.json.
type failure struct {
	Error    string `json:"error"`
	ExitCode int    `json:"exit_code"`
	Time     string `json:"time"`
	LogTail  string `json:"log_tail"`
}

// RunOne makes one attempt at run r: skips it when it has finished or another worker holds
// it, else trains it (resuming it when it had started) and records a failure in
// runs/<id>/error.json. Only problems of the sweep directory itself are returned in
// Outcome.Err with Result "failed" without an error.json.
func (w *Worker) RunOne(ctx context.Context, r Run) Outcome {
	return w.RunGroup(ctx, []Run{r})[0]
}

// RunGroup makes one attempt at each of runs, as RunOne does, training the ones it can
// start together in one process: "PROGRAM lanes --run DIR[=CONFIG] ..." when there are
// several (each run a lane with its own backend; on a GPU, its own CUDA stream), the usual
// "PROGRAM train" for one. Every run of the group is locked for the whole attempt; each
// run's train.log receives the process's output.
func (w *Worker) RunGroup(ctx context.Context, runs []Run) []Outcome {
	out := make([]Outcome, len(runs))
	var ps []*prepared
	for i, r := range runs {
		p, o := w.prepare(r)
		out[i] = o
		if p != nil {
			p.index = i
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		return out
	}
	defer func() {
		for _, p := range ps {
			p.release()
		}
	}()
	program := w.Program
	if program == "" {
		var err error
		if program, err = os.Executable(); err != nil {
			for _, p := range ps {
				out[p.index] = Outcome{Run: p.run, Result: ResultFailed, Err: fmt.Errorf("sweep: %w", err)}
			}
			return out
		}
	}
	var args []string
	if len(ps) == 1 {
		args = ps[0].trainArgs()
	} else {
		args = []string{"lanes"}
		for _, p := range ps {
			args = append(args, "--run", p.laneArg())
		}
	}
	logs := make([]io.Writer, len(ps))
	for i, p := range ps {
		verb := "start"
		if p.resumed {
			verb = "resume"
		}
		fmt.Fprintf(p.log, "== %s gridcells sweep: %s run %s (row %d, pid %d): %s %s\n",
			time.Now().UTC().Format(time.RFC3339), verb, p.run.ID, p.run.Index, os.Getpid(), program, strings.Join(args, " "))
		if w.Progress != nil {
			w.Progress.Started(p.run, p.resumed)
		}
		logs[i] = p.log
	}
	t0 := time.Now()
	err := w.train(ctx, program, args, io.MultiWriter(logs...))
	for _, p := range ps {
		out[p.index] = w.finish(ctx, p, err, time.Since(t0), len(ps) > 1)
	}
	return out
}

// prepared is a run locked and ready to train.
type prepared struct {
	run     Run
	index   int // in the group
	dir     string
	resumed bool
	lock    *flock.Lock
	log     *os.File
	logAt   int64 // the log's size before this attempt
}

func (p *prepared) release() {
	p.log.Close()
	p.lock.Unlock()
}

// trainArgs is the "gridcells train" command line of the run.
func (p *prepared) trainArgs() []string {
	if p.resumed {
		return []string{"train", "--resume", p.dir}
	}
	return []string{"train", "--config", filepath.Join(p.dir, runConfigFile), "--out", p.dir}
}

// laneArg is the run's "--run" value of "gridcells lanes".
func (p *prepared) laneArg() string {
	if p.resumed {
		return p.dir
	}
	return p.dir + "=" + filepath.Join(p.dir, runConfigFile)
}

// prepare locks run r and writes its config, or returns its outcome (skipped, busy or
// failed) and nil when it is not to be trained now.
func (w *Worker) prepare(r Run) (*prepared, Outcome) {
	o := Outcome{Run: r}
	dir := RunDir(w.Dir, r.ID)
	if exists(filepath.Join(dir, summaryFile)) {
		o.Result = ResultSkipped
		return nil, o
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		o.Result, o.Err = ResultFailed, fmt.Errorf("sweep: %w", err)
		return nil, o
	}
	lock, err := flock.TryLock(filepath.Join(dir, lockFile))
	if errors.Is(err, flock.ErrBusy) {
		o.Result = ResultBusy
		return nil, o
	}
	if err != nil {
		o.Result, o.Err = ResultFailed, err
		return nil, o
	}
	// It may have finished between the first look and the lock.
	if exists(filepath.Join(dir, summaryFile)) {
		lock.Unlock()
		o.Result = ResultSkipped
		return nil, o
	}
	// A train or eval process outside this sweep's workers (a user's gridcells train
	// --resume, or the child of a worker killed a moment ago) holds the run's own lock: the
	// train started now would be refused, and recorded as a failure.
	if flock.Held(filepath.Join(dir, TrainLockFile)) {
		lock.Unlock()
		o.Result = ResultBusy
		return nil, o
	}
	p := &prepared{run: r, dir: dir, lock: lock, resumed: exists(filepath.Join(dir, runInfoFile))}
	if p.resumed {
		// A run resumed under this row must be the row's network: an edited config.json
		// would train another one and file it under the row's parameters.
		if err := sameConfig(filepath.Join(dir, runInfoFile), r); err != nil {
			lock.Unlock()
			o.Result, o.Err = ResultFailed, err
			return nil, o
		}
	} else {
		cj, err := r.Config.JSON()
		if err == nil {
			err = safefile.WriteFile(filepath.Join(dir, runConfigFile), cj)
		}
		if err != nil {
			lock.Unlock()
			o.Result, o.Err = ResultFailed, err
			return nil, o
		}
	}
	logf, err := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		lock.Unlock()
		o.Result, o.Err = ResultFailed, fmt.Errorf("sweep: %w", err)
		return nil, o
	}
	p.log = logf
	p.logAt, _ = logf.Seek(0, io.SeekEnd)
	return p, o
}

// sameConfig checks that the run directory's config.json (package train's: the config
// under "config") resolves to the manifest row r's config, by id.
func sameConfig(path string, r Run) error {
	cfg, err := config.Load(path)
	if err != nil {
		return fmt.Errorf("sweep: run %s: %w", r.ID, err)
	}
	id, err := ConfigID(cfg)
	if err != nil {
		return err
	}
	if id != r.ID {
		return fmt.Errorf("sweep: run %s: %s holds another config (id %s) than manifest row %d; move the directory away to train the row afresh", r.ID, path, id, r.Index)
	}
	return nil
}

// finish records the outcome of p's attempt, whose process (a lanes process when lanes)
// ended with err after elapsed.
func (w *Worker) finish(ctx context.Context, p *prepared, err error, elapsed time.Duration, lanes bool) Outcome {
	o := Outcome{Run: p.run, Resumed: p.resumed, Elapsed: elapsed}
	dir := p.dir
	switch {
	case ctx.Err() != nil:
		o.Result, o.Err = ResultCancelled, ctx.Err()
	case exists(filepath.Join(dir, summaryFile)) && (err == nil || lanes):
		// A lanes process exits non-zero when any lane failed; a run that wrote its summary
		// finished all the same.
		o.Result = ResultFinished
		os.Remove(filepath.Join(dir, errorFile))
	default:
		if err == nil {
			err = fmt.Errorf("train exited without writing %s", summaryFile)
		}
		o.Result = ResultFailed
		logTail := tail(p.log.Name(), p.logAt)
		if cause := errorMessage(logTail); cause != "" {
			// "exit status 2" alone says nothing; the process's own message says why.
			err = fmt.Errorf("%w: %s", err, cause)
		}
		f := failure{Error: err.Error(), ExitCode: -1, Time: time.Now().UTC().Format(time.RFC3339), LogTail: logTail}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			f.ExitCode = ee.ExitCode()
		}
		o.Err = fmt.Errorf("run %s: %v (see %s)", p.run.ID, err, filepath.Join(dir, logFile))
		b, _ := json.MarshalIndent(f, "", "  ")
		if werr := safefile.WriteFile(filepath.Join(dir, errorFile), append(b, '\n')); werr != nil {
			o.Err = errors.Join(o.Err, werr)
		}
	}
	if w.Progress != nil {
		w.Progress.Done(o)
	}
	return o
}

// train runs one train process to its end. Cancelling ctx sends it SIGTERM, on which
// gridcells train saves a checkpoint and exits; it is killed after stopGrace.
func (w *Worker) train(ctx context.Context, program string, args []string, log io.Writer) error {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Stdout, cmd.Stderr = log, log
	if w.Threads > 0 {
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(w.Threads))
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = stopGrace
	bindToParent(cmd)
	lockThread()
	defer unlockThread()
	return cmd.Run()
}

// errorMessage returns the error a gridcells process printed last in log ("gridcells
// train: …", up to the end of the log, its lines joined with "; "), or "" when there is
// none (a crash, a kill).
func errorMessage(log string) string {
	lines := strings.Split(strings.TrimRight(log, "\n"), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if !strings.HasPrefix(lines[i], "gridcells ") || !strings.Contains(lines[i], ": ") {
			continue
		}
		var parts []string
		for _, l := range lines[i:] {
			if l = strings.TrimSpace(l); l != "" {
				parts = append(parts, l)
			}
		}
		msg := strings.Join(parts, "; ")
		if len(msg) > maxErrorMessage {
			msg = strings.ToValidUTF8(msg[:maxErrorMessage], "") + "…"
		}
		return msg
	}
	return ""
}

// maxErrorMessage bounds the message errorMessage takes from a log, in bytes: a table cell.
const maxErrorMessage = 500

// tail returns the end of the file at path from offset from (at most logTailBytes).
func tail(path string, from int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	if st.Size()-from > logTailBytes {
		from = st.Size() - logTailBytes
	}
	b := make([]byte, st.Size()-from)
	n, _ := f.ReadAt(b, from)
	return string(b[:n])
}

// RunAll runs the given rows with a pool of workers goroutines (each run a subprocess), in
// manifest order, and returns one outcome per row in the same order. A failed run does not
// stop the others; cancelling ctx stops the running ones (resumable) and starts no more.
func (w *Worker) RunAll(ctx context.Context, runs []Run, workers int) []Outcome {
	if workers < 1 {
		workers = 1
	}
	out := make([]Outcome, len(runs))
	groups := w.groups(runs)
	next := make(chan []int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for g := range next {
				if ctx.Err() != nil {
					for _, i := range g {
						out[i] = Outcome{Run: runs[i], Result: ResultCancelled, Err: ctx.Err()}
					}
					continue
				}
				rs := make([]Run, len(g))
				for k, i := range g {
					rs[k] = runs[i]
				}
				for k, o := range w.RunGroup(ctx, rs) {
					out[g[k]] = o
				}
			}
		}()
	}
	for _, g := range groups {
		next <- g
	}
	close(next)
	wg.Wait()
	return out
}

// LaneTasks is the number of cluster tasks (array tasks, Job completions) that run n
// manifest rows lanes at a time: ⌈n/lanes⌉.
func LaneTasks(n, lanes int) int {
	lanes = max(lanes, 1)
	return (n + lanes - 1) / lanes
}

// LaneRows returns the manifest rows lo … hi−1 of cluster task `task` when each task trains
// lanes consecutive rows together, and false when the task has no rows.
func LaneRows(n, lanes, task int) (lo, hi int, ok bool) {
	lanes = max(lanes, 1)
	lo = task * lanes
	if task < 0 || lo >= n {
		return 0, 0, false
	}
	return lo, min(n, lo+lanes), true
}

// groups cuts runs (by index, in manifest order) into the units RunAll hands to a worker:
// with Lanes > 1, up to Lanes unfinished runs whose device is not the CPU (lanes share a
// GPU; on the CPU they would only share the cores): of one stack key (StackKey), or else
// consecutive; otherwise one run each.
func (w *Worker) groups(runs []Run) [][]int {
	var gs [][]int
	var cur []int
	flush := func() {
		if len(cur) > 0 {
			gs = append(gs, cur)
			cur = nil
		}
	}
	// open holds the unfilled group of each stack key, by its position in gs.
	open := map[string]int{}
	for i, r := range runs {
		laned := w.Lanes > 1 && r.Config.Training.Device != "cpu" &&
			!exists(filepath.Join(RunDir(w.Dir, r.ID), summaryFile))
		if !laned {
			flush()
			gs = append(gs, []int{i})
			continue
		}
		if key := w.stackKey(r.Config); key != "" {
			g, ok := open[key]
			if !ok {
				g = len(gs)
				gs = append(gs, nil)
				open[key] = g
			}
			gs[g] = append(gs[g], i)
			if len(gs[g]) == w.Lanes {
				delete(open, key)
			}
			continue
		}
		cur = append(cur, i)
		if len(cur) == w.Lanes {
			flush()
		}
	}
	flush()
	return gs
}

func (w *Worker) stackKey(c config.Config) string {
	if w.StackKey == nil {
		return ""
	}
	return w.StackKey(c)
}
