package main

import (
	"flag"
	"io"
	"reflect"
	"testing"
)

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
