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
	// crossentropy 8000
	// --set: activation (model.activation): invalid value "gelu"; allowed: relu, tanh, sigmoid, linear
	// encoding.np: must be ≥ decode_top_k = 3 for top-3 place decoding (spec §2.3), got 2
}
