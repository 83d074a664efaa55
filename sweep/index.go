package sweep

import (
	"fmt"
	"strconv"
	"strings"
)

// Environment variables that name the manifest row of a cluster task.
const (
	// EnvSLURMTask is set by SLURM in each task of a job array (sbatch --array).
	EnvSLURMTask = "SLURM_ARRAY_TASK_ID"
	// EnvK8sIndex is set by Kubernetes in each pod of an Indexed Job.
	EnvK8sIndex = "JOB_COMPLETION_INDEX"
	// EnvIndexOffset is added to the task index: the scripts of a manifest split into
	// several arrays (MaxArraySize) set it to the first row of their part.
	EnvIndexOffset = "GRIDCELLS_SWEEP_INDEX_OFFSET"
)

// TaskIndex returns the manifest row a cluster task runs: $SLURM_ARRAY_TASK_ID, else
// $JOB_COMPLETION_INDEX, plus $GRIDCELLS_SWEEP_INDEX_OFFSET (0 when unset). ok is false
// when neither task variable is set (not a cluster task). getenv is os.Getenv in programs.
func TaskIndex(getenv func(string) string) (index int, from string, ok bool, err error) {
	for _, name := range []string{EnvSLURMTask, EnvK8sIndex} {
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i < 0 {
			return 0, name, true, fmt.Errorf("sweep: $%s = %q is not a task index", name, v)
		}
		off := 0
		if s := strings.TrimSpace(getenv(EnvIndexOffset)); s != "" {
			if off, err = strconv.Atoi(s); err != nil || off < 0 {
				return 0, name, true, fmt.Errorf("sweep: $%s = %q is not a non-negative integer", EnvIndexOffset, s)
			}
		}
		from = "$" + name
		if off != 0 {
			from += fmt.Sprintf(" + $%s (%d)", EnvIndexOffset, off)
		}
		return i + off, from, true, nil
	}
	return 0, "", false, nil
}
