package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/gridcells/gridcells/analysis"
	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/internal/safefile"
	"github.com/gridcells/gridcells/nn"
	"github.com/gridcells/gridcells/npyio"
	"github.com/gridcells/gridcells/sim"
)

// Score thresholds whose unit fractions the summary reports, strict ">": NFL's per-unit
// percentages (spec §5.6: 0.3, 0.75, 0.8, 0.85, 1.0, 1.15; 1.15 is Fig. 4's) and the 1.2
// of its survival plots.
var summaryThresholds = []float64{0.3, 0.75, 0.8, 0.85, 1, 1.15, 1.2}

// Summary is summary.json: the run's headline numbers.
type Summary struct {
	Steps          int    `json:"steps"`
	WallSeconds    Number `json:"wall_s"`      // training time, summed over sessions
	StepsPerSecond Number `json:"steps_per_s"` // steps / wall_s
	Backend        string `json:"backend"`

	// Post-training evaluation (spec §4.3): one fresh batch of eval.sequence_length steps.
	EvalBatch    int    `json:"eval_batch_size"`
	EvalSequence int    `json:"eval_sequence_length"`
	Loss         Number `json:"loss"`
	// LossKind is the loss training.loss resolved to (auto picks the encoding's, spec §2.2):
	// crossentropy, mse or polarmse.
	LossKind        string `json:"loss_kind"`
	DecodingErrorCM Number `json:"decoding_error_cm"`

	// Grid scores of the first scorer (eval.nbins[0]).
	ScoreMethod   string             `json:"score_method"`
	NBins         int                `json:"nbins"`
	UnitsScored   int                `json:"units_scored"`
	MaxScore60    Number             `json:"max_score60"`
	FracAbove     map[string]float64 `json:"frac_units_score60_above"` // threshold → fraction of scored units with score60 > threshold
	GridThreshold float64            `json:"grid_threshold"`
	DecodeCM      float64            `json:"decode_threshold_cm"`
	// HasPossibleGridCells is NFL's network-level rule (spec §5.6): decoding error below
	// eval.decode_threshold_cm and max score60 above eval.grid_threshold.
	HasPossibleGridCells bool `json:"has_possible_grid_cells"`
	// MaxScore60ByNBins is the max score60 of every scorer, keyed by nbins.
	MaxScore60ByNBins map[string]Number `json:"max_score60_by_nbins"`

	// The best evaluation during training (metrics.jsonl), and whether the network blew up
	// (see diverged: a NaN or infinite loss or decoding error, a cross-entropy above
	// 10·ln Np, a training loss 100 times its lowest and above its first, or a last
	// evaluation decoding far worse than the best): a ReLU RNN at a large learning rate can
	// blow up, early or late, and its final numbers then say nothing about what the network
	// had learnt.
	BestEvalStep            int    `json:"best_eval_step"`
	BestEvalDecodingErrorCM Number `json:"best_eval_decoding_error_cm"`
	Diverged                bool   `json:"diverged"`
	// FirstGridStep is the first evaluated step of training at which the best scored
	// unit's score60 was above GridThreshold and still was at the next evaluation (the
	// best unit may differ; the last evaluation's next is this post-training evaluation's
	// MaxScore60) (eval.track_scores, metrics.jsonl): when the grid cells emerged. −1 when
	// that never happened; null when no metrics line tracked scores. A re-evaluation at
	// another resolution or with another method (gridcells eval --nbins, --method) confirms
	// the last evaluation with its own MaxScore60.
	FirstGridStep *int `json:"first_grid_step"`
}

// firstGridStep returns the step of the first line whose tracked max score60 is above th and
// stays above it at the next line, −1 when no line does, and nil when no line tracked
// scores. The last line's next is the post-training evaluation of the same weights, whose
// best unit scored final (NaN: none): without it a last spike of the tracked units' best
// said "grid cells from step N" beside a final evaluation without them. The best of a few
// hundred units' scores on sparse rate maps jumps by 0.5 between evaluations; a single
// crossing came 1,000 steps before the scores stayed up in the quick preset.
func firstGridStep(lines []MetricsLine, th, final float64) *int {
	above := func(l MetricsLine) bool { return l.MaxScore60 != nil && float64(*l.MaxScore60) > th }
	tracked := false
	for i, l := range lines {
		tracked = tracked || l.FracAbove03 != nil
		if above(l) && ((i == len(lines)-1 && final > th) || (i < len(lines)-1 && above(lines[i+1]))) {
			step := l.Step
			return &step
		}
	}
	if !tracked {
		return nil
	}
	never := -1
	return &never
}

