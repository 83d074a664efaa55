package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gridcells/gridcells/config"
)

// configOptions are the flags of "gridcells config".
type configOptions struct {
	cf       configFlags
	format   string
	listKeys bool
}

func (o *configOptions) AddFlags(fs *flag.FlagSet) {
	o.cf = configFlags{Preset: config.PresetQuick} // train's default, so that config shows what train would run
	o.cf.Register(fs)
	fs.StringVar(&o.format, "format", "json", "output `format`: json or yaml")
	fs.BoolVar(&o.listKeys, "list-keys", false, "list every key with its type, its value in the resolved config (the preset, --config, --set) as default, allowed values and aliases, then exit (default false)")
}

func init() {
	register(&Command{
		Name:  "config",
		Usage: "[--preset P] [--config FILE] [--set key=value ...] [--format json|yaml] [--list-keys]",
		Short: "print the fully resolved configuration of a run",
		Long: `Config resolves a run's configuration the way train does — the preset (quick by default, as for
train), then the file given with --config, then each --set in order — validates it, and prints it. The output loads back unchanged
with --config. Files may be flat NFL/Sorscher style (rnn_type: RNN, Ng: 1024,
place_cell_rf: 'Uniform( 0.06 , 0.24 )'), nested by section (model: {ng: 1024}), or W&B
(key: {value: X}, or a sweep file whose parameters each have one value).

Presets: ` + strings.Join(config.PresetNames(), ", ") + `.

Examples:
  gridcells config --preset quick --set rnn_type=LSTM --set place_cell_rf='Uniform( 0.06 , 0.24 )'
  gridcells config --config run.yaml --format yaml
  gridcells config --list-keys`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o configOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runConfig(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// runConfig prints the resolved config (or the key list) to w.
func runConfig(_ context.Context, o *configOptions, args []string, w, logw io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if o.format != "json" && o.format != "yaml" {
		return usagef("--format %q: allowed: json, yaml", o.format)
	}
	cfg, err := o.cf.Resolve()
	if err != nil {
		return err
	}
	if o.listKeys {
		return printKeys(w, cfg)
	}
	for _, u := range cfg.Unused() {
		fmt.Fprintf(logw, "note: %s; the setting has no effect\n", u)
	}
	var out []byte
	if o.format == "yaml" {
		out, err = cfg.YAML()
	} else {
		out, err = cfg.JSON()
	}
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// printKeys writes one block per key: the key, its type and default, then its description,
// allowed values and aliases on indented lines.
func printKeys(w io.Writer, cfg config.Config) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Keys (defaults from the %s preset, with any --config and --set). Set with --set key=value or in a --config file.\n", cfg.Preset)
	for _, k := range config.KeysOf(cfg) {
		def := k.Default
		if def == "" {
			def = `""`
		}
		fmt.Fprintf(bw, "\n%s (%s, default %s)\n", k.Key, k.Type, def)
		if k.Help != "" {
			fmt.Fprintf(bw, "    %s\n", k.Help)
		}
		if len(k.Allowed) > 0 {
			fmt.Fprintf(bw, "    allowed: %s\n", strings.Join(k.Allowed, ", "))
		}
		if len(k.Aliases) > 0 {
			fmt.Fprintf(bw, "    aliases: %s\n", strings.Join(k.Aliases, ", "))
		}
	}
	return bw.Flush()
}
