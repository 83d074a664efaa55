package sweep

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/internal/parallel"
	"github.com/gridcells/gridcells/internal/safefile"
)

// TrainLockFile is the lock package train holds in a run directory while a process trains
// or evaluates the run (train.LockFile; sweep does not import train).
const TrainLockFile = ".train.lock"

// Files of a sweep directory.
const (
	ManifestFile = "manifest.jsonl" // one Run per line
	SweepFile    = "sweep.yaml"     // copy of the sweep file
	RunsDir      = "runs"           // runs/<id>/ are the run directories
	LogsDir      = "logs"           // scheduler logs (SLURM %A_%a files)

	// Files of a run directory written by this package (the rest is the train package's).
	runConfigFile = "sweep_config.json" // the run's resolved config, given to "gridcells train --config"
	errorFile     = "error.json"        // the last failure of the run (removed when it finishes)
	lockFile      = ".lock"             // held while a worker runs the run
	logFile       = "train.log"         // stdout and stderr of the run's train processes
	summaryFile   = "summary.json"      // written by train when the run has finished
	runInfoFile   = "config.json"       // written by train when the run has started
	checkpoint    = "checkpoint/latest.npz"
)

// RunFiles returns the names this package puts into a run directory beside train's files
// (what a "train --out" of a sweep's run must accept there; see train.ForeignEntries).
func RunFiles() []string { return []string{runConfigFile, errorFile, lockFile, logFile} }

// manifestLine is the JSON form of one Run.
type manifestLine struct {
	Index  int             `json:"index"`
	ID     string          `json:"id"`
	Params Params          `json:"params"`
	Config json.RawMessage `json:"config"`
}

// WriteManifest writes runs to w, one JSON object per line:
// {"index": i, "id": "...", "params": {swept key: value, ...}, "config": {resolved config}}.
func WriteManifest(w io.Writer, runs []Run) error {
	for _, r := range runs {
		cj, err := r.Config.JSON()
		if err != nil {
			return err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, cj); err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		params := r.Params
		if params == nil {
			params = Params{}
		}
		b, err := json.Marshal(manifestLine{Index: r.Index, ID: r.ID, Params: params, Config: compact.Bytes()})
		if err != nil {
			return fmt.Errorf("sweep: %w", err)
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// Manifest is a manifest.jsonl read into memory but not yet parsed. Parsing and validating
// a row costs about 0.4 ms (a 20,000-row manifest takes 8 s on 2 cores), so a cluster task
// parses only its own rows (Runs(ctx, i, i+1)) and a full load is spread over the cores.
type Manifest struct {
	source string
	rows   [][]byte // the non-empty lines, in order
	lines  []int    // their line numbers (from 1), for errors
}

// ScanManifest reads the lines of a manifest written by WriteManifest; source names it
// in errors. Rows are parsed by Runs.
func ScanManifest(r io.Reader, source string) (*Manifest, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<24)
	m := &Manifest{source: source}
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		m.rows = append(m.rows, bytes.Clone(sc.Bytes()))
		m.lines = append(m.lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", source, err)
	}
	return m, nil
}

// OpenManifest reads the lines of dir/manifest.jsonl.
func OpenManifest(dir string) (*Manifest, error) {
	path := filepath.Join(dir, ManifestFile)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("sweep: %s: no %s (run \"gridcells sweep expand SWEEP.yaml --out %s\" first)", dir, ManifestFile, dir)
		}
		return nil, fmt.Errorf("sweep: %w", err)
	}
	defer f.Close()
	return ScanManifest(f, path)
}

// Len is the number of rows.
func (m *Manifest) Len() int { return len(m.rows) }