// evalBatchShape is the shape of the post-training evaluation's batch, B trajectories of T
// steps: eval.batch_size (0: the training batch's) × eval.sequence_length.
func evalBatchShape(cfg config.Config) (B, T int) {
	B = cfg.Eval.BatchSize
	if B == 0 {
		B = cfg.Trajectory.BatchSize
	}
	return B, cfg.Eval.SequenceLength
}

// maxScore60 is the best score60 of scores, NaN when no unit has one (a diverged network
// scored with bnt): null in JSON.
func maxScore60(scores []analysis.GridScore) float64 {
	mx := math.NaN()
	for _, s := range scores {
		if !math.IsNaN(s.Score60) && (math.IsNaN(mx) || s.Score60 > mx) {
			mx = s.Score60
		}
	}
	return mx
}

// fracAbove is the fraction of scores whose score60 is above th (NFL's strict ">", spec
// §5.6); a NaN score is not above.
func fracAbove(scores []analysis.GridScore, th float64) float64 {
	c := 0
	for _, s := range scores {
		if s.Score60 > th {
			c++
		}
	}
	return float64(c) / float64(len(scores))
}

// divergeFactor: training diverged when its last evaluation decodes more than this many
// times worse than its best, and worse than the decoding threshold.
const divergeFactor = 3

// lossBlowUp: training diverged when the last logged training loss is more than this many
// times the lowest one and above the first one, whatever the decoding: a network whose
// cross-entropy went from 4.9 to 3e5 (an unstable learning rate) decodes no worse than one
// that never learned, so the decoding rule cannot see it. Two orders of magnitude are far
// beyond the noise of a healthy run's loss; "above the first" keeps an MSE run that fell
// from 0.04 to 2e-6 and rose back to 4e-4 (still decoding to 1.5 cm) from counting.
const lossBlowUp = 100

// crossEntropyBlowUp: a cross-entropy run diverged when its loss ends above this many times
// ln(Np), the loss of predicting every cell alike (the targets of a place-cell code sum to
// 1): a network that blew up before its first logged step has no healthy loss to compare
// with (3.4e12 at the first line, 2.5e7 at the end, where an untrained one has 6.2).
const crossEntropyBlowUp = 10

// diverged finds the best evaluation of lines (lowest decoding error) and reports whether
// training diverged: the final evaluation's loss or decoding error (finalLoss, finalCM), or
// the last line's, is NaN or infinite (the loss overflowed; this covers a run whose every
// evaluation is NaN, which has no best); the final loss or the last line's is above
// lossCeiling (crossEntropyBlowUp·ln Np for cross-entropy, +Inf otherwise); the last line's
// loss is more than lossBlowUp times the lowest logged and above the first; or the last
// evaluation decodes more than divergeFactor times worse than the best and worse than
// threshold cm. Runs without metrics lines have best step −1 and diverge only by their
// final evaluation; a run with only NaN evaluations has best step −1 too.
func diverged(lines []MetricsLine, threshold, lossCeiling, finalLoss, finalCM float64) (bestStep int, bestCM float64, div bool) {
	bestStep, bestCM = -1, math.NaN()
	minLoss := math.Inf(1)
	for _, l := range lines {
		if e := float64(l.DecodingErrorCM); !math.IsNaN(e) && (bestStep < 0 || e < bestCM) {
			bestStep, bestCM = l.Step, e
		}
		if v := float64(l.Loss); v < minLoss { // false for NaN: a NaN loss is not the lowest
			minLoss = v
		}
	}
	nonFinite := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if nonFinite(finalLoss) || nonFinite(finalCM) || finalLoss > lossCeiling {
		return bestStep, bestCM, true
	}
	if len(lines) == 0 {
		return bestStep, bestCM, false
	}
	last := lines[len(lines)-1]
	cm, loss, first := float64(last.DecodingErrorCM), float64(last.Loss), float64(lines[0].Loss)
	if nonFinite(cm) || nonFinite(loss) || loss > lossCeiling || (minLoss > 0 && loss > lossBlowUp*minLoss && loss > first) {
		return bestStep, bestCM, true
	}
	return bestStep, bestCM, cm > divergeFactor*bestCM && cm > threshold
}

