package config

// Config is the fully resolved configuration of one training run. Every option of the
// reference codebases (spec §1–§5) has a field here; the JSON/YAML key of each field is
// its canonical name, and the NFL/SOR/W&B names are accepted as aliases (see aliases.go).
//
// Units: lengths in metres, times in seconds, angles in radians unless stated.
//
// Struct tags: `json` is the key (canonical key = "section.key"); `enum` lists the allowed
// values of a string option ('|'-separated; matched case-insensitively and stored in the
// spelling given here); `help` is the one-line description printed by
// "gridcells config --list-keys".
type Config struct {
	Name       string     `json:"name,omitempty" help:"free-form label of the run"`
	Preset     string     `json:"preset,omitempty" help:"preset the run's values start from (informational once resolved)"`
	Seed       uint64     `json:"seed" help:"the run's seed; every random draw derives from it"`
	Trajectory Trajectory `json:"trajectory"`
	Encoding   Encoding   `json:"encoding"`
	Model      Model      `json:"model"`
	Training   Training   `json:"training"`
	Eval       Eval       `json:"eval"`
}

// Trajectory configures the motion model (spec §1.1; ecosystem.md §2.2).
type Trajectory struct {
	MotionModel    string  `json:"motion_model" enum:"sorscher|ratinabox" help:"sorscher: spec §1.1 random walk; ratinabox: OU rotational velocity and speed with wall repulsion"`
	BoxWidth       float64 `json:"box_width" help:"arena width, m (x ∈ [-w/2, w/2])"`
	BoxHeight      float64 `json:"box_height" help:"arena height, m (y ∈ [-h/2, h/2])"`
	Dt             float64 `json:"dt" help:"time step, s"`
	Periodic       bool    `json:"periodic" help:"wrap positions into the box (off in every NFL sweep)"`
	SequenceLength int     `json:"sequence_length" help:"T, steps per training trajectory"`
	BatchSize      int     `json:"batch_size" help:"B, trajectories per gradient step"`
	// RNG is omitempty so that configs without it keep their JSON and config id.
	RNG string `json:"rng,omitempty" enum:"pcg|philox" help:"random source of the sorscher walk: pcg (default when unset) or philox (counter-based Philox4x32-10 in float32, the walk a GPU can generate bit-identically)"`

	// Sorscher/NFL random walk (spec §1.1).
	RotVelStd      float64 `json:"rot_vel_std" help:"std of the turn noise, rad/s (5.76·2)"`
	SpeedScale     float64 `json:"speed_scale" help:"Rayleigh scale b of the forward speed, m/s (0.13·2π)"`
	BorderRegion   float64 `json:"border_region" help:"width of the wall band where the walker turns away, m"`
	BorderSlowdown float64 `json:"border_slowdown" help:"speed factor applied in the wall band when heading into the wall"`

	// RatInABox-style motion (ecosystem.md §2.2); used when MotionModel is "ratinabox".
	RIABSpeedMean         float64 `json:"riab_speed_mean" help:"RatInABox speed_mean (Rayleigh σ of the speed), m/s"`
	RIABSpeedCoherence    float64 `json:"riab_speed_coherence_time" help:"RatInABox speed_coherence_time (OU τ of the speed), s"`
	RIABRotVelStd         float64 `json:"riab_rot_vel_std" help:"RatInABox rotational_velocity_std, rad/s (120°/s)"`
	RIABRotVelCoherence   float64 `json:"riab_rot_vel_coherence_time" help:"RatInABox rotational_velocity_coherence_time (OU τ), s"`
	RIABWallRepelDistance float64 `json:"riab_wall_repel_distance" help:"RatInABox wall_repel_distance, m"`
	RIABWallRepelStrength float64 `json:"riab_wall_repel_strength" help:"RatInABox wall_repel_strength (multiple of speed_mean)"`
	RIABThigmotaxis       float64 `json:"riab_thigmotaxis" help:"RatInABox thigmotaxis in [0, 1]"`
}

