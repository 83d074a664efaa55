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
	o := Outcome{Run: r}
	dir := RunDir(w.Dir, r.ID)
	if exists(filepath.Join(dir, summaryFile)) {
		o.Result = ResultSkipped
		return o
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		o.Result, o.Err = ResultFailed, fmt.Errorf("sweep: %w", err)
		return o
	}
	lock, err := tryLock(filepath.Join(dir, lockFile))
	if errors.Is(err, errBusy) {
		o.Result = ResultBusy
		return o
	}
	if err != nil {
		o.Result, o.Err = ResultFailed, err
		return o
	}
	defer lock.unlock()
	// It may have finished between the first look and the lock.
	if exists(filepath.Join(dir, summaryFile)) {
		o.Result = ResultSkipped
		return o
	}
	program := w.Program
	if program == "" {
		if program, err = os.Executable(); err != nil {
			o.Result, o.Err = ResultFailed, fmt.Errorf("sweep: %w", err)
			return o
		}
	}
	var args []string
	if exists(filepath.Join(dir, runInfoFile)) {
		o.Resumed = true
		args = []string{"train", "--resume", dir}
	} else {
		cj, err := r.Config.JSON()
		if err == nil {
			err = safefile.WriteFile(filepath.Join(dir, runConfigFile), cj)
		}
		if err != nil {
			o.Result, o.Err = ResultFailed, err
			return o
		}
		args = []string{"train", "--config", filepath.Join(dir, runConfigFile), "--out", dir}
	}
	logf, err := os.OpenFile(filepath.Join(dir, logFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		o.Result, o.Err = ResultFailed, fmt.Errorf("sweep: %w", err)
		return o
	}
	defer logf.Close()
	start, _ := logf.Seek(0, io.SeekEnd)
	verb := "start"
	if o.Resumed {
		verb = "resume"
	}
	fmt.Fprintf(logf, "== %s gridcells sweep: %s run %s (row %d, pid %d): %s %s\n",
		time.Now().UTC().Format(time.RFC3339), verb, r.ID, r.Index, os.Getpid(), program, strings.Join(args, " "))
	if w.Progress != nil {
		w.Progress.Started(r, o.Resumed)
	}
	t0 := time.Now()
	err = w.train(ctx, program, args, logf)
	o.Elapsed = time.Since(t0)
	switch {
	case ctx.Err() != nil:
		o.Result, o.Err = ResultCancelled, ctx.Err()
	case err == nil && exists(filepath.Join(dir, summaryFile)):
		o.Result = ResultFinished
		os.Remove(filepath.Join(dir, errorFile))
	default:
		if err == nil {
			err = fmt.Errorf("train exited without writing %s", summaryFile)
		}
		o.Result = ResultFailed
		f := failure{Error: err.Error(), ExitCode: -1, Time: time.Now().UTC().Format(time.RFC3339), LogTail: tail(logf.Name(), start)}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			f.ExitCode = ee.ExitCode()
		}
		o.Err = fmt.Errorf("run %s: %v (see %s)", r.ID, err, filepath.Join(dir, logFile))
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
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if ctx.Err() != nil {
					out[i] = Outcome{Run: runs[i], Result: ResultCancelled, Err: ctx.Err()}
					continue
				}
				out[i] = w.RunOne(ctx, runs[i])
			}
		}()
	}
	for i := range runs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out
}