// lossCeiling is the loss above which a run of cfg has blown up whatever its history
// (crossEntropyBlowUp·ln Np for cross-entropy), +Inf for losses without such a scale.
func lossCeiling(cfg config.Config) float64 {
	if cfg.LossKind() == config.LossCrossEntropy && cfg.Encoding.Np > 1 {
		return crossEntropyBlowUp * math.Log(float64(cfg.Encoding.Np))
	}
	return math.Inf(1)
}

// Evaluate recomputes the post-training evaluation of the finished (or fully trained) run in
// dir from checkpoint/final.npz and writes eval/, the rate maps, the scores and
// summary.json again. The training figures of the summary come from checkpoint/latest.npz.
func Evaluate(ctx context.Context, dir string, opt Options) (*Summary, error) {
	return reevaluate(ctx, dir, nil, opt)
}

// EvaluateWith is Evaluate with the evaluation settings eval (rate-map resolutions, score
// method, units, thresholds) in place of the run's own: the evaluation batch, the model and
// the units' random subsets come from the run as Evaluate's do. config.json is left as it
// was; summary.json records the resolution and method used. The combined config must
// validate.
func EvaluateWith(ctx context.Context, dir string, eval config.Eval, opt Options) (*Summary, error) {
	return reevaluate(ctx, dir, &eval, opt)
}

// EvaluateLatest evaluates the weights of the latest checkpoint of the run in dir, finished or
// not, as Evaluate does (with eval in place of the run's evaluation settings when not nil),
// and writes eval/, the rate maps, the scores and summary.json into out, which must not
// be dir: a summary.json in a run directory marks the run finished. It answers "how does
// this long run look now?" without stopping it for good.
func EvaluateLatest(ctx context.Context, dir, out string, eval *config.Eval, opt Options) (*Summary, error) {
	a, errA := filepath.Abs(dir)
	b, errB := filepath.Abs(out)
	if errA != nil || errB != nil || a == b {
		return nil, fmt.Errorf("train: EvaluateLatest: the output directory must differ from the run directory %s", dir)
	}
	r, err := loadForEval(dir, eval, opt)
	if err != nil {
		return nil, err
	}
	defer r.release()
	if err := r.restore(filepath.Join(dir, latestFile)); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("train: %s: %w (no %s yet)", dir, ErrNoRun, latestFile)
		}
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return r.evaluate(ctx, out)
}

// loadForEval opens the run in dir with its evaluation settings replaced by eval when eval
// is not nil.
func loadForEval(dir string, eval *config.Eval, opt Options) (*run, error) {
	cfg, info, err := loadRunInfo(dir)
	if err != nil {
		return nil, err
	}
	if eval != nil {
		cfg.Eval = *eval
		cfg.Eval.NBins = append([]int(nil), eval.NBins...)
	}
	opt.evalOnly = true
	return openRun(dir, cfg, info, opt)
}

// reevaluate loads the run in dir (with its evaluation settings replaced by eval when eval is
// not nil) and evaluates its final weights.
func reevaluate(ctx context.Context, dir string, eval *config.Eval, opt Options) (*Summary, error) {
	r, err := loadForEval(dir, eval, opt)
	if err != nil {
		return nil, err
	}
	defer r.release()
	if r.lock, err = lockRun(dir); err != nil {
		return nil, err
	}
	m, path, err := readFinalWeights(dir)
	if err != nil {
		return nil, err
	}
	// The training figures (steps, time) live in the latest checkpoint's state; the final
	// weights are loaded after it, over the latest checkpoint's.
	if err := r.restore(filepath.Join(dir, latestFile)); err != nil {
		return nil, err
	}
	if err := loadParams(r.model, m, path); err != nil {
		return nil, err
	}
	return r.evaluate(ctx, r.dir)
}

