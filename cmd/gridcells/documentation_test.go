package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestDocGoUpToDate fails when doc.go is not what "go generate" (gridcells help
// documentation) makes from the commands' current help, as gonum's check-generate does.
func TestDocGoUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := writeDocumentation(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		g, w := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("doc.go is stale (run go generate ./cmd/gridcells): line %d is\n%s\nwant\n%s", i+1, g[i], w[i])
			}
		}
		t.Fatalf("doc.go is stale (run go generate ./cmd/gridcells): %d lines, want %d", len(g), len(w))
	}
	for _, c := range []string{"# Train", "# Sweep", "gridcells reproduce"} {
		if !bytes.Contains(got, []byte(c)) {
			t.Errorf("doc.go lacks %q", c)
		}
	}
}
