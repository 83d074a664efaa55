package sweep

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSplitArray(t *testing.T) {
	for _, tc := range []struct {
		n, max int
		want   []ArrayPart
	}{
		{0, 1001, nil},
		{6, 1001, []ArrayPart{{0, 6}}},
		{1001, 1001, []ArrayPart{{0, 1001}}}, // indices 0 … 1000 = MaxArraySize−1
		{1002, 1001, []ArrayPart{{0, 1001}, {1001, 1}}},
		{7680, 1001, []ArrayPart{{0, 1001}, {1001, 1001}, {2002, 1001}, {3003, 1001}, {4004, 1001}, {5005, 1001}, {6006, 1001}, {7007, 673}}},
		{5, 2, []ArrayPart{{0, 2}, {2, 2}, {4, 1}}},
	} {
		got := SplitArray(tc.n, tc.max)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SplitArray(%d, %d) = %v, want %v", tc.n, tc.max, got, tc.want)
		}
		// Every row is covered once and every task index is below MaxArraySize.
		next := 0
		for _, p := range got {
			if p.Offset != next || p.Count < 1 || p.Count-1 >= tc.max {
				t.Errorf("SplitArray(%d, %d): part %+v", tc.n, tc.max, p)
			}
			next += p.Count
		}
		if next != tc.n {
			t.Errorf("SplitArray(%d, %d) covers %d rows", tc.n, tc.max, next)
		}
	}
}

func TestParseMaxArraySize(t *testing.T) {
	out := "Configuration data as of 2026-11-26T20:00:00\nMaxArraySize            = 40001\nMaxJobCount             = 10000\n"
	if n, ok := ParseMaxArraySize(out); !ok || n != 40001 {
		t.Errorf("got %d %v, want 40001", n, ok)
	}
	if _, ok := ParseMaxArraySize("MaxJobCount = 10000\n"); ok {
		t.Error("found MaxArraySize in output without it")
	}
}

func TestSLURMScript(t *testing.T) {
	s := &SLURMSettings{Dir: "/scratch/my sweep", Program: "/opt/gridcells", Partition: "fiete", GPUs: 1, CPUs: 4,
		Mem: "12G", Time: "3-00:00:00", MaxParallel: 200, MaxArraySize: 1001}
	parts := SplitArray(2352, s.MaxArraySize)
	script := SLURMScript(s, parts[2], 2352)
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --array=0-349%200\n",
		"#SBATCH --output=\"/scratch/my sweep/logs/slurm-%A_%a.out\"\n",
		"#SBATCH --partition=fiete\n", "#SBATCH --gres=gpu:1\n", "#SBATCH --cpus-per-task=4\n",
		"#SBATCH --mem=12G\n", "#SBATCH --time=3-00:00:00\n",
		"export GRIDCELLS_SWEEP_INDEX_OFFSET=2002\n", "export GOMAXPROCS=4\n",
		"exec /opt/gridcells sweep run '/scratch/my sweep'\n",
	} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	// Without options the script asks for nothing the cluster would have to grant.
	bare := SLURMScript(&SLURMSettings{Dir: "/d", Program: "/g"}, ArrayPart{0, 3}, 3)
	for _, absent := range []string{"--partition", "--gres", "--mem", "--time", "%", "GOMAXPROCS"} {
		if strings.Contains(strings.ReplaceAll(bare, "%A_%a", ""), absent) {
			t.Errorf("bare script has %q:\n%s", absent, bare)
		}
	}
	if runtime.GOOS == "windows" {
		// Windows paths cannot name the sweep on a (Linux) cluster.
		if err := (&SLURMSettings{Dir: `C:\sweeps\sw`}).Validate(); err == nil || !strings.Contains(err.Error(), "submitted on the cluster") {
			t.Errorf("Validate on Windows: %v, want a refusal", err)
		}
		return
	}
	for _, dir := range []string{"/scratch/100%", "/scratch/#1", "/scratch/a\"b"} {
		if err := (&SLURMSettings{Dir: dir}).Validate(); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("%q", dir)) {
			t.Errorf("directory %q: %v, want an error naming it", dir, err)
		}
	}
	if err := (&SLURMSettings{Dir: "/scratch/my sweep"}).Validate(); err != nil {
		t.Errorf("a space in the directory: %v", err)
	}
	if err := (&SLURMSettings{Partition: "a b"}).Validate(); err == nil {
		t.Error("a partition with a space was accepted")
	}
	for mem, ok := range map[string]bool{"8G": true, "500m": true, "4096": true, "lots": false, "-5G": false, "1.5G": false, "8Gi": false} {
		if err := (&SLURMSettings{Mem: mem}).Validate(); (err == nil) != ok {
			t.Errorf("--mem %q: err %v, want accepted %v", mem, err, ok)
		}
	}
}