// evaluate runs spec §4.3 on the model in r and writes eval/, rate maps, scores and the
// summary into dst (the run directory, except for EvaluateLatest).
func (r *run) evaluate(ctx context.Context, dst string) (*Summary, error) {
	cfg := r.cfg
	if r.opt.Progress != nil {
		r.opt.Progress.Stage("evaluating")
	}
	B, T := evalBatchShape(cfg)
	gen, err := sim.New(r.simP, rand.NewPCG(cfg.Seed, streamFinalEval))
	if err != nil {
		return nil, err
	}
	sb := sim.NewBatch(B, T)
	gen.Next(sb)
	var nb nn.Batch // EncodeBatch sizes it
	EncodeBatch(r.code, sb, &nb)
	loss, out, g := r.model.EvaluateGrid(nb, nil, nil)
	decErr := r.code.DecodingError(out, sb.Pos)
	ng := r.ncfg.Ng

	// Every file goes to a staging directory first and into place only once all of them are
	// written, with summary.json last: an evaluation interrupted (eval at new resolutions,
	// Ctrl-C) leaves the previous set of files whole, not new rate maps beside an old summary.
	st, err := newStaging(dst)
	if err != nil {
		return nil, err
	}
	defer st.discard()
	// Rows are time-major (t·B + b), the layout of every batch here; NFL flattens batch-major,
	// which only reorders rows.
	if err := npyio.WriteFile(st.path(evalDir+"/activations.npy"), npyio.NewFloat32(g, T*B, ng)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := npyio.WriteFile(st.path(evalDir+"/positions.npy"), npyio.NewFloat32(sb.Pos, T*B, 2)); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}

	if r.opt.Progress != nil {
		r.opt.Progress.Stage("scoring")
	}
	method, err := analysis.ParseMethod(cfg.Eval.ScoreMethod)
	if err != nil {
		return nil, err
	}
	sum := &Summary{
		Steps:             r.step,
		WallSeconds:       Number(r.elapsed.Seconds()),
		StepsPerSecond:    Number(float64(r.step) / r.elapsed.Seconds()),
		Backend:           r.backendName(),
		EvalBatch:         B,
		EvalSequence:      T,
		LossKind:          cfg.LossKind(),
		Loss:              Number(loss),
		DecodingErrorCM:   Number(decErr),
		ScoreMethod:       string(method),
		GridThreshold:     cfg.Eval.GridThreshold,
		DecodeCM:          cfg.Eval.DecodeThreshold,
		MaxScore60ByNBins: map[string]Number{},
	}
	for i, n := range cfg.Eval.NBins {
		units := analysedUnits(ng, cfg.Eval.NUnits, rand.New(rand.NewPCG(cfg.Seed, streamUnits+uint64(i))))
		maps, err := rateMaps(g, sb.Pos, ng, units, n, cfg.Trajectory.MapSide())
		if err != nil {
			return nil, err
		}
		sc, err := analysis.NewScorer(n, &analysis.Settings{Method: method})
		if err != nil {
			return nil, err
		}
		scores, err := sc.ScoreAll(ctx, maps, 0)
		if err != nil {
			return nil, err
		}
		suffix := ""
		if i > 0 {
			suffix = "_" + strconv.Itoa(n)
		}
		m32 := make([]float32, len(maps))
		for j, v := range maps {
			m32[j] = float32(v)
		}
		if err := npyio.WriteFile(st.path("ratemaps"+suffix+".npy"), npyio.NewFloat32(m32, len(units), n, n)); err != nil {
			return nil, fmt.Errorf("train: %w", err)
		}
		if err := writeScores(st.path("scores"+suffix+".csv"), units, maps, n, scores); err != nil {
			return nil, err
		}
		mx := maxScore60(scores)
		sum.MaxScore60ByNBins[strconv.Itoa(n)] = Number(mx)
		if i == 0 {
			sum.NBins = n
			sum.UnitsScored = len(units)
			sum.MaxScore60 = Number(mx)
			sum.FracAbove = map[string]float64{}
			for _, th := range summaryThresholds {
				sum.FracAbove[strconv.FormatFloat(th, 'g', -1, 64)] = fracAbove(scores, th)
			}
			sum.HasPossibleGridCells = decErr < cfg.Eval.DecodeThreshold && mx > cfg.Eval.GridThreshold
		}
	}
	// A run directory without metrics.jsonl (no evaluation during training) has no best
	// evaluation and never diverged: diverged of no lines says so.
	lines, _ := ReadMetrics(r.dir)
	best, cm, div := diverged(lines, cfg.Eval.DecodeThreshold, lossCeiling(cfg), loss, decErr)
	sum.BestEvalStep, sum.BestEvalDecodingErrorCM, sum.Diverged = best, Number(cm), div
	sum.FirstGridStep = firstGridStep(lines, cfg.Eval.GridThreshold, float64(sum.MaxScore60))
	b, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	// Synced like every other file of the evaluation: after a crash, an empty summary.json
	// would mark the run finished for good.
	if err := safefile.WriteFile(st.path(summaryFile), append(b, '\n')); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	if err := st.commit(); err != nil {
		return nil, err
	}
	return sum, nil
}

