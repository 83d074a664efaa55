package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// runInProcess parses args into a fresh O's flags, as main does, and calls run with
// buffers for its output. It returns main's exit status and the two streams, the error's
// message appended to stderr.
func runInProcess[O any, PO interface {
	*O
	AddFlags(*flag.FlagSet)
}](run func(context.Context, PO, []string, io.Writer, io.Writer) error, args ...string) (code int, stdout, stderr string) {
	o := PO(new(O))
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	o.AddFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2, "", err.Error()
	}
	var out, errw bytes.Buffer
	err = run(context.Background(), o, pos, &out, &errw)
	if err != nil {
		errw.WriteString(errorMessage(err)) // as main prints it
	}
	return exitStatus(err), out.String(), errw.String()
}

func TestParseInterspersed(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		method string
		pos    []string
	}{
		{[]string{"maps.npy", "--method", "deepmind"}, "deepmind", []string{"maps.npy"}},
		{[]string{"--method", "bnt", "a.npy", "b.npy"}, "bnt", []string{"a.npy", "b.npy"}},
		{[]string{"a.npy", "--method=nfl", "b.npy"}, "nfl", []string{"a.npy", "b.npy"}},
		{[]string{"a.npy", "--", "--method"}, "x", []string{"a.npy", "--method"}},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		m := fs.String("method", "x", "")
		pos, err := parseInterspersed(fs, tc.args)
		if err != nil {
			t.Fatalf("parseInterspersed(%q): %v", tc.args, err)
		}
		if *m != tc.method || !reflect.DeepEqual(pos, tc.pos) {
			t.Errorf("parseInterspersed(%q) = %q, method %q; want %q, %q", tc.args, pos, *m, tc.pos, tc.method)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	noRun := errors.New("the directory holds no run")
	pkg := func(format string, args ...any) error { return fmt.Errorf(format, args...) }
	for _, c := range []struct {
		err  error
		want string
	}{
		{pkg("train: /r: %w", noRun), "/r: the directory holds no run"},
		{pkg("train: train: %w", noRun), "train: the directory holds no run"}, // a directory named train
		{pkg("--resume /r: %w", pkg("train: /r/config.json: %w", noRun)), "--resume /r: /r/config.json: the directory holds no run"},
		{UsageError{pkg("run: %w", pkg("predictivity: too few samples"))}, "run: too few samples"},
		{pkg("sweep: %w", pkg("train: x")), "x"},
		{errors.New("k.yaml:1: train: unknown key"), "k.yaml:1: train: unknown key"}, // a key named train
		{pkg("m.npy: %w", errors.New("npyio: malformed NPY data")), "m.npy: npyio: malformed NPY data"},
		{errors.New("cuda: libcuda.so.1: not found"), "cuda: libcuda.so.1: not found"}, // a layer's prefix stays
		{errors.New("retrain: keep"), "retrain: keep"},
	} {
		if got := errorMessage(c.err); got != c.want {
			t.Errorf("errorMessage(%q) = %q; want %q", c.err, got, c.want)
		}
	}
}

// Help that is asked for goes to stdout with exit 0 (so "gridcells train -h | less" shows
// it); help for an unknown command is an error.
func TestHelpOutput(t *testing.T) {
	for _, args := range [][]string{{"train", "-h"}, {"score", "--help"}, {"help", "train"}, {"help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "usage: gridcells") || stderr.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %d bytes, stderr %q; want 0 and the usage on stdout", args, code, stdout.Len(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"help", "nope"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown command "nope"`) {
		t.Errorf("help nope: exit %d, stderr %q; want 2 and unknown command", code, stderr.String())
	}
	// A flag error still prints the usage on stderr.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"score", "--bogus"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "usage:") {
		t.Errorf("score --bogus: exit %d, stdout %q; want 2 and the usage on stderr", code, stdout.String())
	}
}