// Encoding configures the target code (spec §2).
type Encoding struct {
	Kind               string  `json:"kind" enum:"cartesian|high_dim_cartesian|polar|high_dim_polar|gaussian|difference_of_gaussians|true_difference_of_gaussians|general_difference_of_gaussians|softmax_of_differences" help:"NFL place_field_values (spec §2.2): DoS = difference_of_gaussians, DoG = true_difference_of_gaussians, SoD = softmax_of_differences"`
	Normalization      string  `json:"normalization" enum:"none|global" help:"NFL place_field_normalization: global = softmax over cells (required for crossentropy)"`
	Np                 int     `json:"np" help:"number of output (place) cells"`
	PlaceCellRF        Dist    `json:"place_cell_rf" help:"σ_E of the place fields, m: a number or 'Uniform( lo , hi )' per cell and field"`
	SurroundScale      Dist    `json:"surround_scale" help:"surround factor s: a number or 'Uniform( lo , hi )'; meaning set by surround_convention"`
	SurroundConvention string  `json:"surround_convention" enum:"sigma_ratio|variance_ratio" help:"sigma_ratio (NFL): σ_I = s·σ_E; variance_ratio (Sorscher): σ_I² = s·σ_E²"`
	FieldsPerCell      Dist    `json:"fields_per_cell" help:"fields per cell: an integer n or 'Poisson( λ )' meaning 1+Poisson(λ)"`
	AlphaE             float64 `json:"alpha_e" help:"general DoG excitatory amplitude α_E"`
	AlphaI             float64 `json:"alpha_i" help:"general DoG inhibitory amplitude α_I"`
	Anisotropy         Dist    `json:"anisotropy" help:"aspect ratio of elliptical place fields: 1 = isotropic, or 'Uniform( lo , hi )'"`
	VonMisesKappa      float64 `json:"von_mises_kappa" help:"concentration κ of the high_dim_polar angle cells"`
	DecodeTopK         int     `json:"decode_top_k" help:"k of top-k place-cell decoding (spec §2.3)"`
}

// Model configures the recurrent network (spec §3).
type Model struct {
	RNNType          string  `json:"rnn_type" enum:"RNN|LSTM|GRU|UGRNN|SRNN" help:"recurrent architecture (spec §3)"`
	Ng               int     `json:"ng" help:"number of recurrent (\"grid\") units"`
	Activation       string  `json:"activation" enum:"relu|tanh|sigmoid|linear" help:"nonlinearity φ"`
	Initializer      string  `json:"initializer" enum:"glorot_uniform|glorot_normal|orthogonal" help:"initializer of the recurrent matrix (keras convention)"`
	InitConvention   string  `json:"init_convention" enum:"keras|pytorch" help:"the reference framework's conventions: keras (NFL: glorot initialisation, Adam's ε as Keras adds it) or pytorch (Sorscher: U(±1/√fan_in) initialisation, ε added to √v̂ as torch.optim.Adam does)"`
	ReadoutDropout   float64 `json:"readout_dropout" help:"Keras input dropout rate (drops the velocity input for RNN; spec §0.1 item 6)"`
	RecurrentDropout float64 `json:"recurrent_dropout" help:"dropout rate on h_{t-1}"`
	// NFL applies weight decay to UGRNN's bias vector instead of its recurrent weights (spec §0.1 item 7).
	NFLUGRNNBiasDecay bool `json:"nfl_ugrnn_bias_decay" help:"reproduce NFL's UGRNN quirk: weight decay on the bias instead of the recurrent weights"`
}

