package sweep

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/gridcells/gridcells/config"
)

// Two documents, one per encoding as NFL writes them (and the built-in sweeps of package
// reproduce): each holds its encoding constant and sweeps only the seed.
const twoDocuments = `---
# Gaussian
method: grid
parameters:
  name: {value: Gaussian}
  place_field_values: {value: gaussian}
  seed: {values: [0, 1]}
---
method: grid
parameters:
  name: {value: DoS}
  place_field_values: {value: difference_of_gaussians}
  seed: {values: [0, 1]}
`

// TestParseAllDocuments: every document is read, errors name the line of the whole file, and
// Parse refuses a file of several documents instead of reading its first.
func TestParseAllDocuments(t *testing.T) {
	sweeps, err := ParseAll([]byte(twoDocuments), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sweeps) != 2 {
		t.Fatalf("%d documents, want 2", len(sweeps))
	}
	if _, err := Parse([]byte(twoDocuments), "two.yaml"); !errors.Is(err, ErrSweep) || !strings.Contains(err.Error(), "2 YAML documents") {
		t.Errorf("Parse of two documents: %v", err)
	}
	bad := strings.Replace(twoDocuments, "difference_of_gaussians", "softmaxes", 1)
	_, err = ParseAll([]byte(bad), "two.yaml")
	var ce *config.ConfigError
	if !errors.As(err, &ce) || ce.Line != 12 {
		t.Errorf("bad value in document 2: %v, want an error at line 12", err)
	}
	if _, err := ParseAll([]byte("---\n# nothing\n---\n"), "empty.yaml"); !errors.Is(err, ErrSweep) {
		t.Errorf("only empty documents: %v", err)
	}
}

// expandTwoDocuments parses and expands twoDocuments.
func expandTwoDocuments(t *testing.T) ([]*Sweep, []Run) {
	t.Helper()
	sweeps, err := ParseAll([]byte(twoDocuments), "two.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := ExpandAll(sweeps, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sweeps, runs
}

// TestExpandAllTellsDocumentsApart: the runs of two documents that differ only in keys each
// holds constant carry those keys in their Params, so the default table has one condition
// per document (with the seed pooled), not one for all.
func TestExpandAllTellsDocumentsApart(t *testing.T) {
	sweeps, runs := expandTwoDocuments(t)
	if len(runs) != 4 {
		t.Fatalf("%d runs, want 4", len(runs))
	}
	for i, r := range runs {
		want := "Gaussian"
		if i >= 2 {
			want = "DoS"
		}
		if v, ok := r.Params.Get("name"); !ok || v != want || r.Index != i {
			t.Errorf("run %d (index %d): name %q (%v), want %q; params %s", i, r.Index, v, ok, want, r.Params)
		}
		if _, ok := r.Params.Get("encoding.kind"); !ok {
			t.Errorf("run %d: params %s lack encoding.kind", i, r.Params)
		}
	}
	results := make([]Result, len(runs))
	for i, r := range runs {
		results[i] = Result{Run: r}
	}
	by := DefaultBy(results)
	if !slices.Equal(by, []string{"name", "encoding.kind"}) {
		t.Errorf("DefaultBy = %v, want [name encoding.kind]", by)
	}
	_, conds, err := Table(results, by, Thresholds{DecodeCM: 10, Grid: 0.8})
	if err != nil || len(conds) != 2 {
		t.Errorf("table: %d conditions (%v), want 2", len(conds), err)
	}
	// One document alone is not annotated: its constant keys do not vary.
	one, _, err := ExpandAll(sweeps[:1], nil)
	if err != nil || len(one) != 2 || len(one[0].Params) != 1 {
		t.Errorf("one document: %d runs, params %v, %v", len(one), one[0].Params, err)
	}
}

// TestCreateSameRunsNewAnnotations: a manifest with the same run ids but other Params (what
// an older version wrote for a multi-document file) is rewritten, not refused.
func TestCreateSameRunsNewAnnotations(t *testing.T) {
	_, runs := expandTwoDocuments(t)
	old := make([]Run, len(runs))
	for i, r := range runs {
		old[i] = r
		old[i].Params = r.Params[:1] // the seed only
	}
	dir := t.TempDir()
	if err := Create(dir, []byte(twoDocuments), old, false); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir, []byte(twoDocuments), runs, false); err != nil {
		t.Fatalf("same runs, new annotations: %v", err)
	}
	back, err := LoadManifest(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if back[3].Params.String() != runs[3].Params.String() {
		t.Errorf("manifest not rewritten: %s, want %s", back[3].Params, runs[3].Params)
	}
	if err := Create(dir, []byte(twoDocuments), runs[1:], false); !errors.Is(err, ErrManifestDiffers) {
		t.Errorf("other runs: %v, want ErrManifestDiffers", err)
	}
}

// A document marker may carry blanks or a comment after it, as YAML allows: "--- # DoG"
// was not taken for one, and the file read as one document of two.
func TestParseAllCommentedSeparator(t *testing.T) {
	text := "method: grid\nparameters:\n  seed: {values: [1, 2]}\n--- # the second condition\nmethod: grid\nparameters:\n  seed: {values: [3]}\n---  \nmethod: grid\nparameters:\n  Ng: {values: [8]}\n"
	sws, err := ParseAll([]byte(text), "three.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sws) != 3 {
		t.Fatalf("%d documents, want 3", len(sws))
	}
	for _, l := range []string{"---x\n", "----\n", " ---\n", "--- key: v\n"} {
		if isDocumentSeparator([]byte(l)) {
			t.Errorf("%q taken for a document marker", l)
		}
	}
}

// In a file mixing a grid and a random document, --count and --seed go to the random one
// (the grid draws nothing); before, either refused the whole file. A file of grids alone
// still refuses them, and errors name the document.
func TestExpandAllMixedMethods(t *testing.T) {
	text := "method: grid\nparameters:\n  seed: {values: [1, 2]}\n---\nmethod: random\nparameters:\n  learning_rate: {distribution: uniform, min: 0.0001, max: 0.001}\n"
	sws, err := ParseAll([]byte(text), "mixed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	runs, _, err := ExpandAll(sws, &ExpandSettings{Count: 3, Seed: 5})
	if err != nil || len(runs) != 5 {
		t.Fatalf("grid of 2 and random of 3: %d runs, %v; want 5", len(runs), err)
	}
	grids, err := ParseAll([]byte("method: grid\nparameters:\n  seed: {values: [1, 2]}\n---\nmethod: grid\nparameters:\n  Ng: {values: [8]}\n"), "grids.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ExpandAll(grids, &ExpandSettings{Seed: 5}); err == nil || !strings.Contains(err.Error(), "document 1") {
		t.Errorf("--seed on a file of grids: %v; want an error naming document 1", err)
	}
}
