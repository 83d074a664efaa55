// Package report writes gridcells' self-contained HTML reports: one per run (the resolved
// config, the headline numbers of summary.json, training curves, a montage of the
// best-scoring rate maps, their autocorrelograms with the score ring, the distribution of
// unit scores, the evaluation trajectories, a sortable units table) and one per sweep (the
// per-condition table of paper Fig. 2a with 95 % Wilson intervals, its bar chart, the
// survival functions of per-unit scores of Fig. 2b, grid period vs place-cell width of
// Fig. 3 when given, and a sortable table of runs).
//
// The report takes its data through small structs of its own (Run, Unit, Sweep,
// Condition, SweepRun) rather than the train and sweep packages' types, so that it
// depends only on plain numbers; the gridcells report command reads a run or sweep
// directory and fills them. Figures come from package report/figure.
//
// A page is rendered with html/template (all text escaped) and embeds every figure as a
// base64 PNG data URI, with inline CSS and a few lines of inline JavaScript that sort a
// table by the clicked column and record on <body data-figures-loaded="k/n"> how many
// images decoded; it loads no external resource, so it reads offline. Report.WriteFile
// and Report.WriteFigures write atomically (temporary file and rename).
//
// Missing parts of a run (no metrics, no rate maps) are left out with a note on the page;
// a rate map of the wrong size is an error naming the unit.
package report
