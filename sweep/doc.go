// Package sweep expands sweep files into manifests of resolved run configs and runs them
// on this machine, as SLURM job arrays or as a Kubernetes Indexed Job, then collects the
// runs' summaries into the paper's table (spec §6, §7.1; ecosystem.md §5).
//
// # Sweep files
//
// A sweep file is the W&B sweep YAML subset that the NFL sweeps use (ecosystem.md §5.1):
// method grid or random; parameters with value, values (+ probabilities) or a distribution
// (int_uniform, uniform, q_uniform, log_uniform, log_uniform_values, q_log_uniform[_values],
// inv_log_uniform[_values], normal, q_normal, log_normal, q_log_normal, beta, q_beta) with
// min/max/mu/sigma/q/a/b; nested parameters; run_cap; metric. Keys are config keys or their
// NFL/Sorscher aliases (package config), and values are what config.Set accepts, so the NFL
// per-cell value strings ('Uniform( 0.06 , 0.24 )', 'Poisson( 3.0 )') stay strings that the
// config interprets. program, command, early_terminate and the W&B bookkeeping keys are
// read and ignored with a note. A grid sweep is the product of its parameters' values (file
// order, last fastest); a random sweep draws a count of distinct runs from one PCG stream
// of the given seed, so the same file, count and seed give the same runs.
//
// # Manifest and run directories
//
// Expansion writes DIR/manifest.jsonl, one fully resolved and validated config per line
// with its run id (the first 12 hex digits of the SHA-256 of the config's canonical JSON),
// and DIR/sweep.yaml. Run i trains in DIR/runs/<id>/ (the train package's run directory)
// plus sweep_config.json (its config), train.log, error.json (its last failure) and .lock.
//
// # Executors
//
// Worker runs one row as a subprocess "gridcells train ..." (resuming a started run) under
// an flock, so that two workers never run the same run and a killed worker leaves a
// resumable run; RunAll is the local pool. A cluster task runs "gridcells sweep run DIR",
// which takes its row from $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX plus
// $GRIDCELLS_SWEEP_INDEX_OFFSET (TaskIndex). SLURMScript and SplitArray write sbatch
// --array scripts within the cluster's MaxArraySize; K8sJob writes an Indexed Job.
//
// # Collecting
//
// Collect reads every run's state, summary and last error. WriteCSV (runs.csv) and
// WriteParquet (runs.parquet) write the same table, one row per run and one column per
// swept parameter and metric, in the same order (RunsColumns); in the Parquet file ids,
// status, errors and text parameters are STRING, metrics and float parameters DOUBLE with
// null for NaN, counts and integer parameters INT64, booleans BOOLEAN, so pandas reads the
// same frame from either. Table and WriteTable give the paper's table with Wilson
// intervals (spec §7.1).
//
// # Errors
//
// Problems with a sweep file are *config.ConfigError values naming the file, line and key
// (joined when there are several). Programmer misuse (SplitArray with a zero size, Wilson
// with k > n) panics with a "sweep:" message. Library code never prints: progress goes
// through the Progress interface.
package sweep
