package train

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/internal/jsonnum"
	"github.com/gridcells/gridcells/internal/safefile"
)

// File names inside a run directory (README, "Run directory").
const (
	configFile    = "config.json"
	metricsFile   = "metrics.jsonl"
	checkpointDir = "checkpoint"
	latestFile    = "checkpoint/latest.npz"
	finalFile     = "checkpoint/final.npz"
	evalDir       = "eval"
	summaryFile   = "summary.json"
	centresFile   = "place_cells.npy"
)

// ForeignEntries lists, sorted, the entries of dir that are not a run's own files: those of
// the run directory format that this package writes (README, "Run directory"), and the
// entries matching a pattern of also (filepath.Match: what a sweep, a report or the user's
// command puts into a run's directory, such as "sweep_config.json" or "*.log"). Hidden
// entries (a leading dot: the lock, an evaluation's staging directory, the temporary files
// of a killed write, .DS_Store) are never foreign. A directory that does not exist has none.
//
// Train writes its files into whatever directory it is given; the CLI refuses a --out with
// foreign entries, so that a mistyped path (a home directory, a data folder) does not get a
// run's files mixed into it or, worse, have a file of the same name replaced. What a run
// killed before config.json leaves (checkpoint/, place_cells.npy, the lock) is not foreign:
// training into that directory again is how such a run starts over.
func ForeignEntries(dir string, also ...string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	own := map[string]bool{configFile: true, metricsFile: true, checkpointDir: true, evalDir: true,
		summaryFile: true, centresFile: true}
	var foreign []string
	for _, e := range entries {
		n := e.Name()
		if own[n] || strings.HasPrefix(n, ".") || isResolutionFile(n) ||
			slices.ContainsFunc(also, func(pattern string) bool { ok, _ := filepath.Match(pattern, n); return ok }) {
			continue
		}
		foreign = append(foreign, n)
	}
	return foreign, nil // os.ReadDir sorts by name
}

// isResolutionFile reports whether name is one of the files an evaluation writes for each of
// its resolutions: ratemaps[_N].npy and scores[_N].csv.
func isResolutionFile(name string) bool {
	return isEvalOutput(name, "ratemaps", ".npy") || isEvalOutput(name, "scores", ".csv")
}

// isEvalOutput reports whether name is stem+ext or stem_N+ext, the names of an evaluation's
// files at the default and the other eval.nbins_list resolutions.
func isEvalOutput(name, stem, ext string) bool {
	rest, ok := strings.CutPrefix(name, stem)
	if !ok {
		return false
	}
	rest, ok = strings.CutSuffix(rest, ext)
	if !ok {
		return false
	}
	if rest == "" {
		return true
	}
	digits, ok := strings.CutPrefix(rest, "_")
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}

// RunInfo is config.json: the resolved config and what produced the run.
type RunInfo struct {
	GridcellsVersion string `json:"gridcells_version"`
	GoVersion        string `json:"go_version"`
	Backend          string `json:"backend"`
	// CodeFingerprint identifies the target code the run was trained with (codeFingerprint);
	// empty in runs written before it existed.
	CodeFingerprint string          `json:"code_fingerprint,omitempty"`
	Config          json.RawMessage `json:"config"`
}

func writeConfig(dir string, cfg config.Config, backend, version, fingerprint string) error {
	cj, err := cfg.JSON()
	if err != nil {
		return err
	}
	info := RunInfo{GridcellsVersion: version, GoVersion: runtime.Version(), Backend: backend, CodeFingerprint: fingerprint, Config: cj}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	return safefile.WriteFile(filepath.Join(dir, configFile), append(b, '\n'))
}

