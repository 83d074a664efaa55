package sweep

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gridcells/gridcells/internal/safefile"
)

// DefaultMaxArraySize is SLURM's default MaxArraySize (slurm.conf(5)): array indices run
// from 0 to MaxArraySize−1.
const DefaultMaxArraySize = 1001

// SLURMSettings describe the job arrays of a sweep (ecosystem.md §5.3).
type SLURMSettings struct {
	Dir     string // the sweep directory as the compute nodes see it (absolute)
	Program string // the gridcells executable as the compute nodes see it (absolute)
	JobName string // sbatch --job-name ("" = gridcells-sweep)

	Partition   string // sbatch --partition ("" = the cluster's default)
	GPUs        int    // GPUs per task, sbatch --gres=gpu:N (0 = none)
	CPUs        int    // sbatch --cpus-per-task (0 = the cluster's default); also GOMAXPROCS
	Mem         string // sbatch --mem, e.g. "8G" ("" = the cluster's default)
	Time        string // sbatch --time, e.g. "1-00:00:00" ("" = the partition's limit)
	MaxParallel int    // at most this many tasks of each array at once, --array=…%N (0 = no limit)
	// MaxArraySize is the cluster's MaxArraySize: an array has at most this many tasks, so
	// larger manifests are split (0 = DefaultMaxArraySize).
	MaxArraySize int
	// Lanes is how many consecutive rows each task trains together in one process
	// ("gridcells sweep run --lanes K": GPU ensemble lanes); 0 or 1 is one row per task.
	// The arrays then count tasks, ⌈rows/Lanes⌉ of them (LaneTasks).
	Lanes int
}

// ArrayPart is one job array of a split manifest: tasks Offset … Offset+Count−1 (manifest
// rows, or groups of Lanes rows), run as array tasks 0 … Count−1 with
// $GRIDCELLS_SWEEP_INDEX_OFFSET = Offset.
type ArrayPart struct {
	Offset, Count int
}

// SplitArray splits n manifest rows into arrays of at most maxArraySize tasks (task indices
// must stay below MaxArraySize, so an array of maxArraySize tasks uses 0 … maxArraySize−1).
func SplitArray(n, maxArraySize int) []ArrayPart {
	if maxArraySize < 1 {
		panic("sweep: SplitArray: maxArraySize < 1")
	}
	var parts []ArrayPart
	for off := 0; off < n; off += maxArraySize {
		parts = append(parts, ArrayPart{Offset: off, Count: min(maxArraySize, n-off)})
	}
	return parts
}

var maxArrayRe = regexp.MustCompile(`(?m)^\s*MaxArraySize\s*=\s*(\d+)\s*$`)

// ParseMaxArraySize reads MaxArraySize from the output of "scontrol show config".
func ParseMaxArraySize(scontrolConfig string) (int, bool) {
	m := maxArrayRe.FindStringSubmatch(scontrolConfig)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// ClusterMaxArraySize asks the cluster for its MaxArraySize ("scontrol show config");
// ok is false when scontrol is missing or does not say.
func ClusterMaxArraySize(ctx context.Context) (int, bool) {
	out, err := exec.CommandContext(ctx, "scontrol", "show", "config").Output()
	if err != nil {
		return 0, false
	}
	return ParseMaxArraySize(string(out))
}

// SLURMScript returns the sbatch script of one array part: each task runs
// "gridcells sweep run DIR", which reads its row from $SLURM_ARRAY_TASK_ID plus the part's
// offset.
func SLURMScript(s *SLURMSettings, part ArrayPart, total int) string {
	var b strings.Builder
	name := s.JobName
	if name == "" {
		name = "gridcells-sweep"
	}
	b.WriteString("#!/bin/bash\n")
	if s.Lanes > 1 {
		lo, _, _ := LaneRows(total, s.Lanes, part.Offset)
		_, hi, _ := LaneRows(total, s.Lanes, part.Offset+part.Count-1)
		fmt.Fprintf(&b, "# gridcells sweep: rows %d-%d of %d in %s/%s, %d per task as lanes of one process\n", lo, hi-1, total, s.Dir, ManifestFile, s.Lanes)
	} else {
		fmt.Fprintf(&b, "# gridcells sweep: rows %d-%d of %d in %s/%s\n", part.Offset, part.Offset+part.Count-1, total, s.Dir, ManifestFile)
	}
	fmt.Fprintf(&b, "#SBATCH --job-name=%s\n", name)
	array := fmt.Sprintf("0-%d", part.Count-1)
	if s.MaxParallel > 0 {
		array += fmt.Sprintf("%%%d", s.MaxParallel)
	}
	fmt.Fprintf(&b, "#SBATCH --array=%s\n", array)
	// Quoted: sbatch splits #SBATCH lines at spaces (Validate refuses the characters that
	// would break the quotes or read as a file-name pattern).
	fmt.Fprintf(&b, "#SBATCH --output=\"%s/%s/slurm-%%A_%%a.out\"\n", s.Dir, LogsDir)
	fmt.Fprintf(&b, "#SBATCH --ntasks=1\n")
	if s.Partition != "" {
		fmt.Fprintf(&b, "#SBATCH --partition=%s\n", s.Partition)
	}
	if s.CPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --cpus-per-task=%d\n", s.CPUs)
	}
	if s.GPUs > 0 {
		fmt.Fprintf(&b, "#SBATCH --gres=gpu:%d\n", s.GPUs)
	}
	if s.Mem != "" {
		fmt.Fprintf(&b, "#SBATCH --mem=%s\n", s.Mem)
	}
	if s.Time != "" {
		fmt.Fprintf(&b, "#SBATCH --time=%s\n", s.Time)
	}
	b.WriteString("set -eu\n")
	fmt.Fprintf(&b, "export %s=%d\n", EnvIndexOffset, part.Offset)
	if s.CPUs > 0 {
		// Without cgroups a task sees every core of the node.
		fmt.Fprintf(&b, "export GOMAXPROCS=%d\n", s.CPUs)
	}
	lanes := ""
	if s.Lanes > 1 {
		lanes = fmt.Sprintf(" --lanes %d", s.Lanes)
	}
	fmt.Fprintf(&b, "exec %s sweep run %s%s\n", shellQuote(s.Program), shellQuote(s.Dir), lanes)
	return b.String()
}

