package config

// aliases maps the option names of the reference codebases to canonical keys, so their
// configs load unchanged. Names that already equal a canonical key's last component and are
// unambiguous (e.g. "activation", "learning_rate") need no entry; "sequence_length" and
// "batch_size" exist in two sections and resolve here to the training trajectory, as in NFL.
var aliases = map[string]string{
	// NFL (mec_hpc_investigations Options and sweeps/*.yaml; spec §6).
	"Ng":                          "model.ng",
	"Np":                          "encoding.np",
	"n_grid_cells":                "model.ng",
	"n_place_cells":               "encoding.np",
	"rnn":                         "model.rnn_type",
	"place_field_values":          "encoding.kind",
	"place_field_function":        "encoding.kind", // older NFL name
	"place_field_normalization":   "encoding.normalization",
	"place_field_loss":            "training.loss",
	"n_place_fields_per_cell":     "encoding.fields_per_cell",
	"place_cell_alpha_e":          "encoding.alpha_e",
	"place_cell_alpha_i":          "encoding.alpha_i",
	"box_width_in_m":              "trajectory.box_width",
	"box_height_in_m":             "trajectory.box_height",
	"is_periodic":                 "trajectory.periodic",
	"sequence_length":             "trajectory.sequence_length",
	"batch_size":                  "trajectory.batch_size",
	"bin_side_in_m":               "eval.bin_side",
	"n_recurrent_units_to_sample": "eval.plot_units",
	"n_gradient_steps_per_epoch":  "training.n_grad_steps_per_epoch",

	// SOR (ganguli-lab/grid-pattern-formation main.py options).
	"RNN_type":  "model.rnn_type",
	"n_steps":   "training.n_grad_steps_per_epoch",
	"periodic":  "trajectory.periodic",
	"pc_rf":     "encoding.place_cell_rf",
	"place_rf":  "encoding.place_cell_rf",
	"lr":        "training.learning_rate",
	"optimiser": "training.optimizer",

	// Spelled-out names of this toolkit.
	"encoding":             "encoding.kind",
	"place_cell_sigma":     "encoding.place_cell_rf",
	"eval_sequence_length": "eval.sequence_length",
	"eval_batch_size":      "eval.batch_size",
	"grid_score_method":    "eval.score_method",

	// RatInABox Agent parameter names (ecosystem.md §2.2).
	"speed_mean":                          "trajectory.riab_speed_mean",
	"speed_coherence_time":                "trajectory.riab_speed_coherence_time",
	"rotational_velocity_std":             "trajectory.riab_rot_vel_std",
	"rotational_velocity_coherence_time":  "trajectory.riab_rot_vel_coherence_time",
	"wall_repel_distance":                 "trajectory.riab_wall_repel_distance",
	"wall_repel_strength":                 "trajectory.riab_wall_repel_strength",
	"thigmotaxis":                         "trajectory.riab_thigmotaxis",
	"ratinabox_speed_mean":                "trajectory.riab_speed_mean",
	"ratinabox_rotational_velocity_std":   "trajectory.riab_rot_vel_std",
	"ratinabox_speed_coherence_time":      "trajectory.riab_speed_coherence_time",
	"ratinabox_rotational_coherence_time": "trajectory.riab_rot_vel_coherence_time",
}

// ignoredTopLevel are keys of W&B files that describe the sweep or the W&B run rather than
// the network; a loaded file may contain them and they are skipped.
var ignoredTopLevel = map[string]bool{
	"program": true, "project": true, "entity": true, "method": true, "metric": true,
	"description": true, "command": true, "early_terminate": true, "run_cap": true,
	"_wandb": true, "wandb_version": true,
}