// stagingDir is where evaluate writes its files before they replace a run's (under the run
// directory, so that the renames stay on one file system).
const stagingDir = ".evaluating"

// staging collects the files of one evaluation under dst/stagingDir.
type staging struct {
	dst, dir  string
	names     []string // relative to dir, in the order written
	committed bool     // commitFile is written: the evaluation's files replace the run's
}

// newStaging finishes or discards what an earlier, killed evaluation left in
// dst/stagingDir (recoverStaging) and makes the directory afresh.
func newStaging(dst string) (*staging, error) {
	st := &staging{dst: dst, dir: filepath.Join(dst, stagingDir)}
	if err := recoverStaging(dst); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(st.dir, evalDir), 0o755); err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	return st, nil
}

// path records name (slash-separated, relative to the run directory) as a file of the
// evaluation and returns where to write it.
func (st *staging) path(name string) string {
	st.names = append(st.names, name)
	return filepath.Join(st.dir, filepath.FromSlash(name))
}

// commitFile, in the staging directory, lists what a commit does: the staged files to move
// in order (summary.json last) and the files to remove. Once it is written the evaluation
// is committed, and a commit that a kill cut short is finished by recoverStaging.
const commitFile = "commit.json"

type commitPlan struct {
	Move   []string `json:"move"`
	Remove []string `json:"remove"`
}

// commit moves the staged files into dst, summary.json last, after removing the rate maps
// and scores of resolutions the new evaluation does not have (ratemaps_32.npy of an earlier
// --nbins 44,32, say), and removes the staging directory.
func (st *staging) commit() error {
	plan := commitPlan{Move: slices.Clone(st.names)}
	slices.SortStableFunc(plan.Move, func(a, b string) int { // summary.json last
		return cmpBool(a == summaryFile, b == summaryFile)
	})
	// Only names an evaluation writes (isResolutionFile, as ForeignEntries reads them): a
	// user's ratemaps_old.npy beside them is not the evaluation's to remove. An unreadable
	// directory removes nothing, as filepath.Glob, used before, ignored I/O errors too.
	entries, _ := os.ReadDir(st.dst)
	for _, e := range entries {
		if n := e.Name(); isResolutionFile(n) && !slices.Contains(st.names, n) {
			plan.Remove = append(plan.Remove, n)
		}
	}
	b, err := json.Marshal(plan)
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	if err := safefile.WriteFile(filepath.Join(st.dir, commitFile), b); err != nil {
		return err
	}
	st.committed = true
	return applyCommit(st.dst, plan)
}