// Validate checks the settings that sbatch would reject late.
func (s *SLURMSettings) Validate() error {
	if s.GPUs < 0 || s.CPUs < 0 || s.MaxParallel < 0 || s.MaxArraySize < 0 || s.Lanes < 0 {
		return fmt.Errorf("sweep: --gpus, --cpus, --max-parallel, --max-array-size and --lanes must be ≥ 0")
	}
	if filepath.Separator == '\\' {
		// A SLURM cluster runs Linux: its scripts name the sweep by its path there.
		return fmt.Errorf("sweep: SLURM sweeps are submitted on the cluster: copy the sweep directory %s to it and run \"gridcells sweep submit --slurm\" there (this is %s)", s.Dir, runtime.GOOS)
	}
	if strings.ContainsAny(s.Dir, "%#\"\\\n") {
		// The logs' path goes into a quoted #SBATCH --output, where sbatch reads % as a
		// file-name pattern (%A, %a), may read # as a comment, and cannot take a quote, a
		// backslash or a newline.
		return fmt.Errorf("sweep: directory %q: a SLURM sweep's path may not contain %%, #, \", \\ or a newline (sbatch's --output reads %% as a pattern); move or rename it", s.Dir)
	}
	for _, v := range []string{s.JobName, s.Partition, s.Mem, s.Time} {
		if strings.ContainsAny(v, " \t\n'\"\\$`") {
			return fmt.Errorf("sweep: %q: SLURM options may not contain spaces, quotes or $", v)
		}
	}
	if s.Mem != "" && !slurmMemRe.MatchString(s.Mem) {
		// sbatch would reject the script only when it is submitted, after the arrays are written.
		return fmt.Errorf("sweep: --mem %q: want a SLURM size, a whole number with an optional unit K, M, G or T (8G, 500M; no unit = MiB)", s.Mem)
	}
	return nil
}

// slurmMemRe is sbatch's --mem syntax: size[units].
var slurmMemRe = regexp.MustCompile(`^[0-9]+[KMGTkmgt]?$`)

// SubmitSLURM submits each script with "sbatch --parsable" and returns the job ids.
func SubmitSLURM(ctx context.Context, scripts []string) ([]string, error) {
	var ids []string
	for _, path := range scripts {
		out, err := exec.CommandContext(ctx, "sbatch", "--parsable", path).CombinedOutput()
		if err != nil {
			return ids, fmt.Errorf("sweep: sbatch %s: %v: %s", path, err, strings.TrimSpace(string(out)))
		}
		id := ""
		sc := bufio.NewScanner(strings.NewReader(string(out)))
		for sc.Scan() {
			// --parsable prints "jobid" or "jobid;cluster" (possibly after warnings).
			if f, _, _ := strings.Cut(strings.TrimSpace(sc.Text()), ";"); f != "" {
				if _, err := strconv.Atoi(f); err == nil {
					id = f
				}
			}
		}
		if id == "" {
			return ids, fmt.Errorf("sweep: sbatch %s printed no job id: %s", path, strings.TrimSpace(string(out)))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]#~=%;&|<>(){}!") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// SubmittedFile, under a sweep directory, records the job arrays sbatch accepted, so that a
// submit that stopped part way (a per-user job limit, QOSMaxSubmitJobPerUserLimit) submits
// only the rest when run again, not a second copy of the arrays already queued.
const SubmittedFile = "slurm/submitted.json"

// SubmittedArray is one accepted array script: its job id, the tasks it runs (first–last
// task index of the manifest, each of Lanes rows), which identify its rows, and the
// SHA-256 of the script (whose other settings, the program path among them, may change
// between submits without changing the rows).
type SubmittedArray struct {
	Job         string    `json:"job"`
	Tasks       string    `json:"tasks"`
	Lanes       int       `json:"lanes"`
	SHA256      string    `json:"sha256"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// TaskRange names the tasks of an array part as SubmittedArray records them.
func TaskRange(p ArrayPart) string { return fmt.Sprintf("%d-%d", p.Offset, p.Offset+p.Count-1) }

// ReadSubmitted returns the arrays recorded in dir's SubmittedFile, keyed by script file
// name; none when there is no record.
func ReadSubmitted(dir string) (map[string]SubmittedArray, error) {
	b, err := os.ReadFile(filepath.Join(dir, SubmittedFile))
	if errors.Is(err, os.ErrNotExist) {
		return map[string]SubmittedArray{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	m := map[string]SubmittedArray{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("sweep: %s: %w", filepath.Join(dir, SubmittedFile), err)
	}
	return m, nil
}

// WriteSubmitted writes the record of dir's submitted arrays atomically.
func WriteSubmitted(dir string, m map[string]SubmittedArray) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return safefile.WriteFile(filepath.Join(dir, SubmittedFile), append(b, '\n'))
}

// ScriptSHA256 is the hash SubmittedArray records of a script's bytes.
func ScriptSHA256(script []byte) string {
	h := sha256.Sum256(script)
	return hex.EncodeToString(h[:])
}
