package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at link time with -ldflags "-X main.version=…".
var version = "0.1.0-dev"

// Command is one subcommand. Each lives in its own cmd_<name>.go file and registers itself
// in an init function, so adding a command touches no other file.
type Command struct {
	Name  string
	Usage string // one line: arguments after the name
	Short string // one line for the command list
	Long  string // paragraphs for "gridcells <name> -h"
	// Flags adds the command's flags to fs and returns the function that runs it.
	Setup func(fs *flag.FlagSet) func(ctx context.Context, args []string) error
}

var commands = map[string]*Command{}

func register(c *Command) {
	if _, dup := commands[c.Name]; dup {
		panic("gridcells: command registered twice: " + c.Name)
	}
	commands[c.Name] = c
}

// UsageError marks a bad invocation or invalid input; it exits with status 2.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// usagef returns a UsageError with a formatted message.
func usagef(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("gridcells: ")
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 2 && args[0] == "help" && args[1] == "documentation" {
		if err := writeDocumentation(stdout); err != nil {
			fmt.Fprintf(stderr, "gridcells: %v\n", err)
			return 1
		}
		return 0
	}
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				fs := newFlagSet(c, stderr)
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
			fmt.Fprintf(stderr, "gridcells help: unknown command %q\n", args[1])
			printCommands(stderr)
			return 2
		}
		printCommands(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gridcells: unknown command %q\n", args[0])
		printCommands(stderr)
		return 2
	}
	fs := newFlagSet(c, stderr)
	if asksHelp(args[1:]) {
		// Asked-for help is output, for a pager or grep; usage printed after a flag error
		// stays on stderr.
		fs.SetOutput(stdout)
	}
	runFn := c.Setup(fs)
	positional, err := parseInterspersed(fs, args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	finished := make(chan struct{})
	stopping := interruptOn(cancel, finished, stderr, c.Name)
	err = runFn(ctx, positional)
	close(finished)
	<-stopping
	code := exitStatus(err)
	switch code {
	case 0:
	case 130:
		fmt.Fprintf(stderr, "gridcells %s: interrupted\n", c.Name)
	default:
		fmt.Fprintf(stderr, "gridcells %s: %s\n", c.Name, errorMessage(err))
	}
	return code
}

// asksHelp reports whether args hold -h, -help or --help before a "--".
func asksHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// stagePrefixes are the "train: " prefixes that the toolkit's packages put on their errors,
// as Go packages do. The command's own name already says where the error arose
// ("gridcells eval: train: DIR: …" read as noise), so errorMessage drops them; the prefixes
// of the layers underneath (cuda, npyio, flock) stay, since they say what failed.
var stagePrefixes = []string{"train", "sweep", "theory", "predictivity", "encode", "analysis",
	"report", "reproduce", "optim", "config", "sim", "nn"}

// errorMessage is err's text with the stagePrefix of each error in its chain dropped, once:
// "--resume R: train: R: no run" (the command's words around a package's error) reads
// "--resume R: R: no run". Only errors of the chain lose a prefix, so the user's own words
// that look like one (a run directory named "train", a config key "nn") stay.
func errorMessage(err error) string {
	msg := err.Error()
	for e := err; e != nil; e = errors.Unwrap(e) {
		inner := e.Error()
		if !strings.HasSuffix(msg, inner) {
			continue
		}
		for _, p := range stagePrefixes {
			if rest, ok := strings.CutPrefix(inner, p+": "); ok {
				msg = msg[:len(msg)-len(inner)] + rest
				break
			}
		}
	}
	return msg
}

// exitStatus is the documented exit status of a command's error: 0 success, 130
// interrupted, 2 usage or invalid input, 1 any other error.
func exitStatus(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.Canceled):
		return 130
	case errors.As(err, new(UsageError)):
		return 2
	default:
		return 1
	}
}

func newFlagSet(c *Command, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("gridcells "+c.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace("gridcells "+c.Name+" "+c.Usage), c.Short)
		if c.Long != "" {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(c.Long))
		}
		hasFlags := false
		fs.VisitAll(func(*flag.Flag) { hasFlags = true })
		if hasFlags {
			fmt.Fprintf(w, "\nflags:\n")
			fs.PrintDefaults()
		}
		fmt.Fprintf(w, "\nEXIT STATUS: 0 success, 1 error, 2 usage or invalid input, 130 interrupted.\n")
	}
	return fs
}

func printCommands(w io.Writer) {
	fmt.Fprintf(w, "gridcells %s: path-integrating RNNs and grid cells\n\nusage: gridcells <command> [flags] [args]\n\ncommands:\n", version)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].Short)
	}
	fmt.Fprintf(w, "\nRun \"gridcells <command> -h\" for a command's flags and their defaults.\n")
}

// parseInterspersed parses flags that may come before or after positional arguments
// ("gridcells score maps.npy --method nfl"), which the flag package alone stops at. A "--"
// ends flag parsing; everything after it is positional.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		// fs.Parse consumed a "--" terminator if the remaining args follow one.
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// interruptOn cancels the command at its first SIGINT or SIGTERM (a run then saves its
// checkpoint) until finished is closed; the returned channel is closed when it has let go
// of the signals. After a Ctrl-C the default SIGINT handling is back, so a second Ctrl-C
// ends the process at once. SIGTERM stays caught: a sweep worker sends it to its train
// process beside the terminal's SIGINT to the whole process group, and a scheduler
// (scancel) may send it more than once; neither may cut the checkpoint short.
func interruptOn(cancel context.CancelFunc, finished <-chan struct{}, stderr io.Writer, name string) <-chan struct{} {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer signal.Stop(sigs)
		select {
		case sig := <-sigs:
			cancel()
			if sig == os.Interrupt {
				signal.Reset(os.Interrupt)
				fmt.Fprintf(stderr, "gridcells %s: stopping (Ctrl-C again to quit at once)\n", name)
			} else {
				fmt.Fprintf(stderr, "gridcells %s: stopping (%v)\n", name, sig)
			}
		case <-finished:
			return
		}
		for {
			select {
			case <-sigs: // SIGTERM again: the command is already stopping
			case <-finished:
				return
			}
		}
	}()
	return done
}

// checkNetworkThresholds checks the two thresholds of "possible grid cells" (spec §5.6) that
// report, reproduce and sweep collect/table take: a decoding error > 0 cm (decodeFlag names
// the command's flag for it) and a grid-score threshold within a score's range, [−2, 2]
// (NaN, which makes every comparison false, is named apart).
func checkNetworkThresholds(decodeCM, grid float64, decodeFlag string) error {
	if !(decodeCM > 0) {
		return usagef("%s %g: must be > 0", decodeFlag, decodeCM)
	}
	if math.IsNaN(grid) {
		return usagef("--grid-threshold: must be a number")
	}
	if grid < -2 || grid > 2 {
		// A 60° grid score is a difference of correlations, in [−2, 2] (eval.grid_threshold's
		// range too); the figures draw the threshold on the score axis.
		return usagef("--grid-threshold %g: must be in [-2, 2], the range of a grid score", grid)
	}
	return nil
}