// applyCommit carries out plan in dst; it may run again on a plan it carried out in part.
func applyCommit(dst string, plan commitPlan) error {
	// The plan is a file in the run directory; its names may not lead out of it.
	for _, n := range append(slices.Clone(plan.Remove), plan.Move...) {
		if !filepath.IsLocal(filepath.FromSlash(n)) {
			return fmt.Errorf("train: %s: commit plan names %q, outside the run directory", dst, n)
		}
	}
	for _, f := range plan.Remove {
		if err := os.Remove(filepath.Join(dst, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("train: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dst, evalDir), 0o755); err != nil {
		return fmt.Errorf("train: %w", err)
	}
	dir := filepath.Join(dst, stagingDir)
	for _, n := range plan.Move {
		from := filepath.Join(dir, filepath.FromSlash(n))
		if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
			continue // moved before the kill
		}
		if err := renameFile(from, filepath.Join(dst, filepath.FromSlash(n))); err != nil {
			return fmt.Errorf("train: %w", err)
		}
	}
	// The renames reach the disk before the staging directory (and its commit plan) goes.
	safefile.SyncDir(dst)
	safefile.SyncDir(filepath.Join(dst, evalDir))
	return os.RemoveAll(dir)
}

// renameFile is os.Rename; tests stop a commit part way through with it, as a kill would.
var renameFile = os.Rename

// recoverStaging deals with the staging directory a killed evaluation left in dst: a
// committed one (commitFile written) is finished, so that the run's files are all of one
// evaluation; an uncommitted one is removed, leaving the previous files as they were. The
// caller holds the run directory's lock.
func recoverStaging(dst string) error {
	dir := filepath.Join(dst, stagingDir)
	b, err := os.ReadFile(filepath.Join(dir, commitFile))
	if errors.Is(err, os.ErrNotExist) {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("train: %w", err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("train: %w", err)
	}
	var plan commitPlan
	if err := json.Unmarshal(b, &plan); err != nil {
		return fmt.Errorf("train: %s: %w", filepath.Join(dir, commitFile), err)
	}
	return applyCommit(dst, plan)
}

// discard removes what is left of an uncommitted staging directory (all of it after a
// failure). A committed one stays for recoverStaging to finish.
func (st *staging) discard() {
	if !st.committed {
		os.RemoveAll(st.dir)
	}
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// analysedUnits returns the units a scorer analyses (spec §4.3 step 4): all of them when
// ng ≤ n, otherwise n drawn uniformly without replacement, in increasing order.
func analysedUnits(ng, n int, rng *rand.Rand) []int {
	if n <= 0 || ng <= n {
		u := make([]int, ng)
		for i := range u {
			u[i] = i
		}
		return u
	}
	u := rng.Perm(ng)[:n]
	slices.Sort(u)
	return u
}

// rateMaps returns the rate maps of the given units (spec §5.1) on nbins × nbins square bins
// over the square [−side/2, side/2]² (config's MapSide: it holds a rectangular box, whose
// outside bins stay empty): len(units) maps back to back, NaN = empty bin. act is rows×ng,
// row i the activations at pos[2i:2i+2].
//
// Only the analysed units are accumulated: at 512 bins the maps of all 4096 units of a
// Sorscher network are 8.6 GB of float64, of which 1,024 units are analysed.
func rateMaps(act, pos []float32, ng int, units []int, nbins int, side float64) ([]float64, error) {
	rows := len(act) / ng
	sub := act
	if len(units) != ng {
		sub = make([]float32, rows*len(units))
		for r := range rows {
			for k, u := range units {
				sub[r*len(units)+k] = act[r*ng+u]
			}
		}
	}
	acc, err := analysis.NewRateMapAccumulator(len(units), nbins, analysis.SquareBox(side))
	if err != nil {
		return nil, err
	}
	acc.Add(pos, sub)
	return acc.Maps(nil), nil
}

// periodicityThreshold is the score60 above which a unit's grid period and orientation are
// measured (spec §4.3 step 5).
const periodicityThreshold = 0.3

// writeScores writes one CSV row per analysed unit: its grid scores and, for units with
// score60 above periodicityThreshold, the grid period (bins) and orientation (degrees) of
// spec §5.6; NaN for the others, as NFL leaves them unmeasured.
func writeScores(path string, units []int, maps []float64, n int, scores []analysis.GridScore) error {
	var b bytes.Buffer
	b.WriteString("unit,score60,score90,ring60,ring90,outer60,outer90,meandiff60,minmax60,period_bins,period_std_bins,orientation_deg\n")
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
	cells := n * n
	for i, s := range scores {
		per := analysis.Periodicity{Period: math.NaN(), PeriodStd: math.NaN(), Orientation: math.NaN()}
		if s.Score60 > periodicityThreshold {
			per = analysis.MeasurePeriodicity(maps[i*cells:(i+1)*cells], n, nil)
		}
		fmt.Fprintf(&b, "%d,%s,%s,%d,%d,%s,%s,%s,%s,%s,%s,%s\n", units[i], f(s.Score60), f(s.Score90), s.Ring60, s.Ring90,
			f(s.Outer60), f(s.Outer90), f(s.MeanDiff60), f(s.MinMax60), f(per.Period), f(per.PeriodStd), f(per.Orientation))
	}
	return safefile.WriteFile(path, b.Bytes())
}
