package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gridcells/gridcells/internal/flock"
	"github.com/gridcells/gridcells/sweep"
	"github.com/parquet-go/parquet-go"
)

// tinySweep is a 3-run sweep that trains in well under a second per run.
const tinySweep = "../../sweep/testdata/tiny.yaml"

// runCLI runs "gridcells sweep ARGS..." in-process and returns the exit status main would.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	if args[0] != "sweep" {
		t.Fatalf("runCLI runs sweep verbs, got %q", args)
	}
	var out, errw bytes.Buffer
	err := runSweep(context.Background(), args[1:], &out, &errw)
	if err != nil {
		errw.WriteString(err.Error())
	}
	return exitStatus(err), out.String(), errw.String()
}

func TestSweepCommandUsage(t *testing.T) {
	tmp := t.TempDir()
	bad := filepath.Join(tmp, "bad.yaml")
	os.WriteFile(bad, []byte("method: grid\nparameters:\n  seed: {values: [0, 1]}\n  rnn_type: {values: [RNN, CNN]}\n"), 0o644)
	out := filepath.Join(tmp, "out")
	for _, tc := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"sweep"}, "missing verb"},
		{[]string{"sweep", "launch"}, "unknown verb"},
		{[]string{"sweep", "expand", tinySweep}, "--out"},
		{[]string{"sweep", "expand", bad, "--out", out}, "bad.yaml:4: rnn_type (model.rnn_type)"},
		{[]string{"sweep", "expand", tinySweep, "--out", out, "--count", "3"}, "random sweeps"},
		{[]string{"sweep", "expand", tinySweep, "--out", out, "--preset", "nfl2022"}, "conflicts"},
		{[]string{"sweep", "expand", tinySweep, "--out", out, "--set", "seed=4"}, "swept"},
		{[]string{"sweep", "run", out}, "no manifest.jsonl"},
		{[]string{"sweep", "run", out, "--index", "-5"}, "--index -5: must be a manifest row (≥ 0), or -1"},
		{[]string{"sweep", "run", out, "--count", "3"}, "--count: not a flag of \"sweep run\""},
		{[]string{"sweep", "table", out, "--out", "x.csv"}, "--out: not a flag of \"sweep table\""},
		{[]string{"sweep", "expand", tinySweep, "--out", out, "--workers", "2"}, "--workers: not a flag"},
		{[]string{"sweep", "collect", out}, "no manifest.jsonl"},
		{[]string{"sweep", "table", out, "--decode-cm", "100"}, "no manifest.jsonl"}, // the flag is taken
		{[]string{"sweep", "table", out, "--decode-threshold", "-5"}, "--decode-threshold (--decode-cm) -5: must be > 0"},
		{[]string{"sweep", "collect", out, "--grid-threshold", "NaN"}, "--grid-threshold: must be a number"},
		// A threshold beyond any grid score once made the figures' score axis ask for 10⁷ ticks.
		{[]string{"sweep", "collect", out, "--grid-threshold", "1e7"}, "--grid-threshold 1e+07: must be in [-2, 2]"},
	} {
		code, _, stderr := runCLI(t, tc.args...)
		if code != 2 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, stderr, tc.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a refused command created %s", out)
	}
}

