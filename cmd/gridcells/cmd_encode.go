package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/gridcells/gridcells/config"
	"github.com/gridcells/gridcells/encode"
	"github.com/gridcells/gridcells/npyio"
)

// encodeOptions are the flags of "gridcells encode".
type encodeOptions struct {
	cf        configFlags
	positions string
	out       string
	// Shortcuts for the most used encoding keys; each, when given, is applied after every --set.
	kind, np, sigma, surround, convention string
}

func (o *encodeOptions) AddFlags(fs *flag.FlagSet) {
	o.cf = configFlags{Preset: config.PresetNFL2022}
	o.cf.Register(fs)
	fs.StringVar(&o.positions, "positions", "", "positions `file`: .npy, or .npz[:key] (default key \"positions\", as gridcells simulate writes); float32 or float64, shape (..., 2), metres; required")
	fs.StringVar(&o.out, "out", "", "output `dir`ectory for codes.npy and centres.npy (required; created if missing)")
	fs.StringVar(&o.kind, "kind", "", "shortcut for --set encoding.kind=`K` (cartesian, high_dim_cartesian, polar, high_dim_polar, gaussian, difference_of_gaussians, true_difference_of_gaussians, general_difference_of_gaussians, softmax_of_differences)")
	fs.StringVar(&o.np, "np", "", "shortcut for --set encoding.np=`N` (with --kind cartesian or polar, 2 when not given)")
	fs.StringVar(&o.sigma, "sigma", "", "shortcut for --set encoding.place_cell_rf=`σ` (m, or 'Uniform( lo , hi )')")
	fs.StringVar(&o.surround, "surround", "", "shortcut for --set encoding.surround_scale=`s`")
	fs.StringVar(&o.convention, "surround-convention", "", "shortcut for --set encoding.surround_convention=`C` (sigma_ratio or variance_ratio)")
}

func init() {
	register(&Command{
		Name:  "encode",
		Usage: "--positions POS.npy --out DIR [--preset P] [--config FILE] [--set key=value ...] [--kind K --np N --sigma σ --surround s]",
		Short: "compute the target code of given positions, and the place-cell centres, to npy",
		Long: `Encode builds the target code of a run configuration (spec §2.2; the centres drawn from the run's
seed exactly as train draws them) and applies it to every position in POS.npy, an array of
shape (..., 2) in metres with the box centred at the origin (or the "positions" array of an .npz
from gridcells simulate; another array with F.npz:key). It writes:

  DIR/codes.npy    float32, shape (..., Np): the targets
  DIR/centres.npy  float32, shape (Np, F, 2): place-field centres, F fields per cell after
                   padding (padding fields sit at 1e7 × a random location); place codes only
                   (a code without centres removes an earlier centres.npy from DIR)

and prints a one-line summary, with the decoding error of the codes themselves, to stdout.

Examples:
  gridcells encode --positions pos.npy --out enc
  gridcells simulate --out traj.npz && gridcells encode --positions traj.npz --out enc
  gridcells encode --positions pos.npy --out enc --preset sorscher2019 --set seed=3
  gridcells encode --positions pos.npy --out enc --kind gaussian --sigma 0.2 --np 256`,
		Setup: func(fs *flag.FlagSet) func(context.Context, []string) error {
			var o encodeOptions
			o.AddFlags(fs)
			return func(ctx context.Context, args []string) error {
				return runEncode(ctx, &o, args, os.Stdout, os.Stderr)
			}
		},
	})
}

// encodeBlock is how many positions encode makes and writes at a time (64 MiB of codes at
// 256 cells).
const encodeBlock = 1 << 16

