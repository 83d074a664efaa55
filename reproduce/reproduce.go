package reproduce

import (
	"embed"
	"fmt"
	"strings"

	"github.com/gridcells/gridcells/sweep"
)

//go:embed sweeps/*.yaml
var sweepFiles embed.FS

// Scale is the size of a reproduction's sweep.
type Scale string

// Scales of the built-in sweeps (see the package documentation).
const (
	Tiny  Scale = "tiny"  // CI: about a minute on 2 cores
	Small Scale = "small" // a few CPU hours
	Paper Scale = "paper" // the paper's sizes and steps
)

// Scales lists the scales from the smallest.
var Scales = []Scale{Tiny, Small, Paper}

// ParseScale returns the scale named s.
func ParseScale(s string) (Scale, error) {
	for _, sc := range Scales {
		if string(sc) == strings.ToLower(strings.TrimSpace(s)) {
			return sc, nil
		}
	}
	return "", fmt.Errorf("reproduce: unknown scale %q; allowed: tiny, small, paper", s)
}

// Result is one result of the paper that a built-in sweep reproduces.
type Result struct {
	Name   string   // command-line name, e.g. "encodings"
	Title  string   // what it shows
	Figure string   // where the paper shows it
	By     []string // config keys whose values make one condition (row) of the table
	// Trains is false for results computed from the target codes alone (theory).
	Trains bool
}

// results, in the paper's order.
var results = []Result{
	{Name: "encodings", Title: "possible grid cells per target encoding", Figure: "paper Fig. 2", By: []string{"name"}, Trains: true},
	{Name: "periods", Title: "grid period vs place-cell width", Figure: "paper Fig. 3", By: []string{"encoding.place_cell_rf"}, Trains: true},
	{Name: "dos-details", Title: "DoS vs true DoG: unit scores, thresholds, spectra", Figure: "paper Fig. 4", By: []string{"name", "encoding.place_cell_rf"}, Trains: true},
	{Name: "hyperparameters", Title: "small perturbations of the ideal DoS network", Figure: "paper Result #4",
		By: []string{"training.learning_rate", "trajectory.batch_size", "model.activation", "encoding.surround_scale",
			"encoding.place_cell_rf", "model.readout_dropout", "model.recurrent_dropout", "model.rnn_type"}, Trains: true},
	{Name: "biological", Title: "multiple fields, multiple scales and anisotropic place cells", Figure: "paper Fig. 5", By: []string{"name"}, Trains: true},
	{Name: "theory", Title: "k*, predicted spacing and pattern formation per encoding", Figure: "paper Results #6–#7", By: []string{"name", "encoding.place_cell_rf", "encoding.surround_scale"}},
}

// Results returns the built-in results in the paper's order.
func Results() []Result { return append([]Result(nil), results...) }

// Names returns the results' names in the paper's order.
func Names() []string {
	names := make([]string, len(results))
	for i, r := range results {
		names[i] = r.Name
	}
	return names
}

// Lookup returns the result named name.
func Lookup(name string) (Result, error) {
	for _, r := range results {
		if r.Name == strings.ToLower(strings.TrimSpace(name)) {
			return r, nil
		}
	}
	return Result{}, fmt.Errorf("reproduce: unknown result %q; allowed: %s", name, strings.Join(Names(), ", "))
}

// SweepFile is the file name of the result's built-in sweep at scale s.
func (r Result) SweepFile(s Scale) string { return r.Name + "_" + string(s) + ".yaml" }

// SweepYAML returns the result's built-in sweep file at scale s: W&B-style YAML documents
// separated by "---" lines.
func (r Result) SweepYAML(s Scale) ([]byte, error) {
	if _, err := ParseScale(string(s)); err != nil {
		return nil, err
	}
	b, err := sweepFiles.ReadFile("sweeps/" + r.SweepFile(s))
	if err != nil {
		return nil, fmt.Errorf("reproduce: %s: %w", r.SweepFile(s), err)
	}
	return b, nil
}

// Sweeps parses the documents of the result's sweep file at scale s (sweep.ParseAll).
func (r Result) Sweeps(s Scale) ([]*sweep.Sweep, error) {
	data, err := r.SweepYAML(s)
	if err != nil {
		return nil, err
	}
	return sweep.ParseAll(data, r.SweepFile(s))
}

// Expand expands every document of the result's sweep at scale s into one manifest
// (sweep.ExpandAll).
func (r Result) Expand(s Scale) (runs []sweep.Run, notes []string, err error) {
	sweeps, err := r.Sweeps(s)
	if err != nil {
		return nil, nil, err
	}
	return sweep.ExpandAll(sweeps, nil)
}