// Runs parses rows lo to hi-1. Each config is parsed and validated again (config.Parse),
// and each id checked against it, so an edited manifest cannot run a config under another
// run's id. The rows are parsed on GOMAXPROCS goroutines; the first bad row (in file order)
// is the error, and a cancelled ctx stops the parse with ctx.Err().
func (m *Manifest) Runs(ctx context.Context, lo, hi int) ([]Run, error) {
	if lo < 0 || hi > len(m.rows) || lo > hi {
		return nil, fmt.Errorf("sweep: %s: rows %d to %d requested of %d", m.source, lo, hi, len(m.rows))
	}
	runs := make([]Run, hi-lo)
	err := parallel.For(ctx, hi-lo, 0, func(_, k int) error {
		var err error
		runs[k], err = m.parseRow(lo + k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return runs, nil
}

// parseRow parses and checks row i.
func (m *Manifest) parseRow(i int) (Run, error) {
	where := m.source + ":" + strconv.Itoa(m.lines[i])
	var ml manifestLine
	if err := json.Unmarshal(m.rows[i], &ml); err != nil {
		return Run{}, fmt.Errorf("sweep: %s: %w", where, err)
	}
	cfg, err := config.Parse(ml.Config, where, "")
	if err != nil {
		return Run{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Run{}, fmt.Errorf("sweep: %s: %w", where, err)
	}
	id, err := ConfigID(cfg)
	if err != nil {
		return Run{}, err
	}
	if id != ml.ID {
		return Run{}, fmt.Errorf("sweep: %s: id %s does not match its config (hash %s); re-run \"gridcells sweep expand\"", where, ml.ID, id)
	}
	if ml.Index != i {
		return Run{}, fmt.Errorf("sweep: %s: index %d, want %d (rows are numbered from 0 in order)", where, ml.Index, i)
	}
	return Run{Index: ml.Index, ID: ml.ID, Params: ml.Params, Config: cfg}, nil
}

// ReadManifest reads and parses every row of a manifest written by WriteManifest (see
// Manifest.Runs); source names it in errors.
func ReadManifest(ctx context.Context, r io.Reader, source string) ([]Run, error) {
	m, err := ScanManifest(r, source)
	if err != nil {
		return nil, err
	}
	return m.Runs(ctx, 0, m.Len())
}

// LoadManifest reads and parses every row of dir/manifest.jsonl.
func LoadManifest(ctx context.Context, dir string) ([]Run, error) {
	m, err := OpenManifest(dir)
	if err != nil {
		return nil, err
	}
	return m.Runs(ctx, 0, m.Len())
}

// ErrManifestDiffers: the sweep directory already holds a different manifest.
var ErrManifestDiffers = errors.New("the directory already holds a different manifest")

// Create writes a sweep directory: dir/manifest.jsonl, dir/sweep.yaml (a copy of the
// file's bytes) and dir/runs/. Writing the same runs again is allowed (expansion is
// deterministic), and rewrites the manifest, whose annotations (Params) a newer version may
// word differently; other runs are refused with ErrManifestDiffers, because the run ids of
// the old ones would be orphaned, unless replace is set.
func Create(dir string, sweepYAML []byte, runs []Run, replace bool) error {
	var buf bytes.Buffer
	if err := WriteManifest(&buf, runs); err != nil {
		return err
	}
	path := filepath.Join(dir, ManifestFile)
	if old, err := os.ReadFile(path); err == nil && !bytes.Equal(old, buf.Bytes()) && !replace && !SameRuns(old, runs) {
		return fmt.Errorf("sweep: %s: %w (expand into a new directory, or replace it)", dir, ErrManifestDiffers)
	}
	if err := os.MkdirAll(filepath.Join(dir, RunsDir), 0o755); err != nil {
		return fmt.Errorf("sweep: %w", err)
	}
	if err := safefile.WriteFile(filepath.Join(dir, SweepFile), sweepYAML); err != nil {
		return err
	}
	return safefile.WriteFile(path, buf.Bytes())
}

// SameRuns reports whether the manifest text old lists runs' ids in runs' order: a manifest
// rewritten with other annotations still has the same rows for the schedulers. Only the
// ids are read (ReadManifest would parse and validate every config again, for nothing here);
// an unreadable manifest is not the same.
func SameRuns(old []byte, runs []Run) bool {
	i := 0
	for _, l := range bytes.Split(old, []byte("\n")) {
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var ml struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(l, &ml) != nil || i >= len(runs) || ml.ID != runs[i].ID {
			return false
		}
		i++
	}
	return i == len(runs)
}

// RunDir is the run directory of the run with the given id in the sweep directory dir.
func RunDir(dir, id string) string { return filepath.Join(dir, RunsDir, id) }

// Run states, as Collect reports them.
const (
	StatusPending     = "pending"     // nothing started
	StatusInterrupted = "interrupted" // started (config.json) but no summary: resumable
	StatusRunning     = "running"     // a worker holds the run's lock now
	StatusFailed      = "failed"      // the last attempt failed (error.json)
	StatusFinished    = "finished"    // summary.json present
)

// State returns the status of a run directory (see the Status constants).
func State(runDir string) string {
	if exists(filepath.Join(runDir, summaryFile)) {
		return StatusFinished
	}
	if flock.Held(filepath.Join(runDir, lockFile)) {
		return StatusRunning
	}
	if exists(filepath.Join(runDir, errorFile)) {
		return StatusFailed
	}
	if exists(filepath.Join(runDir, runInfoFile)) {
		return StatusInterrupted
	}
	return StatusPending
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