// expand, submit --dry-run (split arrays, K8s) and collect on a sweep with no finished run.
func TestSweepExpandSubmitCollect(t *testing.T) {
	skipSLURMOnWindows(t)
	dir := filepath.Join(t.TempDir(), "sw")
	code, stdout, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir)
	if code != 0 || stdout != "3\n" {
		t.Fatalf("expand: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	// Expanding again into the same directory is idempotent.
	if code, _, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir); code != 0 {
		t.Fatalf("second expand: %d %s", code, stderr)
	}
	code, stdout, stderr = runCLI(t, "sweep", "submit", dir, "--slurm", "--dry-run", "--max-array-size", "2", "--max-parallel", "1", "--program", "/opt/gridcells")
	if code != 0 || strings.Count(stdout, "sbatch --parsable") != 2 {
		t.Fatalf("submit --dry-run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	second, err := os.ReadFile(filepath.Join(dir, "slurm", "array_1.sh"))
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(dir)
	for _, want := range []string{"--array=0-0%1", sweep.EnvIndexOffset + "=2", "exec /opt/gridcells sweep run " + abs} {
		if !strings.Contains(string(second), want) {
			t.Errorf("array_1.sh lacks %q:\n%s", want, second)
		}
	}
	// A second submit in one array removes the first one's array_1.sh, which would submit
	// row 2 again.
	code, stdout, stderr = runCLI(t, "sweep", "submit", dir, "--slurm", "--dry-run", "--max-array-size", "3", "--program", "/opt/gridcells")
	if code != 0 || strings.Count(stdout, "sbatch --parsable") != 1 {
		t.Fatalf("second submit --dry-run: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "slurm", "array_1.sh")); !os.IsNotExist(err) {
		t.Errorf("array_1.sh of the first submit left behind (%v)", err)
	}
	code, _, stderr = runCLI(t, "sweep", "submit", dir, "--k8s", "--image", "gridcells:dev", "--pvc", "sweeps", "--gpus", "1")
	if code != 0 {
		t.Fatalf("submit --k8s: %d %s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "k8s", "job.yaml")); err != nil || !strings.Contains(string(b), "completions: 3") {
		t.Errorf("job.yaml: %v\n%s", err, b)
	}
	if code, _, _ := runCLI(t, "sweep", "submit", dir, "--k8s", "--pvc", "sweeps"); code != 2 {
		t.Errorf("--k8s without --image: exit %d, want 2", code)
	}
	code, stdout, _ = runCLI(t, "sweep", "collect", dir)
	if code != 0 || !strings.Contains(stdout, "all        3     0") {
		t.Errorf("collect of an unrun sweep: exit %d\n%s", code, stdout)
	}
	// runs.parquet lies beside runs.csv with one row per run (sweep tests compare cells).
	if b, err := os.ReadFile(filepath.Join(dir, "runs.parquet")); err != nil {
		t.Error(err)
	} else if pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b))); err != nil || pf.NumRows() != 3 {
		t.Errorf("runs.parquet: %v, want 3 rows", err)
	}
	if code, _, _ := runCLI(t, "sweep", "collect", dir, "--require-finished"); code != 1 {
		t.Errorf("--require-finished with pending runs: exit %d, want 1", code)
	}
	// Expanding the same file again keeps the scheduler files; a replaced manifest of other
	// rows removes them.
	if code, _, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir, "--replace"); code != 0 || strings.Contains(stderr, "removed") {
		t.Fatalf("same expand with --replace: exit %d, stderr %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir, "--replace", "--set", "model.ng=24"); code != 0 || !strings.Contains(stderr, "removed") {
		t.Fatalf("other expand with --replace: exit %d, stderr %q", code, stderr)
	}
	for _, f := range []string{"slurm/array_0.sh", "k8s/job.yaml"} {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s of the replaced manifest left behind (%v)", f, err)
		}
	}
}

