package config_test

import (
	"fmt"

	"github.com/gridcells/gridcells/config"
)

// A run is a preset, overridden by a config file (config.Load) and by --set key=value
// pairs that may use the NFL option names and value strings.
func ExampleApplySets() {
	cfg, err := config.Preset(config.PresetQuick)
	if err != nil {
		panic(err)
	}
	err = config.ApplySets(&cfg, []string{
		"rnn_type=UGRNN",
		"place_cell_rf=Uniform( 0.06 , 0.24 )",
		"n_place_fields_per_cell=Poisson( 3.0 )",
	})
	if err != nil {
		panic(err)
	}
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	fmt.Println(cfg.Model.RNNType, cfg.Model.Ng, cfg.Encoding.PlaceCellRF, cfg.Encoding.FieldsPerCell)
	fmt.Println(cfg.LossKind(), cfg.TotalSteps())

	// Bad input names the key and what is allowed.
	fmt.Println(config.ApplySets(&cfg, []string{"activation=gelu"}))
	cfg.Encoding.Np = 2
	fmt.Println(cfg.Validate())
	// Output:
	// UGRNN 256 Uniform( 0.06 , 0.24 ) Poisson( 3 )
	// crossentropy 16500
	// --set: activation (model.activation): invalid value "gelu"; allowed: relu, tanh, sigmoid, linear
	// encoding.np: must be ≥ decode_top_k = 3 for top-3 place decoding (spec §2.3), got 2
}

// Configs from the NFL codebase load unchanged: flat files with its option names and value
// strings, or W&B files.
func ExampleLoad() {
	cfg, err := config.Load("testdata/pc_ce_dog_multiple_fields_and_scales.yaml")
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Encoding.Kind, cfg.Encoding.FieldsPerCell, cfg.Encoding.PlaceCellRF, cfg.Encoding.SurroundScale)
	fmt.Println(cfg.Model.RNNType, cfg.Model.Ng, cfg.Seed, cfg.Validate() == nil)

	_, err = config.Load("testdata/bad_dist.yaml")
	fmt.Println(err)
	// Output:
	// difference_of_gaussians Poisson( 3 ) Uniform( 0.06 , 1 ) Uniform( 1.25 , 4.5 )
	// RNN 1024 2 true
	// testdata/bad_dist.yaml:2: place_cell_rf (encoding.place_cell_rf): malformed distribution "Uniform( 0.1": missing closing ')'
}