// Training configures the optimisation (spec §4).
type Training struct {
	Optimizer       string  `json:"optimizer" enum:"adam|rmsprop|sgd|adagrad" help:"optimiser (spec §4.2)"`
	LearningRate    float64 `json:"learning_rate" help:"learning rate"`
	Epsilon         float64 `json:"epsilon" help:"optimiser ε (Keras 1e-7, PyTorch 1e-8)"`
	Loss            string  `json:"loss" enum:"auto|crossentropy|mse|polarmse" help:"auto picks the loss of the encoding (spec §2.2 Loss column)"`
	WeightDecay     float64 `json:"weight_decay" help:"λ in λ·ΣW_rec² added to the loss"`
	NEpochs         int     `json:"n_epochs" help:"number of epochs"`
	StepsPerEpoch   int     `json:"n_grad_steps_per_epoch" help:"gradient steps per epoch"`
	EvalEvery       int     `json:"eval_every" help:"steps between evaluations (0 = end of each epoch)"`
	CheckpointEvery int     `json:"checkpoint_every" help:"steps between checkpoints (0 = end of each epoch)"`
	Device          string  `json:"device" enum:"auto|cpu|cuda|cuda-tf32" help:"compute backend; auto uses CUDA (full float32) when its libraries and a GPU are found, else the CPU; cuda-tf32 lets matrix products use TF32 tensor cores"`
}

// Eval configures post-training evaluation (spec §4.3, §5).
type Eval struct {
	SequenceLength  int     `json:"sequence_length" help:"trajectory length of the evaluation batch (NFL 50)"`
	BatchSize       int     `json:"batch_size" help:"trajectories in the evaluation batch (0 = training batch size)"`
	NBins           []int   `json:"nbins" help:"rate-map resolutions per side of the square around the box, one scorer each (NFL 44,20,32)"`
	NUnits          int     `json:"n_units" help:"units analysed per scorer, drawn without replacement (all when Ng ≤ n_units)"`
	ScoreMethod     string  `json:"score_method" enum:"nfl|deepmind|bnt" help:"60° grid score: nfl (min-max), deepmind (mean-difference), bnt"`
	GridThreshold   float64 `json:"grid_threshold" help:"max score60 above which a network has possible grid cells (spec §5.6)"`
	DecodeThreshold float64 `json:"decode_threshold_cm" help:"decoding error below which a network path-integrates, cm"`
	BinSide         float64 `json:"bin_side" help:"NFL bin_side_in_m (bin side of its training-time rate maps, m): read from NFL configs and recorded, but rate maps here are eval.nbins bins per side (0.05 m on the 2.2 m box is 44)"`
	PlotUnits       int     `json:"plot_units" help:"units drawn in a run report's rate-map and autocorrelogram figures (NFL n_recurrent_units_to_sample; 0: 16; gridcells report --top overrides it)"`
	// TrackScores is omitempty so that configs without it keep their JSON and config id.
	TrackScores string `json:"track_scores,omitempty" enum:"on|off" help:"on (default when unset): at every evaluation during training, also score the analysed units' rate maps (at most 256 of them, eval.nbins[0], on a batch of the final evaluation's shape) and log the max score60 and the fraction of units above 0.3 in metrics.jsonl: when the grid cells emerge; off: do not"`
}

// TracksScores reports whether training scores the units at every evaluation
// (eval.track_scores, on unless off).
func (e Eval) TracksScores() bool { return e.TrackScores != "off" }

// MapSide is the side, in m, of the square over which rate maps are binned: the larger of
// the box's width and height. Rate maps have eval.nbins × eval.nbins square bins of
// MapSide/nbins, because the autocorrelogram's rings and rotations and the grid period in
// bins assume square bins [spec §5.1 bins a square arena]. A rectangular box sits centred
// in that square, and the bins beyond it are never visited (NaN, like any empty bin).
func (t Trajectory) MapSide() float64 { return max(t.BoxWidth, t.BoxHeight) }

// Clone returns a deep copy of c (Config values share the Eval.NBins slice otherwise).
func (c Config) Clone() Config {
	c.Eval.NBins = append([]int(nil), c.Eval.NBins...)
	return c
}