// TestSweepKillResume builds the binary, kills "sweep run" with SIGKILL three times while
// two concurrent pools work on the same directory, lets a last pass finish, and checks
// that the collected table has every run exactly once, finished, with a consistent
// metrics log (no two processes trained one run at once).
func TestSweepKillResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains a sweep; skipped with -short")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "gridcells")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir := filepath.Join(tmp, "sw")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	expand := exec.CommandContext(ctx, bin, "sweep", "expand", tinySweep, "--out", dir,
		"--set", "n_grad_steps_per_epoch=10000", "--set", "checkpoint_every=250", "--set", "eval_every=2500")
	if out, err := expand.CombinedOutput(); err != nil {
		t.Fatalf("expand: %v\n%s", err, out)
	}
	for i, after := range []time.Duration{500 * time.Millisecond, 900 * time.Millisecond, 700 * time.Millisecond} {
		// Two pools at once: the locks keep them off each other's runs.
		var cmds []*exec.Cmd
		for range 2 {
			c := exec.CommandContext(ctx, bin, "sweep", "run", dir, "--workers", "2", "--quiet")
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		time.Sleep(after)
		for _, c := range cmds {
			c.Process.Signal(syscall.SIGKILL)
			c.Wait()
		}
		t.Logf("kill %d after %v", i+1, after)
	}
	// The kernel kills the train processes with their pool (Pdeathsig); wait until no run
	// is held, then finish the sweep.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, _, _ := runCLI(t, "sweep", "collect", dir, "--out", filepath.Join(tmp, "mid.csv"))
		if code != 0 {
			t.Fatal("collect failed")
		}
		b, _ := os.ReadFile(filepath.Join(tmp, "mid.csv"))
		if !strings.Contains(string(b), ",running,") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if out, err := exec.CommandContext(ctx, bin, "sweep", "run", dir).CombinedOutput(); err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}
	code, _, stderr := runCLI(t, "sweep", "collect", dir, "--require-finished")
	if code != 0 {
		t.Fatalf("collect: exit %d\n%s", code, stderr)
	}
	f, err := os.Open(filepath.Join(dir, "runs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	resumed := 0
	for _, r := range rows[1:] {
		if seen[r[0]] || r[3] != "finished" {
			t.Errorf("row %v: duplicate or not finished", r)
		}
		seen[r[0]] = true
		// A resumed run drops the metrics lines after its checkpoint, so steps increase
		// strictly to the end unless two processes trained it at once.
		metrics, _ := os.ReadFile(filepath.Join(dir, "runs", r[0], "metrics.jsonl"))
		last := 0
		for _, l := range strings.Split(strings.TrimSpace(string(metrics)), "\n") {
			var m struct{ Step int }
			if err := json.Unmarshal([]byte(l), &m); err != nil || m.Step <= last {
				t.Errorf("run %s: metrics line %q after step %d", r[0], l, last)
			}
			last = m.Step
		}
		if last != 10000 {
			t.Errorf("run %s: last metrics step %d, want 10000", r[0], last)
		}
		log, _ := os.ReadFile(filepath.Join(dir, "runs", r[0], "train.log"))
		resumed += strings.Count(string(log), "gridcells sweep: resume run")
	}
	if len(seen) != 3 {
		t.Errorf("%d runs collected, want 3", len(seen))
	}
	if resumed == 0 {
		t.Error("no run was resumed: the kills did not interrupt a run")
	}
}

// TestSweepSLURM submits the tiny sweep to a real SLURM cluster and waits for it. It is
// skipped unless sbatch is on $PATH and sinfo answers; .ci/slurm.sh runs it while its
// single-node cluster is up. The sweep directory must be visible to the compute nodes (on a
// real cluster, set $TMPDIR to a shared file system).
func TestSweepSLURM(t *testing.T) {
	if _, err := exec.LookPath("sbatch"); err != nil {
		t.Skip("sbatch is not on $PATH")
	}
	if out, err := exec.Command("sinfo", "-h").CombinedOutput(); err != nil {
		t.Skipf("no SLURM cluster answers: %v: %s", err, out)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "gridcells")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// One task per run, then tasks of two runs trained as lanes of one process.
	for _, lanes := range []string{"1", "2"} {
		dir := filepath.Join(tmp, "sw"+lanes)
		if out, err := exec.Command(bin, "sweep", "expand", tinySweep, "--out", dir).CombinedOutput(); err != nil {
			t.Fatalf("expand: %v\n%s", err, out)
		}
		out, err := exec.Command(bin, "sweep", "submit", dir, "--slurm", "--cpus", "1", "--time", "10", "--job-name", "gridcells-go-test", "--lanes", lanes).Output()
		if err != nil {
			t.Fatalf("submit --lanes %s: %v", lanes, err)
		}
		ids := strings.Fields(string(out))
		if len(ids) != 1 {
			t.Fatalf("submit printed %q, want one job id", out)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			q, err := exec.Command("squeue", "-h", "-j", ids[0]).Output()
			if err == nil && len(strings.TrimSpace(string(q))) == 0 {
				break
			}
			if time.Now().After(deadline) {
				exec.Command("scancel", ids[0]).Run()
				t.Fatalf("job %s still queued after 5 minutes: %s", ids[0], q)
			}
			time.Sleep(time.Second)
		}
		if code, stdout, stderr := runCLI(t, "sweep", "collect", dir, "--require-finished"); code != 0 {
			logs, _ := filepath.Glob(filepath.Join(dir, "logs", "*"))
			t.Fatalf("collect (--lanes %s): exit %d\n%s%s\nlogs: %v", lanes, code, stdout, stderr, logs)
		}
	}
}

func TestCollectPaths(t *testing.T) {
	for in, want := range map[string][2]string{
		"sweep/runs.csv": {"sweep/runs.csv", "sweep/runs.parquet"}, "mid.csv": {"mid.csv", "mid.parquet"},
		"table": {"table", "table.parquet"}, "a.b/t.tsv": {"a.b/t.tsv", "a.b/t.parquet"},
		// A Parquet name keeps the CSV beside it instead of overwriting it.
		"f1/x.parquet": {"f1/x.csv", "f1/x.parquet"}, "X.PARQUET": {"X.csv", "X.PARQUET"},
	} {
		if c, p := collectPaths(in); c != want[0] || p != want[1] {
			t.Errorf("collectPaths(%q) = %q, %q; want %q, %q", in, c, p, want[0], want[1])
		}
	}
}

// TestSweepRunLaneTask runs one cluster task with --lanes 2: task 0 trains rows 0 and 1
// together in one "gridcells lanes" process (this test binary, as the command), and
// leaves row 2 to task 1.
func TestSweepRunLaneTask(t *testing.T) {
	t.Setenv(asMainEnv, "1")
	dir := filepath.Join(t.TempDir(), "sw")
	if code, _, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir); code != 0 {
		t.Fatalf("expand: %d %s", code, stderr)
	}
	code, _, stderr := runCLI(t, "sweep", "run", dir, "--index", "0", "--lanes", "2")
	if code != 0 {
		t.Fatalf("sweep run --index 0 --lanes 2: exit %d: %s", code, stderr)
	}
	// Progress counts the task's rows, not the manifest's.
	if !strings.Contains(stderr, "(2/2)") || strings.Contains(stderr, "/3)") {
		t.Errorf("progress of a 2-row task:\n%s", stderr)
	}
	runs, err := sweep.LoadManifest(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range runs {
		rd := sweep.RunDir(dir, r.ID)
		_, err := os.Stat(filepath.Join(rd, "summary.json"))
		if finished := err == nil; finished != (i < 2) {
			t.Errorf("row %d finished %v; want %v", i, finished, i < 2)
		}
		if i < 2 {
			log, _ := os.ReadFile(filepath.Join(rd, "train.log"))
			if !strings.Contains(string(log), " lanes --run ") {
				t.Errorf("row %d was not trained as a lane:\n%s", i, log)
			}
		}
	}
	if code, _, stderr := runCLI(t, "sweep", "run", dir, "--index", "2", "--lanes", "2"); code != 2 || !strings.Contains(stderr, "outside") {
		t.Errorf("task 2 of 3 rows in tasks of 2: exit %d, %q; want 2 and \"outside\"", code, stderr)
	}
}

// TestSweepTaskWaitsForBusyRun: a cluster task whose run another worker holds (a pod being
// replaced, still checkpointing) waits for the lock and then trains the run, instead of
// exiting 0 with the run untrained, which marked the index done for good.
func TestSweepTaskWaitsForBusyRun(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no run locks on Windows")
	}
	t.Setenv(asMainEnv, "1")
	defer func(d time.Duration) { busyPoll = d }(busyPoll)
	busyPoll = 20 * time.Millisecond
	dir := filepath.Join(t.TempDir(), "sw")
	if code, _, stderr := runCLI(t, "sweep", "expand", tinySweep, "--out", dir); code != 0 {
		t.Fatalf("expand: %d %s", code, stderr)
	}
	runs, err := sweep.LoadManifest(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	rd := sweep.RunDir(dir, runs[1].ID)
	if err := os.MkdirAll(rd, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := flock.TryLock(filepath.Join(rd, ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(300*time.Millisecond, lock.Unlock)
	t.Setenv("JOB_COMPLETION_INDEX", "1")
	code, _, stderr := runCLI(t, "sweep", "run", dir)
	if code != 0 || !strings.Contains(stderr, "waiting until it lets go") {
		t.Fatalf("task 1 with its run held: exit %d:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(rd, "summary.json")); err != nil {
		t.Errorf("the run was not trained once the lock was let go: %v", err)
	}
}

// A sweep with many failed runs prints the first 20 failures and a count of the rest, not
// one long line per failure (a 20,000-run sweep printed a thousand).
func TestCollectCapsFailureLines(t *testing.T) {
	dir, _ := expandWithRunFiles(t, []string{"../../sweep/testdata/pc_ce_g_random.yaml", "--count", "25", "--seed", "3"},
		"error.json", `{"error": "exit status 1", "exit_code": 1}`)
	code, _, stderr := runCLI(t, "sweep", "collect", dir)
	if code != 0 {
		t.Fatalf("collect: %d %s", code, stderr)
	}
	if n := strings.Count(stderr, "  failed: row "); n != 20 {
		t.Errorf("%d failure lines; want 20:\n%s", n, stderr)
	}
	if !strings.Contains(stderr, "… and 5 more failed runs (each error is in runs/<id>/error.json and in the error column of "+filepath.Join(dir, "runs.csv")+")") {
		t.Errorf("no count of the other failures, or not the file written:\n%s", stderr)
	}
	if _, _, stderr := runCLI(t, "sweep", "table", dir); !strings.Contains(stderr, "sweep collect writes them all to runs.csv") {
		t.Errorf("table (which writes no file) names a file:\n%s", stderr)
	}
	// A random search's default grouping gives a condition per run: collect says so.
	if !strings.Contains(stderr, "note: grouping by the 13 swept keys except seed gives 25 conditions for 25 runs") {
		t.Errorf("no note on the grouping of a random search:\n%s", stderr)
	}
	if _, _, stderr := runCLI(t, "sweep", "table", dir, "--by", "none"); strings.Contains(stderr, "note: grouping") {
		t.Errorf("--by none: a note on the grouping:\n%s", stderr)
	}
}

// A submit that sbatch stops part way (a per-user job limit) says which arrays are left, and
// the same command then submits only those; --resubmit submits every array again.
func TestSubmitResumesAfterRefusal(t *testing.T) {
	skipSLURMOnWindows(t)
	bin := t.TempDir()
	calls := filepath.Join(bin, "calls")
	// sbatch accepts while the file "limit" holds a number above the calls so far.
	fake := "#!/bin/sh\nn=$(cat " + calls + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + calls + "\n" +
		"if [ $n -gt $(cat " + filepath.Join(bin, "limit") + ") ]; then echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; exit 1; fi\n" +
		"echo $((1000+n))\n"
	if err := os.WriteFile(filepath.Join(bin, "sbatch"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	setLimit := func(n int) { os.WriteFile(filepath.Join(bin, "limit"), []byte(strconv.Itoa(n)), 0o644) }
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := filepath.Join(t.TempDir(), "sw")
	if code, _, stderr := runCLI(t, "sweep", "expand", "../../sweep/testdata/pc_ce_g_random.yaml", "--count", "10", "--seed", "1", "--out", dir); code != 0 {
		t.Fatalf("expand: %s", stderr)
	}
	submit := []string{"sweep", "submit", dir, "--slurm", "--max-array-size", "3"} // 4 arrays: 3+3+3+1 rows
	setLimit(2)
	code, stdout, stderr := runCLI(t, submit...)
	if code != 1 || stdout != "1001\n1002\n" || !strings.Contains(stderr, "2 arrays not submitted: array_2.sh array_3.sh") {
		t.Fatalf("first submit: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	setLimit(10)
	code, stdout, stderr = runCLI(t, submit...)
	if code != 0 || stdout != "1004\n1005\n" || !strings.Contains(stderr, "array_0.sh (tasks 0-2): already submitted as job 1001") {
		t.Fatalf("second submit: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	// Another program path (a reinstalled binary) changes the scripts, not their rows.
	code, stdout, stderr = runCLI(t, append(submit, "--program", "/opt/other/gridcells")...)
	if code != 0 || stdout != "" || !strings.Contains(stderr, "array_3.sh (tasks 9-9): already submitted as job 1005") || !strings.Contains(stderr, "other settings") {
		t.Fatalf("submit from another path: exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, append(submit, "--resubmit")...)
	if code != 0 || strings.Count(stdout, "\n") != 4 {
		t.Fatalf("--resubmit: exit %d, stdout %q; want 4 job ids; stderr:\n%s", code, stdout, stderr)
	}
}

// "sweep run --quiet" prints the final counts and nothing of runs that went well (here every
// run had finished), a cluster task (--index) nothing at all.
func TestSweepRunQuiet(t *testing.T) {
	dir, runs := expandWithRunFiles(t, []string{tinySweep}, "summary.json", "{}")
	n := len(runs)
	counts := fmt.Sprintf("%d runs: 0 finished now, %d had finished, 0 failed, 0 run by other workers, 0 cancelled\n", n, n)
	if code, _, stderr := runCLI(t, "sweep", "run", dir, "--quiet"); code != 0 || stderr != counts {
		t.Errorf("--quiet: exit %d, stderr %q; want only %q", code, stderr, counts)
	}
	if code, _, stderr := runCLI(t, "sweep", "run", dir, "--quiet", "--index", "0"); code != 0 || stderr != "" {
		t.Errorf("--quiet --index 0: exit %d, stderr %q; want nothing", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "run", dir); code != 0 || stderr != fmt.Sprintf("%d runs, 1 worker\n", n)+counts {
		t.Errorf("without --quiet: exit %d, stderr %q; want a header and the counts", code, stderr)
	}
	if code, _, stderr := runCLI(t, "sweep", "run", dir, "--index", "0"); code != 0 || !strings.HasSuffix(stderr, "(row 0) had finished\n") {
		t.Errorf("--index 0: exit %d, stderr %q; want the run's line", code, stderr)
	}
}

// skipSLURMOnWindows skips a test of SLURM scripts on Windows, where sweep submit --slurm is
// refused: a cluster's scripts name the sweep by its path on the (Linux) cluster.
func skipSLURMOnWindows(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("SLURM sweeps are submitted on the cluster, not from Windows")
	}
}

// expandWithRunFiles expands a sweep (sweep expand's arguments but --out) into a temporary
// directory and gives every run a config.json, {}, and the file name holding content: a
// sweep whose runs all failed (error.json) or finished (summary.json) without training.
func expandWithRunFiles(t *testing.T, expand []string, name, content string) (string, []sweep.Run) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sw")
	if code, _, stderr := runCLI(t, append(append([]string{"sweep", "expand"}, expand...), "--out", dir)...); code != 0 {
		t.Fatalf("expand: %d %s", code, stderr)
	}
	runs, err := sweep.LoadManifest(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		rd := sweep.RunDir(dir, r.ID)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(rd, "config.json"), []byte("{}"), 0o644)
		os.WriteFile(filepath.Join(rd, name), []byte(content), 0o644)
	}
	return dir, runs
}