// runEncode reads the positions, encodes them and writes the two arrays; every input check
// happens before anything is written.
func runEncode(ctx context.Context, o *encodeOptions, args []string, w, stderr io.Writer) error {
	if len(args) > 0 {
		return usagef("unexpected arguments %q", args)
	}
	if o.positions == "" {
		return usagef("--positions is required")
	}
	if o.out == "" {
		return usagef("--out is required")
	}
	np := o.np
	if np == "" && (o.kind == "cartesian" || o.kind == "polar") {
		// The two-cell codes (spec §2.2) admit only Np 2; the presets' 512 would be refused.
		np = "2"
	}
	for _, s := range []struct{ key, v string }{
		{"encoding.kind", o.kind}, {"encoding.np", np}, {"encoding.place_cell_rf", o.sigma},
		{"encoding.surround_scale", o.surround}, {"encoding.surround_convention", o.convention},
	} {
		if s.v != "" {
			o.cf.Sets = append(o.cf.Sets, s.key+"="+s.v)
		}
	}
	cfg, err := o.cf.Resolve()
	if err != nil {
		return err
	}
	code, err := encode.ForRun(cfg)
	if err != nil {
		return UsageError{err}
	}
	pos, shape, err := readEncodePositions(o.positions)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	codeShape := append(append([]int(nil), shape[:len(shape)-1]...), code.Np())
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	// The codes are made and written a block of positions at a time: 10 million positions
	// of 512 cells are 20 GB, which encoded at once got the process killed for memory.
	npos, ncells := len(pos)/2, code.Np()
	if bytes := 4 * float64(npos) * float64(ncells); bytes > 1<<30 {
		fmt.Fprintf(stderr, "encoding %d positions into %s (%.1f GB)…\n", npos, filepath.Join(o.out, "codes.npy"), bytes/1e9)
	}
	var errSum float64 // Σ over blocks of (block's mean decoding error × its positions)
	err = npyio.WriteFloat32Chunks(filepath.Join(o.out, "codes.npy"), codeShape, encodeBlock*ncells, func(dst []float32, start int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := pos[2*(start/ncells) : 2*((start+len(dst))/ncells)]
		code.Encode(dst, p)
		errSum += code.DecodingError(dst, p) * float64(len(p)/2)
		return nil
	})
	if err != nil {
		return err
	}
	decoded := "none: no positions" // a mean over no positions is no number, not 0 cm
	if npos > 0 {
		decoded = fmt.Sprintf("%.2f cm", errSum/float64(npos))
	}
	written := "codes.npy " + encodeShape(codeShape)
	if xy, nf := code.Centres(); xy != nil {
		if err := npyio.WriteFile(filepath.Join(o.out, "centres.npy"), npyio.NewFloat32(xy, code.Np(), nf, 2)); err != nil {
			return err
		}
		written += ", centres.npy " + encodeShape([]int{code.Np(), nf, 2})
	} else if err := os.Remove(filepath.Join(o.out, "centres.npy")); err == nil {
		// A code without centres (Cartesian, polar) into a directory of an earlier place
		// code: its centres.npy would sit beside codes it does not belong to.
		written += "; removed the centres.npy of an earlier code"
	} else if !os.IsNotExist(err) {
		return err
	}
	_, err = fmt.Fprintf(w, "%s: %s (%s, loss %s); decoding error of these codes %s\n",
		o.out, written, code.Kind(), code.Loss(), decoded)
	return err
}

// readEncodePositions loads a (..., 2) float array of finite positions as float32 from an .npy
// file or an array of an .npz archive (F.npz or F.npz:key, default key "positions").
func readEncodePositions(path string) ([]float32, []int, error) {
	var a *npyio.Array
	var err error
	if file, key, ok := npzPath(path); ok {
		var arrays map[string]*npyio.Array
		if arrays, err = npyio.ReadNPZ(file); err == nil {
			if a = arrays[key]; a == nil {
				names := make([]string, 0, len(arrays))
				for n := range arrays {
					names = append(names, n)
				}
				sort.Strings(names)
				return nil, nil, usagef("--positions %s: no array %q (arrays: %s)", file, key, strings.Join(names, ", "))
			}
		}
	} else {
		a, err = npyio.ReadFile(path)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return nil, nil, UsageError{fmt.Errorf("--positions: %w", err)}
		}
		return nil, nil, UsageError{fmt.Errorf("--positions %s: %w", path, err)}
	}
	if a.Dtype != "<f4" && a.Dtype != "<f8" {
		return nil, nil, usagef("--positions %s: dtype %s, want float32 (<f4) or float64 (<f8)", path, a.Dtype)
	}
	if len(a.Shape) == 0 || a.Shape[len(a.Shape)-1] != 2 {
		return nil, nil, usagef("--positions %s: shape %s, want (..., 2) (x, y in metres)", path, encodeShape(a.Shape))
	}
	pos := a.AsFloat32()
	for i, v := range pos {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, usagef("--positions %s: element %d is %v; positions must be finite", path, i, v)
		}
	}
	return pos, a.Shape, nil
}

// npzPath splits "F.npz" or "F.npz:key" into the archive and the array name.
func npzPath(path string) (file, key string, ok bool) {
	if strings.HasSuffix(path, ".npz") {
		return path, "positions", true
	}
	if i := strings.LastIndex(path, ".npz:"); i >= 0 {
		return path[:i+4], path[i+5:], true
	}
	return "", "", false
}

func encodeShape(shape []int) string {
	s := "("
	for i, n := range shape {
		if i > 0 {
			s += "×"
		}
		s += strconv.Itoa(n)
	}
	return s + ")"
}
