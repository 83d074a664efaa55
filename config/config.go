package config

// Config is the fully resolved configuration of one training run. Every option of the
// reference codebases (spec §1–§5) has a field here; the JSON/YAML key of each field is
// its canonical name, and the NFL/W&B names are accepted as aliases (see aliases.go).
//
// Units: lengths in metres, times in seconds, angles in radians unless stated.
type Config struct {
	Name       string     `json:"name,omitempty"` // free-form label of the run
	Seed       uint64     `json:"seed"`           // the run's seed; every random draw derives from it
	Trajectory Trajectory `json:"trajectory"`
	Encoding   Encoding   `json:"encoding"`
	Model      Model      `json:"model"`
	Training   Training   `json:"training"`
	Eval       Eval       `json:"eval"`
}

// Trajectory configures the motion model (spec §1.1; ecosystem.md §2.2).
type Trajectory struct {
	MotionModel    string  `json:"motion_model"`    // "sorscher" (spec §1.1 random walk) or "ratinabox" (OU motion)
	BoxWidth       float64 `json:"box_width"`       // m (default 2.2)
	BoxHeight      float64 `json:"box_height"`      // m (default 2.2)
	Dt             float64 `json:"dt"`              // s per step (default 0.02)
	Periodic       bool    `json:"periodic"`        // wrap positions into the box
	SequenceLength int     `json:"sequence_length"` // T, steps per training trajectory (default 20)
	BatchSize      int     `json:"batch_size"`      // B, trajectories per gradient step (default 200)

	// Sorscher/NFL random walk (spec §1.1).
	RotVelStd      float64 `json:"rot_vel_std"`     // rad/s, std of the turn noise (default 11.52)
	SpeedScale     float64 `json:"speed_scale"`     // m/s, Rayleigh scale b (default 0.13·2π)
	BorderRegion   float64 `json:"border_region"`   // m, wall band (default 0.03)
	BorderSlowdown float64 `json:"border_slowdown"` // speed factor in the wall band (default 0.25)

	// RatInABox-style motion (ecosystem.md §2.2); used when MotionModel is "ratinabox".
	RIABSpeedMean         float64 `json:"riab_speed_mean"`             // m/s (default 0.08)
	RIABSpeedCoherence    float64 `json:"riab_speed_coherence_time"`   // s (default 0.7)
	RIABRotVelStd         float64 `json:"riab_rot_vel_std"`            // rad/s (default 120°/s)
	RIABRotVelCoherence   float64 `json:"riab_rot_vel_coherence_time"` // s (default 0.08)
	RIABWallRepelDistance float64 `json:"riab_wall_repel_distance"`    // m (default 0.1)
	RIABWallRepelStrength float64 `json:"riab_wall_repel_strength"`    // (default 1.0)
	RIABThigmotaxis       float64 `json:"riab_thigmotaxis"`            // (default 0.5)
}

// Dist is a scalar that is either fixed or drawn per cell (and field) from a distribution,
// as NFL's value strings 'Uniform( lo , hi )' and 'Poisson( λ )' (spec §2.1).
type Dist struct {
	Kind string  `json:"kind"`        // "const", "uniform" or "poisson"
	A    float64 `json:"a"`           // const value, uniform low, or Poisson λ
	B    float64 `json:"b,omitempty"` // uniform high
}

// Encoding configures the target code (spec §2).
type Encoding struct {
	Kind               string  `json:"kind"`                // place_field_values: cartesian, high_dim_cartesian, polar, high_dim_polar, gaussian, difference_of_gaussians, true_difference_of_gaussians, general_difference_of_gaussians, softmax_of_differences
	Normalization      string  `json:"normalization"`       // "none" or "global"
	Np                 int     `json:"np"`                  // number of output cells
	PlaceCellRF        Dist    `json:"place_cell_rf"`       // σ_E, m
	SurroundScale      Dist    `json:"surround_scale"`      // s
	SurroundConvention string  `json:"surround_convention"` // "sigma_ratio" (NFL: σ_I = sσ) or "variance_ratio" (Sorscher: σ_I² = sσ²)
	FieldsPerCell      Dist    `json:"fields_per_cell"`     // const n, or poisson λ meaning 1+Poisson(λ)
	AlphaE             float64 `json:"alpha_e"`             // general DoG excitatory amplitude
	AlphaI             float64 `json:"alpha_i"`             // general DoG inhibitory amplitude
	Anisotropy         Dist    `json:"anisotropy"`          // aspect ratio of elliptical fields (const 1 = isotropic)
	VonMisesKappa      float64 `json:"von_mises_kappa"`     // high-dim polar concentration (default 1.0)
	DecodeTopK         int     `json:"decode_top_k"`        // k of top-k decoding (default 3)
}

// Model configures the recurrent network (spec §3).
type Model struct {
	RNNType          string  `json:"rnn_type"`          // RNN, LSTM, GRU, UGRNN, SRNN
	Ng               int     `json:"ng"`                // recurrent ("grid") units
	Activation       string  `json:"activation"`        // relu, tanh, sigmoid, linear
	Initializer      string  `json:"initializer"`       // glorot_uniform, glorot_normal, orthogonal (recurrent matrix)
	InitConvention   string  `json:"init_convention"`   // "keras" (NFL) or "pytorch" (Sorscher)
	ReadoutDropout   float64 `json:"readout_dropout"`   // Keras input dropout (spec §0.1 item 6)
	RecurrentDropout float64 `json:"recurrent_dropout"` // dropout on h_{t−1}
}

// Training configures the optimisation (spec §4).
type Training struct {
	Optimizer       string  `json:"optimizer"` // adam, rmsprop, sgd, adagrad
	LearningRate    float64 `json:"learning_rate"`
	Epsilon         float64 `json:"epsilon"`      // optimizer ε (Keras 1e-7, PyTorch 1e-8)
	Loss            string  `json:"loss"`         // "auto", "crossentropy", "mse", "polarmse"
	WeightDecay     float64 `json:"weight_decay"` // λ in λ·ΣW_rec²
	NEpochs         int     `json:"n_epochs"`
	StepsPerEpoch   int     `json:"n_grad_steps_per_epoch"`
	EvalEvery       int     `json:"eval_every"`       // steps between evaluations (0 = each epoch)
	CheckpointEvery int     `json:"checkpoint_every"` // steps between checkpoints (0 = each epoch)
	Device          string  `json:"device"`           // cpu, cuda, auto
}

// Eval configures post-training evaluation (spec §4.3, §5).
type Eval struct {
	SequenceLength  int     `json:"sequence_length"`     // 50 in NFL
	BatchSize       int     `json:"batch_size"`          // 0 = training batch size
	NBins           []int   `json:"nbins"`               // rate-map resolutions, default [44, 20, 32]
	NUnits          int     `json:"n_units"`             // units analysed per scorer (1024)
	ScoreMethod     string  `json:"score_method"`        // "nfl" (min-max), "deepmind" (mean-difference), "bnt"
	GridThreshold   float64 `json:"grid_threshold"`      // 0.8
	DecodeThreshold float64 `json:"decode_threshold_cm"` // 10
}