// The Indexed Job parses back with the fields Kubernetes requires for an index-addressed
// sweep (kubernetes.io/docs/tasks/job/indexed-parallel-processing-static).
func TestK8sJob(t *testing.T) {
	b, err := K8sJob(&K8sSettings{Name: "dos-ideal", Image: "ghcr.io/x/gridcells:1", PVC: "sweeps", SubPath: "dos-ideal",
		Parallelism: 4, BackoffLimitPerIndex: 2, CPUs: 8, Mem: "12G", GPUs: 1}, 6)
	if err != nil {
		t.Fatal(err)
	}
	var job map[string]any
	if err := yaml.Unmarshal(b, &job); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	get := func(path ...any) any {
		var v any = job
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	checks := []struct {
		path []any
		want any
	}{
		{[]any{"apiVersion"}, "batch/v1"},
		{[]any{"kind"}, "Job"},
		{[]any{"metadata", "name"}, "dos-ideal"},
		{[]any{"spec", "completionMode"}, "Indexed"},
		{[]any{"spec", "completions"}, 6},
		{[]any{"spec", "parallelism"}, 4},
		{[]any{"spec", "backoffLimitPerIndex"}, 2},
		{[]any{"spec", "template", "spec", "restartPolicy"}, "Never"},
		{[]any{"spec", "template", "spec", "terminationGracePeriodSeconds"}, 150},
		{[]any{"spec", "template", "spec", "containers", 0, "image"}, "ghcr.io/x/gridcells:1"},
		{[]any{"spec", "template", "spec", "containers", 0, "command", 0}, "gridcells"},
		{[]any{"spec", "template", "spec", "containers", 0, "env", 0, "name"}, "JOB_COMPLETION_INDEX"},
		{[]any{"spec", "template", "spec", "containers", 0, "env", 0, "valueFrom", "fieldRef", "fieldPath"}, "metadata.annotations['batch.kubernetes.io/job-completion-index']"},
		{[]any{"spec", "template", "spec", "containers", 0, "resources", "limits", "nvidia.com/gpu"}, "1"},
		{[]any{"spec", "template", "spec", "containers", 0, "resources", "limits", "memory"}, "12Gi"},
		{[]any{"spec", "template", "spec", "containers", 0, "resources", "requests", "cpu"}, "8"},
		{[]any{"spec", "template", "spec", "containers", 0, "volumeMounts", 0, "name"}, "sweep"},
		{[]any{"spec", "template", "spec", "containers", 0, "volumeMounts", 0, "mountPath"}, "/sweep"},
		{[]any{"spec", "template", "spec", "containers", 0, "volumeMounts", 0, "subPath"}, "dos-ideal"},
		{[]any{"spec", "template", "spec", "volumes", 0, "name"}, "sweep"},
		{[]any{"spec", "template", "spec", "volumes", 0, "persistentVolumeClaim", "claimName"}, "sweeps"},
	}
	for _, c := range checks {
		if got := get(c.path...); got != c.want {
			t.Errorf("%v = %v, want %v", c.path, got, c.want)
		}
	}
	var args []string
	for _, a := range get("spec", "template", "spec", "containers", 0, "args").([]any) {
		args = append(args, a.(string))
	}
	if want := []string{"sweep", "run", "/sweep", "--index", "$(JOB_COMPLETION_INDEX)"}; !slices.Equal(args, want) {
		t.Errorf("args %v, want %v", args, want)
	}
	// Parallelism 0 means all at once; no GPU request without --gpus.
	b, _ = K8sJob(&K8sSettings{Image: "i", PVC: "p"}, 3)
	if s := string(b); !strings.Contains(s, "parallelism: 3") || strings.Contains(s, "nvidia.com/gpu") || strings.Contains(s, "resources") {
		t.Errorf("minimal job:\n%s", s)
	}
	for _, bad := range []*K8sSettings{{PVC: "p"}, {Image: "i"}, {Image: "i", PVC: "p", Name: "Bad_Name"}, {Image: "i", PVC: "p", Mem: "lots"},
		{Image: "i", PVC: "p", Namespace: "Bad_NS"}, {Image: "i", PVC: "p", SubPath: "/abs/x"}, {Image: "i", PVC: "p", SubPath: "a/../../b"},
		{Image: "i", PVC: "p", MountPath: "sweep"}} {
		if _, err := K8sJob(bad, 3); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestK8sQuantity(t *testing.T) {
	for in, want := range map[string]string{"8G": "8Gi", "500M": "500Mi", "4096": "4096Mi", "8Gi": "8Gi", "2T": "2Ti", "64k": "64Ki"} {
		if got, err := k8sQuantity(in); err != nil || got != want {
			t.Errorf("%s → %s (%v), want %s", in, got, err, want)
		}
	}
}

// fakeCommand puts an executable shell script named name first on $PATH.
func fakeCommand(t *testing.T, name, script string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("needs /bin/sh")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// SubmitSLURM reads the job id of "sbatch --parsable" past warnings and a cluster name,
// and reports sbatch's own message when it refuses.
func TestSubmitSLURMParsesJobIDs(t *testing.T) {
	log := filepath.Join(t.TempDir(), "calls")
	fakeCommand(t, "sbatch", `echo "$@" >> `+log+`
echo "sbatch: warning: can't honor --ntasks-per-node"
n=$(wc -l < `+log+`)
echo "$((4240 + n));cluster"
`)
	ids, err := SubmitSLURM(context.Background(), []string{"/d/slurm/array_0.sh", "/d/slurm/array_1.sh"})
	if err != nil || !slices.Equal(ids, []string{"4241", "4242"}) {
		t.Fatalf("ids %v, %v", ids, err)
	}
	calls, _ := os.ReadFile(log)
	if string(calls) != "--parsable /d/slurm/array_0.sh\n--parsable /d/slurm/array_1.sh\n" {
		t.Errorf("sbatch calls:\n%s", calls)
	}
	fakeCommand(t, "sbatch", "echo 'sbatch: error: invalid partition specified: gpu' >&2; exit 1\n")
	if _, err := SubmitSLURM(context.Background(), []string{"x.sh"}); err == nil || !strings.Contains(err.Error(), "invalid partition") {
		t.Errorf("refused submission: %v", err)
	}
	fakeCommand(t, "scontrol", "printf 'Configuration data as of now\\nMaxArraySize            = 75001\\n'\n")
	if n, ok := ClusterMaxArraySize(context.Background()); !ok || n != 75001 {
		t.Errorf("ClusterMaxArraySize = %d, %v; want 75001", n, ok)
	}
}

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The Job for a typical GPU sweep matches the reviewed golden YAML
// (testdata/k8s_job_golden.yaml; regenerate with go test -update).
func TestK8sJobGolden(t *testing.T) {
	b, err := K8sJob(&K8sSettings{Name: "pc-ce-dog-ideal", Namespace: "grid", Image: "registry.example/gridcells:0.1",
		PVC: "sweeps", SubPath: "pc_ce_dog_ideal", Parallelism: 6, BackoffLimitPerIndex: 2, CPUs: 4, Mem: "12G", GPUs: 1}, 6)
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/k8s_job_golden.yaml"
	if *update {
		if err := os.WriteFile(golden, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(want) {
		t.Errorf("Job differs from %s:\n%s", golden, b)
	}
}

// With lanes, a cluster task trains K consecutive rows: the arrays count ⌈rows/K⌉ tasks,
// the last task takes the remainder, and the script asks "sweep run" for lanes.
func TestLaneTasks(t *testing.T) {
	for _, c := range []struct{ n, lanes, tasks int }{{10, 4, 3}, {8, 4, 2}, {3, 1, 3}, {3, 0, 3}, {1, 8, 1}} {
		if got := LaneTasks(c.n, c.lanes); got != c.tasks {
			t.Errorf("LaneTasks(%d, %d) = %d; want %d", c.n, c.lanes, got, c.tasks)
		}
	}
	for _, c := range []struct {
		n, lanes, task, lo, hi int
		ok                     bool
	}{{10, 4, 0, 0, 4, true}, {10, 4, 2, 8, 10, true}, {10, 4, 3, 0, 0, false}, {10, 1, 9, 9, 10, true}, {10, 4, -1, 0, 0, false}} {
		lo, hi, ok := LaneRows(c.n, c.lanes, c.task)
		if lo != c.lo || hi != c.hi || ok != c.ok {
			t.Errorf("LaneRows(%d, %d, %d) = %d, %d, %v; want %d, %d, %v", c.n, c.lanes, c.task, lo, hi, ok, c.lo, c.hi, c.ok)
		}
	}
	s := &SLURMSettings{Dir: "/d", Program: "/g", GPUs: 1, Lanes: 4, MaxArraySize: 2}
	parts := SplitArray(LaneTasks(10, s.Lanes), s.MaxArraySize)
	if len(parts) != 2 || parts[1] != (ArrayPart{2, 1}) {
		t.Fatalf("parts %v; want two arrays, the second task 2 alone", parts)
	}
	script := SLURMScript(s, parts[1], 10)
	for _, want := range []string{"#SBATCH --array=0-0\n", "export GRIDCELLS_SWEEP_INDEX_OFFSET=2\n",
		"rows 8-9 of 10", "exec /g sweep run /d --lanes 4\n"} {
		if !strings.Contains(script, want) {
			t.Errorf("script lacks %q:\n%s", want, script)
		}
	}
	b, err := K8sJob(&K8sSettings{Image: "img", PVC: "pvc", GPUs: 1, Lanes: 4}, LaneTasks(10, 4))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"completions: 3", "- --lanes\n", "- \"4\"\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Job lacks %q:\n%s", want, b)
		}
	}
}