// codeFingerprint is a SHA-256 of the code's outputs on a 16×16 grid of positions over the
// box. The place-cell centres are not stored in config.json but drawn from the seed, so
// this is what tells a resumed or re-evaluated run that it sees the same targets.
func codeFingerprint(code encode.Code, tr config.Trajectory) string {
	const n = 16
	pos := make([]float32, 0, 2*n*n)
	for i := range n {
		for j := range n {
			pos = append(pos,
				float32(tr.BoxWidth*((float64(i)+0.5)/n-0.5)),
				float32(tr.BoxHeight*((float64(j)+0.5)/n-0.5)))
		}
	}
	out := make([]float32, n*n*code.Np())
	code.Encode(out, pos)
	h := sha256.New()
	for _, v := range out {
		h.Write(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// LoadForResume is LoadConfig for a resume of dir. Loading finishes a final evaluation that
// a killed process had committed (recoverStaging); completed reports that this has just
// finished the run, so that there is nothing left to resume and a retry is not a failure.
func LoadForResume(dir string) (cfg config.Config, completed bool, err error) {
	_, before := os.Stat(filepath.Join(dir, summaryFile))
	if cfg, err = LoadConfig(dir); err != nil {
		return cfg, false, err
	}
	_, after := os.Stat(filepath.Join(dir, summaryFile))
	return cfg, before != nil && after == nil, nil
}

// LoadConfig returns the config saved in the run directory dir.
func LoadConfig(dir string) (config.Config, error) {
	cfg, _, err := loadRunInfo(dir)
	return cfg, err
}

func loadRunInfo(dir string) (config.Config, RunInfo, error) {
	// An evaluation killed while it moved its files into place is finished first, when no
	// other process holds the run (one that does will finish it itself).
	if _, err := os.Stat(filepath.Join(dir, stagingDir)); err == nil {
		if l, err := flock.TryLock(filepath.Join(dir, LockFile)); err == nil {
			err := recoverStaging(dir)
			l.Unlock()
			if err != nil {
				return config.Config{}, RunInfo{}, err
			}
		}
	}
	path := filepath.Join(dir, configFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) { // ENOTDIR: dir is a file
		why := "no " + configFile
		if st, serr := os.Stat(dir); errors.Is(serr, os.ErrNotExist) {
			why = "it does not exist"
		} else if serr == nil && !st.IsDir() {
			why = "it is a file, not a run directory"
		}
		return config.Config{}, RunInfo{}, fmt.Errorf("train: %s: %w (%s)", dir, ErrNoRun, why)
	}
	if err != nil {
		return config.Config{}, RunInfo{}, fmt.Errorf("train: %w", err)
	}
	var info RunInfo
	if err := json.Unmarshal(data, &info); err != nil {
		return config.Config{}, RunInfo{}, fmt.Errorf("train: %s: %w", path, err)
	}
	if len(info.Config) == 0 {
		return config.Config{}, RunInfo{}, fmt.Errorf("train: %s: no \"config\" object", path)
	}
	cfg, err := config.Parse(info.Config, path, "")
	if err != nil {
		return config.Config{}, RunInfo{}, err
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, RunInfo{}, err
	}
	return cfg, info, nil
}

// Number is a float64 that reads and writes JSON null as NaN (internal/jsonnum).
type Number = jsonnum.Number

// MetricsLine is one line of metrics.jsonl, written at every evaluated step.
type MetricsLine struct {
	Step            int    `json:"step"`
	Loss            Number `json:"loss"`              // mean training loss since the previous line
	EvalLoss        Number `json:"eval_loss"`         // loss on a fresh batch, no dropout
	DecodingErrorCM Number `json:"decoding_error_cm"` // on the same batch (spec §2.3)
	StepsPerSecond  Number `json:"steps_per_s"`       // since the previous line (or the session's start)
	WallSeconds     Number `json:"wall_s"`            // training time so far, over all sessions
	Time            string `json:"time"`              // UTC, RFC 3339
	// With eval.track_scores: the best score60 of the scored units and the fraction of them
	// above 0.3; absent without it. A silent or diverged unit (its rate map flat once NaN →
	// 0) scores 0 as in the reference; the max is null only when no unit has a score at all
	// (bnt scoring of such units), and the fraction then 0, as summary.json counts them.
	MaxScore60  *Number `json:"max_score60,omitempty"`
	FracAbove03 *Number `json:"frac_score60_above_0.3,omitempty"`
}

// ReadMetrics returns the lines of a run's metrics.jsonl. A torn last line (a run killed
// while writing it) is ignored.
func ReadMetrics(dir string) ([]MetricsLine, error) {
	data, err := os.ReadFile(filepath.Join(dir, metricsFile))
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	var lines []MetricsLine
	for _, l := range bytes.Split(data, []byte("\n")) {
		var m MetricsLine
		if len(bytes.TrimSpace(l)) == 0 || json.Unmarshal(l, &m) != nil {
			continue
		}
		lines = append(lines, m)
	}
	return lines, nil
}

// truncateMetrics rewrites metrics.jsonl keeping the complete lines of steps ≤ step: the
// lines written after the checkpoint a run resumes from are written again by the resumed
// run.
func truncateMetrics(dir string, step int) error {
	path := filepath.Join(dir, metricsFile)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("train: %w", err)
	}
	var keep bytes.Buffer
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		var m MetricsLine
		if len(l) == 0 || l[len(l)-1] != '\n' || json.Unmarshal(l, &m) != nil || m.Step > step {
			continue
		}
		keep.Write(l)
	}
	return safefile.WriteFile(path, keep.Bytes())
}

// metricsWriter appends lines to metrics.jsonl, one write call per line.
type metricsWriter struct {
	f *os.File
	w *bufio.Writer
}

func openMetrics(dir string) (*metricsWriter, error) {
	f, err := os.OpenFile(filepath.Join(dir, metricsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return &metricsWriter{f: f, w: bufio.NewWriter(f)}, nil
}

func (m *metricsWriter) write(line MetricsLine) error {
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if _, err := m.f.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("train: writing %s: %w", metricsFile, err)
	}
	return nil
}

func (m *metricsWriter) Close() error { return m.f.Close() }

var _ io.Closer = (*metricsWriter)(nil)
